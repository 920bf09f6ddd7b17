import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import { PlatformRecord } from '../src/schemas/platform.js';
import { HistoryList } from '../src/schemas/responses.js';
import { loadSeedDocuments } from '../src/seed/files.js';
import { ENGINE, freshDatabase } from './engine.js';
import { parse } from './helpers.js';

describe('data migration of registries written before sources had a kind', () => {
  it('adds each source’s kind in one change set with a message, from the seed or its address, once', async () => {
    const config = testConfig(await freshDatabase());
    // A registry as the previous release wrote it: sources without `kind` (one not in the seed).
    const linkedin = structuredClone(loadSeedDocuments().find((d) => d.slug === 'linkedin')!) as unknown as {
      sources: Record<string, unknown>[];
    };
    for (const s of linkedin.sources) delete s.kind;
    linkedin.sources.push({
      id: 'old-help-page',
      url: 'https://www.linkedin.com/help/linkedin/answer/old-page',
      title: 'An old help page',
      publisher: 'LinkedIn',
      publishedDate: null,
      retrievedDate: '2024-10-01',
    });
    const store = await openStore(config);
    await store.write(async (tx) => {
      const head = await tx.lockHead();
      await tx.insertChangeSet(head + 1, {
        author: 'seed',
        message: 'Initial load (previous release)',
        revisions: [{ slug: 'linkedin', op: 'create', document: linkedin as never, patch: [] }],
      });
    });
    await store.close();
    // What the upgrade migration (0005 on SQLite, 0004 on PostgreSQL) does to a registry an earlier
    // release wrote: it flags every platform for start-up's one source-kind check.
    await flagForSourceKindCheck(config);

    const app = await buildApp(config);
    try {
      const record = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
      expect(record.sources.every((s) => s.kind !== undefined)).toBe(true);
      expect(record.sources.find((s) => s.id === 'old-help-page')?.kind).toBe('platform');
      const seedKinds = new Map(loadSeedDocuments().flatMap((d) => d.sources.map((s) => [s.url, s.kind] as const)));
      for (const s of record.sources.filter((s) => seedKinds.has(s.url))) expect(s.kind, s.id).toBe(seedKinds.get(s.url));
      const history = parse(HistoryList, await app.inject('/v1/platforms/linkedin/history'));
      expect(history.data.map((h) => h.version)).toEqual([2, 1]);
      expect(history.data[0]).toMatchObject({ author: 'migration' });
      expect(history.data[0]?.message).toMatch(/^Data migration: every source says what it is/);
      // The other seed platforms are not added to a registry that already has data.
      expect((await app.inject('/v1/platforms/x')).statusCode).toBe(404);
    } finally {
      await app.close();
    }
    // A second start finds nothing to migrate, and no platform left to check.
    const again = await buildApp(config);
    try {
      expect(((await again.inject('/v1/registry')).json() as { version: number }).version).toBe(2);
      expect(await again.store.hasSourceKindsToCheck()).toBe(false);
    } finally {
      await again.close();
    }
  });
});

/** Sets every platform's check_source_kinds flag, with the engine's own client. */
async function flagForSourceKindCheck(config: { DATABASE_PATH: string; DATABASE_URL?: string }) {
  const statement = 'update platforms set check_source_kinds = 1';
  if (ENGINE === 'sqlite') {
    const db = new Database(config.DATABASE_PATH);
    db.exec(statement);
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: config.DATABASE_URL });
  await client.connect();
  await client.query(statement);
  await client.end();
}
