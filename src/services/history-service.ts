import { z } from 'zod';
import type { ChangeSetRow, PatchRow } from '../db/repository.js';
import { diffDocuments, type JsonPatch, prefixPatch } from '../domain/change-sets.js';
import { notFound, ProblemError } from '../errors.js';
import type { ChangeEntry } from '../schemas/changes.js';
import type { CursorCodec, CursorScope } from './cursor.js';
import type { RegistryReader } from './reader.js';

/** Patch text (UTF-16 units) after which a change-feed page closes early; see `changes`. */
export const CHANGE_PAGE_BYTES = 512 * 1024;

export type ChangeSummary = Omit<ChangeEntry, 'patch'>;

/** A change set as the feed shows it, from its row and the patches it wrote. */
/**
 * A change set never changes once written, so its version identifies GET /v1/changes/{version}; the
 * write that records it answers with the same tag. Bump the `r` when the entry's shape changes.
 */
export function changeEtag(version: number): string {
  return `"change.${version}.r1"`;
}

/** A change set without its patches, with the platforms it changed. */
function summaryOf(cs: ChangeSetRow, platforms: string[]): ChangeSummary {
  return { version: cs.version, recordedAt: cs.recordedAt, author: cs.author, message: cs.message, revertOf: cs.revertOf, platforms };
}

export function changeEntry(cs: ChangeSetRow, revisions: PatchRow[] | { slug: string; patch: JsonPatch }[]): ChangeEntry {
  return {
    ...summaryOf(
      cs,
      revisions.map((r) => r.slug),
    ),
    patch: revisions.flatMap((r) =>
      prefixPatch(r.slug, typeof r.patch === 'string' ? (JSON.parse(r.patch) as JsonPatch) : r.patch),
    ) as ChangeEntry['patch'],
  };
}

/** History of one platform, diffs, and the change feed. */
export class HistoryService {
  constructor(
    private readonly reader: RegistryReader,
    private readonly cursors: CursorCodec,
  ) {}

  /** `head` here and below: the current version as the request read it (`RegistryReader.resolve`). */
  async history(slug: string, opts: { version?: number; limit: number; cursor?: string }, head?: number) {
    const scope: CursorScope = { endpoint: `GET /v1/platforms/${slug}/history`, filters: {} };
    const cursor = this.cursors.decode(opts.cursor, scope, z.int().min(1), opts.version);
    const version = await this.reader.resolveVersion(cursor?.v ?? opts.version, head);
    if ((await this.reader.store.slugCreatedVersion(slug)) === undefined) throw notFound(`There is no platform "${slug}".`);
    const before = cursor?.k ?? Number.MAX_SAFE_INTEGER;
    const rows = await this.reader.store.history(slug, version, before, opts.limit + 1);
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
      nextCursor: rows.length > opts.limit && last ? this.cursors.encode(scope, { v: version, k: last.version }) : null,
      asOf: { version, at: null },
    };
  }

  async diff(slug: string, from: number, to: number, head?: number) {
    const current = head ?? (await this.reader.currentVersion());
    for (const v of [from, to]) await this.reader.resolveVersion(v, current);
    const created = await this.reader.store.slugCreatedVersion(slug);
    if (created === undefined || created > Math.max(from, to, 0)) {
      throw notFound(`There is no platform "${slug}" at version ${from} or ${to}.`);
    }
    const a = await this.reader.store.revisionAt(slug, from);
    const b = await this.reader.store.revisionAt(slug, to);
    return {
      slug,
      from,
      to,
      patch: diffDocuments(a ? this.reader.document(a) : undefined, b ? this.reader.document(b) : undefined),
    };
  }

  async change(version: number): Promise<ChangeEntry> {
    const cs = await this.reader.store.changeSet(version);
    if (!cs) {
      throw new ProblemError(
        404,
        'version-not-found',
        `There is no change set for version ${version}; the current version is ${await this.reader.currentVersion()}.`,
      );
    }
    return changeEntry(cs, await this.reader.store.patchesBetween(version - 1, version));
  }

  /** Change sets without their patches, newest first: the latest `limit`, or those touching `slug`. */
  async summaries(opts: { limit: number; slug?: string }, head?: number): Promise<ChangeSummary[]> {
    const store = this.reader.store;
    const current = head ?? (await store.currentVersion());
    const rows = opts.slug
      ? (await store.history(opts.slug, current, Number.MAX_SAFE_INTEGER, opts.limit)).map((h) => h.changeSet)
      : (await store.changesAfter(Math.max(0, current - opts.limit), current, opts.limit)).reverse();
    const slugs = await store.slugsChangedIn(rows.map((cs) => cs.version));
    return rows.map((cs) => summaryOf(cs, slugs.get(cs.version) ?? []));
  }

  /**
   * Change sets after `after`, oldest first, without their patches (which can be whole documents):
   * what an assistant or a dashboard lists before fetching one change set whole.
   */
  async summariesAfter(opts: { after: number; limit: number }, head?: number) {
    const store = this.reader.store;
    const version = head ?? (await store.currentVersion());
    const rows = await store.changesAfter(opts.after, version, opts.limit + 1);
    const page = rows.slice(0, opts.limit);
    const slugs = await store.slugsChangedIn(page.map((cs) => cs.version));
    const data: ChangeSummary[] = page.map((cs) => summaryOf(cs, slugs.get(cs.version) ?? []));
    const last = data[data.length - 1];
    return { data, nextCursor: rows.length > opts.limit && last ? String(last.version) : null, asOf: { version, at: null } };
  }

  /**
   * The last version recorded before `day` (YYYY-MM-DD, UTC), 0 when none was: "the changes since a
   * day" are those after it. Versions are recorded in time order, so a binary search over them reads
   * about log2(versions) change sets.
   */
  async versionBefore(day: string, head?: number): Promise<number> {
    const store = this.reader.store;
    let low = 0;
    let high = head ?? (await store.currentVersion());
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      const recordedAt = (await store.changeSet(mid))?.recordedAt ?? '';
      if (recordedAt.slice(0, 10) < day) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /**
   * A page of the change feed: up to `limit` change sets after `after`, but it closes early once its
   * patches pass CHANGE_PAGE_BYTES (a change set that creates platforms carries whole documents), so
   * no page costs more than about that much to build, hold and send. `nextCursor` says where to go on.
   */
  async changes(opts: { after: number; limit: number }, head?: number) {
    const store = this.reader.store;
    const version = head ?? (await store.currentVersion());
    const rows = await store.changesAfter(opts.after, version, opts.limit + 1);
    const candidates = rows.slice(0, opts.limit);
    // One query for the patches of the whole page, grouped by version.
    const byVersion = new Map<number, PatchRow[]>();
    if (candidates.length > 0) {
      for (const row of await store.patchesBetween(candidates[0]!.version - 1, candidates[candidates.length - 1]!.version)) {
        byVersion.set(row.version, [...(byVersion.get(row.version) ?? []), row]);
      }
    }
    const data: ChangeEntry[] = [];
    let bytes = 0;
    for (const cs of candidates) {
      const patches = byVersion.get(cs.version) ?? [];
      const size = patches.reduce((n, p) => n + p.patch.length, 0);
      if (data.length > 0 && bytes + size > CHANGE_PAGE_BYTES) break;
      bytes += size;
      data.push(changeEntry(cs, patches));
    }
    const last = data[data.length - 1];
    const more = data.length < candidates.length || rows.length > opts.limit;
    return {
      data,
      nextCursor: more && last ? String(last.version) : null,
      asOf: { version, at: null },
    };
  }
}
