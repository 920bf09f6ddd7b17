import { createHash } from 'node:crypto';
import type { ChangeSetRow, Store, UnitOfWork } from '../db/repository.js';
import { withoutEncoding } from '../domain/etags.js';
import { changeFacets } from '../domain/webhook-filters.js';
import { badRequest, ProblemError } from '../errors.js';
import type { Operation } from '../schemas/changes.js';
import type { PlatformDocument, PlatformRecord } from '../schemas/platform.js';
import { type CurrentPlatform, type Locate, type PlannedRevision, planChangeSet } from './change-set-plan.js';
import { changeEntry, changeEtag } from './history-service.js';
import { platformEtag, platformRecord } from './platform-service.js';
import { enqueueDeliveries } from './webhook-subscriptions.js';

/** Who writes: the API key's id (what idempotency and the audit are keyed by) and its name (shown as author). */
export interface Author {
  keyId: number;
  name: string;
}

export interface WriteContext {
  author: Author;
  requestId: string;
  idempotencyKey?: string;
  /** Identifies the request for idempotency: method, path, preconditions and body. */
  fingerprint: string;
  /** What the audit row committed with an accepted change set says about the request. */
  request: { method: string; route: string; ip: string | null };
}

export interface WriteResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export interface WriteOutcome extends WriteResponse {
  /** The response was stored under the Idempotency-Key by an earlier request and is replayed. */
  replayed: boolean;
  /** The version this request created; null when it recorded nothing (or was replayed). */
  version: number | null;
}

/** Preconditions of a single-platform write, from If-Match / If-None-Match. */
export interface Preconditions {
  ifMatch?: '*' | string[];
  /** `If-None-Match: *`: create only, 412 when the platform exists. */
  ifNoneMatchAny?: boolean;
}

/** Parses `If-Match` (RFC 9110): `*` or a list of strong entity tags. */
export function parseIfMatch(header: string | undefined): '*' | string[] | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return '*';
  const tags = header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tags.length === 0 || tags.some((t) => !/^(W\/)?"[^"]*"$/.test(t))) {
    throw badRequest('If-Match must be `*` or a list of quoted entity tags, e.g. If-Match: "abc".', [
      { field: 'header.if-match', message: 'not a list of entity tags' },
    ]);
  }
  // A tag read from a compressed response (`"x.7.r3-gzip"`) names the same platform version.
  return tags.map(withoutEncoding);
}

/** Decodes the change message header (percent-encoded so that any text survives HTTP headers). */
export function changeMessage(header: string | undefined): string {
  let message: string | undefined;
  try {
    message = header === undefined ? undefined : decodeURIComponent(header).trim();
  } catch {
    message = undefined;
  }
  // Counted in code points, as a person counts characters: "ü" or "😀" is one, whatever its encoding.
  if (!message || [...message].length > 2000) {
    throw badRequest('Say why: send the change message in the X-Change-Message header (1 to 2000 characters, percent-encoded).', [
      {
        field: 'header.x-change-message',
        message: header === undefined ? 'is required' : 'must be 1 to 2000 characters of valid percent-encoded text',
      },
    ]);
  }
  return message;
}

const BACKFILL_BATCH = 500;

interface Planned {
  revisions: PlannedRevision[];
  changeSet?: ChangeSetRow;
}

/**
 * Every admin write, each one unit of work owned here from start to end: take the write lock, check
 * idempotency and preconditions against the database (never memory), plan, insert the change set,
 * store the idempotent response and the audit row, commit. Routes only parse and send.
 */
export class WriteService {
  private readonly committed: (() => void)[] = [];

  constructor(private readonly store: Store) {}

  /** Calls `listener` after each change set this service commits (the webhook worker wakes on it). */
  onChangeSet(listener: () => void): void {
    this.committed.push(listener);
  }

  private notify(version: number | null): void {
    if (version !== null) for (const listener of this.committed) listener();
  }

