import type { PlatformDocument } from '../schemas/platform.js';
import type {
  apiKeys,
  auditLog,
  changeSets,
  idempotencyKeys,
  platformEvents,
  platformRevisions,
  webhookDeliveries,
  webhookSubscriptions,
} from './schema.js';

export type ChangeSetRow = typeof changeSets.$inferSelect;
export type RevisionRow = typeof platformRevisions.$inferSelect;
export type RevisionOp = RevisionRow['op'];
export type PatchRow = Pick<RevisionRow, 'version' | 'slug' | 'patch'>;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = Omit<AuditRow, 'id' | 'count'> & { count?: number };
export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;
export type Role = ApiKeyRow['role'];
export type Engine = 'sqlite' | 'postgres';
export type WebhookSubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookDeliveryStatus = WebhookDeliveryRow['status'];

/** An outbox row: the change set `version` is to be delivered to the endpoint. */
export interface NewWebhookDelivery {
  subscriptionId: number;
  version: number;
  messageId: string;
  nextAttemptAt: string;
  createdAt: string;
}

/** What one delivery attempt came to; written only if the attempt still holds the claim. */
export interface WebhookAttemptResult {
  status: WebhookDeliveryStatus;
  at: string;
  nextAttemptAt: string;
  responseStatus: number | null;
  responseBody: string | null;
  latencyMs: number | null;
  error: string | null;
  /** Set when the endpoint is to be disabled, with why. */
  disableReason?: string;
}
export type EventRow = typeof platformEvents.$inferSelect;

export interface ListQuery {
  version: number;
  afterSlug?: string;
  category?: string;
  status?: string;
  /** Lower-case text that must occur in the platform's search text. */
  q?: string;
  /** Rows to return; all when omitted. */
  limit?: number;
  /**
   * `version` was the registry's head when the caller read it: the store may read the current
   * revisions' index (and those superseded since) instead of seeking each platform's revision.
   * A hint about cost only; the rows are the same either way.
   */
  recent?: boolean;
}

/** A list's filters that SQL applies from the derived columns (see schema.ts). */
export interface SummaryQuery extends ListQuery {
  /** Only platforms with opt-out steps for this device. */
  device?: string;
  /** Only platforms last verified before this day. */
  verifiedBefore?: string;
  /** Only platforms up to this slug (inclusive): with `afterSlug`, a window of platforms to scan. */
  throughSlug?: string;
}

/** A platform at a version without its document: the derived columns a list item is made of. */
export type SummaryRow = Pick<RevisionRow, 'slug' | 'version' | 'status' | 'category' | 'lastVerified' | 'summary' | 'resolution'> & {
  recordedAt: string;
};

export interface TimelineQuery {
  version: number;
  slug?: string;
  kind?: string;
  /** Timeline keys (see domain/timeline.ts): only entries whose key is ≥ `from`, < `before`, > `after` (the previous page's last). */
  from?: string;
  before?: string;
  after?: string;
  /** Rows to return, in timeline order. */
  limit: number;
}

export interface NewRevision {
  slug: string;
  op: RevisionOp;
  document: PlatformDocument;
  /** RFC 6902 operations from the previous revision's document. */
  patch: unknown[];
}

export interface NewChangeSet {
  author: string;
  message: string;
  revertOf?: number | null;
  requestId?: string | null;
  recordedAt?: string;
  revisions: NewRevision[];
}

export interface HistoryRow {
  revision: RevisionRow;
  changeSet: ChangeSetRow;
}

/**
 * Reads of the registry and its admin tables. On a `Store` they see committed data only (every call
 * goes to the database: nothing is remembered between calls, so another instance's acknowledged
 * write is visible at once); on a `UnitOfWork` they run on the transaction's own handle.
 */
export interface RegistryReads {
  /** The newest registry version (0 when empty): an index-only read. */
  currentVersion(): Promise<number>;
  changeSet(version: number): Promise<ChangeSetRow | undefined>;
  /** The platform's revision in force at registry version `version`, if it existed then. */
  revisionAt(slug: string, version: number): Promise<RevisionRow | undefined>;
  /** Platforms as of a version, in slug order after `afterSlug`, with the SQL-side filters applied. */
  list(query: ListQuery): Promise<RevisionRow[]>;
  /** Like `list`, without documents: the derived columns, and when each revision was recorded. */
  listSummaries(query: SummaryQuery): Promise<SummaryRow[]>;
  /**
   * The last of the next `count` platforms (in slug order after `afterSlug`) that exist at a version:
   * the end of a window `listSummaries` scans, so one statement never examines the whole registry.
   */
  slugWindow(version: number, afterSlug: string, count: number): Promise<string | undefined>;
  /** Whether any platform written by an earlier release still waits for start-up's source-kind check (`platforms.checkSourceKinds`). */
  hasSourceKindsToCheck(): Promise<boolean>;
  /** Documents (JSON text, as stored) of the platforms at a version, in slug order after `afterSlug`. */
  documentsPage(version: number, afterSlug: string, limit: number, recent?: boolean): Promise<{ slug: string; document: string }[]>;
  /** Timeline entries in force at a version, in timeline order (by `timelineKey`). */
  timeline(query: TimelineQuery): Promise<Pick<EventRow, 'timelineKey' | 'body'>[]>;
  /** Revisions of one platform at or before `version` and before `beforeVersion`, newest first. */
  history(slug: string, version: number, beforeVersion: number, limit: number): Promise<HistoryRow[]>;
  changesAfter(after: number, version: number, limit: number): Promise<ChangeSetRow[]>;
  /** What change sets `from < version <= to` wrote: slug and patch per platform (documents are not read). */
  patchesBetween(from: number, to: number): Promise<PatchRow[]>;
  /** Slugs each of the given change sets touched, in slug order. */
  slugsChangedIn(versions: number[]): Promise<Map<number, string[]>>;
  slugCreatedVersion(slug: string): Promise<number | undefined>;
  keyByPrefix(prefix: string): Promise<ApiKeyRow | undefined>;
  keyNamed(name: string): Promise<ApiKeyRow | undefined>;
  listKeys(): Promise<ApiKeyRow[]>;
  /** Audit entries newest first, before the id `beforeId`. */
  auditPage(beforeId: number, limit: number): Promise<AuditRow[]>;
  auditCount(): Promise<number>;
  /** Rows per table, for operations and tests that check nothing was written. */
  rowCounts(): Promise<Record<string, number>>;
  /** Webhook endpoints in id order, after the id `afterId`. */
  webhookSubscriptions(afterId?: number, limit?: number): Promise<WebhookSubscriptionRow[]>;
  webhookSubscription(id: number): Promise<WebhookSubscriptionRow | undefined>;
  /** An endpoint's deliveries, newest version first, before the version `beforeVersion`. */
  webhookDeliveries(
    subscriptionId: number,
    beforeVersion: number,
    limit: number,
    status?: WebhookDeliveryStatus,
  ): Promise<WebhookDeliveryRow[]>;
  webhookDelivery(subscriptionId: number, id: number): Promise<WebhookDeliveryRow | undefined>;
}

