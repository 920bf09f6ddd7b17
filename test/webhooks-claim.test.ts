import { describe, expect, it } from 'vitest';
import { openStore } from '../src/db/open.js';
import { ENGINE } from './engine.js';
import { makeApp, record } from './helpers.js';

/**
 * Two stores on one database (two connection pools, or two SQLite connections: what two instances
 * have) claim the outbox at the same time. No delivery attempt is claimed twice, and only each
 * endpoint's lowest pending version is claimable. PostgreSQL only: SQLite's claim runs under its
 * write lock, and two synchronous better-sqlite3 connections in one process would only deadlock the
 * event loop (npm test runs every file on PostgreSQL too).
 */
describe('claiming webhook deliveries', () => {
  it.skipIf(ENGINE === 'sqlite')(
    'never hands the same attempt to two concurrent claimers, and claims one version per endpoint at a time',
    async () => {
      const app = await makeApp({ WEBHOOK_ALLOW_HTTP: true, WEBHOOK_ALLOW_PRIVATE: true });
      const ENDPOINTS = 24;
      for (let i = 0; i < ENDPOINTS; i++)
        await app.services.webhooks.create({ url: `http://127.0.0.1:9/${i}`, description: `endpoint ${i}` });
      for (const n of [1, 2])
        await record(app, {
          message: `claim ${n}`,
          operations: [{ op: 'patch', slug: 'linkedin', patch: { summary: `Claim test ${n}.` } }],
        });
      expect((await app.store.rowCounts()).webhookDeliveries).toBe(ENDPOINTS * 2);

      const other = await openStore(app.config);
      try {
        const now = new Date().toISOString();
        const lease = new Date(Date.now() + 60_000).toISOString();
        const claimed: number[] = [];
        const claimer = async (store: typeof other) => {
          for (let round = 0; round < 100; round++) {
            const rows = await store.claimWebhookDeliveries(now, lease, 2);
            if (rows.length === 0) return;
            claimed.push(...rows.map((r) => r.id));
            expect(rows.every((r) => r.attempts === 1 && r.claimedUntil === lease)).toBe(true);
          }
        };
        await Promise.all([claimer(app.store), claimer(other), claimer(app.store), claimer(other)]);
        expect(new Set(claimed).size).toBe(claimed.length);
        // The first version of every endpoint; the second waits until the first is done.
        expect(claimed).toHaveLength(ENDPOINTS);
        const firstVersion = (await app.store.currentVersion()) - 1;
        for (const sub of await app.store.webhookSubscriptions()) {
          const [newest, oldest] = await app.store.webhookDeliveries(sub.id, Number.MAX_SAFE_INTEGER, 2);
          expect(oldest).toMatchObject({ version: firstVersion, attempts: 1 });
          expect(newest).toMatchObject({ version: firstVersion + 1, attempts: 0, claimedUntil: null });
        }
      } finally {
        await other.close();
      }
    },
  );
});
