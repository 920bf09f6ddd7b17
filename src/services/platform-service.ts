import { todayUtc, narrowToDate } from '../domain/effective.js';
import { withEvidence } from '../domain/evidence.js';
import { resolveOptOut } from '../domain/resolve.js';
import { badRequest } from '../errors.js';
import type { DefaultState, Device } from '../schemas/common.js';
import type { PlatformDocument, PlatformRecord } from '../schemas/platform.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { RegistryReader } from './reader.js';

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
  verifiedBefore?: string;
  limit: number;
  cursor?: string;
}

/** Bumped when the shape of a platform record changes, so revision-derived ETags change with it. */
const REPRESENTATION = 2;

/**
 * The strong ETag of a platform's record: derived from what identifies its content (the slug, the
 * revision's version and the day it is narrowed to), never from the bytes of a response. If-Match
 * compares against the same value inside the write transaction.
 */
export function platformEtag(slug: string, revisionVersion: number, at?: string | null): string {
  return `"${slug}.${revisionVersion}${at ? `.${at}` : ''}.r${REPRESENTATION}"`;
}

/** The record as the API shows it: the document (narrowed to `at`), each fact's evidence, and its revision. */
export function platformRecord(doc: PlatformDocument, revision: { version: number; recordedAt: string }, at?: string): PlatformRecord {
  return { ...withEvidence(at ? narrowToDate(doc, at) : doc), revision, at: at ?? null };
}

/** Platform reads: one record, lists, and the resolved opt-out answer. */
export class PlatformService {
  constructor(private readonly reader: RegistryReader) {}

  async get(slug: string, scope: ReadScope): Promise<PlatformRecord> {
    const version = await this.reader.resolveVersion(scope.version);
    const rev = await this.reader.revisionOrThrow(slug, version);
    const recordedAt = (await this.reader.store.changeSet(rev.version))?.recordedAt ?? '';
    return platformRecord(this.reader.document(rev), { version: rev.version, recordedAt }, scope.at);
  }

  /** The platform's revision version at the given registry version (current when omitted), if it exists. */
  async revisionVersion(slug: string, version?: number): Promise<number | undefined> {
    return (await this.reader.store.revisionAt(slug, version ?? (await this.reader.currentVersion())))?.version;
  }

  async list(query: ListPlatformsQuery) {
    const cursor = decodeCursor(query.cursor);
    if (cursor && query.version !== undefined && cursor.v !== query.version) {
      throw badRequest('The cursor was issued for another registry version than `version`.', [
        { field: 'query.cursor', message: `belongs to version ${cursor.v}, not ${query.version}` },
      ]);
    }
    const version = await this.reader.resolveVersion(cursor?.v ?? query.version);
    const at = query.at ?? todayUtc();
    const needsDocument =
      query.region !== undefined || query.device !== undefined || query.defaultState !== undefined || query.verifiedBefore !== undefined;
    const items: { doc: PlatformDocument; revisionVersion: number; answer: ReturnType<typeof resolveOptOut>; states: DefaultState[]; devices: Device[] }[] = [];
    let after = cursor ? String(cursor.k) : '';
    let more = false;
    const batch = Math.max(query.limit + 1, needsDocument ? 256 : 0);
    outer: for (;;) {
      const rows = await this.reader.store.list({
        version,
        afterSlug: after,
        category: query.category,
        status: query.status,
        q: query.q?.toLowerCase(),
        limit: batch,
      });
      for (const rev of rows) {
        after = rev.slug;
        const doc = this.reader.document(rev);
        if (query.verifiedBefore !== undefined && !(doc.lastVerified < query.verifiedBefore)) continue;
        const answer = resolveOptOut(doc, { region: query.region ?? null, device: null, at });
        const states = [...new Set(answer.settings.map((s) => s.defaultState).filter((s): s is DefaultState => s !== null))];
        const devices = [...new Set(doc.settings.flatMap((s) => s.paths.map((p) => p.device)))];
        if (query.defaultState && !states.includes(query.defaultState)) continue;
        if (query.device && !devices.includes(query.device)) continue;
        if (items.length === query.limit) {
          more = true;
          break outer;
        }
        items.push({ doc, revisionVersion: rev.version, answer, states, devices });
      }
      if (rows.length < batch) break;
    }
    const recordedAt = await this.reader.recordedAt(items.map((i) => i.revisionVersion));
    const data = items.map(({ doc, revisionVersion, answer, states, devices }) => ({
      slug: doc.slug,
      name: doc.name,
      owner: doc.owner,
      homepage: doc.homepage,
      category: doc.category,
      status: doc.status,
      lastVerified: doc.lastVerified,
      trainingByDefault: answer.trainingByDefault,
      evidence: answer.evidence,
      defaultStates: states,
      devices,
      settingCount: doc.settings.length,
      revision: { version: revisionVersion, recordedAt: recordedAt.get(revisionVersion) ?? '' },
    }));
    const last = data[data.length - 1];
    return {
      data,
      nextCursor: more && last ? encodeCursor({ v: version, k: last.slug }) : null,
      // The answers are resolved for `at`, today when not given: say which day.
      asOf: { version, at },
    };
  }

  async optOut(slug: string, opts: { region?: string; device?: Device; at?: string; version?: number }) {
    const version = await this.reader.resolveVersion(opts.version);
    const rev = await this.reader.revisionOrThrow(slug, version);
    const doc = this.reader.document(rev);
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
}
