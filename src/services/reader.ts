import { LRUCache } from 'lru-cache';
import type { RevisionRow, Store, SummaryRow } from '../db/repository.js';
import type { ListSummary } from '../domain/summaries.js';
import { notFound, ProblemError } from '../errors.js';
import type { PlatformDocument } from '../schemas/platform.js';

export interface ReaderCaches {
  /** Parsed documents kept in memory, bounded by the length of their JSON text (DOCUMENT_CACHE_MAX_BYTES). */
  documentBytes?: number;
  /** The same for the derived columns lists read (DERIVED_CACHE_MAX_BYTES; see `listSummary`). */
  derivedBytes?: number;
}

const DEFAULT_CACHES = { documentBytes: 4 * 1024 * 1024, derivedBytes: 2 * 1024 * 1024 };

/**
 * What every read needs: the version to answer at, the revision in force, and its parsed document.
 * Reads go to the store's committed data, so a version another instance acknowledged is answered at
 * once. Parsed documents are cached by slug and version, which a committed revision never reuses,
 * and the cache is only ever filled from committed reads (never inside a write transaction).
 */
export class RegistryReader {
  private readonly parsed: LRUCache<string, { doc: PlatformDocument; bytes: number }> | undefined;

  /** Parsed derived columns: small (a few hundred bytes each), so a budget keeps a large registry's lists warm. */
  private readonly parsedDerived: LRUCache<string, { value: unknown; bytes: number }> | undefined;

  /** The head read that calls made since the last one began will share (see `currentVersion`). */
  private nextHead: Promise<number> | undefined;

  constructor(
    readonly store: Store,
    caches: ReaderCaches = {},
  ) {
    const { documentBytes, derivedBytes } = { ...DEFAULT_CACHES, ...caches };
    // A budget of 0 keeps nothing (LRUCache needs a positive size).
    const cache = <V extends { bytes: number }>(maxSize: number) =>
      maxSize > 0 ? new LRUCache<string, V>({ maxSize, sizeCalculation: (entry) => Math.max(1, entry.bytes) }) : undefined;
    this.parsed = cache(documentBytes);
    this.parsedDerived = cache(derivedBytes);
  }

  /**
   * The registry's current version, read from the store after this call, so it includes every
   * version any instance acknowledged before the call. Calls share reads: the first call schedules
   * one for the event loop's check phase (`setImmediate`), which runs after the poll phase has
   * handed this process every request whose bytes it read in this turn, and every call made before
   * that read begins waits for it. A call made once the read has begun (a PostgreSQL round trip in
   * flight) waits for the next read, never for one that started before it. Under load one read then
   * serves every request of a turn: a SQLite read transaction is two `fcntl` lock calls and an
   * `fstat`, 1.2 µs in a loop but 10–14 µs per request in the server (its caches are cold by then);
   * PostgreSQL's is a round trip.
   *
   * A request reads the head once and passes it on (`resolve`'s `head`): a second shared read would
   * cost it another turn of the loop. Requests of a turn resume together, so the response cache
   * builds a body once for all of them (see `cachingPlugin`).
   */
  currentVersion(): Promise<number> {
    this.nextHead ??= new Promise<number>((resolve, reject) => {
      setImmediate(() => {
        this.nextHead = undefined;
        this.store.currentVersion().then(resolve, reject);
      });
    });
    return this.nextHead;
  }

  /** The version a read is answered at: the one asked for (404 if it does not exist yet) or the current one. */
  async resolveVersion(requested?: number, head?: number): Promise<number> {
    return (await this.resolve(requested, head)).version;
  }

  /**
   * `resolveVersion`, and whether that version is the current one (lists then read the current
   * revisions' index). `head`: the current version as the request already read it (`currentVersion`);
   * read now when not given.
   */
  async resolve(requested?: number, head?: number): Promise<{ version: number; current: boolean }> {
    const current = head ?? (await this.currentVersion());
    if (requested === undefined) return { version: current, current: true };
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
    return { version: requested, current: requested === current };
  }

  async revisionOrThrow(slug: string, version: number): Promise<RevisionRow> {
    const rev = await this.store.revisionAt(slug, version);
    if (!rev) {
      const created = await this.store.slugCreatedVersion(slug);
      throw notFound(
        created !== undefined && created > version
          ? `Platform "${slug}" was first recorded at version ${created}, after version ${version}.`
          : `There is no platform "${slug}". GET /v1/platforms lists the slugs.`,
      );
    }
    return rev;
  }

  /** Parsed document of a committed revision. */
  document(rev: RevisionRow): PlatformDocument {
    const key = `${rev.slug}@${rev.version}`;
    const hit = this.parsed?.get(key);
    if (hit) return hit.doc;
    const doc = JSON.parse(rev.document) as PlatformDocument;
    this.parsed?.set(key, { doc, bytes: rev.document.length });
    return doc;
  }

  /** The list summary of a revision's row (parsed once per revision, bounded like documents). */
  listSummary(row: Pick<SummaryRow, 'slug' | 'version' | 'summary'>): ListSummary {
    return this.derived(`s|${row.slug}@${row.version}`, row.summary) as ListSummary;
  }

  /** The part of a revision's document that resolving its opt-out answer reads. */
  resolutionInput(row: Pick<SummaryRow, 'slug' | 'version' | 'resolution'>): PlatformDocument {
    return this.derived(`r|${row.slug}@${row.version}`, row.resolution) as PlatformDocument;
  }

  private derived(key: string, text: string): unknown {
    const hit = this.parsedDerived?.get(key);
    if (hit) return hit.value;
    const value = JSON.parse(text) as unknown;
    this.parsedDerived?.set(key, { value, bytes: text.length });
    return value;
  }

  /** Every platform document at a version, keyed by slug (the object change-feed patches apply to). */
  async documentsAt(version: number): Promise<Record<string, PlatformDocument>> {
    const out: Record<string, PlatformDocument> = {};
    for (const rev of await this.store.list({ version })) out[rev.slug] = this.document(rev);
    return out;
  }

  /** When each of these change sets was recorded (one query per distinct version, for list pages). */
  async recordedAt(versions: Iterable<number>): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const version of new Set(versions)) out.set(version, (await this.store.changeSet(version))?.recordedAt ?? '');
    return out;
  }
}
