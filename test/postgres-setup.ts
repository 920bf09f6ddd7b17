import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PostgreSQL server the "postgres" project's tests create their databases on. */
    testDatabaseUrl: string;
  }
}

const SCRIPT = fileURLToPath(new URL('../scripts/postgres-throwaway.sh', import.meta.url));

/**
 * Global setup of the "postgres" project: uses TEST_DATABASE_URL when given, else starts a throwaway
 * PostgreSQL cluster (scripts/postgres-throwaway.sh) for the run and stops it afterwards.
 */
export default function setup(project: TestProject) {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('testDatabaseUrl', given);
    return;
  }
  const port = String(55_000 + (process.pid % 400));
  const dir = mkdtempSync(join(tmpdir(), 'registry-pg-'));
  const output = execFileSync('sh', [SCRIPT, 'start', port, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const url = output.trim().split('\n').at(-1)!;
  project.provide('testDatabaseUrl', url);
  return () => {
    execFileSync('sh', [SCRIPT, 'stop', dir], { stdio: 'ignore' });
  };
}
