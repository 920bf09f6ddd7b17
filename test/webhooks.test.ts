import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import type { PlatformRecord } from '../src/schemas/platform.js';
import { WebhookCreated, WebhookDeliveryList, WebhookSecretRotated, WebhookSubscription } from '../src/schemas/webhooks.js';
import { createKey, expectProblem, makeApp, parse, record } from './helpers.js';
import { type Behaviour, type Receiver, startReceiver } from './webhook-receiver.js';

/** The worker on, a fast retry schedule (20 ms doubling to 80 ms, 4 attempts), and local receivers allowed. */
const FAST: Partial<Config> = {
  WEBHOOK_WORKER: true,
  WEBHOOK_ALLOW_HTTP: true,
  WEBHOOK_ALLOW_PRIVATE: true,
  WEBHOOK_POLL_MS: 20,
  WEBHOOK_RETRY_BASE_MS: 20,
  WEBHOOK_RETRY_CAP_MS: 80,
  WEBHOOK_MAX_ATTEMPTS: 4,
  // Long enough for a cold first request on a busy machine; the timeout test waits it out once.
  WEBHOOK_TIMEOUT_MS: 1_000,
};

async function setup(overrides: Partial<Config> = FAST) {
  const app = await makeApp(overrides);
  const key = await createKey(app, 'hooks-admin', 'admin');
  const headers = { authorization: `Bearer ${key}` };
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url: `/v1/admin/webhooks${url}`, headers, ...(payload ? { payload } : {}) });
  const subscribe = async (receiver: Receiver, filters?: object) => {
    const res = await call('POST', '', { url: receiver.url, description: 'test receiver', ...(filters ? { filters } : {}) });
    expect(res.statusCode, res.body).toBe(201);
    const created = parse(WebhookCreated, res);
    receiver.secrets.push(created.secret);
    return created;
  };
  const deliveries = async (id: number) => parse(WebhookDeliveryList, await call('GET', `/${id}/deliveries?limit=200`)).data;
  /** Polls the delivery log until `done` holds (bounded: fails after 15 s). */
  const until = async (id: number, done: (d: Awaited<ReturnType<typeof deliveries>>) => boolean) => {
    for (let deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      const list = await deliveries(id);
      if (done(list)) return list;
    }
    throw new Error(`delivery log never got there: ${JSON.stringify(await deliveries(id))}`);
  };
  return { app, key, headers, call, subscribe, deliveries, until };
}

const patchSummary = (app: FastifyInstance, slug: string, summary: string) =>
  record(app, { message: `summary of ${slug}`, operations: [{ op: 'patch', slug, patch: { summary } }] });

