import type { NewRevision } from '../src/db/repository.js';
import { SqliteStore } from '../src/db/sqlite-store.js';
import { diffDocuments } from '../src/domain/change-sets.js';
import { Categories, type DefaultState, Devices } from '../src/schemas/common.js';
import { PlatformDocument } from '../src/schemas/platform.js';
import { loadSeedDocuments } from '../src/seed/files.js';
import type { BenchDatabase } from './engine.js';

/**
 * Synthetic registries for the scale benchmark, written through UnitOfWork.insertChangeSet (the
 * store's real write path: same rows, same JSON, same RFC 6902 patches as WriteService writes),
 * many change sets per `store.write` unit of work so that a million revisions load in minutes.
 *
 * WriteService.recordChangeSet would also validate every document with zod on the way in, which
 * would make a million revisions take many minutes; instead every created document and a sample
 * of the updates are validated against PlatformDocument, so the rows are known to be valid ones.
 */

export interface ScaleSize {
  revisions: number;
  platforms: number;
}

export interface GeneratedRegistry {
  revisions: number;
  versions: number;
  /** Slugs in slug order. */
  slugs: string[];
  /** The first version at which every platform exists: any version from here on has them all. */
  allCreatedAt: number;
  validated: number;
  generateMs: number;
}

/** Platforms touched by each change set: several, as an editor's batch of corrections would be. */
export const PER_CHANGE_SET = 10;
// Large transactions make bulk loading fast; the rows are the same as one transaction per change set.
const CHANGE_SETS_PER_TRANSACTION = 500;
const VALIDATE_EVERY = 1000;

/** mulberry32: small, fast and seeded, so every run builds the same registries and samples the same URLs. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, maxInclusive: number) => min + Math.floor(next() * (maxInclusive - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, int, pick };
}
export type Rng = ReturnType<typeof rng>;

const DAY = 86_400_000;
export const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Effective dates and as-of dates the benchmark uses: 2019 to 2026. */
export const DATE_FROM = Date.UTC(2019, 0, 1);
export const DATE_DAYS = 8 * 365;

/** The smallest seed document: a realistic record (one setting, sourced), small enough that a million revisions fit on disk. */
function template(): PlatformDocument {
  const [smallest] = loadSeedDocuments().sort((a, b) => JSON.stringify(a).length - JSON.stringify(b).length);
  if (!smallest || smallest.settings.length === 0) throw new Error('the scale benchmark needs a seed document with a setting');
  return smallest;
}

export const slugOf = (i: number) => `bench-${String(i).padStart(5, '0')}`;

function createDocument(base: PlatformDocument, i: number, day: string, r: Rng): PlatformDocument {
  const [setting, ...otherSettings] = base.settings;
  const sources = setting!.sources;
  // Devices vary so the list's device column and opt-out steps differ between platforms.
  const devices = new Set(setting!.paths.map((p) => p.device));
  const extra = Devices.filter((d) => !devices.has(d)).slice(0, i % 3);
  const path = setting!.paths[0];
  return {
    ...base,
    slug: slugOf(i),
    name: `Bench Platform ${i}`,
    owner: `Bench Owner ${i % 997} Ltd.`,
    homepage: `https://platform-${i}.example.com`,
    category: Categories[i % Categories.length]!,
    status: 'active',
    lastVerified: day,
    settings: [
      {
        ...setting!,
        defaults: defaultPeriods(r, sources),
        paths: path ? [...setting!.paths, ...extra.map((device) => ({ ...path, device }))] : setting!.paths,
      },
      ...otherSettings,
    ],
    regionRules: i % 3 === 0 ? [...base.regionRules, euRule(r, base.sources[0]!.id)] : base.regionRules,
    // One to three dated events, so the timeline has entries from every platform, as a real one would.
    events: [...base.events, ...Array.from({ length: 1 + (i % 3) }, (_, n) => benchEvent(r, n, base.sources[0]!.id))],
  };
}

const EVENT_KINDS = ['policy_update', 'default_changed', 'region_added', 'paused', 'regulator_action', 'announcement'] as const;

function benchEvent(r: Rng, n: number, source: string): PlatformDocument['events'][number] {
  const announced = DATE_FROM + r.int(0, DATE_DAYS - 60) * DAY;
  return {
    id: `bench-event-${n}`,
    kind: r.pick(EVENT_KINDS),
    title: `Bench policy change ${n}`,
    summary: 'A synthetic policy change, dated so that the timeline spans the whole benchmark period.',
    announcedDate: isoDay(announced),
    effectiveDate: r.next() < 0.7 ? isoDay(announced + r.int(0, 60) * DAY) : null,
    settingIds: [],
    regions: [],
    sources: [source],
  };
}

const STATES: DefaultState[] = ['opted_in', 'opted_out', 'no_choice'];

/** One or two periods with a change on a random day, so `at` reads land on either side of it. */
function defaultPeriods(r: Rng, sources: string[]): PlatformDocument['settings'][number]['defaults'] {
  if (r.next() < 0.3) return [{ state: r.pick(STATES), effectiveFrom: null, effectiveUntil: null, sources }];
  const change = isoDay(DATE_FROM + r.int(1, DATE_DAYS - 1) * DAY);
  return [
    { state: r.pick(STATES), effectiveFrom: null, effectiveUntil: change, sources },
    { state: r.pick(STATES), effectiveFrom: change, effectiveUntil: null, sources },
  ];
}

