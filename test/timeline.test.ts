import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_CURSOR_SECRET, testConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import { compareEvents, type TimelineEntry, timelineKey, timelineRange } from '../src/domain/timeline.js';
import { PlatformDocument } from '../src/schemas/platform.js';
import { EventList } from '../src/schemas/responses.js';
import { loadSeedDocuments } from '../src/seed/files.js';
import { CursorCodec } from '../src/services/cursor.js';
import { createServices } from '../src/services/index.js';
import { ENGINE, freshDatabase } from './engine.js';
import { expectProblem, makeApp, parse } from './helpers.js';

// The timeline is paged by one key per entry whose bytewise order is the timeline's order (newest
// first, undated last, then platform, then event id). These tests hold the key to that order as it
// was defined before keys existed (each part compared in turn, with localeCompare), hold the
// migration's SQL to the code that makes keys, and check what old cursors get.

const slug = fc.stringMatching(/^[a-z0-9]{1,4}(-[a-z0-9]{1,3}){0,2}$/);
const day = fc
  .date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const entry: fc.Arbitrary<TimelineEntry> = fc.record({
  // Few days, so that many entries share one and the platform and id decide.
  date: fc.option(fc.constantFrom('2024-09-18', '2024-09-19', '2025-01-01'), { nil: null }),
  platform: slug,
  id: slug,
});

/** The timeline's order as it was written before keys: each part in turn, with localeCompare. */
function byParts(a: TimelineEntry, b: TimelineEntry): number {
  return (b.date ?? '').localeCompare(a.date ?? '') || a.platform.localeCompare(b.platform) || a.id.localeCompare(b.id);
}