describe('webhook delivery', () => {
  it('delivers a change set once, signed per Standard Webhooks, with the change entry and links; earlier and rolled-back changes are not sent', async () => {
    const { app, subscribe, deliveries, until } = await setup();
    const receiver = await startReceiver();
    const { subscription } = await subscribe(receiver);
    const seedVersion = subscription.createdVersion;
    expect(seedVersion).toBeGreaterThan(0);

    // A refused write rolls back whole: its outbox rows with it.
    const refused = await record(app, {
      message: 'bad',
      operations: [{ op: 'patch', slug: 'linkedin', patch: { homepage: 'nope' } }],
    }).catch((e: { status: number }) => e);
    expect((refused as { status: number }).status).toBe(422);
    expect((await app.store.rowCounts()).webhookDeliveries).toBe(0);

    const written = await patchSummary(app, 'linkedin', 'Webhook test: a new summary.');
    const [got] = await receiver.waitFor(1);
    expect(got!.verifiedWith).toEqual(receiver.secrets);
    expect(got!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(Number(got!.headers['webhook-timestamp'])).toBeGreaterThan(1_700_000_000);
    const event = got!.event!;
    expect(event.type).toBe('registry.change_set.recorded');
    expect(event.data.change).toMatchObject({ version: written.version, author: 'test', platforms: ['linkedin'] });
    expect(event.data.change.patch).toEqual([{ op: 'replace', path: '/linkedin/summary', value: 'Webhook test: a new summary.' }]);
    expect(event.data.links.change).toMatch(new RegExp(`/v1/changes/${written.version}$`));
    expect(event.data.links.platforms).toEqual([
      { slug: 'linkedin', href: expect.stringMatching(new RegExp(`/v1/platforms/linkedin\\?version=${written.version}$`)) },
    ]);

    const [log] = await until(subscription.id, (list) => list[0]?.status === 'succeeded');
    expect(log).toMatchObject({
      version: written.version,
      webhookId: got!.id,
      attempts: 1,
      responseStatus: 200,
      responseBody: 'answer 200',
      nextAttemptAt: null,
    });
    expect(log!.latencyMs).not.toBeNull();
    expect(await deliveries(subscription.id)).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it('sends only change sets that match an endpoint’s filters (platforms, event kinds, regions)', async () => {
    const { app, subscribe, deliveries, until } = await setup();
    const all = await startReceiver();
    const facebook = await startReceiver();
    const defaults = await startReceiver();
    const germany = await startReceiver();
    const subAll = await subscribe(all);
    const subFacebook = await subscribe(facebook, { platforms: ['facebook'] });
    const subDefaults = await subscribe(defaults, { eventKinds: ['default_changed'] });
    const subGermany = await subscribe(germany, { regions: ['DE'] });

    const plain = await patchSummary(app, 'linkedin', 'Filter test: linkedin.');
    const onFacebook = await patchSummary(app, 'facebook', 'Filter test: facebook.');
    const linkedin = (await app.inject('/v1/platforms/linkedin')).json() as PlatformRecord;
    const event = {
      id: 'webhook-filter-test',
      kind: 'default_changed' as const,
      title: 'Default changed in the EU',
      summary: 'A test event in the EU.',
      announcedDate: '2026-01-02',
      effectiveDate: null,
      settingIds: [],
      regions: ['EU'],
      sources: [linkedin.sources[0]!.id],
    };
    const withEvent = await record(app, { message: 'event', operations: [{ op: 'addEvent', slug: 'linkedin', event }] });

    await until(subAll.subscription.id, (list) => list.length === 3 && list.every((d) => d.status === 'succeeded'));
    await all.waitFor(3);
    const versions = async (id: number) => (await deliveries(id)).map((d) => d.version).sort((a, b) => a - b);
    expect(await versions(subAll.subscription.id)).toEqual([plain.version, onFacebook.version, withEvent.version]);
    expect(await versions(subFacebook.subscription.id)).toEqual([onFacebook.version]);
    expect(await versions(subDefaults.subscription.id)).toEqual([withEvent.version]);
    // DE is in the EU the event names.
    expect(await versions(subGermany.subscription.id)).toEqual([withEvent.version]);
    expect((await facebook.waitFor(1))[0]!.event!.data.change.version).toBe(onFacebook.version);
    expect((await germany.waitFor(1))[0]!.event!.data.change.version).toBe(withEvent.version);
    expect(all.received.every((r) => r.verifiedWith.length === 1)).toBe(true);
  });

  it('retries after 500s and a timeout with the same webhook-id until the endpoint answers 2xx', async () => {
    const { app, subscribe, until } = await setup();
    // 500, then no answer within the 1 s timeout, then a redirect (not followed), then 200.
    const answers: ReturnType<Behaviour>[] = [500, 'hang', 302, 200];
    const receiver = await startReceiver((n) => answers[n] ?? 200);
    const { subscription } = await subscribe(receiver);
    const written = await patchSummary(app, 'x', 'Retry test.');
    const got = await receiver.waitFor(4);
    expect(new Set(got.map((r) => r.id)).size).toBe(1);
    expect(got.every((r) => r.verifiedWith.length === 1 && r.event?.data.change.version === written.version)).toBe(true);
    // The redirect was not followed: the next request is the next attempt, to the same URL.
    const [log] = await until(subscription.id, (list) => list[0]?.status === 'succeeded');
    expect(log).toMatchObject({ attempts: 4, responseStatus: 200, error: null });
    expect(receiver.received).toHaveLength(4);
  });

  it('keeps each endpoint’s deliveries in version order, holding later versions while an earlier one is retried', async () => {
    const { app, subscribe, until } = await setup();
    const receiver = await startReceiver((n) => (n < 2 ? 500 : 200));
    const { subscription } = await subscribe(receiver);
    const versions: number[] = [];
    for (const n of [1, 2, 3]) versions.push((await patchSummary(app, 'instagram', `Order test ${n}.`)).version!);
    await until(subscription.id, (list) => list.length === 3 && list.every((d) => d.status === 'succeeded'));
    const sent = receiver.received.map((r) => r.event!.data.change.version);
    // The first version was tried three times before anything later went out.
    expect(sent).toEqual([versions[0], versions[0], versions[0], versions[1], versions[2]]);
  });

  it('disables an endpoint that keeps failing, says why, and queues nothing more until it is resumed and redelivered', async () => {
    const { app, call, subscribe, deliveries, until } = await setup();
    const receiver = await startReceiver(() => 503);
    const { subscription } = await subscribe(receiver);
    const first = await patchSummary(app, 'linkedin', 'Failing endpoint test.');
    const [failed] = await until(subscription.id, (list) => list[0]?.status === 'failed');
    expect(failed).toMatchObject({ attempts: 4, responseStatus: 503, version: first.version });
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(1);
    const disabled = parse(WebhookSubscription, await call('GET', `/${subscription.id}`));
    expect(disabled.status).toBe('disabled');
    expect(disabled.disabledReason).toMatch(/failed 4 times.*HTTP 503/);

    await patchSummary(app, 'linkedin', 'Written while disabled.');
    expect(await deliveries(subscription.id)).toHaveLength(1);

    receiver.behaviour = () => 200;
    expect(parse(WebhookSubscription, await call('POST', `/${subscription.id}/resume`)).status).toBe('active');
    const redeliver = await call('POST', `/${subscription.id}/deliveries/${failed!.id}/redeliver`);
    expect(redeliver.statusCode, redeliver.body).toBe(202);
    await until(subscription.id, (list) => list[0]?.status === 'succeeded');
    expect(receiver.received.at(-1)!.id).toBe(failed!.webhookId);
  });

  it('pauses (queueing but holding), resumes, and replays every change since a version with the same ids', async () => {
    const { app, call, subscribe, deliveries, until } = await setup();
    const receiver = await startReceiver();
    const { subscription } = await subscribe(receiver);
    expect(parse(WebhookSubscription, await call('POST', `/${subscription.id}/pause`)).status).toBe('paused');
    const held = await patchSummary(app, 'facebook', 'Written while paused.');
    expect((await deliveries(subscription.id)).map((d) => [d.version, d.status])).toEqual([[held.version, 'pending']]);
    expect(receiver.received).toHaveLength(0);
    await call('POST', `/${subscription.id}/resume`);
    await receiver.waitFor(1);

    const replay = await call('POST', `/${subscription.id}/replay`, { sinceVersion: subscription.createdVersion - 1 });
    expect(replay.statusCode, replay.body).toBe(202);
    // The seed's change set (never delivered) and the one delivered before, again with its id.
    expect(replay.json()).toEqual({ queued: 2 });
    const got = await receiver.waitFor(3);
    expect(got.map((r) => r.event!.data.change.version)).toEqual([held.version, subscription.createdVersion, held.version]);
    expect(got[2]!.id).toBe(got[0]!.id);
    await until(subscription.id, (list) => list.length === 2 && list.every((d) => d.status === 'succeeded'));
  });

  it('rotates the secret: for 24 h deliveries verify with the old secret and with the new one', async () => {
    const { app, call, subscribe } = await setup();
    const receiver = await startReceiver();
    const { subscription, secret: oldSecret } = await subscribe(receiver);
    const rotated = parse(WebhookSecretRotated, await call('POST', `/${subscription.id}/rotate-secret`));
    expect(rotated.secret).not.toBe(oldSecret);
    expect(rotated.secret).toMatch(/^whsec_/);
    const grace = Date.parse(rotated.subscription.previousSecretExpiresAt!) - Date.now();
    expect(grace).toBeGreaterThan(23 * 3_600_000);
    expect(grace).toBeLessThanOrEqual(24 * 3_600_000);
    receiver.secrets.push(rotated.secret);
    await patchSummary(app, 'linkedin', 'Rotation test.');
    const [got] = await receiver.waitFor(1);
    expect(got!.verifiedWith).toEqual([oldSecret, rotated.secret]);
    expect(String(got!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    // Neither secret is ever shown again.
    const shown = (await call('GET', `/${subscription.id}`)).body + (await call('GET', '')).body;
    expect(shown).not.toContain(oldSecret.slice(6));
    expect(shown).not.toContain(rotated.secret.slice(6));
  });
});

describe('webhook endpoints (admin API)', () => {
  it('refuses targets that are not https or resolve to loopback, private, link-local or metadata addresses, and writes nothing', async () => {
    const { app, call } = await setup({});
    const before = await app.store.rowCounts();
    for (const [url, reason] of [
      ['http://hooks.example.org/in', /https/],
      ['https://127.0.0.1/in', /loopback/],
      ['https://localhost:8443/in', /loopback|unspecified/],
      ['https://10.1.2.3/in', /private/],
      ['https://192.168.1.1/in', /private/],
      ['https://169.254.169.254/latest/meta-data/', /link-local/],
      ['https://[::1]/in', /loopback/],
      ['https://[fd00:ec2::254]/in', /unique-local/],
      ['https://[::ffff:127.0.0.1]/in', /IPv4-mapped/],
      ['https://2130706433/in', /loopback/],
      ['https://user:pw@hooks.example.org/in', /credentials/],
    ] as const) {
      const problem = expectProblem(await call('POST', '', { url, description: 'refused' }), 422);
      expect(problem.errors?.[0]?.field, url).toBe('body.url');
      expect(problem.errors?.[0]?.message, url).toMatch(reason);
    }
    // Refusals are audited; nothing else is written.
    expect({ ...(await app.store.rowCounts()), auditLog: 0 }).toEqual({ ...before, auditLog: 0 });
    expect(before.webhookSubscriptions).toBe(0);
  });

  it('lets only admins manage endpoints, validates input, never returns the secret after creation, and deletes', async () => {
    const { app, call, headers } = await setup({ WEBHOOK_ALLOW_HTTP: true, WEBHOOK_ALLOW_PRIVATE: true });
    const editor = await createKey(app, 'hooks-editor', 'editor');
    expectProblem(await app.inject({ method: 'GET', url: '/v1/admin/webhooks', headers: { authorization: `Bearer ${editor}` } }), 403);
    expectProblem(await app.inject({ method: 'GET', url: '/v1/admin/webhooks' }), 401);
    expectProblem(await call('POST', '', { url: 'http://127.0.0.1:1/x', description: '', filters: { regions: ['XX'] } }), 400);
    expectProblem(await call('GET', '/999'), 404);
    expectProblem(await call('PATCH', '/1', {}), 400);

    const created = await call('POST', '', { url: 'http://127.0.0.1:1/x', description: 'kept', filters: { platforms: ['linkedin'] } });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const { subscription, secret } = parse(WebhookCreated, created);
    const updated = parse(
      WebhookSubscription,
      await call('PATCH', `/${subscription.id}`, { filters: { eventKinds: ['paused'], accountTypes: ['education'] } }),
    );
    expect(updated.filters).toEqual({ platforms: [], eventKinds: ['paused'], regions: [], accountTypes: ['education'] });
    const badType = expectProblem(await call('PATCH', `/${subscription.id}`, { filters: { accountTypes: ['students'] } }), 400);
    expect(badType.errors?.[0]?.field).toBe('body.filters.accountTypes.0');
    const list = await call('GET', '');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(secret.slice(6));
    const audit = await app.inject({ method: 'GET', url: '/v1/admin/audit', headers });
    expect(audit.body).toContain('/v1/admin/webhooks');
    expect(audit.body).not.toContain(secret.slice(6));
    expect((await call('DELETE', `/${subscription.id}`)).statusCode).toBe(204);
    expectProblem(await call('GET', `/${subscription.id}`), 404);
    expectProblem(await call('DELETE', `/${subscription.id}`), 404);
  });
});
