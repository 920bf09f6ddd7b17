import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { testConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import { SqliteStore } from '../src/db/sqlite-store.js';
import { RegistryReader } from '../src/services/reader.js';
import { ENGINE, freshDatabase } from './engine.js';
import { makeApp } from './helpers.js';

// What an instance keeps in memory grows with the registry only up to the caps in the configuration
// (DOCUMENT_CACHE_MAX_BYTES, DERIVED_CACHE_MAX_BYTES, SQLITE_CACHE_MAX_BYTES, RESPONSE_CACHE_MAX_BYTES).

describe('memory caps', () => {
  it('keep at most DOCUMENT_CACHE_MAX_BYTES of parsed documents, and none with 0', async () => {
    const app = await makeApp();
    try {
      const store = app.services.reader.store;
      const version = await store.currentVersion();
      const revisions = (await store.list({ version })).slice(0, 6);
      const bytes = revisions.reduce((sum, r) => sum + r.document.length, 0);
      // Room for every one of them: each is parsed once and then served from memory.
      const roomy = new RegistryReader(store, { documentBytes: bytes });
      for (const rev of revisions) expect(roomy.document(rev)).toBe(roomy.document(rev));
      // Room for about one: reading them all in turn leaves the first evicted.
      const tight = new RegistryReader(store, { documentBytes: Math.max(...revisions.map((r) => r.document.length)) });
      const first = tight.document(revisions[0]!);
      for (const rev of revisions) tight.document(rev);
      expect(tight.document(revisions[0]!)).not.toBe(first);
      expect(tight.document(revisions[0]!)).toEqual(first);
      const none = new RegistryReader(store, { documentBytes: 0, derivedBytes: 0 });
      expect(none.document(revisions[0]!)).not.toBe(none.document(revisions[0]!));
      const [row] = await store.listSummaries({ version });
      expect(none.listSummary(row!)).not.toBe(none.listSummary(row!));
      expect(roomy.listSummary(row!)).toBe(roomy.listSummary(row!));
    } finally {
      await app.close();
    }
    // The app's reader has the configured budgets.
    const uncached = await makeApp({ DOCUMENT_CACHE_MAX_BYTES: 0 });
    try {
      const store = uncached.services.reader.store;
      const [rev] = await store.list({ version: await store.currentVersion() });
      expect(uncached.services.reader.document(rev!)).not.toBe(uncached.services.reader.document(rev!));
    } finally {
      await uncached.close();
    }
  });

  it.skipIf(ENGINE !== 'sqlite')('give each SQLite connection SQLITE_CACHE_MAX_BYTES of page cache', async () => {
    const config = testConfig({ ...(await freshDatabase()), SQLITE_CACHE_MAX_BYTES: 1_048_576 });
    const store = await openStore(config);
    try {
      expect(store).toBeInstanceOf(SqliteStore);
      expect((store as SqliteStore).rawWriter.pragma('cache_size', { simple: true })).toBe(-1024);
    } finally {
      await store.close();
    }
    // Another connection to the same file has SQLite's own default: the setting is the store's.
    const other = new Database(config.DATABASE_PATH);
    expect(other.pragma('cache_size', { simple: true })).not.toBe(-1024);
    other.close();
  });
});
