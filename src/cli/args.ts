import { parseArgs } from 'node:util';
import type { Config } from '../config.js';

/** The one file argument a CLI takes; prints the usage and exits 2 otherwise. */
export function singleFileArgument(usage: string): string {
  try {
    const { positionals } = parseArgs({ allowPositionals: true, options: {}, strict: true });
    if (positionals.length !== 1 || !positionals[0]) throw new Error('give exactly one backup file');
    return positionals[0];
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
}

/** Backup and restore copy the SQLite file; a PostgreSQL registry has its own tools. Exits 2 with the way to go. */
export function refuseOnPostgres(config: Pick<Config, 'DATABASE_URL'>, what: 'backup' | 'restore'): void {
  if (!config.DATABASE_URL) return;
  console.error(
    what === 'backup'
      ? 'DATABASE_URL is set: this registry is on PostgreSQL, and npm run backup copies the SQLite file only. Use pg_dump, e.g. `pg_dump --format=custom --file=registry.dump "$DATABASE_URL"`.'
      : 'DATABASE_URL is set: this registry is on PostgreSQL, and npm run restore replaces the SQLite file only. Use pg_restore, e.g. `pg_restore --clean --if-exists --dbname="$DATABASE_URL" registry.dump` (stop the API instances first).',
  );
  process.exit(2);
}
