import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { type Client, createClient } from '../clients/hey-api/client/index.js';
import {
  getChange,
  getChangesAtom,
  getPlatform,
  getRegistry,
  listChanges,
  listPlatforms,
  patchPlatform,
  resolveOptOut,
} from '../clients/hey-api/sdk.gen.js';
import type { OptOutAnswer, PlatformRecord, Problem } from '../clients/hey-api/types.gen.js';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { createKey, record } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The second generated client (@hey-api/openapi-ts: types, SDK functions and its fetch client, checked
 * in under clients/hey-api and compiled by `tsc --noEmit` with the project's strict settings) against
 * the real server on a free port. No casts: what the generated types say is what the code uses.
 */
describe('the @hey-api/openapi-ts client against the real server', () => {
  let app: FastifyInstance;
  let client: Client;
  let editor: Client;

  beforeAll(async () => {
    app = await buildApp(testConfig({ DATABASE_PATH: ':memory:' }));
    await record(app, {
      author: 'client-test',
      message: 'Re-verified LinkedIn.',
      operations: [{ op: 'patch', slug: 'linkedin', patch: { lastVerified: '2026-01-15' } }],
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('the server has no TCP address');
    const baseUrl = `http://127.0.0.1:${address.port}`;
    client = createClient({ baseUrl });
    editor = createClient({ baseUrl, auth: await createKey(app, 'hey-api-editor', 'editor') });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('listPlatforms pages with nextCursor; getPlatform returns the typed record and its ETag', async () => {
    const first = await listPlatforms({ client, query: { region: 'GB', limit: 5 } });
    expect(first.response.status).toBe(200);
    const cursor = first.data?.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const second = await listPlatforms({ client, query: { region: 'GB', limit: 5, cursor: cursor ?? undefined } });
    const slugs = [...(first.data?.data ?? []), ...(second.data?.data ?? [])].map((p) => p.slug);
    expect(new Set(slugs).size).toBe(10);
    expectTypeOf(first.data?.data[0]?.trainingByDefault).toEqualTypeOf<boolean | null | undefined>();

    const linkedin = await getPlatform({ client, path: { slug: 'linkedin' } });
    expectTypeOf(linkedin.data).toEqualTypeOf<PlatformRecord | undefined>();
    expect(linkedin.data?.revision.version).toBe(2);
    expect(linkedin.response.headers.get('etag')).toMatch(/^"linkedin\.2\./);
    expect(linkedin.response.headers.get('vary')).toMatch(/Accept-Encoding/);
  });

  it('resolveOptOut answers typed, and an invalid parameter comes back as a typed Problem', async () => {
    const answer = await resolveOptOut({ client, path: { slug: 'linkedin' }, query: { region: 'DE', device: 'ios' } });
    expectTypeOf(answer.data).toEqualTypeOf<OptOutAnswer | undefined>();
    expect(answer.data?.platform.slug).toBe('linkedin');
    const bad = await resolveOptOut({ client, path: { slug: 'linkedin' }, query: { at: '2024-02-30' } });
    expect(bad.response.status).toBe(400);
    expectTypeOf(bad.error).toEqualTypeOf<Problem | undefined>();
    expect(bad.error?.code).toBe('validation-failed');
    expect(bad.error?.errors?.[0]?.field).toBe('query.at');
  });

  it('listChanges pages with cursor; getChange and getRegistry', async () => {
    const versions: number[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 5; pages++) {
      const page = await listChanges({ client, query: { limit: 1, cursor } });
      versions.push(...(page.data?.data ?? []).map((c) => c.version));
      if (!page.data?.nextCursor) break;
      cursor = page.data.nextCursor;
    }
    expect(versions).toEqual([1, 2]);
    const change = await getChange({ client, path: { version: 2 } });
    expect(change.data).toMatchObject({ version: 2, author: 'client-test', platforms: ['linkedin'] });
    const registry = await getRegistry({ client });
    expectTypeOf(registry.data?.version).toEqualTypeOf<number | undefined>();
    expect(registry.data?.version).toBe(2);
  });

  it('getChangesAtom: the feed as text (parseAs: text, as the operation says)', async () => {
    const feed = await getChangesAtom({ client, parseAs: 'text' });
    expect(feed.response.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    expectTypeOf(feed.data).toEqualTypeOf<string | undefined>();
    expect(feed.data).toMatch(/^<\?xml/);
    expect(feed.data).toContain('Re-verified LinkedIn.');
  });

  it('patchPlatform: an admin write with If-Match and X-Change-Message, then a stale one is a typed 412', async () => {
    const before = await getPlatform({ client, path: { slug: 'x' } });
    const etag = before.response.headers.get('etag') ?? '';
    const written = await patchPlatform({
      client: editor,
      path: { slug: 'x' },
      headers: { 'if-match': etag, 'x-change-message': encodeURIComponent('Re-verified X through hey-api') },
      body: { lastVerified: '2026-11-20' },
    });
    expect(written.response.status, JSON.stringify(written.error)).toBe(201);
    expect(written.response.headers.get('location')).toBe(`/v1/changes/${written.data?.version}`);
    expect(written.data?.change?.message).toBe('Re-verified X through hey-api');
    expect(written.data?.platform.lastVerified).toBe('2026-11-20');
    const stale = await patchPlatform({
      client: editor,
      path: { slug: 'x' },
      headers: { 'if-match': etag, 'x-change-message': 'again' },
      body: { lastVerified: '2026-11-21' },
    });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.code).toBe('precondition-failed');
  });
});

describe('clients/hey-api', () => {
  it('is what @hey-api/openapi-ts generates from openapi.yaml (run `npm run openapi` after changing schemas)', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-hey-api-'));
    const files = (root: string): string[] =>
      readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(root, join(e.parentPath, e.name)))
        .sort();
    try {
      const args = [
        '-i',
        'openapi.yaml',
        '-o',
        dir,
        '-c',
        '@hey-api/client-fetch',
        '-p',
        '@hey-api/typescript',
        '@hey-api/sdk',
        '--no-log-file',
        '-s',
      ];
      await promisify(execFile)(join(ROOT, 'node_modules/.bin/openapi-ts'), args, { cwd: ROOT, timeout: 60_000 });
      const checkedIn = join(ROOT, 'clients/hey-api');
      expect(files(checkedIn)).toEqual(files(dir));
      for (const file of files(dir)) expect(readFileSync(join(checkedIn, file), 'utf8'), file).toBe(readFileSync(join(dir, file), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
