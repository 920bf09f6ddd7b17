import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * SQLite tables. `schema-pg.ts` declares the same tables for PostgreSQL, column for column, so one
 * repository (`repository.ts`) runs on either; keep the two files in step.
 *
 * One row per accepted write. `version` is the global registry version the change set created;
 * nothing in the registry is ever updated or deleted, so any version can be read back exactly.
 */
export const changeSets = sqliteTable('change_sets', {
  version: integer('version').primaryKey(),
  recordedAt: text('recorded_at').notNull(),
  author: text('author').notNull(),
  message: text('message').notNull(),
  revertOf: integer('revert_of'),
  requestId: text('request_id'),
});

/** Slugs ever used, with the version that created them: a slug is never reused. */
export const platforms = sqliteTable('platforms', {
  slug: text('slug').primaryKey(),
  createdVersion: integer('created_version').notNull(),
  // The platform's revision at the registry's head, with copies of the columns a list filters on,
  // set in each revision's own transaction. A list of the current version scans these rows (one
  // narrow row per platform, in slug order) instead of making an as-of seek and reading a wide
  // revision row per platform: at 10 000 platforms a filter that matches nothing examines them in
  // a few milliseconds on either engine. Derived data, like the revisions' derived columns.
  currentRevisionId: integer('current_revision_id').notNull().default(0),
  currentVersion: integer('current_version').notNull().default(0),
  status: text('status', { enum: ['active', 'retired'] })
    .notNull()
    .default('active'),
  category: text('category').notNull().default(''),
  devices: text('devices').notNull().default(''),
  lastVerified: text('last_verified').notNull().default(''),
  searchText: text('search_text').notNull().default(''),
  /**
   * 1 for a platform written by an earlier release, whose current document start-up still has to
   * check for sources without a kind (set by the migration that added these columns, cleared once
   * checked): so the check reads those documents once, not every document at every start.
   */
  checkSourceKinds: integer('check_source_kinds').notNull().default(0),
});

/**
 * Every revision of every platform, insert-only. The document is the full canonical JSON; a few
 * columns are copied out of it so list filters need not parse it. `patch` is the RFC 6902 patch
 * from the previous revision's document (from `{}` for the first one).
 */
export const platformRevisions = sqliteTable(
  'platform_revisions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    slug: text('slug').notNull(),
    version: integer('version').notNull(),
    op: text('op', { enum: ['create', 'update', 'retire'] }).notNull(),
    status: text('status', { enum: ['active', 'retired'] }).notNull(),
    category: text('category').notNull(),
    searchText: text('search_text').notNull(),
    document: text('document').notNull(),
    patch: text('patch').notNull(),
    // Derived from the document when the revision is written (src/domain/summaries.ts), so lists and
    // the registry summary read a few hundred bytes per platform instead of parsing its document.
    // '' marks a row written before these columns existed; the store fills it in at start-up.
    lastVerified: text('last_verified').notNull().default(''),
    /** `,web,ios,`: the devices the platform has opt-out steps for. */
    devices: text('devices').notNull().default(''),
    /** JSON ListSummary: name, owner, homepage, counts and devices. */
    summary: text('summary').notNull().default(''),
    /** JSON: the part of the document the opt-out resolution reads (no texts, no steps). */
    resolution: text('resolution').notNull().default(''),
  },
  (t) => [
    // The as-of lookup: latest revision of a slug at or before a version is one index seek.
    uniqueIndex('platform_revisions_slug_version').on(t.slug, t.version),
    // The change feed and history: revisions written by one change set.
    index('platform_revisions_version').on(t.version),
    // Revisions whose derived columns are not filled yet (written before they existed): the start-up
    // backfill finds them through this index, which is empty once it has run, instead of scanning
    // every revision at every start.
    index('platform_revisions_underived').on(t.slug, t.version).where(sql`${t.summary} = ''`),
  ],
);

/**
 * The policy timeline, derived from revisions: one row per timeline entry per span of registry
 * versions in which it stayed the same (`fromVersion` inclusive, `untilVersion` exclusive, null while
 * in force). A revision that changes a platform's events or sources closes its rows and opens new
 * ones; any other revision leaves them. So `GET /v1/events` at any version reads only the rows in
 * force then, in timeline order (`timelineKey`), instead of every platform's document. Derived data: it is
 * the one table whose rows are updated (closed), always in the revision's own transaction.
 */
