import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import type { Store } from '../src/db/repository.js';
import type { PlatformDocument } from '../src/schemas/platform.js';
import { loadSeedDocuments } from '../src/seed/files.js';
import { ENGINE, freshDatabase } from './engine.js';

// Lists of the current version read the `platform_revisions_current` index (revisions whose
// `until_version` is null) instead of seeking each platform's revision. These tests hold that plan
// to the general one, including when a write moves the head between a reader's resolving the
// version and its scan, and check the migration's backfill of `until_version`.

const seed = loadSeedDocuments().slice(0, 4);

async function write(store: Store, revisions: { doc: PlatformDocument; op: 'create' | 'update' }[]) {
  await store.write(async (tx) => {
    const head = await tx.lockHead();
    await tx.insertChangeSet(head + 1, {
      author: 'test',
      message: `change ${head + 1}`,
      revisions: revisions.map(({ doc, op }) => ({ slug: doc.slug, op, document: doc, patch: [] })),
    });
  });
}

const owned = (doc: PlatformDocument, owner: string): PlatformDocument => ({ ...doc, owner });

/** Versions 1–4: four platforms created, then the first changed twice and the second once. */
async function history(store: Store) {
  const [a, b, c, d] = seed as [PlatformDocument, PlatformDocument, PlatformDocument, PlatformDocument];
  await write(
    store,
    [a, b, c, d].map((doc) => ({ doc, op: 'create' as const })),
  );
  await write(store, [{ doc: owned(a, 'Owner at 2'), op: 'update' }]);
  await write(store, [{ doc: owned(b, 'Owner at 3'), op: 'update' }]);
  await write(store, [{ doc: owned(a, 'Owner at 4'), op: 'update' }]);
  return { a: a.slug, b: b.slug };
}

const versionsBySlug = (rows: { slug: string; version: number }[]) => Object.fromEntries(rows.map((r) => [r.slug, r.version]));

describe(`current revisions (${ENGINE})`, () => {
  it('answers every version as the as-of plan does, also when the head moved after the caller read it', async () => {
    const store = await openStore(testConfig(await freshDatabase()));
    try {
      const { a, b } = await history(store);
      const expected: Record<number, Record<string, number>> = {
        1: { [a]: 1, [b]: 1 },
        2: { [a]: 2, [b]: 1 },
        3: { [a]: 2, [b]: 3 },
        4: { [a]: 4, [b]: 3 },
      };
      for (const version of [1, 2, 3, 4]) {
        const general = await store.listSummaries({ version });
        // `recent` claims the version is the head: true for 4; for 1–3 the head has moved since (a
        // revision in force then has been superseded), which the store must notice.
        const viaIndex = await store.listSummaries({ version, recent: true });
        expect(viaIndex, `version ${version}`).toEqual(general);
        expect(versionsBySlug(viaIndex)).toMatchObject(expected[version]!);
        expect(viaIndex).toHaveLength(seed.length);
        expect((await store.list({ version, recent: true })).map((r) => r.version)).toEqual(general.map((r) => r.version));
      }
      // Filters apply on either plan.
      const category = seed[0]!.category;
      expect(await store.listSummaries({ version: 4, recent: true, category })).toEqual(
        await store.listSummaries({ version: 4, category }),
      );
      const docs = await store.documentsPage(4, '', 10, true);
      expect(docs.map((r) => JSON.parse(r.document).owner)).toContain('Owner at 4');
      expect(docs).toEqual(await store.documentsPage(4, '', 10));
    } finally {
      await store.close();
    }
  });

  it('keeps exactly one revision in force per platform, and the migration backfills until_version the same way', async () => {
    const config = testConfig(await freshDatabase());
    const store = await openStore(config);
    await history(store);
    await store.close();
    const migration = readFileSync(
      new URL(`../migrations/${ENGINE}/${ENGINE === 'sqlite' ? '0005' : '0004'}_revision_until_version.sql`, import.meta.url),
      'utf8',
    );
    const backfill = migration
      .split('--> statement-breakpoint')
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .find((s) => s.startsWith('UPDATE'));
    expect(backfill).toBeDefined();
    const select = 'select slug, version, until_version as "until" from platform_revisions order by slug, version';
    const run = async (f: (q: (text: string) => Promise<unknown[]>) => Promise<void>) => {
      if (ENGINE === 'sqlite') {
        const db = new Database(config.DATABASE_PATH);
        try {
          await f(async (text) => {
            if (text.startsWith('select')) return db.prepare(text).all();
            db.exec(text);
            return [];
          });
        } finally {
          db.close();
        }
      } else {
        const client = new pg.Client({ connectionString: config.DATABASE_URL });
        await client.connect();
        try {
          await f(async (text) => (await client.query(text)).rows);
        } finally {
          await client.end();
        }
      }
    };
    await run(async (q) => {
      const written = (await q(select)) as { slug: string; version: number; until: number | null }[];
      // Each platform's revisions chain: each is in force until the next one's version; the last is open.
      const bySlug = new Map<string, typeof written>();
      for (const r of written) bySlug.set(r.slug, [...(bySlug.get(r.slug) ?? []), r]);
      expect(bySlug.size).toBe(seed.length);
      for (const rows of bySlug.values()) {
        expect(rows.map((r) => r.until)).toEqual([...rows.slice(1).map((r) => r.version), null]);
      }
      // A registry written before the column existed: every until_version null; the backfill restores the chain.
      await q('update platform_revisions set until_version = null');
      await q(backfill!);
      expect(await q(select)).toEqual(written);
    });
  });
});
