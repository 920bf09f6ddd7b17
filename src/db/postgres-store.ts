import { asc, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { MIGRATIONS_DIR } from '../paths.js';
import { type AnyDb, claimableDeliveries, DrizzleRegistry, type HeadLock, type Tables } from './drizzle-registry.js';
import type { Store, UnitOfWork, WebhookDeliveryRow } from './repository.js';
import * as schema from './schema-pg.js';

/** Any constant: the key of the session-level advisory lock that keeps two starting instances from migrating at once. */
const MIGRATION_LOCK = 7_204_519_113;

const tables = schema as unknown as Tables;

type PgDb = ReturnType<typeof drizzle<typeof schema>>;
const pgOf = (db: AnyDb) => db as unknown as PgDb;
const head = schema.registryHead;

/** The head row, locked for the rest of the transaction: writers of every instance queue here. */
const headLock: HeadLock = {
  lock: async (db) => {
    const [row] = await pgOf(db).select({ v: head.version }).from(head).where(eq(head.id, 1)).for('update');
    if (!row) throw new Error('registry_head has no row; the migrations did not run');
    return row.v;
  },
  advance: async (db, version) => {
    await pgOf(db).update(head).set({ version }).where(eq(head.id, 1));
  },
};

/**
 * The registry on PostgreSQL (node-postgres `pg` pool, drizzle's node-postgres driver), selected by
 * DATABASE_URL. Writes lock the one-row `registry_head` first, so versions are allocated one after
 * another across every instance and If-Match, idempotency and revert are checked under that lock.
 */
export class PostgresStore extends DrizzleRegistry implements Store {
  readonly engine = 'postgres' as const;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly pgDb: PgDb,
  ) {
    super(pgDb as unknown as AnyDb, tables);
  }

  static async open(url: string, options: { poolMax?: number } = {}): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: options.poolMax ?? 10, connectionTimeoutMillis: 10_000 });
    // An idle client that loses its connection (server restart) must not crash the process.
    pool.on('error', () => {});
    const client = await pool.connect();
    try {
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await migrate(drizzle({ client, casing: 'snake_case' }), { migrationsFolder: MIGRATIONS_DIR.postgres });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
    return new PostgresStore(pool, drizzle({ client: pool, schema, casing: 'snake_case' }));
  }

  write<T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T> {
    return this.pgDb.transaction(async (tx) => work(new DrizzleRegistry(tx as unknown as AnyDb, tables, headLock)));
  }

  /**
   * Claims in a short transaction of its own (no head lock: registry writes go on meanwhile). Rows
   * another instance is claiming are locked, and skipped rather than waited for; once it commits,
   * their lease excludes them.
   */
  claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDeliveryRow[]> {
    const { webhookDeliveries: d, webhookSubscriptions: w } = schema;
    return this.pgDb.transaction(async (tx) => {
      const rows = await tx
        .select({ delivery: d })
        .from(d)
        .innerJoin(w, eq(w.id, d.subscriptionId))
        .where(claimableDeliveries(tables, now))
        .orderBy(asc(d.nextAttemptAt), asc(d.id))
        .limit(limit)
        .for('update', { of: d, skipLocked: true });
      return new DrizzleRegistry(tx as unknown as AnyDb, tables).markWebhookClaimed(
        rows.map((r) => r.delivery),
        leaseUntil,
      );
    });
  }

  async ping(forWrite = false): Promise<void> {
    if (!forWrite) {
      await this.pgDb.execute(sql`select 1`);
      return;
    }
    const [row] = (await this.pgDb.execute(sql`select pg_is_in_recovery() as standby, current_setting('transaction_read_only') as ro`))
      .rows as { standby: boolean; ro: string }[];
    if (row?.standby || row?.ro === 'on') throw Object.assign(new Error('the database is read-only'), { code: '25006' });
  }

  private closed?: Promise<void>;

  /** Idempotent: the app's onClose and a test may both close the store. */
  close(): Promise<void> {
    this.closed ??= this.pool.end();
    return this.closed;
  }
}
