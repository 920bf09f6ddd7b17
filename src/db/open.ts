import type { Config } from '../config.js';
import { PostgresStore } from './postgres-store.js';
import type { Store } from './repository.js';
import { SqliteStore } from './sqlite-store.js';

/** The store the configuration names: PostgreSQL when DATABASE_URL is set, else the SQLite file at DATABASE_PATH. */
export async function openStore(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_PATH' | 'DATABASE_POOL_MAX'>): Promise<Store> {
  if (config.DATABASE_URL) return PostgresStore.open(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  return new SqliteStore(config.DATABASE_PATH);
}