  /** An atomic multi-platform change set (`POST /v1/admin/changes`). */
  recordChangeSet(ctx: WriteContext, message: string, operations: Operation[]): Promise<WriteOutcome> {
    return this.run(ctx, async (tx, head) => {
      const planned = await this.plan(tx, head, ctx, message, operations);
      return this.respond(head, planned);
    });
  }

  /** A write to one platform; answers with the platform's record after it and its ETag. */
  writePlatform(ctx: WriteContext, slug: string, message: string, preconditions: Preconditions, operation: Operation, locate?: Locate) {
    return this.run(ctx, async (tx, head) => {
      const before = await tx.revisionAt(slug, head);
      checkPreconditions(slug, preconditions, before?.version);
      // An If-Match naming the current ETag pins the revision the client read, as ifVersion does in a
      // change set (which is what makes reviving a retired platform deliberate); `*` pins nothing.
      const pinned = before && Array.isArray(preconditions.ifMatch) ? { ...operation, ifVersion: before.version } : operation;
      const planned = await this.plan(tx, head, ctx, message, [pinned], locate);
      const written = planned.revisions.find((r) => r.slug === slug);
      let platform: PlatformRecord | undefined;
      let etag: string | undefined;
      if (planned.changeSet && written) {
        const { version, recordedAt } = planned.changeSet;
        platform = platformRecord(written.document, { version, recordedAt });
        etag = platformEtag(slug, version);
      } else if (before) {
        const recordedAt = (await tx.changeSet(before.version))?.recordedAt ?? '';
        platform = platformRecord(JSON.parse(before.document) as PlatformDocument, { version: before.version, recordedAt });
        etag = platformEtag(slug, before.version);
      }
      return this.respond(head, planned, { platform }, etag ? { etag } : {});
    });
  }

  /**
   * Undoes a version with a new change set that puts each platform it touched back as it was just
   * before (a platform it created is retired, since nothing is ever deleted). 409 when a later
   * change set touched the same platform.
   */
  revert(ctx: WriteContext, version: number, message: string): Promise<WriteOutcome> {
    return this.run(ctx, async (tx, head) => {
      const target = await tx.changeSet(version);
      if (!target) throw new ProblemError(404, 'version-not-found', `There is no version ${version} to revert.`);
      const touched = await tx.patchesBetween(version - 1, version);
      const operations: Operation[] = [];
      for (const rev of touched) {
        const latest = (await tx.revisionAt(rev.slug, head))!;
        if (latest.version !== version) {
          throw new ProblemError(
            409,
            'conflict',
            `Version ${version} cannot be reverted: "${rev.slug}" was changed again at version ${latest.version}. Revert the later version first, or write the correction by hand.`,
            { extensions: { slug: rev.slug, laterVersion: latest.version } },
          );
        }
        const previous = await tx.revisionAt(rev.slug, version - 1);
        // ifVersion: a revert names exactly the revision it undoes (and so may revive what it retired).
        if (previous)
          operations.push({ op: 'put', slug: rev.slug, platform: JSON.parse(previous.document) as PlatformDocument, ifVersion: version });
        // Created by that version: retire it, unless that version already left it retired.
        else if ((JSON.parse(latest.document) as PlatformDocument).status !== 'retired') operations.push({ op: 'retire', slug: rev.slug });
      }
      // The request has no body fields to blame: errors point at the version, and say which record failed.
      const where: Locate = (index) => `revert#${index}`;
      let planned: Planned;
      try {
        planned = await this.plan(tx, head, ctx, message, operations, where, version);
      } catch (error) {
        if (!(error instanceof ProblemError) || error.status !== 422) throw error;
        const restoring = (field: string) => {
          const [, index, path] = /^revert#(\d+)(?:\.(.*))?$/.exec(field) ?? [];
          const slug = operations[Number(index)]?.slug ?? '?';
          return `restoring "${slug}" as of version ${version - 1}: ${path ? `its field ${path} ` : ''}`;
        };
        throw new ProblemError(
          422,
          'validation-failed',
          `Version ${version} cannot be reverted automatically: the records it would restore are not valid under the current rules (see errors). Write the correction with PUT or PATCH instead.`,
          { errors: (error.errors ?? []).map((e) => ({ field: 'path.version', message: `${restoring(e.field)}${e.message}` })) },
        );
      }
      return this.respond(head, planned);
    });
  }

