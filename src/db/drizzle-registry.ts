import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, type SQL, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type {
  ApiKeyRow,
  ChangeSetRow,
  HistoryRow,
  IdempotencyRow,
  ListQuery,
  NewAuditRow,
  NewChangeSet,
  PatchRow,
  RevisionRow,
  UnitOfWork,
} from './repository.js';
import { searchTextOf } from './repository.js';
import * as sqliteTables from './schema.js';

/**
 * The tables and database handle the queries are written against. The SQLite and PostgreSQL schemas
 * declare the same tables with the same row types, and drizzle renders each query in the dialect of
 * the handle it runs on, so one set of queries serves both; the types name SQLite's for brevity.
 */
export type Tables = Pick<typeof sqliteTables, 'changeSets' | 'platforms' | 'platformRevisions' | 'apiKeys' | 'idempotencyKeys' | 'auditLog'>;
// biome-ignore lint/suspicious/noExplicitAny: the handle is either dialect's database or transaction.
export type AnyDb = BetterSQLite3Database<any>;

/** What differs between engines inside a write: how the lock is taken and the head moved. */
export interface HeadLock {
  lock(db: AnyDb): Promise<number>;
  advance(db: AnyDb, version: number): Promise<void>;
}

/** `%text%` for LIKE with `\` as the escape character, so `%` and `_` in a search are literal. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Every query of the registry, on one handle: the store's read handle, or a write transaction's.
 * The only code (with the engine stores) that builds SQL.
 */
export class DrizzleRegistry implements UnitOfWork {
  constructor(
    protected readonly db: AnyDb,
    protected readonly t: Tables = sqliteTables,
    private readonly head?: HeadLock,
  ) {}

  async currentVersion(): Promise<number> {
    const [row] = await this.db.select({ v: sql<number | null>`max(${this.t.changeSets.version})` }).from(this.t.changeSets);
    return Number(row?.v ?? 0);
  }

  async changeSet(version: number): Promise<ChangeSetRow | undefined> {
    const [row] = await this.db.select().from(this.t.changeSets).where(eq(this.t.changeSets.version, version)).limit(1);
    return row;
  }

  async revisionAt(slug: string, version: number): Promise<RevisionRow | undefined> {
    const r = this.t.platformRevisions;
    const [row] = await this.db
      .select()
      .from(r)
      .where(and(eq(r.slug, slug), lte(r.version, version)))
      .orderBy(desc(r.version))
      .limit(1);
    return row;
  }

  async list(query: ListQuery): Promise<RevisionRow[]> {
    const { platforms: p, platformRevisions: r } = this.t;
    const latest = sql`(select ${r.id} from ${r} where ${r.slug} = ${p.slug} and ${r.version} <= ${query.version} order by ${r.version} desc limit 1)`;
    const filters: (SQL | undefined)[] = [
      gt(p.slug, query.afterSlug ?? ''),
      lte(p.createdVersion, query.version),
      query.category !== undefined ? eq(r.category, query.category) : undefined,
      query.status !== undefined ? eq(r.status, query.status as RevisionRow['status']) : undefined,
      query.q !== undefined ? sql`${r.searchText} like ${containing(query.q)} escape '\\'` : undefined,
    ];
    const select = this.db
      .select({ revision: r })
      .from(p)
      .innerJoin(r, eq(r.id, latest))
      .where(and(...filters))
      .orderBy(asc(p.slug));
    const rows = query.limit === undefined ? await select : await select.limit(query.limit);
    return rows.map((row) => row.revision);
  }

  async history(slug: string, version: number, beforeVersion: number, limit: number): Promise<HistoryRow[]> {
    const { platformRevisions: r, changeSets: c } = this.t;
    return this.db
      .select({ revision: r, changeSet: c })
      .from(r)
      .innerJoin(c, eq(c.version, r.version))
      .where(and(eq(r.slug, slug), lte(r.version, version), lt(r.version, beforeVersion)))
      .orderBy(desc(r.version))
      .limit(limit);
  }

  async changesAfter(after: number, version: number, limit: number): Promise<ChangeSetRow[]> {
    const c = this.t.changeSets;
    return this.db
      .select()
      .from(c)
      .where(and(gt(c.version, after), lte(c.version, version)))
      .orderBy(asc(c.version))
      .limit(limit);
  }

  async patchesBetween(from: number, to: number): Promise<PatchRow[]> {
    const r = this.t.platformRevisions;
    return this.db
      .select({ version: r.version, slug: r.slug, patch: r.patch })
      .from(r)
      .where(and(gt(r.version, from), lte(r.version, to)))
      .orderBy(asc(r.version), asc(r.slug));
  }

  async slugsChangedIn(versions: number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>(versions.map((v) => [v, []]));
    if (versions.length === 0) return out;
    const r = this.t.platformRevisions;
    const rows = await this.db
      .select({ version: r.version, slug: r.slug })
      .from(r)
      .where(inArray(r.version, versions))
      .orderBy(asc(r.version), asc(r.slug));
    for (const row of rows) out.get(row.version)?.push(row.slug);
    return out;
  }

