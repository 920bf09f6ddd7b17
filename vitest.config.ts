import { existsSync, readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs every test file on SQLite (project "sqlite"), then the files that touch the
 * database on PostgreSQL (project "postgres"): against TEST_DATABASE_URL when it is set, else
 * against a throwaway cluster the global setup starts, when PostgreSQL is installed. On a machine
 * without PostgreSQL the second project is left out and says so; CI installs it (.ci/run).
 */
function postgresAvailable(): boolean {
  if (process.env.TEST_DATABASE_URL) return true;
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((v) => existsSync(`${root}/${v}/bin/pg_ctl`));
}

/** Files that never open a database, or only ever a SQLite file (backup, crash and shutdown of the SQLite server). */
const SQLITE_ONLY = [
  'test/backup.test.ts',
  'test/bench-smoke.test.ts',
  'test/browser.test.ts',
  'test/config.test.ts',
  'test/crash.test.ts',
  'test/export-files.test.ts',
  'test/fuzz.test.ts',
  'test/imports.test.ts',
  'test/openapi.test.ts',
  'test/openapi-lint.test.ts',
  'test/resolve.test.ts',
  'test/seed-data.test.ts',
  'test/shutdown.test.ts',
  'test/sources-*.test.ts',
];
const ENGINE_ONLY = ['test/multi-instance.test.ts', 'test/bench-instances.test.ts'];

const withPostgres = postgresAvailable();
if (!withPostgres) {
  console.warn(
    'PostgreSQL is not installed here: the "postgres" test project is skipped. Install it (apt-get install -y postgresql) or set TEST_DATABASE_URL to run the suite on both engines.',
  );
}

const shared = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks' as const,
  // Two cores in CI: keep the number of workers bounded.
  maxWorkers: 2,
};

export default defineConfig({
  test: {
    ...shared,
    projects: [
      { test: { ...shared, name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ENGINE_ONLY } },
      ...(withPostgres
        ? [
            {
              test: {
                ...shared,
                name: 'postgres',
                include: ['test/**/*.test.ts'],
                exclude: SQLITE_ONLY,
                globalSetup: ['test/postgres-setup.ts'],
              },
            },
          ]
        : []),
    ],
  },
});
