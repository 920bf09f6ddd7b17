import type { ChangeSetRow, NewChangeSet, PatchRow, RegistryStore, RevisionRow } from '../db/registry-store.js';
import { diffDocuments, type JsonPatch, type Locate, type PlannedRevision, planChangeSet, prefixPatch } from '../domain/change-sets.js';
import { eventDate, narrowToDate, todayUtc } from '../domain/effective.js';
import { resolveOptOut } from '../domain/resolve.js';
import { badRequest, notFound, ProblemError } from '../errors.js';
import type { ChangeEntry, Operation } from '../schemas/changes.js';
import type { DefaultState, Device, EventKind } from '../schemas/common.js';
import type { PlatformDocument, PlatformRecord } from '../schemas/platform.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/** Patch text (UTF-16 units) after which a change-feed page closes early; see `changes`. */
export const CHANGE_PAGE_BYTES = 512 * 1024;

export const DATA_LICENSE = {
  name: 'Creative Commons Attribution 4.0 International',
  spdx: 'CC-BY-4.0',
  url: 'https://creativecommons.org/licenses/by/4.0/',
  attribution: 'AI-training opt-out registry contributors, with the sources cited in each record',
} as const;

export interface ReadScope {
  /** Registry version asked for; the current version when omitted. */
  version?: number;
  at?: string;
}

export interface ListPlatformsQuery extends ReadScope {
  category?: string;
  status?: string;
  q?: string;
  region?: string;
  device?: Device;
  defaultState?: DefaultState;
  limit: number;
  cursor?: string;
}

export interface EventsQuery {
  version?: number;
  platform?: string;
  kind?: EventKind;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

export interface RecordInput {
  author: string;
  message: string;
  operations: Operation[];
  requestId?: string;
  revertOf?: number;
  /** Where operations' fields are in the request, for error messages. */
  locate?: Locate;
}

export type ChangeSummary = Omit<ChangeEntry, 'patch'>;

export interface RecordResult {
  version: number;
  recordedAt: string;
  platforms: string[];
  changed: boolean;
  revisions: PlannedRevision[];
}

/** Read and write use cases of the registry; routes stay thin and call these. */
export class RegistryService {
  constructor(readonly store: RegistryStore) {}

  /** The version a read is answered at: the one asked for (404 if it does not exist yet) or the current one. */
  resolveVersion(requested?: number): number {
    const current = this.store.currentVersion();
    if (requested === undefined) return current;
    if (requested > current) {
      throw new ProblemError(
        404,
        'version-not-found',
        `Registry version ${requested} does not exist yet; the current version is ${current}.`,
        {
          extensions: { currentVersion: current },
        },
      );
    }
    return requested;
  }

  private revisionOrThrow(slug: string, version: number): RevisionRow {
    const rev = this.store.revisionAt(slug, version);
    if (!rev) {
      const created = this.store.slugCreatedVersion(slug);
      throw notFound(
        created !== undefined && created > version
          ? `Platform "${slug}" was first recorded at version ${created}, after version ${version}.`
          : `There is no platform "${slug}". GET /v1/platforms lists the slugs.`,
      );
    }
    return rev;
  }

  /** The record's body depends only on the revision and `at`, so its ETag changes only when the platform does. */
  private record(rev: RevisionRow, at: string | undefined): PlatformRecord {
    const doc = this.store.document(rev);
    const recordedAt = this.store.changeSet(rev.version)?.recordedAt ?? '';
    return {
      ...(at ? narrowToDate(doc, at) : doc),
      revision: { version: rev.version, recordedAt },
      at: at ?? null,
    };
  }

  getPlatform(slug: string, scope: ReadScope): PlatformRecord {
    const version = this.resolveVersion(scope.version);
    return this.record(this.revisionOrThrow(slug, version), scope.at);
  }

  /** The platform's revision version at the given registry version, for ETags and If-Match. */
  platformRevisionVersion(slug: string, version?: number): number | undefined {
    return this.store.revisionAt(slug, version ?? this.store.currentVersion())?.version;
  }

