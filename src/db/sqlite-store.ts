import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { MIGRATIONS_DIR } from '../paths.js';
import { type AnyDb, DrizzleRegistry } from './drizzle-registry.js';
import type { Store, UnitOfWork, WebhookDeliveryRow } from './repository.js';
import * as schema from './schema.js';

/** SQLite's page cache per connection unless the configuration says otherwise (SQLITE_CACHE_MAX_BYTES). */
const DEFAULT_CACHE_BYTES = 4 * 1_048_576;

function connect(path: string, cacheBytes: number): Database.Database {
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  // WAL with synchronous = FULL fsyncs the log at every commit, so an acknowledged change set
  // survives a killed process and, on hardware that honours fsync, a power cut.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  // Another process holding the write lock is waited for, up to 5 s, before a write fails.
  sqlite.pragma('busy_timeout = 5000');
  // 4 MiB of page cache per connection by default instead of better-sqlite3's 16 MiB: the two
  // connections' caches took up to 32 MB of RSS (bench:scale, 10 000 revisions: 181 → 165 MB after
  // the reads, ~20 MB less after exports); pages beyond it come from the OS page cache. A negative
  // cache_size is in KiB.
  sqlite.pragma(`cache_size = -${Math.max(64, Math.floor(cacheBytes / 1024))}`);
  return sqlite;
}

/**
 * The registry on one SQLite file (better-sqlite3). Writes run on their own connection, one at a
 * time in this process and under `BEGIN IMMEDIATE` (SQLite's write lock) across processes; reads
 * run on a second connection, so they only ever see committed data, even while a write transaction
 * of this process is open between two awaits. `:memory:` has one connection for both (tests only).
 */
export class SqliteStore extends DrizzleRegistry implements Store {
  readonly engine = 'sqlite' as const;
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly writerDb: AnyDb;
  private readonly currentVersionStmt: Database.Statement;
  /** The tail of this process's queue of writes: each one starts when the previous has settled. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    options: { cacheBytes?: number } = {},
  ) {
    const cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      // Created owner-only, like backups: the file holds key hashes and the audit log.
      if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    }
    const writer = connect(path, cacheBytes);
    const writerDb = drizzle({ client: writer, schema, casing: 'snake_case' }) as unknown as AnyDb;
    migrate(writerDb, { migrationsFolder: MIGRATIONS_DIR.sqlite });
    const reader = path === ':memory:' ? writer : connect(path, cacheBytes);
    super(drizzle({ client: reader, schema, casing: 'snake_case' }) as unknown as AnyDb);
    this.writer = writer;
    this.reader = reader;
    this.writerDb = writerDb;
    this.currentVersionStmt = reader.prepare('select max(version) from change_sets').pluck();
  }

  /** A prepared statement on the primary key's index: a few microseconds, so it is read per request. */
  override async currentVersion(): Promise<number> {
    return (this.currentVersionStmt.get() as number | null) ?? 0;
  }

  write<T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T> {
    const run = async () => {
      this.writer.prepare('begin immediate').run();
      try {
        // Under the lock, the newest version is whatever the last commit (of any process) made it.
        const tx = new DrizzleRegistry(this.writerDb, undefined, {
          lock: async () => (this.writer.prepare('select max(version) from change_sets').pluck().get() as number | null) ?? 0,
          advance: async () => {},
        });
        const result = await work(tx);
        this.writer.prepare('commit').run();
        return result;
      } catch (error) {
        if (this.writer.inTransaction) this.writer.prepare('rollback').run();
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** One worker's claim, under SQLite's write lock: no other process can claim between the select and the update. */
  claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDeliveryRow[]> {
    return this.write(async (tx) => {
      const registry = tx as DrizzleRegistry;
      return registry.markWebhookClaimed(await registry.selectClaimable(now, limit), leaseUntil);
    });
  }

  async ping(forWrite = false): Promise<void> {
    this.reader.prepare('select 1').get();
    if (forWrite) {
      // A read-only handle, or one switched to query_only (what an operator does to freeze writes), cannot write.
      if (this.writer.readonly || this.writer.pragma('query_only', { simple: true }) === 1) {
        throw Object.assign(new Error('the database is read-only'), { code: 'SQLITE_READONLY' });
      }
      // Checks the file can be written without waiting for, or holding, the write lock.
      const fd = this.path === ':memory:' ? undefined : openSync(this.path, 'r+');
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** The writer's raw handle, for online backups (`npm run backup`), which SQLite does natively. */
  get rawWriter(): Database.Database {
    return this.writer;
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.reader.open && this.reader !== this.writer) this.reader.close();
    if (this.writer.open) this.writer.close();
  }
}