  async slugCreatedVersion(slug: string): Promise<number | undefined> {
    const p = this.t.platforms;
    const [row] = await this.db.select({ v: p.createdVersion }).from(p).where(eq(p.slug, slug)).limit(1);
    return row?.v;
  }

  async keyByPrefix(prefix: string): Promise<ApiKeyRow | undefined> {
    const [row] = await this.db.select().from(this.t.apiKeys).where(eq(this.t.apiKeys.prefix, prefix)).limit(1);
    return row;
  }

  async keyNamed(name: string): Promise<ApiKeyRow | undefined> {
    const [row] = await this.db.select().from(this.t.apiKeys).where(eq(this.t.apiKeys.name, name)).limit(1);
    return row;
  }

  async listKeys(): Promise<ApiKeyRow[]> {
    return this.db.select().from(this.t.apiKeys).orderBy(asc(this.t.apiKeys.id));
  }

  async auditPage(beforeId: number, limit: number) {
    const a = this.t.auditLog;
    return this.db.select().from(a).where(lt(a.id, beforeId)).orderBy(desc(a.id)).limit(limit);
  }

  async auditCount(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`cast(count(*) as integer)` }).from(this.t.auditLog);
    return Number(row?.n ?? 0);
  }

  async rowCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const [name, table] of Object.entries(this.t)) {
      const [row] = await this.db.select({ n: sql<number>`cast(count(*) as integer)` }).from(table as typeof this.t.auditLog);
      out[name] = Number(row?.n ?? 0);
    }
    return out;
  }

  // ---- writes: only ever called on a transaction's handle (see UnitOfWork) ----

  async lockHead(): Promise<number> {
    if (!this.head) throw new Error('lockHead outside a write transaction');
    return this.head.lock(this.db);
  }

  async insertChangeSet(version: number, change: NewChangeSet): Promise<ChangeSetRow> {
    const row: ChangeSetRow = {
      version,
      recordedAt: change.recordedAt ?? new Date().toISOString(),
      author: change.author,
      message: change.message,
      revertOf: change.revertOf ?? null,
      requestId: change.requestId ?? null,
    };
    await this.db.insert(this.t.changeSets).values(row);
    for (const rev of change.revisions) {
      if (rev.op === 'create') {
        await this.db.insert(this.t.platforms).values({ slug: rev.slug, createdVersion: version }).onConflictDoNothing();
      }
      await this.db.insert(this.t.platformRevisions).values({
        slug: rev.slug,
        version,
        op: rev.op,
        status: rev.document.status,
        category: rev.document.category,
        searchText: searchTextOf(rev.document),
        document: JSON.stringify(rev.document),
        patch: JSON.stringify(rev.patch),
      });
    }
    await this.head?.advance(this.db, version);
    return row;
  }

  async findIdempotent(keyId: number, idempotencyKey: string): Promise<IdempotencyRow | undefined> {
    const i = this.t.idempotencyKeys;
    const [row] = await this.db
      .select()
      .from(i)
      .where(and(eq(i.keyId, keyId), eq(i.idempotencyKey, idempotencyKey)))
      .limit(1);
    return row;
  }

  async saveIdempotent(row: IdempotencyRow): Promise<void> {
    await this.db.insert(this.t.idempotencyKeys).values(row);
  }

  async audit(row: NewAuditRow): Promise<void> {
    await this.db.insert(this.t.auditLog).values({ ...row, count: row.count ?? 1 });
  }

  async auditAggregate(row: NewAuditRow): Promise<void> {
    const a = this.t.auditLog;
    const updated = await this.db
      .update(a)
      .set({ count: sql`${a.count} + ${row.count ?? 1}` })
      .where(
        and(
          eq(a.at, row.at),
          row.ip === null ? isNull(a.ip) : eq(a.ip, row.ip),
          eq(a.route, row.route),
          eq(a.method, row.method),
          eq(a.status, row.status),
          isNull(a.keyId),
        ),
      )
      .returning({ id: a.id });
    if (updated.length === 0) await this.audit(row);
  }

  async createKey(row: Omit<ApiKeyRow, 'id' | 'revokedAt'>): Promise<ApiKeyRow> {
    const [created] = await this.db.insert(this.t.apiKeys).values(row).returning();
    return created!;
  }

  async revokeKey(name: string, at: string): Promise<number> {
    const k = this.t.apiKeys;
    const rows = await this.db
      .update(k)
      .set({ revokedAt: at })
      .where(and(eq(k.name, name), isNull(k.revokedAt)))
      .returning({ id: k.id });
    return rows.length;
  }

  async prune(auditBefore: string, idempotencyBefore: string) {
    const audit = await this.db.delete(this.t.auditLog).where(lt(this.t.auditLog.at, auditBefore)).returning({ id: this.t.auditLog.id });
    const idempotency = await this.db
      .delete(this.t.idempotencyKeys)
      .where(lt(this.t.idempotencyKeys.createdAt, idempotencyBefore))
      .returning({ k: this.t.idempotencyKeys.idempotencyKey });
    return { audit: audit.length, idempotency: idempotency.length };
  }
}
