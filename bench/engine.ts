import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../src/db/postgres-store.js';
import type { Store } from '../src/db/repository.js';
import { SqliteStore } from '../src/db/sqlite-store.js';
import { ROOT } from './lib.js';

/**
 * The engine a benchmark runs on: `BENCH_ENGINE=sqlite` (default) or `postgres`. On PostgreSQL the
 * benchmark uses `BENCH_DATABASE_URL` (a server it may create databases on) or starts a throwaway
 * cluster of its own (scripts/postgres-throwaway.sh), stopped when the benchmark exits.
 */
export type Engine = 'sqlite' | 'postgres';
export const ENGINE: Engine = process.env.BENCH_ENGINE === 'postgres' ? 'postgres' : 'sqlite';

export interface BenchDatabase {
  engine: Engine;
  /** What the server process needs in its environment to use this database. */
  env: Record<string, string>;
  open(): Promise<Store>;
  /** Bytes the database takes (file and WAL, or pg_database_size). */
  bytes(): Promise<number>;
}

let server: Promise<string> | undefined;

/** A PostgreSQL server for the benchmark's databases, started once per process when none is given. */
function postgresServer(): Promise<string> {
  server ??= (async () => {
    if (process.env.BENCH_DATABASE_URL) return process.env.BENCH_DATABASE_URL;
    const dir = mkdtempSync(join(tmpdir(), 'bench-pg-'));
    const port = String(56_000 + (process.pid % 400));
    const script = join(ROOT, 'scripts', 'postgres-throwaway.sh');
    const url = execFileSync('sh', [script, 'start', port, dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      .trim()
      .split('\n')
      .at(-1)!;
    process.on('exit', () => {
      execFileSync('sh', [script, 'stop', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    });
    return url;
  })();
  return server;
}

/** A new, empty database for one benchmark registry, on the configured engine. */
export async function benchDatabase(dir: string, name: string, engine: Engine = ENGINE): Promise<BenchDatabase> {
  if (engine === 'sqlite') {
    const path = join(dir, `${name}.sqlite`);
    const size = (p: string) => {
      try {
        return statSync(p).size;
      } catch {
        return 0;
      }
    };
    return {
      engine,
      env: { DATABASE_PATH: path },
      open: async () => new SqliteStore(path),
      bytes: async () => size(path) + size(`${path}-wal`),
    };
  }
  const base = await postgresServer();
  const database = `bench_${name.replace(/\W/g, '_')}_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${database}`);
    await admin.query(`create database ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${database}`;
  const href = url.toString();
  return {
    engine,
    env: { DATABASE_URL: href },
    open: () => PostgresStore.open(href),
    bytes: async () => {
      const client = new pg.Client({ connectionString: href });
      await client.connect();
      try {
        return Number((await client.query('select pg_database_size(current_database()) as n')).rows[0].n);
      } finally {
        await client.end();
      }
    },
  };
}