  /** Loads an empty registry with `documents` as one change set; null when it already had data. */
  /** Whether no version has been recorded yet (a read: no write lock is taken). */
  async isEmpty(): Promise<boolean> {
    return (await this.store.currentVersion()) === 0;
  }

  async seed(documents: PlatformDocument[], message: string): Promise<number | null> {
    const version = await this.store.write(async (tx) => {
      const head = await tx.lockHead();
      if (head > 0 || documents.length === 0) return null;
      const revisions = planChangeSet(
        documents.map((platform) => ({ op: 'put' as const, slug: platform.slug, platform })),
        () => undefined,
      );
      await tx.insertChangeSet(head + 1, { author: 'seed', message, revisions });
      await enqueueDeliveries(tx, head + 1, changeFacets(revisions.map((r) => ({ slug: r.slug, before: undefined, after: r.document }))));
      return head + 1;
    });
    this.notify(version);
    return version;
  }

  /**
   * Brings documents written by an earlier release up to a schema change, as one change set with
   * `message`: `upgrade` returns the new document, or undefined when one needs nothing. Only the
   * platforms the upgrade migration flagged (`platforms.checkSourceKinds`) are read, once: their
   * flags are cleared in the same transaction. Returns the version recorded, or null when no
   * document needed it.
   */
  async migrateDocuments(message: string, upgrade: (doc: PlatformDocument) => PlatformDocument | undefined): Promise<number | null> {
    // A read first, so that an instance starting on an upgraded registry takes no write lock.
    if (!(await this.store.hasSourceKindsToCheck())) return null;
    const version = await this.store.write(async (tx) => {
      const head = await tx.lockHead();
      const current = new Map<string, CurrentPlatform>();
      const operations: Operation[] = [];
      for (const rev of await tx.revisionsToCheckSourceKinds()) {
        const doc = JSON.parse(rev.document) as PlatformDocument;
        const next = upgrade(doc);
        if (!next) continue;
        current.set(rev.slug, { document: doc, version: rev.version });
        operations.push({ op: 'put', slug: rev.slug, platform: next });
      }
      await tx.sourceKindsChecked();
      const revisions = operations.length > 0 ? planChangeSet(operations, (slug) => current.get(slug)) : [];
      if (head === 0 || revisions.length === 0) return null;
      await tx.insertChangeSet(head + 1, { author: 'migration', message, revisions });
      await enqueueDeliveries(
        tx,
        head + 1,
        changeFacets(revisions.map((r) => ({ slug: r.slug, before: current.get(r.slug)?.document, after: r.document }))),
      );
      return head + 1;
    });
    this.notify(version);
    return version;
  }

  /**
   * Derives the list and timeline data of revisions written before those columns existed, in units
   * of work of BACKFILL_BATCH revisions under the write lock; returns how many it derived.
   */
  async backfillDerived(): Promise<number> {
    let total = 0;
    for (;;) {
      const filled = await this.store.write(async (tx) => {
        await tx.lockHead();
        return tx.backfillDerived(BACKFILL_BATCH);
      });
      total += filled;
      if (filled < BACKFILL_BATCH) return total;
    }
  }