function euRule(r: Rng, source: string): PlatformDocument['regionRules'][number] {
  return {
    id: 'bench-eu-excluded',
    regions: ['EU'],
    settingIds: [],
    treatment: 'excluded',
    defaultState: null,
    mechanism: null,
    optOutUrl: null,
    effectiveFrom: isoDay(DATE_FROM + r.int(0, DATE_DAYS) * DAY),
    effectiveUntil: null,
    notes: null,
    sources: [source],
  };
}

/** A small edit of the kind editors make, mostly re-verification and default changes. */
function updateDocument(doc: PlatformDocument, base: PlatformDocument, version: number, day: string, r: Rng): PlatformDocument {
  const roll = r.next();
  const next: PlatformDocument = { ...doc, lastVerified: day };
  const [setting, ...rest] = doc.settings;
  if (roll < 0.35) {
    next.settings = [{ ...setting!, defaults: defaultPeriods(r, setting!.sources) }, ...rest];
  } else if (roll < 0.5) {
    next.summary = `${base.summary.slice(0, 1900)} Re-checked in registry version ${version}.`;
  } else if (roll < 0.6) {
    const hasRule = doc.regionRules.some((rule) => rule.id === 'bench-eu-excluded');
    next.regionRules = hasRule
      ? doc.regionRules.filter((rule) => rule.id !== 'bench-eu-excluded')
      : [...doc.regionRules, euRule(r, base.sources[0]!.id)];
  } else if (roll < 0.62) {
    next.category = r.pick(Categories);
  }
  // The rest (38 %) only re-verify: lastVerified moves, as it does after an editor's check.
  return next;
}

/**
 * Builds a registry of `size.revisions` platform revisions over `size.platforms` platforms in a new
 * database (a SQLite file with the production pragmas, or a PostgreSQL database), migrated.
 */
export async function generateRegistry(database: BenchDatabase, size: ScaleSize, seed = 1): Promise<GeneratedRegistry> {
  const started = performance.now();
  const r = rng(seed);
  const base = template();
  const store = await database.open();
  const docs: PlatformDocument[] = [];
  const createChangeSets = Math.ceil(size.platforms / PER_CHANGE_SET);
  const versions = createChangeSets + Math.ceil((size.revisions - size.platforms) / PER_CHANGE_SET);
  // recordedAt spreads the versions over 2020-2025, one registry's plausible lifetime.
  const recordedAt = (version: number) => new Date(Date.UTC(2020, 0, 1) + (version / versions) * 6 * 365 * DAY).toISOString();

  let written = 0;
  let validated = 0;
  let version = 0;
  const check = (doc: PlatformDocument) => {
    const parsed = PlatformDocument.safeParse(doc);
    if (!parsed.success) throw new Error(`generated document ${doc.slug} is invalid: ${JSON.stringify(parsed.error.issues.slice(0, 3))}`);
    validated++;
  };

  while (written < size.revisions) {
    await store.write(async (tx) => {
      // The lock also says where this unit of work starts (the registry is ours alone, so it is `version`).
      version = await tx.lockHead();
      for (let n = 0; n < CHANGE_SETS_PER_TRANSACTION && written < size.revisions; n++) {
        version++;
        const at = recordedAt(version);
        const day = at.slice(0, 10);
        const revisions: NewRevision[] = [];
        if (docs.length < size.platforms) {
          const end = Math.min(size.platforms, docs.length + PER_CHANGE_SET);
          for (let i = docs.length; i < end; i++) {
            const doc = createDocument(base, i, day, r);
            check(doc);
            docs.push(doc);
            revisions.push({ slug: doc.slug, op: 'create', document: doc, patch: diffDocuments(undefined, doc) });
          }
        } else {
          const count = Math.min(PER_CHANGE_SET, size.revisions - written);
          const touched = new Set<number>();
          while (touched.size < count) touched.add(r.int(0, size.platforms - 1));
          for (const i of touched) {
            const before = docs[i]!;
            let after = updateDocument(before, base, version, day, r);
            let patch = diffDocuments(before, after);
            // A second check on the same day changes nothing, and the service never writes an empty revision.
            if (patch.length === 0) {
              after = { ...after, summary: `${base.summary.slice(0, 1900)} Re-checked in registry version ${version}.` };
              patch = diffDocuments(before, after);
            }
            if ((written + revisions.length) % VALIDATE_EVERY === 0) check(after);
            docs[i] = after;
            revisions.push({ slug: after.slug, op: 'update', document: after, patch });
          }
        }
        // WriteService plans revisions in slug order; keeping that order keeps row ids the same.
        revisions.sort((a, b) => (a.slug < b.slug ? -1 : 1));
        await tx.insertChangeSet(version, { author: 'bench', message: `Bench change set ${version}`, recordedAt: at, revisions });
        written += revisions.length;
      }
    });
  }
  // Fold the WAL into the main file so its size is the database's size, then let go of it.
  if (store instanceof SqliteStore) store.rawWriter.pragma('wal_checkpoint(TRUNCATE)');
  await store.close();
  return {
    revisions: written,
    versions: version,
    slugs: docs.map((d) => d.slug),
    allCreatedAt: createChangeSets,
    validated,
    generateMs: performance.now() - started,
  };
}
