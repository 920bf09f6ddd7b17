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

// Lists of the current version scan each platform's pointer to its current revision (and the
// copies of the filtered columns beside it, on `platforms`) instead of seeking each platform's
// revision. These tests hold that plan to the general one, including when a write moves the head
// between a reader's resolving the version and its scan, and check the migration's backfill.

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

  it('points each platform at its latest revision, and the migration backfills the pointers the same way', async () => {
    const config = testConfig(await freshDatabase());
    const store = await openStore(config);
    await history(store);
    await store.close();
    const migration = readFileSync(
      new URL(`../migrations/${ENGINE}/${ENGINE === 'sqlite' ? '0005' : '0004'}_current_revision.sql`, import.meta.url),
      'utf8',
    );
    const updates = migration
      .split('--> statement-breakpoint')
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .filter((s) => s.startsWith('UPDATE'));
    const backfill = updates.find((s) => s.includes('current_revision_id'));
    const flag = updates.find((s) => s.includes('check_source_kinds'));
    expect(backfill).toBeDefined();
    expect(flag).toBeDefined();
    const pointers =
      'select p.slug, p.current_version as "version", p.status, p.category, p.devices, p.last_verified as "lastVerified", p.search_text as "searchText", r.version as "revisionVersion" from platforms p join platform_revisions r on r.id = p.current_revision_id order by p.slug';
    const latest = 'select slug, max(version) as "version" from platform_revisions group by slug order by slug';
    const run = async (f: (q: (text: string) => Promise<Record<string, unknown>[]>) => Promise<void>) => {
      if (ENGINE === 'sqlite') {
        const db = new Database(config.DATABASE_PATH);
        try {
          await f(async (text) => {
            if (text.startsWith('select')) return db.prepare(text).all() as Record<string, unknown>[];
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
      const written = await q(pointers);
      // Every platform points at its latest revision, and the copied columns are that revision's.
      expect(written.map((r) => [r.slug, r.version, r.revisionVersion])).toEqual(
        (await q(latest)).map((r) => [r.slug, r.version, r.version]),
      );
      const copied = await q(
        'select p.slug from platforms p join platform_revisions r on r.id = p.current_revision_id where p.status = r.status and p.category = r.category and p.devices = r.devices and p.last_verified = r.last_verified and p.search_text = r.search_text',
      );
      expect(copied).toHaveLength(seed.length);
      for (const row of written) expect(row.lastVerified, String(row.slug)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      // A registry written before the pointers existed: every pointer unset; the backfill restores them.
      await q(
        "update platforms set current_revision_id = 0, current_version = 0, status = 'active', category = '', devices = '', last_verified = '', search_text = ''",
      );
      await q(backfill!);
      expect(await q(pointers)).toEqual(written);
      // Platforms written now need no source-kind check; the migration flags those an earlier release wrote.
      expect(await q('select slug from platforms where check_source_kinds <> 0')).toEqual([]);
      await q(flag!);
      expect(await q('select slug from platforms where check_source_kinds = 1')).toHaveLength(seed.length);
    });
  });
});
