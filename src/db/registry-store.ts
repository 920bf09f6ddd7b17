import { and, asc, desc, eq, gt, lt, lte, sql } from 'drizzle-orm';
import type { PlatformDocument } from '../schemas/platform.js';
import type { Db } from './client.js';
import { changeSets, platformRevisions, platforms } from './schema.js';

export type ChangeSetRow = typeof changeSets.$inferSelect;
export type RevisionRow = typeof platformRevisions.$inferSelect;
export type RevisionOp = RevisionRow['op'];
export type PatchRow = Pick<RevisionRow, 'version' | 'slug' | 'patch'>;

export interface ListQuery {
  version: number;
  afterSlug?: string;
  category?: string;
  status?: string;
  /** Lower-case text that must occur in the platform's search text. */
  q?: string;
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

/**
 * Parsed documents kept in memory, bounded by the size of their JSON text (parsed objects take a
 * few times that), so memory stays flat however many platforms and revisions there are.
 */
const MAX_PARSED_JSON_BYTES = 8 * 1024 * 1024;

/** How stale the remembered current version may be when another process writes (ms). */
const VERSION_RECHECK_MS = 50;

/** Text a `q` search matches: slug, name, owner and the names of settings, lower-cased. */
export function searchTextOf(doc: PlatformDocument): string {
  return [doc.slug, doc.name, doc.owner, ...doc.settings.map((s) => s.name)].join('\n').toLowerCase();
}

/**
 * The only code that reads and writes registry tables. Rows are insert-only: a platform's state at
 * version N is its latest revision with `version <= N`, found with one seek on (slug, version).
 */
export class RegistryStore {
  private readonly parsed = new Map<number, { doc: PlatformDocument; bytes: number }>();
  private parsedBytes = 0;
  private readonly currentVersionStmt;
  private readonly stmts;

  constructor(readonly db: Db) {
    const v = sql.placeholder('version');
    const latestAt = (slugCol: typeof platforms.slug) =>
      sql`(select ${platformRevisions.id} from ${platformRevisions} where ${platformRevisions.slug} = ${slugCol} and ${platformRevisions.version} <= ${v} order by ${platformRevisions.version} desc limit 1)`;
    this.currentVersionStmt = db.$client.prepare('select max(version) from change_sets').pluck();
    this.stmts = {
      changeSet: db.select().from(changeSets).where(eq(changeSets.version, v)).prepare(),
      revisionAt: db
        .select()
        .from(platformRevisions)
        .where(and(eq(platformRevisions.slug, sql.placeholder('slug')), lte(platformRevisions.version, v)))
        .orderBy(desc(platformRevisions.version))
        .limit(1)
        .prepare(),
      list: db
        .select({ revision: platformRevisions })
        .from(platforms)
        .innerJoin(platformRevisions, eq(platformRevisions.id, latestAt(platforms.slug)))
        .where(
          and(
            gt(platforms.slug, sql.placeholder('after')),
            lte(platforms.createdVersion, v),
            sql`(${sql.placeholder('category')} is null or ${platformRevisions.category} = ${sql.placeholder('category')})`,
            sql`(${sql.placeholder('status')} is null or ${platformRevisions.status} = ${sql.placeholder('status')})`,
            sql`(${sql.placeholder('q')} is null or instr(${platformRevisions.searchText}, ${sql.placeholder('q')}) > 0)`,
          ),
        )
        .orderBy(asc(platforms.slug))
        .limit(sql.placeholder('limit'))
        .prepare(),
      history: db
        .select({ revision: platformRevisions, changeSet: changeSets })
        .from(platformRevisions)
        .innerJoin(changeSets, eq(changeSets.version, platformRevisions.version))
        .where(
          and(
            eq(platformRevisions.slug, sql.placeholder('slug')),
            lte(platformRevisions.version, v),
            lt(platformRevisions.version, sql.placeholder('before')),
          ),
        )
        .orderBy(desc(platformRevisions.version))
        .limit(sql.placeholder('limit'))
        .prepare(),
      changesAfter: db
        .select()
        .from(changeSets)
        .where(and(gt(changeSets.version, sql.placeholder('after')), lte(changeSets.version, v)))
        .orderBy(asc(changeSets.version))
        .limit(sql.placeholder('limit'))
        .prepare(),
      patchesBetween: db
        .select({ version: platformRevisions.version, slug: platformRevisions.slug, patch: platformRevisions.patch })
        .from(platformRevisions)
        .where(and(gt(platformRevisions.version, sql.placeholder('from')), lte(platformRevisions.version, sql.placeholder('to'))))
        .orderBy(asc(platformRevisions.version), asc(platformRevisions.slug))
        .prepare(),
      slugExists: db
        .select({ slug: platforms.slug, createdVersion: platforms.createdVersion })
        .from(platforms)
        .where(eq(platforms.slug, sql.placeholder('slug')))
        .prepare(),
    };
  }

