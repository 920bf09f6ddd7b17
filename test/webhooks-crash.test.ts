import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebhookCreated, WebhookDeliveryList } from '../src/schemas/webhooks.js';
import { keyInDatabase } from './helpers.js';
import { startServer } from './server-process.js';
import { startReceiver } from './webhook-receiver.js';

const LOCAL = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_POLL_MS: '50' };

/**
 * The outbox survives a SIGKILL: a change set acknowledged by a server that dies before delivering it
 * is delivered after a restart, once, with the webhook-id it was given when it committed.
 */
describe('webhook delivery across a crash', () => {
  it('delivers, after kill -9 and a restart, the change set acknowledged before the kill, with the same webhook-id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-crash-'));
    try {
      const databasePath = join(dir, 'registry.sqlite');
      const key = await keyInDatabase(databasePath, 'crash-admin', 'admin');
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const receiver = await startReceiver();

      // The worker is off in the first life, so the kill certainly falls between commit and delivery.
      let server = await startServer(databasePath, { ...LOCAL, WEBHOOK_WORKER: 'false' });
      const created = await fetch(`${server.url}/v1/admin/webhooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: receiver.url, description: 'crash receiver' }),
      });
      expect(created.status).toBe(201);
      const { subscription, secret } = WebhookCreated.parse(await created.json());
      receiver.secrets.push(secret);
      const write = await fetch(`${server.url}/v1/admin/changes`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          message: 'before the crash',
          operations: [{ op: 'patch', slug: 'linkedin', patch: { summary: 'Written just before a SIGKILL.' } }],
        }),
      });
      expect(write.status).toBe(201);
      const { version } = (await write.json()) as { version: number };
      const log = async () =>
        WebhookDeliveryList.parse(await (await fetch(`${server.url}/v1/admin/webhooks/${subscription.id}/deliveries`, { headers })).json())
          .data;
      const [queued] = await log();
      expect(queued).toMatchObject({ version, status: 'pending', attempts: 0 });

      server.child.kill('SIGKILL');
      expect(await server.exited).toBeNull();
      expect(receiver.received).toHaveLength(0);

      server = await startServer(databasePath, { ...LOCAL, WEBHOOK_WORKER: 'true' });
      const [got] = await receiver.waitFor(1);
      expect(got!.id).toBe(queued!.webhookId);
      expect(got!.verifiedWith).toEqual([secret]);
      expect(got!.event!.data.change).toMatchObject({ version, message: 'before the crash' });
      for (let deadline = Date.now() + 10_000; (await log())[0]?.status !== 'succeeded'; ) {
        if (Date.now() > deadline) throw new Error(`not recorded as delivered: ${JSON.stringify(await log())}`);
        await new Promise((done) => setTimeout(done, 50));
      }
      expect((await log())[0]).toMatchObject({ status: 'succeeded', attempts: 1, webhookId: queued!.webhookId });
      expect(receiver.received).toHaveLength(1);
      expect(await server.stop()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