describe('timeline keys', () => {
  it('sort bytewise in timeline order: newest first, undated last, then platform, then id', () => {
    fc.assert(
      fc.property(entry, entry, (a, b) => {
        expect(Math.sign(compareEvents(a, b))).toBe(Math.sign(byParts(a, b)));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(day, day, slug, (x, y, s) => {
        expect(Math.sign(compareEvents({ date: x, platform: s, id: 'e' }, { date: y, platform: s, id: 'e' }))).toBe(
          Math.sign(y.localeCompare(x)),
        );
      }),
    );
    // A platform sorts before a longer one it begins, as comparing the parts has it.
    expect(
      timelineKey({ date: '2024-01-01', platform: 'x', id: 'z' }) < timelineKey({ date: '2024-01-01', platform: 'x-ai', id: 'a' }),
    ).toBe(true);
    expect(timelineKey({ date: null, platform: 'a', id: 'a' }) > timelineKey({ date: '0001-01-01', platform: 'z', id: 'z' })).toBe(true);
  });

  it('bound exactly the entries dated since and until a day', () => {
    fc.assert(
      fc.property(
        fc.option(day, { nil: null }),
        slug,
        fc.option(day, { nil: undefined }),
        fc.option(day, { nil: undefined }),
        (date, s, since, until) => {
          const key = timelineKey({ date, platform: s, id: s });
          const { from, before } = timelineRange(since, until);
          const inRange = (from === undefined || key >= from) && (before === undefined || key < before);
          const wanted =
            (since === undefined || (date !== null && date >= since)) && (until === undefined || (date !== null && date <= until));
          expect(inRange).toBe(wanted);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe(`the timeline key migration (${ENGINE})`, () => {
  it('gives the rows an earlier release wrote the keys the code gives them', async () => {
    const config = testConfig(await freshDatabase());
    const store = await openStore(config);
    const seed = loadSeedDocuments();
    // An undated event too, which the seed has none of.
    const [first, ...rest] = seed as [PlatformDocument, ...PlatformDocument[]];
    const undated = { ...first.events[0]!, id: 'undated-event', announcedDate: null, effectiveDate: null };
    const docs = [PlatformDocument.parse({ ...first, events: [...first.events, undated] }), ...rest];
    await store.write(async (tx) => {
      await tx.lockHead();
      await tx.insertChangeSet(1, {
        author: 'test',
        message: 'load',
        revisions: docs.map((document) => ({ slug: document.slug, op: 'create' as const, document, patch: [] })),
      });
    });
    await store.close();
    const migration = readFileSync(
      new URL(`../migrations/${ENGINE}/${ENGINE === 'sqlite' ? '0007' : '0006'}_timeline_keys.sql`, import.meta.url),
      'utf8',
    );
    const backfill = migration
      .split('--> statement-breakpoint')
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .find((s) => s.startsWith('UPDATE'));
    expect(backfill).toBeDefined();
    const keys = 'select id, timeline_key as "timelineKey" from platform_events order by id';
    /** Runs the statements in turn with the engine's own client; the rows of each `select`. */
    const run = async (statements: string[]): Promise<Record<string, unknown>[][]> => {
      const out: Record<string, unknown>[][] = [];
      if (ENGINE === 'sqlite') {
        const db = new Database(config.DATABASE_PATH);
        try {
          for (const s of statements) {
            if (s.startsWith('select')) out.push(db.prepare(s).all() as Record<string, unknown>[]);
            else db.exec(s);
          }
        } finally {
          db.close();
        }
        return out;
      }
      const client = new pg.Client({ connectionString: config.DATABASE_URL });
      await client.connect();
      try {
        for (const s of statements) {
          const result = await client.query(s);
          if (s.startsWith('select')) out.push(result.rows);
        }
      } finally {
        await client.end();
      }
      return out;
    };
    // As an earlier release left them: no keys. Then the migration's backfill.
    const [written = [], cleared = [], migrated = []] = await run([
      keys,
      "update platform_events set timeline_key = ''",
      keys,
      backfill!,
      keys,
    ]);
    expect(written.length).toBeGreaterThan(seed.length);
    expect(written.some((r) => String(r.timelineKey).startsWith('~ '))).toBe(true);
    expect(cleared.every((r) => r.timelineKey === '')).toBe(true);
    expect(migrated).toEqual(written);
    if (ENGINE === 'postgres') {
      // Compared bytewise whatever the database's locale.
      const [[column]] = (await run([
        "select collation_name from information_schema.columns where table_name = 'platform_events' and column_name = 'timeline_key'",
      ])) as [[{ collation_name: string }]];
      expect(column.collation_name).toBe('C');
    }
  });
});

describe('timeline cursors', () => {
  it('start a page after the previous page’s last entry, and an earlier release’s offset cursor gets a 400 saying to start again', async () => {
    const app = await makeApp();
    try {
      const first = parse(EventList, await app.inject('/v1/events?limit=3'));
      const second = parse(EventList, await app.inject(`/v1/events?limit=2&cursor=${first.nextCursor}`));
      const both = parse(EventList, await app.inject('/v1/events?limit=5'));
      expect([...first.data, ...second.data]).toEqual(both.data);
      const version = await app.services.reader.store.currentVersion();
      const old = new CursorCodec(DEVELOPMENT_CURSOR_SECRET).encode(
        { endpoint: 'GET /v1/events', filters: { platform: undefined, kind: undefined, since: undefined, until: undefined } },
        { v: version, k: 3 },
      );
      const problem = expectProblem(await app.inject(`/v1/events?limit=3&cursor=${old}`), 400);
      expect(problem.detail).toMatch(/earlier release.*Omit `cursor`/);
    } finally {
      await app.close();
    }
  });

  it('page deep into the feed in as many rows as the page has', async () => {
    const app = await makeApp();
    try {
      const store = app.services.reader.store;
      const real = store.timeline.bind(store);
      const asked: number[] = [];
      store.timeline = async (query) => {
        const rows = await real(query);
        asked.push(rows.length);
        return rows;
      };
      const { events } = createServices(store);
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await events.events({ limit: 2, cursor });
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBeGreaterThan(5);
      // Every page read at most its 2 entries and the one that says whether there is another.
      expect(Math.max(...asked)).toBeLessThanOrEqual(3);
      expect(asked).toHaveLength(pages);
    } finally {
      await app.close();
    }
  });
});