  private knownVersion = 0;
  private versionCheckedAt = Number.NEGATIVE_INFINITY;

  /**
   * The current registry version. It keys every read, so it is remembered: re-read after any write
   * through this store, and at least every VERSION_RECHECK_MS so that writes by another process
   * (a separate writer in front of read replicas, a restore) are seen within that time.
   */
  currentVersion(): number {
    const now = performance.now();
    if (now - this.versionCheckedAt > VERSION_RECHECK_MS) {
      this.knownVersion = (this.currentVersionStmt.get() as number | null) ?? 0;
      this.versionCheckedAt = now;
    }
    return this.knownVersion;
  }

  changeSet(version: number): ChangeSetRow | undefined {
    return this.stmts.changeSet.get({ version });
  }

  /** The platform's revision in force at registry version `version`, if it existed then. */
  revisionAt(slug: string, version: number): RevisionRow | undefined {
    return this.stmts.revisionAt.get({ slug, version });
  }

  /** Parsed document of a revision; revisions are immutable, so parses are cached by id. */
  document(rev: RevisionRow): PlatformDocument {
    const hit = this.parsed.get(rev.id);
    if (hit) {
      this.parsed.delete(rev.id);
      this.parsed.set(rev.id, hit);
      return hit.doc;
    }
    const doc = JSON.parse(rev.document) as PlatformDocument;
    const bytes = rev.document.length;
    this.parsed.set(rev.id, { doc, bytes });
    this.parsedBytes += bytes;
    for (const [id, entry] of this.parsed) {
      if (this.parsedBytes <= MAX_PARSED_JSON_BYTES || id === rev.id) break;
      this.parsed.delete(id);
      this.parsedBytes -= entry.bytes;
    }
    return doc;
  }

  /** Platforms as of a version, in slug order after `afterSlug`, with the SQL-side filters applied. */
  list(query: ListQuery): RevisionRow[] {
    return this.stmts.list
      .all({
        version: query.version,
        after: query.afterSlug ?? '',
        category: query.category ?? null,
        status: query.status ?? null,
        q: query.q ?? null,
        limit: query.limit,
      })
      .map((r) => r.revision);
  }

  /** Every platform as of a version, in slug order. */
  all(version: number): RevisionRow[] {
    return this.list({ version, limit: -1 });
  }

  history(slug: string, version: number, beforeVersion: number, limit: number) {
    return this.stmts.history.all({ slug, version, before: beforeVersion, limit });
  }

  changesAfter(after: number, version: number, limit: number): ChangeSetRow[] {
    return this.stmts.changesAfter.all({ after, version, limit });
  }

  /** What change sets `from < version <= to` wrote: slug and patch per platform (documents are not read). */
  patchesBetween(from: number, to: number): PatchRow[] {
    return this.stmts.patchesBetween.all({ from, to });
  }

  /** Slugs of the platforms a change set touched. */
  slugsChangedAt(version: number): string[] {
    return this.db
      .select({ slug: platformRevisions.slug })
      .from(platformRevisions)
      .where(eq(platformRevisions.version, version))
      .orderBy(asc(platformRevisions.slug))
      .all()
      .map((r) => r.slug);
  }

  slugCreatedVersion(slug: string): number | undefined {
    return this.stmts.slugExists.get({ slug })?.createdVersion;
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, so the version read
   * inside cannot be raced by another writer). Everything `fn` writes commits or none of it does.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.$client.inTransaction) return fn();
    try {
      return this.db.transaction(() => fn(), { behavior: 'immediate' });
    } finally {
      // Committed or rolled back, the remembered version must be read again.
      this.versionCheckedAt = Number.NEGATIVE_INFINITY;
    }
  }

  /** Records a change set as the next registry version. Call inside `transaction`. */
  insertChangeSet(change: NewChangeSet): ChangeSetRow {
    // Read inside the write transaction, never from memory: this is the version being created.
    const version = ((this.currentVersionStmt.get() as number | null) ?? 0) + 1;
    const row: ChangeSetRow = {
      version,
      recordedAt: change.recordedAt ?? new Date().toISOString(),
      author: change.author,
      message: change.message,
      revertOf: change.revertOf ?? null,
      requestId: change.requestId ?? null,
    };
    this.db.insert(changeSets).values(row).run();
    // Reads later in this transaction (the write's response) must see the new version.
    this.versionCheckedAt = Number.NEGATIVE_INFINITY;
    for (const rev of change.revisions) {
      if (rev.op === 'create' && this.slugCreatedVersion(rev.slug) === undefined) {
        this.db.insert(platforms).values({ slug: rev.slug, createdVersion: version }).run();
      }
      this.db
        .insert(platformRevisions)
        .values({
          slug: rev.slug,
          version,
          op: rev.op,
          status: rev.document.status,
          category: rev.document.category,
          searchText: searchTextOf(rev.document),
          document: JSON.stringify(rev.document),
          patch: JSON.stringify(rev.patch),
        })
        .run();
    }
    return row;
  }
}
