import { z } from 'zod';
import type { SummaryRow } from '../db/repository.js';
import { DEFAULT_ACCOUNT_TYPE } from '../domain/account-types.js';
import { narrowToDate, todayUtc } from '../domain/effective.js';
import { withEvidence } from '../domain/evidence.js';
import { resolveOptOut } from '../domain/resolve.js';
import { type ListAnswer, type ListSummary, listAnswer } from '../domain/summaries.js';
import type { AccountType, DefaultState, Device } from '../schemas/common.js';
import type { PlatformDocument, PlatformRecord } from '../schemas/platform.js';
import type { CursorCodec, CursorScope } from './cursor.js';
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
  accountType?: AccountType;
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

export type ListItem = ReturnType<typeof listItem>;

/** A list item: the platform's derived summary with its answer for the list's region and day. */
export function listItem(row: Omit<SummaryRow, 'summary' | 'resolution'>, summary: ListSummary, answer: ListAnswer) {
  return {
    slug: row.slug,
    name: summary.name,
    owner: summary.owner,
    homepage: summary.homepage,
    category: row.category,
    status: row.status,
    lastVerified: row.lastVerified,
    trainingByDefault: answer.trainingByDefault,
    evidence: answer.evidence,
    decidedBy: answer.decidedBy,
    defaultStates: answer.defaultStates,
    accountTypes: summary.accountTypes ?? [],
    devices: summary.devices,
    settingCount: summary.settingCount,
    revision: { version: row.version, recordedAt: row.recordedAt },
  };
}

/**
 * Platforms one list statement examines at most (see `list`). At the current version, with every
 * filter in SQL (so a statement returns at most the page), a statement scans the current revisions'
 * index: about 0.1 ms per thousand platforms on SQLite. Otherwise it reads a row per platform it
 * returns (and, at an older version, makes an as-of seek per platform): about 3 ms per thousand.
 */
const LIST_WINDOW = { indexOnly: 5000, rows: 500 };

export const yieldToEventLoop = () => new Promise<void>((done) => setImmediate(done));
/** How long a list may hold the event loop before it yields between windows. */
const LIST_SLICE_MS = 4;

/** Platform reads: one record, lists, and the resolved opt-out answer. */
export class PlatformService {
  constructor(
    private readonly reader: RegistryReader,
    private readonly cursors: CursorCodec,
  ) {}

  /** `head` here and below: the current version as the request read it (`RegistryReader.resolve`). */
  async get(slug: string, scope: ReadScope, head?: number): Promise<PlatformRecord> {
    const version = await this.reader.resolveVersion(scope.version, head);
    const rev = await this.reader.revisionOrThrow(slug, version);
    const recordedAt = (await this.reader.store.changeSet(rev.version))?.recordedAt ?? '';
    return platformRecord(this.reader.document(rev), { version: rev.version, recordedAt }, scope.at);
  }

  /** The platform's revision version at the given registry version (current when omitted), if it exists. */
  async revisionVersion(slug: string, version?: number): Promise<number | undefined> {
    return (await this.reader.store.revisionAt(slug, version ?? (await this.reader.currentVersion())))?.version;
  }

  async list(query: ListPlatformsQuery, head?: number) {
    const { category, status, q, region, device, defaultState, verifiedBefore, at: atParam } = query;
    const accountType = query.accountType ?? DEFAULT_ACCOUNT_TYPE;
    const scope: CursorScope = {
      endpoint: 'GET /v1/platforms',
      // The default account type is left out, so cursors made before account types existed still decode.
      filters: {
        category,
        status,
        q,
        region,
        device,
        defaultState,
        verifiedBefore,
        at: atParam,
        accountType: accountType === DEFAULT_ACCOUNT_TYPE ? undefined : accountType,
      },
    };
    const cursor = this.cursors.decode(query.cursor, scope, z.string().min(1), query.version);
    const { version, current } = await this.reader.resolve(cursor?.v ?? query.version, head);
    const window = current && query.defaultState === undefined ? LIST_WINDOW.indexOnly : LIST_WINDOW.rows;
    const at = query.at ?? todayUtc();
    // Filters are SQL on derived columns (defaultState, which depends on the region and day asked
    // for, is resolved here from each platform's small resolution input). A filter few platforms
    // match would make one statement scan the whole registry, so the scan goes a window of
    // `window` platforms at a time and yields between windows: no statement holds the event
    // loop for long, however large the registry or rare the match.
    const data: ListItem[] = [];
    let after = cursor?.k ?? '';
    let more = false;
    let heldSince = performance.now();
    outer: for (;;) {
      const through = await this.reader.store.slugWindow(version, after, window);
      if (through === undefined) break;
      // Without a filter applied here, SQL can stop at the rows the page still needs (plus one, to know there are more).
      const needed = query.defaultState === undefined ? query.limit + 1 - data.length : undefined;
      const rows = await this.reader.store.listSummaries({
        version,
        afterSlug: after,
        throughSlug: through,
        category: query.category,
        status: query.status,
        q: query.q?.toLowerCase(),
        device: query.device,
        verifiedBefore: query.verifiedBefore,
        limit: needed,
        recent: current,
      });
      for (const row of rows) {
        const answer = listAnswer(this.reader.resolutionInput(row), query.region ?? null, at, accountType);
        if (query.defaultState && !answer.defaultStates.includes(query.defaultState)) continue;
        if (data.length === query.limit) {
          more = true;
          break outer;
        }
        data.push(listItem(row, this.reader.listSummary(row), answer));
      }
      after = needed !== undefined && rows.length === needed ? rows[rows.length - 1]!.slug : through;
      // Yield between windows once the list has held the loop LIST_SLICE_MS: at most that plus one
      // window's statement without a yield (a large registry's list still yields every window or
      // few), and a small registry's list never pays a turn of the loop behind everything in it.
      if (performance.now() - heldSince >= LIST_SLICE_MS) {
        await yieldToEventLoop();
        heldSince = performance.now();
      }
    }
    const last = data[data.length - 1];
    return {
      data,
      nextCursor: more && last ? this.cursors.encode(scope, { v: version, k: last.slug }) : null,
      // The answers are resolved for `at` (today when not given), a region and an account type: say which.
      asOf: { version, at, region: query.region ?? null, accountType },
    };
  }

  async optOut(
    slug: string,
    opts: { region?: string; device?: Device; accountType?: AccountType; at?: string; version?: number; languages?: readonly string[] },
    head?: number,
  ) {
    const version = await this.reader.resolveVersion(opts.version, head);
    const rev = await this.reader.revisionOrThrow(slug, version);
    const doc = this.reader.document(rev);
    const at = opts.at ?? todayUtc();
    const resolution = resolveOptOut(doc, {
      region: opts.region ?? null,
      device: opts.device ?? null,
      at,
      accountType: opts.accountType,
      languages: opts.languages,
    });
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