  listPlatforms(query: ListPlatformsQuery) {
    const cursor = decodeCursor(query.cursor);
    if (cursor && query.version !== undefined && cursor.v !== query.version) {
      throw badRequest('The cursor was issued for another registry version than `version`.', [
        { field: 'query.cursor', message: `belongs to version ${cursor.v}, not ${query.version}` },
      ]);
    }
    const version = this.resolveVersion(cursor?.v ?? query.version);
    const at = query.at ?? todayUtc();
    const needsDocument = query.region !== undefined || query.device !== undefined || query.defaultState !== undefined;
    const data = [];
    // Items of a page often share the change set that wrote them (the seed, a batch edit): look each up once.
    const recordedAt = new Map<number, string>();
    const recordedAtOf = (version: number) => {
      let at = recordedAt.get(version);
      if (at === undefined) {
        at = this.store.changeSet(version)?.recordedAt ?? '';
        recordedAt.set(version, at);
      }
      return at;
    };
    let after = cursor ? String(cursor.k) : '';
    let more = false;
    const batch = Math.max(query.limit + 1, needsDocument ? 256 : 0);
    outer: for (;;) {
      const rows = this.store.list({
        version,
        afterSlug: after,
        category: query.category,
        status: query.status,
        q: query.q?.toLowerCase(),
        limit: batch,
      });
      for (const rev of rows) {
        after = rev.slug;
        const doc = this.store.document(rev);
        const answer = resolveOptOut(doc, { region: query.region ?? null, device: null, at });
        const states = [...new Set(answer.settings.map((s) => s.defaultState).filter((s): s is DefaultState => s !== null))];
        const devices = [...new Set(doc.settings.flatMap((s) => s.paths.map((p) => p.device)))];
        if (query.defaultState && !states.includes(query.defaultState)) continue;
        if (query.device && !devices.includes(query.device)) continue;
        if (data.length === query.limit) {
          more = true;
          break outer;
        }
        data.push({
          slug: doc.slug,
          name: doc.name,
          owner: doc.owner,
          homepage: doc.homepage,
          category: doc.category,
          status: doc.status,
          lastVerified: doc.lastVerified,
          trainingByDefault: answer.trainingByDefault,
          defaultStates: states,
          devices,
          settingCount: doc.settings.length,
          revision: { version: rev.version, recordedAt: recordedAtOf(rev.version) },
        });
      }
      if (rows.length < batch) break;
    }
    const last = data[data.length - 1];
    return {
      data,
      nextCursor: more && last ? encodeCursor({ v: version, k: last.slug }) : null,
      asOf: { version, at: query.at ?? null },
    };
  }

  optOut(slug: string, opts: { region?: string; device?: Device; at?: string; version?: number }) {
    const version = this.resolveVersion(opts.version);
    const rev = this.revisionOrThrow(slug, version);
    const doc = this.store.document(rev);
    const at = opts.at ?? todayUtc();
    const resolution = resolveOptOut(doc, { region: opts.region ?? null, device: opts.device ?? null, at });
    return {
      platform: { slug: doc.slug, name: doc.name, status: doc.status, lastVerified: doc.lastVerified },
      region: opts.region ?? null,
      device: opts.device ?? null,
      at,
      ...resolution,
      asOf: { version, at },
    };
  }

  history(slug: string, opts: { version?: number; limit: number; cursor?: string }) {
    const cursor = decodeCursor(opts.cursor);
    const version = this.resolveVersion(cursor?.v ?? opts.version);
    if (this.store.slugCreatedVersion(slug) === undefined) throw notFound(`There is no platform "${slug}".`);
    const before = cursor ? Number(cursor.k) : Number.MAX_SAFE_INTEGER;
    const rows = this.store.history(slug, version, before, opts.limit + 1);
    const data = rows.slice(0, opts.limit).map(({ revision, changeSet }) => ({
      version: changeSet.version,
      recordedAt: changeSet.recordedAt,
      author: changeSet.author,
      message: changeSet.message,
      op: revision.op,
      patch: JSON.parse(revision.patch) as JsonPatch,
    }));
    const last = data[data.length - 1];
    return {
      data,
      nextCursor: rows.length > opts.limit && last ? encodeCursor({ v: version, k: last.version }) : null,
      asOf: { version, at: null },
    };
  }

