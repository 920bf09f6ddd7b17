import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createRegistryClient, type OptOutAnswer, type Problem, type RegistryClient } from '../clients/typescript/index.js';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { createKey, record } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The real server on a free port with two registry versions (the seed, then a change to LinkedIn),
 * and a generated client pointed at it.
 */
async function startRegistryServer(): Promise<{ app: FastifyInstance; baseUrl: string; client: RegistryClient }> {
  const app = await buildApp(testConfig({ DATABASE_PATH: ':memory:' }));
  await record(app, {
    author: 'client-test',
    message: 'Re-verified LinkedIn.',
    operations: [{ op: 'patch', slug: 'linkedin', patch: { lastVerified: '2026-01-15' } }],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the server has no TCP address');
  const baseUrl = `http://127.0.0.1:${address.port}/`;
  return { app, baseUrl, client: createRegistryClient(baseUrl) };
}

describe('the generated TypeScript client against the real server', () => {
  let app: FastifyInstance;
  let baseUrl: string;
  let client: RegistryClient;

  beforeAll(async () => {
    ({ app, baseUrl, client } = await startRegistryServer());
  });
  afterAll(async () => {
    await app?.close();
  });

  it('listPlatforms: pages with nextCursor and answers trainingByDefault per region', async () => {
    const first = await client.GET('/v1/platforms', { params: { query: { region: 'GB', limit: 5 } } });
    expect(first.response.status).toBe(200);
    expectTypeOf(first.data!.data[0]!.trainingByDefault).toEqualTypeOf<boolean | null>();
    expect(first.data?.data).toHaveLength(5);
    expect(first.data?.nextCursor).toEqual(expect.any(String));
    const second = await client.GET('/v1/platforms', { params: { query: { region: 'GB', limit: 5, cursor: first.data!.nextCursor! } } });
    const slugs = [...first.data!.data, ...second.data!.data].map((p) => p.slug);
    expect(new Set(slugs).size).toBe(10);
    expect(first.data).toEqual(JSON.parse(JSON.stringify(await app.services.platforms.list({ region: 'GB', limit: 5 }))));
  });

  it('getPlatform: the full record, at the current version and at version 1', async () => {
    const { data } = await client.GET('/v1/platforms/{slug}', { params: { path: { slug: 'linkedin' } } });
    expect(data).toEqual(await app.services.platforms.get('linkedin', {}));
    expect(data?.lastVerified).toBe('2026-01-15');
    expect(data?.revision.version).toBe(2);
    const old = await client.GET('/v1/platforms/{slug}', { params: { path: { slug: 'linkedin' }, query: { version: 1 } } });
    expect(old.data?.revision.version).toBe(1);
    expect(old.response.headers.get('cache-control')).toContain('immutable');
  });

  it('resolveOptOut: the answer for a UK Android user, and a typed problem for a day that does not exist', async () => {
    const { data } = await client.GET('/v1/platforms/{slug}/opt-out', {
      params: { path: { slug: 'linkedin' }, query: { region: 'GB', device: 'android' } },
    });
    expectTypeOf(data!).toEqualTypeOf<OptOutAnswer>();
    expect(data).toEqual(JSON.parse(JSON.stringify(await app.services.platforms.optOut('linkedin', { region: 'GB', device: 'android' }))));
    expect(data?.settings.flatMap((s) => s.paths.map((p) => p.device))).toEqual(expect.arrayContaining(['android']));

    const bad = await client.GET('/v1/platforms/{slug}/opt-out', {
      params: { path: { slug: 'linkedin' }, query: { region: 'GB', at: '2024-02-30' } },
    });
    expect(bad.data).toBeUndefined();
    expectTypeOf(bad.error!).toExtend<Problem>();
    expect(bad.response.status).toBe(400);
    expect(bad.error?.code).toBe('validation-failed');
    expect(bad.error?.errors?.[0]?.field).toBe('query.at');
  });

  it('getPlatformHistory and diffPlatform: the change to LinkedIn', async () => {
    const history = await client.GET('/v1/platforms/{slug}/history', { params: { path: { slug: 'linkedin' } } });
    expect(history.data?.data.map((h) => [h.version, h.op, h.author])).toEqual([
      [2, 'update', 'client-test'],
      [1, 'create', 'seed'],
    ]);
    const diff = await client.GET('/v1/platforms/{slug}/diff', { params: { path: { slug: 'linkedin' }, query: { from: 1, to: 2 } } });
    expect(diff.data?.patch).toEqual([{ op: 'replace', path: '/lastVerified', value: '2026-01-15' }]);
  });

  it('listEvents, listRegions', async () => {
    const events = await client.GET('/v1/events', { params: { query: { platform: 'linkedin', since: '2024-01-01' } } });
    expect(events.data?.data.length).toBeGreaterThan(0);
    expect(events.data?.data.every((e) => e.platform === 'linkedin' && (e.date ?? '') >= '2024-01-01')).toBe(true);
    const regions = await client.GET('/v1/regions');
    expect(regions.data?.groups.map((g) => g.code)).toEqual(['EU', 'EEA']);
    expect(regions.data?.countries).toContainEqual({ code: 'GB', name: 'United Kingdom' });
  });

  it('listChanges, getChange: the change feed', async () => {
    // The seed's change set may fill the first page on its own (pages close early past ~512 KB of patches).
    const changes = await client.GET('/v1/changes', { params: { query: { after: 0 } } });
    expect(changes.data?.data[0]?.version).toBe(1);
    const later = await client.GET('/v1/changes', { params: { query: { after: 1 } } });
    expect(later.data?.data.map((c) => c.version)).toEqual([2]);
    expect(later.data?.nextCursor).toBeNull();
    const change = await client.GET('/v1/changes/{version}', { params: { path: { version: 2 } } });
    expect(change.data).toMatchObject({ version: 2, author: 'client-test', message: 'Re-verified LinkedIn.', platforms: ['linkedin'] });
    const missing = await client.GET('/v1/changes/{version}', { params: { path: { version: 99 } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.code).toBe('version-not-found');
  });

  it('exportRegistry, getRegistry, getHealth', async () => {
    const exported = await client.GET('/v1/export', { params: { query: { version: 1 } } });
    expect(exported.data?.version).toBe(1);
    expect(Object.keys(exported.data?.platforms ?? {})).toContain('linkedin');
    expect(exported.data?.platforms.linkedin?.lastVerified).not.toBe('2026-01-15');
    const registry = await client.GET('/v1/registry');
    expectTypeOf(registry.data!.version).toEqualTypeOf<number>();
    expect(registry.data).toMatchObject({ version: 2, license: { spdx: 'CC-BY-4.0' } });
    const health = await client.GET('/healthz');
    expect(health.data).toEqual({ status: 'ok', version: 2 });
  });

  it('patchPlatform: an admin write through the client, with If-Match, then read back', async () => {
    const key = await createKey(app, 'client-editor', 'editor');
    const editor = createRegistryClient(baseUrl, { apiKey: key });
    const before = await editor.GET('/v1/platforms/{slug}', { params: { path: { slug: 'x' } } });
    const etag = before.response.headers.get('etag')!;
    const written = await editor.PATCH('/v1/admin/platforms/{slug}', {
      params: {
        path: { slug: 'x' },
        header: { 'if-match': etag, 'x-change-message': encodeURIComponent('Re-verified X through the client') },
      },
      body: { lastVerified: '2026-11-20' },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(written.response.status).toBe(201);
    expectTypeOf(written.data!.version).toEqualTypeOf<number>();
    expect(written.data?.change).toMatchObject({ author: 'client-editor', message: 'Re-verified X through the client', platforms: ['x'] });
    expect(written.data?.platform.lastVerified).toBe('2026-11-20');
    const stale = await editor.PATCH('/v1/admin/platforms/{slug}', {
      params: { path: { slug: 'x' }, header: { 'if-match': etag, 'x-change-message': 'again' } },
      body: { lastVerified: '2026-11-21' },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.code).toBe('precondition-failed');
    const after = await client.GET('/v1/platforms/{slug}', { params: { path: { slug: 'x' } } });
    expect(after.data?.lastVerified).toBe('2026-11-20');
  });

  it('sends the API key to admin operations only', async () => {
    const seen: Record<string, string | null> = {};
    const keyed = createRegistryClient(baseUrl, {
      apiKey: 'not-a-real-key',
      fetch: async (request) => {
        seen[new URL(request.url).pathname] = request.headers.get('authorization');
        return fetch(request);
      },
    });
    await keyed.GET('/v1/registry');
    const audit = await keyed.GET('/v1/admin/audit');
    expect(seen).toEqual({ '/v1/registry': null, '/v1/admin/audit': 'Bearer not-a-real-key' });
    expect(audit.response.status).toBe(401);
    expect(audit.error?.code).toBe('unauthorized');
  });
});

describe('clients/typescript/schema.d.ts', () => {
  it('is what openapi-typescript generates from openapi.yaml (run `npm run openapi` after changing schemas)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-client-'));
    try {
      const out = join(dir, 'schema.d.ts');
      await promisify(execFile)(join(ROOT, 'node_modules/.bin/openapi-typescript'), ['openapi.yaml', '-o', out], {
        cwd: ROOT,
        timeout: 60_000,
      });
      expect(readFileSync(join(ROOT, 'clients/typescript/schema.d.ts'), 'utf8')).toBe(readFileSync(out, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
