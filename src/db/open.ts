import type { Config } from '../config.js';
import type { Store } from './repository.js';

/**
 * The store the configuration names: PostgreSQL when DATABASE_URL is set, else the SQLite file at
 * DATABASE_PATH. Each engine's module (and its driver: pg, or better-sqlite3's native addon) is loaded
 * only when it is the one used: loading both cost an instance about 13 MB of RSS for the one it never calls.
 */
export async function openStore(
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_PATH' | 'DATABASE_POOL_MAX'> & Partial<Pick<Config, 'SQLITE_CACHE_MAX_BYTES'>>,
): Promise<Store> {
  if (config.DATABASE_URL) {
    const { PostgresStore } = await import('./postgres-store.js');
    return PostgresStore.open(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  }
  const { SqliteStore } = await import('./sqlite-store.js');
  return new SqliteStore(config.DATABASE_PATH, { cacheBytes: config.SQLITE_CACHE_MAX_BYTES });
}