export const platformEvents = sqliteTable(
  'platform_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    slug: text('slug').notNull(),
    eventId: text('event_id').notNull(),
    kind: text('kind').notNull(),
    /** The event's date (effective, else announced); '' when undated. */
    sortDate: text('sort_date').notNull(),
    /**
     * The entry's place in the timeline: a string whose bytewise order is the timeline's (see
     * domain/timeline.ts). Pages are read in its order, starting after the previous page's last key.
     */
    timelineKey: text('timeline_key').notNull().default(''),
    fromVersion: integer('from_version').notNull(),
    untilVersion: integer('until_version'),
    /** The entry exactly as the API shows it (JSON). */
    body: text('body').notNull(),
  },
  // One index per way the timeline is read: whole, one platform's, one kind's; each in timeline order.
  (t) => [
    index('platform_events_timeline').on(t.timelineKey),
    index('platform_events_slug_timeline').on(t.slug, t.timelineKey),
    index('platform_events_kind_timeline').on(t.kind, t.timelineKey),
  ],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    role: text('role', { enum: ['editor', 'admin'] }).notNull(),
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull(),
    createdAt: text('created_at').notNull(),
    revokedAt: text('revoked_at'),
  },
  // A name is never reused, even after revocation, so the audit log and idempotency records stay unambiguous.
  (t) => [uniqueIndex('api_keys_prefix').on(t.prefix), uniqueIndex('api_keys_name_unique').on(t.name)],
);

/** Responses to writes sent with an Idempotency-Key, scoped to the API key's id (names could be confused). */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    keyId: integer('key_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    response: text('response').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.idempotencyKey] }), index('idempotency_keys_created_at').on(t.createdAt)],
);

/**
 * Admin requests. An accepted write's row commits with its change set; refused requests without a
 * valid key are aggregated per client and minute (`count`), so a flood costs one row a minute.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at').notNull(),
    keyId: integer('key_id'),
    keyName: text('key_name'),
    method: text('method').notNull(),
    route: text('route').notNull(),
    status: integer('status').notNull(),
    outcome: text('outcome').notNull(),
    version: integer('version'),
    requestId: text('request_id').notNull(),
    ip: text('ip'),
    count: integer('count').notNull().default(1),
  },
  (t) => [index('audit_log_at').on(t.at)],
);

/**
 * Webhook endpoints (admin tables, updated in place unlike the registry). Filters are JSON arrays of
 * platform slugs, event kinds and region codes; an empty array matches anything. The signing secret
 * is kept because every delivery is signed with it; after a rotation the previous one keeps signing
 * too until `previousSecretExpiresAt`.
 */
export const webhookSubscriptions = sqliteTable('webhook_subscriptions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  url: text('url').notNull(),
  description: text('description').notNull(),
  platforms: text('platforms').notNull(),
  eventKinds: text('event_kinds').notNull(),
  regions: text('regions').notNull(),
  /** JSON array of account types; '[]' (any) for endpoints made before the filter existed. */
  accountTypes: text('account_types').notNull().default('[]'),
  secret: text('secret').notNull(),
  previousSecret: text('previous_secret'),
  previousSecretExpiresAt: text('previous_secret_expires_at'),
  status: text('status', { enum: ['active', 'paused', 'disabled'] }).notNull(),
  disabledReason: text('disabled_reason'),
  /** The registry version when it was created: change sets after it are delivered. */
  createdVersion: integer('created_version').notNull(),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/**
 * The outbox: one row per change set and matching endpoint, inserted in the change set's own
 * transaction. `messageId` is the `webhook-id` of every attempt. A worker claims a row by setting
 * `claimedUntil` (a lease: a worker that dies leaves it to be claimed again once it passes) and
 * counting the attempt; only the lowest pending version of an endpoint is ever claimed, so
 * deliveries to one endpoint go out in version order.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    subscriptionId: integer('subscription_id')
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    messageId: text('message_id').notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at').notNull(),
    claimedUntil: text('claimed_until'),
    lastAttemptAt: text('last_attempt_at'),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    latencyMs: integer('latency_ms'),
    error: text('error'),
    createdAt: text('created_at').notNull(),
  },
  (t) => [
    // One delivery per change set and endpoint: a replay re-queues it, keeping its webhook-id.
    uniqueIndex('webhook_deliveries_subscription_version').on(t.subscriptionId, t.version),
    uniqueIndex('webhook_deliveries_message_id').on(t.messageId),
    // The claim: due pending rows, and each endpoint's lowest pending version.
    index('webhook_deliveries_status_next').on(t.status, t.nextAttemptAt),
  ],
);