  private async run(
    ctx: WriteContext,
    work: (tx: UnitOfWork, head: number) => Promise<{ response: WriteResponse; version: number | null }>,
  ) {
    const outcome = await this.store.write(async (tx): Promise<WriteOutcome> => {
      const head = await tx.lockHead();
      const hash = createHash('sha256').update(ctx.fingerprint).digest('hex');
      if (ctx.idempotencyKey) {
        const previous = await tx.findIdempotent(ctx.author.keyId, ctx.idempotencyKey);
        if (previous) {
          if (previous.requestHash !== hash) {
            throw new ProblemError(
              422,
              'idempotency-key-reused',
              'This Idempotency-Key was already used for a different request. Use a new key for a new request.',
            );
          }
          const stored = JSON.parse(previous.response) as { body: unknown; headers: Record<string, string> };
          return { status: previous.status, body: stored.body, headers: stored.headers, replayed: true, version: null };
        }
      }
      const { response, version } = await work(tx, head);
      const now = new Date().toISOString();
      if (ctx.idempotencyKey) {
        await tx.saveIdempotent({
          keyId: ctx.author.keyId,
          idempotencyKey: ctx.idempotencyKey,
          requestHash: hash,
          status: response.status,
          response: JSON.stringify({ body: response.body, headers: response.headers }),
          createdAt: now,
        });
      }
      // An accepted change set's audit row commits with it: one cannot exist without the other.
      if (version !== null) {
        await tx.audit({
          at: now,
          keyId: ctx.author.keyId,
          keyName: ctx.author.name,
          method: ctx.request.method,
          route: ctx.request.route,
          status: response.status,
          outcome: 'accepted',
          version,
          requestId: ctx.requestId,
          ip: ctx.request.ip,
        });
      }
      return { ...response, replayed: false, version };
    });
    this.notify(outcome.version);
    return outcome;
  }

  /** Plans operations against the platforms as they are under the lock, and inserts the change set. */
  private async plan(
    tx: UnitOfWork,
    head: number,
    ctx: WriteContext,
    message: string,
    operations: Operation[],
    locate?: Locate,
    revertOf?: number,
  ): Promise<Planned> {
    const current = new Map<string, CurrentPlatform>();
    for (const slug of new Set(operations.map((o) => o.slug))) {
      const rev = await tx.revisionAt(slug, head);
      if (rev) current.set(slug, { document: JSON.parse(rev.document) as PlatformDocument, version: rev.version });
    }
    const revisions = planChangeSet(operations, (slug) => current.get(slug), locate);
    if (revisions.length === 0) return { revisions };
    const changeSet = await tx.insertChangeSet(head + 1, {
      author: ctx.author.name,
      message,
      requestId: ctx.requestId,
      revertOf: revertOf ?? null,
      revisions,
    });
    // The outbox, in this same transaction: the deliveries commit, or roll back, with the change set.
    const facets = changeFacets(revisions.map((r) => ({ slug: r.slug, before: current.get(r.slug)?.document, after: r.document })));
    await enqueueDeliveries(tx, changeSet.version, facets);
    return { revisions, changeSet };
  }

  private respond(head: number, planned: Planned, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const cs = planned.changeSet;
    const response: WriteResponse = {
      status: cs ? 201 : 200,
      body: { changed: cs !== undefined, version: cs?.version ?? head, change: cs ? changeEntry(cs, planned.revisions) : null, ...extra },
      // A platform write's tag is the platform's (its body is the platform); a change set's is the change set's, at Location.
      headers: cs ? { location: `/v1/changes/${cs.version}`, etag: changeEtag(cs.version), ...headers } : headers,
    };
    return { response, version: cs?.version ?? null };
  }
}

/** 412 unless the platform's current ETag satisfies If-Match and If-None-Match (strong comparison). */
function checkPreconditions(slug: string, pre: Preconditions, revisionVersion: number | undefined): void {
  const current = revisionVersion === undefined ? undefined : platformEtag(slug, revisionVersion);
  if (pre.ifNoneMatchAny && current !== undefined) {
    throw new ProblemError(
      412,
      'precondition-failed',
      `If-None-Match: * asks to create "${slug}" only if it does not exist, and it exists (ETag ${current}). Send If-Match with that ETag to replace it.`,
      { extensions: { currentEtag: current } },
    );
  }
  if (pre.ifMatch === undefined) return;
  const ok = current !== undefined && (pre.ifMatch === '*' || pre.ifMatch.includes(current));
  if (!ok) {
    throw new ProblemError(
      412,
      'precondition-failed',
      current === undefined
        ? `If-Match was given but there is no platform "${slug}" yet. Omit If-Match to create it.`
        : `"${slug}" changed since the version your If-Match names (its ETag is now ${current}). GET it again, reapply your change, and retry.`,
      { extensions: { currentEtag: current ?? null } },
    );
  }
}
