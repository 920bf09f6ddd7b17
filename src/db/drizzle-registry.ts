import { and, asc, desc, eq, getTableColumns, gt, gte, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { devicesColumn, devicesOf, eventItemsOf, listSummaryOf, patchTouchesEvents, resolutionInputOf } from '../domain/summaries.js';
import { timelineKey } from '../domain/timeline.js';
import type { PlatformDocument } from '../schemas/platform.js';
import type {
  ApiKeyRow,
  ChangeSetRow,
  HistoryRow,
  IdempotencyRow,
  ListQuery,
  NewAuditRow,
  NewChangeSet,
  NewWebhookDelivery,
  PatchRow,
  RevisionRow,
  SummaryQuery,
  SummaryRow,
  TimelineQuery,
  UnitOfWork,
  WebhookAttemptResult,
  WebhookDeliveryRow,
  WebhookDeliveryStatus,
  WebhookSubscriptionRow,
} from './repository.js';
import { searchTextOf } from './repository.js';
import * as sqliteTables from './schema.js';

/**
 * An exclusive upper bound for an integer column. Callers say "no bound" with Number.MAX_SAFE_INTEGER,
 * which PostgreSQL refuses for a 32-bit `integer` column ("out of range"); every id and version fits below 2^31.
 */

/**
 * The tables and database handle the queries are written against. The SQLite and PostgreSQL schemas
 * declare the same tables with the same row types, and drizzle renders each query in the dialect of
 * the handle it runs on, so one set of queries serves both; the types name SQLite's for brevity.
 */
export type Tables = Pick<
  typeof sqliteTables,
  | 'changeSets'
  | 'platforms'
  | 'platformRevisions'
  | 'platformEvents'
  | 'apiKeys'
  | 'idempotencyKeys'
  | 'auditLog'
  | 'webhookSubscriptions'
  | 'webhookDeliveries'
>;
// biome-ignore lint/suspicious/noExplicitAny: the handle is either dialect's database or transaction.
export type AnyDb = BetterSQLite3Database<any>;

/** What differs between engines inside a write: how the lock is taken and the head moved. */
export interface HeadLock {
  lock(db: AnyDb): Promise<number>;
  advance(db: AnyDb, version: number): Promise<void>;
}

/**
 * Deliveries a worker may claim at `now`: pending, due, not leased to a live worker, of an active
 * endpoint, and the lowest pending version of that endpoint (so one endpoint gets its change sets in
 * version order, one at a time). Both stores select with it; each claims in its own way.
 */
export function claimableDeliveries(t: Pick<Tables, 'webhookDeliveries' | 'webhookSubscriptions'>, now: string): SQL {
  const d = t.webhookDeliveries;
  const s = t.webhookSubscriptions;
  return and(
    eq(d.status, 'pending'),
    lte(d.nextAttemptAt, now),
    or(isNull(d.claimedUntil), lt(d.claimedUntil, now)),
    eq(s.status, 'active'),
    eq(
      d.version,
      sql`(select min(w2.version) from webhook_deliveries w2 where w2.subscription_id = ${d.subscriptionId} and w2.status = 'pending')`,
    ),
  )!;
}

/** The largest PostgreSQL `integer`: a larger bound (callers pass MAX_SAFE_INTEGER for "no bound") is an error there. */
const MAX_INT = 2_147_483_647;
const bound = (n: number) => Math.min(n, MAX_INT);

/** `%text%` for LIKE with `\` as the escape character, so `%` and `_` in a search are literal. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Rows a multi-row insert carries: well under either engine's limit on bound parameters. */
const INSERT_CHUNK = 100;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The columns a list filters on: a revision's, or the copies of the current revision's on `platforms`. */
type FilterColumns = Record<'slug' | 'category' | 'status' | 'searchText' | 'devices' | 'lastVerified', SQLiteColumn>;

/** The columns derived from a revision's document (see schema.ts). */
function derivedColumns(doc: PlatformDocument) {
  return {
    lastVerified: doc.lastVerified,
    devices: devicesColumn(devicesOf(doc)),
    summary: JSON.stringify(listSummaryOf(doc)),
    resolution: JSON.stringify(resolutionInputOf(doc)),
  };
}

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
    const [row] = await this.db
      .select()
      .from(this.t.changeSets)
      .where(eq(this.t.changeSets.version, bound(version)))
      .limit(1);
    return row;
  }

  async revisionAt(slug: string, version: number): Promise<RevisionRow | undefined> {
    const r = this.t.platformRevisions;
    const [row] = await this.db
      .select()
      .from(r)
      .where(and(eq(r.slug, slug), lte(r.version, bound(version))))
      .orderBy(desc(r.version))
      .limit(1);
    return row;
  }

  /** The revision in force at `version` of the platform in the outer query's row (`platforms`). */
  private latestRevisionId(version: number) {
    const { platforms: p, platformRevisions: r } = this.t;
    return sql`(select ${r.id} from ${r} where ${r.slug} = ${p.slug} and ${r.version} <= ${bound(version)} order by ${r.version} desc limit 1)`;
  }

  /** The filters of a list, on the revisions' columns or the platforms' copies of the current ones. */
  private listFilters(query: SummaryQuery, c: FilterColumns): (SQL | undefined)[] {
    return [
      gt(c.slug, query.afterSlug ?? ''),
      query.throughSlug !== undefined ? lte(c.slug, query.throughSlug) : undefined,
      query.category !== undefined ? eq(c.category, query.category) : undefined,
      query.status !== undefined ? eq(c.status, query.status as RevisionRow['status']) : undefined,
      query.q !== undefined ? sql`${c.searchText} like ${containing(query.q)} escape '\\'` : undefined,
      query.device !== undefined ? sql`${c.devices} like ${containing(`,${query.device},`)} escape '\\'` : undefined,
      query.verifiedBefore !== undefined ? lt(c.lastVerified, query.verifiedBefore) : undefined,
    ];
  }

  /**
   * Rows of the revisions in force at `query.version` that pass the list's filters, in slug order.
   *
   * Two plans give the same rows. At the registry's head, each platform's row points at its
   * revision in force and carries the columns a list filters on (`platforms.currentRevisionId`):
   * the filters scan those narrow rows and only the matches read their revision. The caller says
   * when it expects that (`query.recent`: the version was the head when it read it); the head is
   * read again after the scan, and if a write has moved it meanwhile the scan may have seen a later
   * revision of some platform, so the rows are read again with the general plan: an as-of seek per
   * platform. (The head only grows, so an unchanged head after the scan means the scan saw exactly
   * that version.)
   */
  private async inForce<Row>(fields: Record<string, SQLiteColumn>, query: SummaryQuery): Promise<Row[]> {
    const { platforms: p, platformRevisions: r, changeSets: c } = this.t;
    const version = bound(query.version);
    if (query.recent) {
      const current = this.db
        .select(fields)
        .from(p)
        .innerJoin(r, eq(r.id, p.currentRevisionId))
        .innerJoin(c, eq(c.version, r.version))
        .where(and(lte(p.currentVersion, version), ...this.listFilters(query, p)))
        .orderBy(asc(p.slug));
      const rows = query.limit === undefined ? await current : await current.limit(query.limit);
      if ((await this.currentVersion()) === query.version) return rows as Row[];
    }
    const select = this.db
      .select(fields)
      .from(p)
      .innerJoin(r, eq(r.id, this.latestRevisionId(query.version)))
      .innerJoin(c, eq(c.version, r.version))
      .where(and(lte(p.createdVersion, version), ...this.listFilters(query, { ...r, slug: p.slug })))
      .orderBy(asc(p.slug));
    return (query.limit === undefined ? await select : await select.limit(query.limit)) as Row[];
  }

  async list(query: ListQuery): Promise<RevisionRow[]> {
    const r = this.t.platformRevisions;
    return this.inForce<RevisionRow>(getTableColumns(r), query);
  }

  async listSummaries(query: SummaryQuery): Promise<SummaryRow[]> {
    const { platformRevisions: r, changeSets: c } = this.t;
    return this.inForce<SummaryRow>(
      {
        slug: r.slug,
        version: r.version,
        status: r.status,
        category: r.category,
        lastVerified: r.lastVerified,
        summary: r.summary,
        resolution: r.resolution,
        recordedAt: c.recordedAt,
      },
      query,
    );
  }

  async slugWindow(version: number, afterSlug: string, count: number): Promise<string | undefined> {
    const p = this.t.platforms;
    const rows = await this.db
      .select({ slug: p.slug })
      .from(p)
      .where(and(gt(p.slug, afterSlug), lte(p.createdVersion, version)))
      .orderBy(asc(p.slug))
      .limit(count);
    return rows[rows.length - 1]?.slug;
  }

  async hasSourceKindsToCheck(): Promise<boolean> {
    const p = this.t.platforms;
    const rows = await this.db.select({ slug: p.slug }).from(p).where(eq(p.checkSourceKinds, 1)).limit(1);
    return rows.length > 0;
  }

  async documentsPage(version: number, afterSlug: string, limit: number, recent = false) {
    const r = this.t.platformRevisions;
    return this.inForce<{ slug: string; document: string }>({ slug: r.slug, document: r.document }, { version, afterSlug, limit, recent });
  }

  async timeline(query: TimelineQuery) {
    const e = this.t.platformEvents;
    // Read in the order of an index that starts with the filter's equality (one platform's, one
    // kind's, or the whole timeline's): each page is a range of it, however deep in the feed.
    return this.db
      .select({ timelineKey: e.timelineKey, body: e.body })
      .from(e)
      .where(
        and(
          lte(e.fromVersion, query.version),
          or(isNull(e.untilVersion), gt(e.untilVersion, query.version)),
          query.slug !== undefined ? eq(e.slug, query.slug) : undefined,
          query.kind !== undefined ? eq(e.kind, query.kind) : undefined,
          query.from !== undefined ? gte(e.timelineKey, query.from) : undefined,
          query.before !== undefined ? lt(e.timelineKey, query.before) : undefined,
          query.after !== undefined ? gt(e.timelineKey, query.after) : undefined,
        ),
      )
      .orderBy(asc(e.timelineKey))
      .limit(query.limit);
  }

  async history(slug: string, version: number, beforeVersion: number, limit: number): Promise<HistoryRow[]> {
    const { platformRevisions: r, changeSets: c } = this.t;
    return this.db
      .select({ revision: r, changeSet: c })
      .from(r)
      .innerJoin(c, eq(c.version, r.version))
      .where(and(eq(r.slug, slug), lte(r.version, bound(version)), lt(r.version, bound(beforeVersion))))
      .orderBy(desc(r.version))
      .limit(limit);
  }

  async changesAfter(after: number, version: number, limit: number): Promise<ChangeSetRow[]> {
    const c = this.t.changeSets;
    return this.db
      .select()
      .from(c)
      .where(and(gt(c.version, bound(after)), lte(c.version, bound(version))))
      .orderBy(asc(c.version))
      .limit(limit);
  }

  async patchesBetween(from: number, to: number): Promise<PatchRow[]> {
    const r = this.t.platformRevisions;
    return this.db
      .select({ version: r.version, slug: r.slug, patch: r.patch })
      .from(r)
      .where(and(gt(r.version, bound(from)), lte(r.version, bound(to))))
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
    return this.db
      .select()
      .from(a)
      .where(lt(a.id, bound(beforeId)))
      .orderBy(desc(a.id))
      .limit(limit);
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

  async webhookSubscriptions(afterId = 0, limit?: number): Promise<WebhookSubscriptionRow[]> {
    const w = this.t.webhookSubscriptions;
    const select = this.db.select().from(w).where(gt(w.id, afterId)).orderBy(asc(w.id));
    return limit === undefined ? select : select.limit(limit);
  }

  async webhookSubscription(id: number): Promise<WebhookSubscriptionRow | undefined> {
    const w = this.t.webhookSubscriptions;
    const [row] = await this.db.select().from(w).where(eq(w.id, id)).limit(1);
    return row;
  }

  async webhookDeliveries(subscriptionId: number, beforeVersion: number, limit: number, status?: WebhookDeliveryStatus) {
    const d = this.t.webhookDeliveries;
    return this.db
      .select()
      .from(d)
      .where(and(eq(d.subscriptionId, subscriptionId), lt(d.version, bound(beforeVersion)), status ? eq(d.status, status) : undefined))
      .orderBy(desc(d.version))
      .limit(limit);
  }

  async webhookDelivery(subscriptionId: number, id: number): Promise<WebhookDeliveryRow | undefined> {
    const d = this.t.webhookDeliveries;
    const [row] = await this.db
      .select()
      .from(d)
      .where(and(eq(d.subscriptionId, subscriptionId), eq(d.id, id)))
      .limit(1);
    return row;
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
    const created = change.revisions.filter((rev) => rev.op === 'create').map((rev) => ({ slug: rev.slug, createdVersion: version }));
    for (const chunk of chunks(created, INSERT_CHUNK)) await this.db.insert(this.t.platforms).values(chunk).onConflictDoNothing();
    const rows = change.revisions.map((rev) => ({
      slug: rev.slug,
      version,
      op: rev.op,
      status: rev.document.status,
      category: rev.document.category,
      searchText: searchTextOf(rev.document),
      document: JSON.stringify(rev.document),
      patch: JSON.stringify(rev.patch),
      ...derivedColumns(rev.document),
    }));
    const r = this.t.platformRevisions;
    for (const chunk of chunks(rows, INSERT_CHUNK)) await this.db.insert(r).values(chunk);
    // Each platform written now points at its new revision (see `platforms.currentRevisionId`).
    const p = this.t.platforms;
    await this.db
      .update(p)
      .set({
        currentRevisionId: sql`${r.id}`,
        currentVersion: sql`${r.version}`,
        status: sql`${r.status}`,
        category: sql`${r.category}`,
        devices: sql`${r.devices}`,
        lastVerified: sql`${r.lastVerified}`,
        searchText: sql`${r.searchText}`,
      })
      .from(r)
      .where(and(eq(r.slug, p.slug), eq(r.version, version)));
    for (const rev of change.revisions) {
      if (rev.op === 'create' || patchTouchesEvents(rev.patch)) await this.recordTimeline(rev.slug, version, rev.document);
    }
    await this.head?.advance(this.db, version);
    return row;
  }

  /**
   * Brings the platform's timeline rows in line with `doc` as of `version`: rows whose entry is
   * unchanged stay open, the others are closed at `version`, and new entries are opened.
   */
  private async recordTimeline(slug: string, version: number, doc: PlatformDocument): Promise<void> {
    const e = this.t.platformEvents;
    const items = eventItemsOf(doc).map((item) => ({ item, body: JSON.stringify(item) }));
    const open = await this.db
      .select({ id: e.id, body: e.body })
      .from(e)
      .where(and(eq(e.slug, slug), isNull(e.untilVersion)));
    const wanted = new Map<string, number>();
    for (const { body } of items) wanted.set(body, (wanted.get(body) ?? 0) + 1);
    const closed: number[] = [];
    for (const row of open) {
      const left = wanted.get(row.body) ?? 0;
      if (left > 0) wanted.set(row.body, left - 1);
      else closed.push(row.id);
    }
    for (const ids of chunks(closed, INSERT_CHUNK)) await this.db.update(e).set({ untilVersion: version }).where(inArray(e.id, ids));
    const opened = items.filter(({ body }) => {
      const left = wanted.get(body) ?? 0;
      if (left > 0) wanted.set(body, left - 1);
      return left > 0;
    });
    const rows = opened.map(({ item, body }) => ({
      slug,
      eventId: item.id,
      kind: item.kind,
      sortDate: item.date ?? '',
      timelineKey: timelineKey(item),
      fromVersion: version,
      untilVersion: null,
      body,
    }));
    for (const chunk of chunks(rows, INSERT_CHUNK)) await this.db.insert(e).values(chunk);
  }

  async revisionsToCheckSourceKinds(): Promise<RevisionRow[]> {
    const { platforms: p, platformRevisions: r } = this.t;
    const rows = await this.db
      .select({ revision: r })
      .from(p)
      .innerJoin(r, eq(r.id, p.currentRevisionId))
      .where(eq(p.checkSourceKinds, 1))
      .orderBy(asc(p.slug));
    return rows.map((row) => row.revision);
  }

  async sourceKindsChecked(): Promise<void> {
    const p = this.t.platforms;
    await this.db.update(p).set({ checkSourceKinds: 0 }).where(eq(p.checkSourceKinds, 1));
  }

  async backfillDerived(limit: number): Promise<number> {
    const r = this.t.platformRevisions;
    const rows = await this.db
      .select({ id: r.id, slug: r.slug, version: r.version, document: r.document })
      .from(r)
      // A literal, not a parameter: that is what lets both engines use the partial index on it.
      .where(sql`${r.summary} = ''`)
      .orderBy(asc(r.slug), asc(r.version))
      .limit(limit);
    for (const row of rows) {
      const doc = JSON.parse(row.document) as PlatformDocument;
      const derived = derivedColumns(doc);
      await this.db.update(r).set(derived).where(eq(r.id, row.id));
      const p = this.t.platforms;
      await this.db.update(p).set({ devices: derived.devices, lastVerified: derived.lastVerified }).where(eq(p.currentRevisionId, row.id));
      await this.recordTimeline(row.slug, row.version, doc);
    }
    return rows.length;
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

  async insertWebhookDeliveries(rows: NewWebhookDelivery[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insert(this.t.webhookDeliveries).values(rows.map((row) => ({ ...row, status: 'pending' as const, attempts: 0 })));
  }

  async createWebhookSubscription(row: Omit<WebhookSubscriptionRow, 'id'>): Promise<WebhookSubscriptionRow> {
    const [created] = await this.db.insert(this.t.webhookSubscriptions).values(row).returning();
    return created!;
  }

  async updateWebhookSubscription(id: number, changes: Partial<Omit<WebhookSubscriptionRow, 'id'>>) {
    const w = this.t.webhookSubscriptions;
    const [row] = await this.db.update(w).set(changes).where(eq(w.id, id)).returning();
    return row;
  }

  async deleteWebhookSubscription(id: number): Promise<number> {
    const { webhookSubscriptions: w, webhookDeliveries: d } = this.t;
    // Deleted explicitly, so it does not hang on a connection's foreign-key setting.
    await this.db.delete(d).where(eq(d.subscriptionId, id));
    const rows = await this.db.delete(w).where(eq(w.id, id)).returning({ id: w.id });
    return rows.length;
  }

  async requeueWebhookDeliveries(subscriptionId: number, versions: number[], at: string): Promise<number> {
    if (versions.length === 0) return 0;
    const d = this.t.webhookDeliveries;
    const rows = await this.db
      .update(d)
      .set({ status: 'pending', attempts: 0, nextAttemptAt: at, claimedUntil: null, error: null })
      .where(and(eq(d.subscriptionId, subscriptionId), inArray(d.version, versions)))
      .returning({ id: d.id });
    return rows.length;
  }

  async finishWebhookAttempt(delivery: WebhookDeliveryRow, result: WebhookAttemptResult): Promise<boolean> {
    const { webhookDeliveries: d, webhookSubscriptions: w } = this.t;
    const updated = await this.db
      .update(d)
      .set({
        status: result.status,
        nextAttemptAt: result.nextAttemptAt,
        claimedUntil: null,
        lastAttemptAt: result.at,
        responseStatus: result.responseStatus,
        responseBody: result.responseBody,
        latencyMs: result.latencyMs,
        error: result.error,
      })
      // A worker whose lease ran out (and whose row was claimed again) must not overwrite the newer attempt.
      .where(and(eq(d.id, delivery.id), eq(d.attempts, delivery.attempts), eq(d.status, 'pending')))
      .returning({ id: d.id });
    if (updated.length === 0) return false;
    if (result.disableReason) {
      await this.db
        .update(w)
        .set({ status: 'disabled', disabledReason: result.disableReason, updatedAt: result.at })
        .where(and(eq(w.id, delivery.subscriptionId), eq(w.status, 'active')));
    }
    return true;
  }

  /** Claimable deliveries (see `claimableDeliveries`), oldest due first; the caller holds the write lock. */
  async selectClaimable(now: string, limit: number): Promise<WebhookDeliveryRow[]> {
    const { webhookDeliveries: d, webhookSubscriptions: w } = this.t;
    const rows = await this.db
      .select({ delivery: d })
      .from(d)
      .innerJoin(w, eq(w.id, d.subscriptionId))
      .where(claimableDeliveries(this.t, now))
      .orderBy(asc(d.nextAttemptAt), asc(d.id))
      .limit(limit);
    return rows.map((r) => r.delivery);
  }

  /** Marks selected deliveries claimed until `leaseUntil` and counts the attempt; returns them as claimed. */
  async markWebhookClaimed(rows: WebhookDeliveryRow[], leaseUntil: string): Promise<WebhookDeliveryRow[]> {
    const d = this.t.webhookDeliveries;
    const claimed: WebhookDeliveryRow[] = [];
    for (const row of rows) {
      const [updated] = await this.db
        .update(d)
        .set({ claimedUntil: leaseUntil, attempts: sql`${d.attempts} + 1` })
        .where(eq(d.id, row.id))
        .returning();
      if (updated) claimed.push(updated);
    }
    return claimed;
  }
}