/**
 * One write transaction. Every statement runs on the transaction's handle: it commits whole or not at
 * all. `lockHead` must come first: it takes the registry's write lock (held to the end), so what is
 * read afterwards cannot be changed by another writer, on this instance or any other.
 */
export interface UnitOfWork extends RegistryReads {
  /** Takes the write lock and returns the current version, read under it. */
  lockHead(): Promise<number>;
  /** Records `change` as registry version `version` (the locked head + 1). */
  insertChangeSet(version: number, change: NewChangeSet): Promise<ChangeSetRow>;
  /**
   * Fills in the derived columns and timeline rows of up to `limit` revisions written before they
   * existed (oldest first per platform); returns how many it filled (0 when none are left).
   */
  backfillDerived(limit: number): Promise<number>;
  /** The current revisions of the platforms whose source kinds are still to be checked. */
  revisionsToCheckSourceKinds(): Promise<RevisionRow[]>;
  /** Marks every platform's source kinds as checked. */
  sourceKindsChecked(): Promise<void>;
  findIdempotent(keyId: number, idempotencyKey: string): Promise<IdempotencyRow | undefined>;
  saveIdempotent(row: IdempotencyRow): Promise<void>;
  audit(row: NewAuditRow): Promise<void>;
  /**
   * Adds `count` to the aggregated refusal row of this client, route and minute (`at` is the minute),
   * creating it when missing: a flood of refused requests costs one row a minute.
   */
  auditAggregate(row: NewAuditRow): Promise<void>;
  createKey(row: Omit<ApiKeyRow, 'id' | 'revokedAt'>): Promise<ApiKeyRow>;
  /** Revokes the active key with this name; returns how many were revoked (0 or 1). */
  revokeKey(name: string, at: string): Promise<number>;
  /** Deletes audit rows and idempotency records older than the given instants (retention). */
  prune(auditBefore: string, idempotencyBefore: string): Promise<{ audit: number; idempotency: number }>;

  // Webhook bookkeeping allocates no version: it needs the head lock only to see a consistent head.

  /** The outbox insert: called with the change set, in its transaction, for every endpoint that matches. */
  insertWebhookDeliveries(rows: NewWebhookDelivery[]): Promise<void>;
  createWebhookSubscription(row: Omit<WebhookSubscriptionRow, 'id'>): Promise<WebhookSubscriptionRow>;
  updateWebhookSubscription(id: number, changes: Partial<Omit<WebhookSubscriptionRow, 'id'>>): Promise<WebhookSubscriptionRow | undefined>;
  /** Deletes the endpoint and its deliveries; returns how many endpoints were deleted (0 or 1). */
  deleteWebhookSubscription(id: number): Promise<number>;
  /** Puts deliveries of an endpoint back in the queue (due at `at`, attempts from 0, same webhook-id). */
  requeueWebhookDeliveries(subscriptionId: number, versions: number[], at: string): Promise<number>;
  /** Records an attempt's outcome if the attempt (its number) still holds the claim; false when it no longer does. */
  finishWebhookAttempt(delivery: WebhookDeliveryRow, result: WebhookAttemptResult): Promise<boolean>;
}

export interface Store extends RegistryReads {
  readonly engine: Engine;
  /**
   * Runs `work` in one write transaction and commits it, or rolls everything back when it throws.
   * Writers are serialised across every instance sharing the database.
   */
  write<T>(work: (tx: UnitOfWork) => Promise<T>): Promise<T>;
  /** Throws when the database cannot be read; with `forWrite`, also when it cannot be written. */
  ping(forWrite?: boolean): Promise<void>;
  close(): Promise<void>;
  /**
   * Claims up to `limit` due deliveries, each the lowest pending version of an active endpoint, until
   * `leaseUntil`, counting the attempt, and returns them as claimed. No two callers, in this process
   * or another, ever get the same attempt: PostgreSQL skips rows another transaction has locked
   * (`FOR UPDATE SKIP LOCKED`); SQLite claims under its write lock.
   */
  claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDeliveryRow[]>;
}

/** Text a `q` search matches: slug, name, owner and the names of settings, lower-cased. */
export function searchTextOf(doc: PlatformDocument): string {
  return [doc.slug, doc.name, doc.owner, ...doc.settings.map((s) => s.name)].join('\n').toLowerCase();
}
