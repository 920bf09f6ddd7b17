import { LRUCache } from 'lru-cache';
import type { RevisionRow, Store, SummaryRow } from '../db/repository.js';
import type { ListSummary } from '../domain/summaries.js';
import { notFound, ProblemError } from '../errors.js';
import type { PlatformDocument } from '../schemas/platform.js';

/** Parsed documents kept in memory, bounded by the length of their JSON text (parsed objects take a few times that). */
const MAX_PARSED_JSON_BYTES = 4 * 1024 * 1024;
/** The same for the derived summary columns lists read (see `listSummary`). */
const MAX_PARSED_DERIVED_BYTES = 2 * 1024 * 1024;

/**
 * What every read needs: the version to answer at, the revision in force, and its parsed document.
 * Reads go to the store's committed data, so a version another instance acknowledged is answered at
 * once. Parsed documents are cached by slug and version, which a committed revision never reuses,
 * and the cache is only ever filled from committed reads (never inside a write transaction).
 */
export class RegistryReader {
  private readonly parsed = new LRUCache<string, { doc: PlatformDocument; bytes: number }>({
    maxSize: MAX_PARSED_JSON_BYTES,
    sizeCalculation: (entry) => Math.max(1, entry.bytes),
  });

  /** Parsed derived columns: small (a few hundred bytes each), so a budget keeps a large registry's lists warm. */
  private readonly parsedDerived = new LRUCache<string, { value: unknown; bytes: number }>({
    maxSize: MAX_PARSED_DERIVED_BYTES,
    sizeCalculation: (entry) => Math.max(1, entry.bytes),
  });

  constructor(readonly store: Store) {}

  currentVersion(): Promise<number> {
    return this.store.currentVersion();
  }

  /** The version a read is answered at: the one asked for (404 if it does not exist yet) or the current one. */
  async resolveVersion(requested?: number): Promise<number> {
    return (await this.resolve(requested)).version;
  }

  /** `resolveVersion`, and whether that version is the current one (lists then read the current revisions' index). */
  async resolve(requested?: number): Promise<{ version: number; current: boolean }> {
    const current = await this.store.currentVersion();
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
    const hit = this.parsed.get(key);
    if (hit) return hit.doc;
    const doc = JSON.parse(rev.document) as PlatformDocument;
    this.parsed.set(key, { doc, bytes: rev.document.length });
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
    const hit = this.parsedDerived.get(key);
    if (hit) return hit.value;
    const value = JSON.parse(text) as unknown;
    this.parsedDerived.set(key, { value, bytes: text.length });
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