  diff(slug: string, from: number, to: number) {
    const current = this.store.currentVersion();
    for (const v of [from, to]) this.resolveVersion(v);
    if (
      this.store.slugCreatedVersion(slug) === undefined ||
      this.store.slugCreatedVersion(slug)! > Math.max(from, to, 0) ||
      current === 0
    ) {
      throw notFound(`There is no platform "${slug}" at version ${from} or ${to}.`);
    }
    const a = this.store.revisionAt(slug, from);
    const b = this.store.revisionAt(slug, to);
    return {
      slug,
      from,
      to,
      patch: diffDocuments(a ? this.store.document(a) : undefined, b ? this.store.document(b) : undefined),
    };
  }

  /** Every platform document at a version, keyed by slug (the object change-feed patches apply to). */
  documentsAt(version: number): Record<string, PlatformDocument> {
    const out: Record<string, PlatformDocument> = {};
    for (const rev of this.store.all(version)) out[rev.slug] = this.store.document(rev);
    return out;
  }

  events(query: EventsQuery) {
    const cursor = decodeCursor(query.cursor);
    const version = this.resolveVersion(cursor?.v ?? query.version);
    if (query.platform && this.store.revisionAt(query.platform, version) === undefined) {
      throw notFound(`There is no platform "${query.platform}" at version ${version}.`);
    }
    const docs = query.platform
      ? [this.store.document(this.store.revisionAt(query.platform, version)!)]
      : Object.values(this.documentsAt(version));
    const all = docs
      .flatMap((doc) =>
        doc.events.map((e) => ({
          ...e,
          platform: doc.slug,
          date: eventDate(e),
          sourceDetails: doc.sources.filter((s) => e.sources.includes(s.id)),
        })),
      )
      .filter(
        (e) =>
          (!query.kind || e.kind === query.kind) &&
          (!query.since || (e.date !== null && e.date >= query.since)) &&
          (!query.until || (e.date !== null && e.date <= query.until)),
      )
      .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '') || a.platform.localeCompare(b.platform) || a.id.localeCompare(b.id));
    const offset = cursor ? Number(cursor.k) : 0;
    const data = all.slice(offset, offset + query.limit);
    return {
      data,
      nextCursor: offset + query.limit < all.length ? encodeCursor({ v: version, k: offset + query.limit }) : null,
      asOf: { version, at: null },
    };
  }

  private changeEntry(cs: ChangeSetRow, revisions: PatchRow[]): ChangeEntry {
    return {
      version: cs.version,
      recordedAt: cs.recordedAt,
      author: cs.author,
      message: cs.message,
      revertOf: cs.revertOf,
      platforms: revisions.map((r) => r.slug),
      patch: revisions.flatMap((r) => prefixPatch(r.slug, JSON.parse(r.patch) as JsonPatch)) as ChangeEntry['patch'],
    };
  }

  change(version: number): ChangeEntry {
    const cs = this.store.changeSet(version);
    if (!cs) {
      throw new ProblemError(
        404,
        'version-not-found',
        `There is no change set for version ${version}; the current version is ${this.store.currentVersion()}.`,
      );
    }
    return this.changeEntry(cs, this.store.patchesBetween(version - 1, version));
  }

  /** Change sets without their patches, newest first: the latest `limit`, or those touching `slug`. */
  changeSummaries(opts: { limit: number; slug?: string }): ChangeSummary[] {
    const current = this.store.currentVersion();
    const versions = opts.slug
      ? this.store.history(opts.slug, current, Number.MAX_SAFE_INTEGER, opts.limit).map((h) => h.changeSet)
      : this.store.changesAfter(Math.max(0, current - opts.limit), current, opts.limit).reverse();
    return versions.map((cs) => ({
      version: cs.version,
      recordedAt: cs.recordedAt,
      author: cs.author,
      message: cs.message,
      revertOf: cs.revertOf,
      platforms: this.store.slugsChangedAt(cs.version),
    }));
  }

  /**
   * A page of the change feed: up to `limit` change sets after `after`, but it closes early once its
   * patches pass CHANGE_PAGE_BYTES (a change set that creates platforms carries whole documents), so
   * no page costs more than about that much to build, hold and send. `nextCursor` says where to go on.
   */
  changes(opts: { after: number; limit: number }) {
    const version = this.store.currentVersion();
    const rows = this.store.changesAfter(opts.after, version, opts.limit + 1);
    const candidates = rows.slice(0, opts.limit);
    // One query for the patches of the whole page, grouped by version.
    const byVersion = new Map<number, PatchRow[]>();
    if (candidates.length > 0) {
      for (const row of this.store.patchesBetween(candidates[0]!.version - 1, candidates[candidates.length - 1]!.version)) {
        byVersion.set(row.version, [...(byVersion.get(row.version) ?? []), row]);
      }
    }
    const data: ChangeEntry[] = [];
    let bytes = 0;
    for (const cs of candidates) {
      const patches = byVersion.get(cs.version) ?? [];
      if (data.length > 0 && bytes + patches.reduce((n, p) => n + p.patch.length, 0) > CHANGE_PAGE_BYTES) break;
      bytes += patches.reduce((n, p) => n + p.patch.length, 0);
      data.push(this.changeEntry(cs, patches));
    }
    const last = data[data.length - 1];
    const more = data.length < candidates.length || rows.length > opts.limit;
    return {
      data,
      nextCursor: more && last ? String(last.version) : null,
      asOf: { version, at: null },
    };
  }

  exportAt(requested?: number) {
    const version = this.resolveVersion(requested);
    return {
      version,
      recordedAt: version > 0 ? (this.store.changeSet(version)?.recordedAt ?? null) : null,
      license: DATA_LICENSE,
      platforms: this.documentsAt(version),
    };
  }

  info() {
    const version = this.store.currentVersion();
    const docs = Object.values(this.documentsAt(version));
    const [lastChange] = version > 0 ? this.changeSummaries({ limit: 1 }) : [];
    const sum = (f: (d: PlatformDocument) => number) => docs.reduce((n, d) => n + f(d), 0);
    return {
      version,
      platforms: {
        total: docs.length,
        active: docs.filter((d) => d.status === 'active').length,
        retired: docs.filter((d) => d.status === 'retired').length,
      },
      counts: {
        settings: sum((d) => d.settings.length),
        regionRules: sum((d) => d.regionRules.length),
        events: sum((d) => d.events.length),
        sources: sum((d) => d.sources.length),
      },
      lastChange: lastChange ?? null,
      license: DATA_LICENSE,
    };
  }

  /** Records a change set atomically: one transaction, one new version, or nothing at all. */
  recordChangeSet(input: RecordInput, extra: Partial<NewChangeSet> = {}): RecordResult {
    return this.store.transaction(() => {
      const revisions = planChangeSet(
        input.operations,
        (slug) => {
          const rev = this.store.revisionAt(slug, Number.MAX_SAFE_INTEGER);
          return rev ? { document: this.store.document(rev), version: rev.version } : undefined;
        },
        input.locate,
      );
      if (revisions.length === 0) {
        const version = this.store.currentVersion();
        return { version, recordedAt: this.store.changeSet(version)?.recordedAt ?? '', platforms: [], changed: false, revisions };
      }
      const cs = this.store.insertChangeSet({
        author: input.author,
        message: input.message,
        requestId: input.requestId,
        revertOf: input.revertOf,
        revisions,
        ...extra,
      });
      return { version: cs.version, recordedAt: cs.recordedAt, platforms: revisions.map((r) => r.slug), changed: true, revisions };
    });
  }

  /**
   * Undoes a version with a new change set that puts each platform it touched back as it was just
   * before (a platform it created is retired, since nothing is ever deleted). 409 when a later
   * change set touched the same platform.
   */
  revert(version: number, author: string, message: string, requestId?: string): RecordResult {
    return this.store.transaction(() => {
      const target = this.store.changeSet(version);
      if (!target) throw new ProblemError(404, 'version-not-found', `There is no version ${version} to revert.`);
      const touched = this.store.patchesBetween(version - 1, version);
      const operations: Operation[] = [];
      for (const rev of touched) {
        const latest = this.store.revisionAt(rev.slug, Number.MAX_SAFE_INTEGER)!;
        if (latest.version !== version) {
          throw new ProblemError(
            409,
            'conflict',
            `Version ${version} cannot be reverted: "${rev.slug}" was changed again at version ${latest.version}. Revert the later version first, or write the correction by hand.`,
            { extensions: { slug: rev.slug, laterVersion: latest.version } },
          );
        }
        const previous = this.store.revisionAt(rev.slug, version - 1);
        if (previous) operations.push({ op: 'put', slug: rev.slug, platform: this.store.document(previous) });
        else operations.push({ op: 'retire', slug: rev.slug });
      }
      return this.recordChangeSet({ author, message, operations, requestId, revertOf: version });
    });
  }
}
