import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { Config } from '../src/config.js';
import './postgres-setup.js';

/**
 * Which engine this test file runs on. `npm test` runs the suite on SQLite (vitest project "sqlite")
 * and again on PostgreSQL (project "postgres", whose global setup provides the server's URL); see
 * vitest.config.ts.
 */
export const TEST_DATABASE_URL = inject('testDatabaseUrl') || undefined;
export const ENGINE: 'sqlite' | 'postgres' = TEST_DATABASE_URL ? 'postgres' : 'sqlite';

let counter = 0;

/** Database settings for one new, empty database: a file in a new temporary directory, or a new PostgreSQL database. */
export async function freshDatabase(): Promise<Pick<Config, 'DATABASE_PATH' | 'DATABASE_URL'>> {
  if (!TEST_DATABASE_URL) {
    return { DATABASE_PATH: join(mkdtempSync(join(tmpdir(), 'registry-test-')), 'registry.sqlite'), DATABASE_URL: undefined };
  }
  const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return { DATABASE_PATH: ':memory:', DATABASE_URL: url.toString() };
}
