import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createKey, expectProblem, makeApp, record } from './helpers.js';

const CONTROL = '%01%1B%0B%00';

async function setup() {
  const app = await makeApp({ PUBLIC_URL: 'https://registry.example.org/api' });
  const editor = await createKey(app, 'ed', 'editor');
  return { app, headers: { authorization: `Bearer ${editor}` } };
}

/** Every Atom feed the API serves for the platforms in `slugs`: the overall one and one per platform. */
async function feeds(app: FastifyInstance, slugs: string[]) {
  const urls = ['/v1/changes.atom', ...slugs.map((s) => `/v1/platforms/${s}/changes.atom`)];
  return Promise.all(urls.map(async (url) => ({ url, res: await app.inject(url) })));
}

function expectValidAtom(url: string, body: string) {
  expect(XMLValidator.validate(body), `${url}:\n${body.slice(0, 2000)}`).toBe(true);
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' }).parse(body).feed;
}

describe('Atom feeds', () => {
  it('emit change messages as text, so markup in a message is shown, not interpreted', async () => {
    const { app, headers } = await setup();
    const message = '<b>bold</b> & <script>alert(1)</script> ]]> done';
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers,
      payload: { message, operations: [{ op: 'patch', slug: 'x', patch: { name: 'Y' } }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = (await app.inject('/v1/changes.atom')).body;
    expect(body).not.toContain('type="html"');
    expect(body).not.toContain('<script>');
    const feed = expectValidAtom('/v1/changes.atom', body);
    const entries = [feed.entry].flat();
    expect(entries.length).toBeGreaterThan(0);
    expect(entries[0].title['@_type']).toBe('text');
    expect(entries[0].title['#text']).toBe(`v2: ${message}`);
    expect(entries[0].summary['@_type']).toBe('text');
  });

  it('refuse control characters XML cannot carry at write time, naming the field, and stay parseable after hostile messages', async () => {
    const { app, headers } = await setup();
    const before = await app.store.rowCounts();
    // In the header (percent-encoded, as the API asks).
    const viaHeader = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/platforms/x',
      headers: { ...headers, 'content-type': 'application/merge-patch+json', 'x-change-message': `bad${CONTROL}` },
      payload: { name: 'Y' },
    });
    expect(expectProblem(viaHeader, 400).errors?.map((e) => e.field)).toEqual(['header.x-change-message']);
    // In the body, for every route that takes a message there.
    const bodies = [
      { url: '/v1/admin/changes', payload: { message: 'bad\u0001\u001b\u000b\u0000', operations: [{ op: 'retire', slug: 'x' }] } },
      { url: '/v1/admin/changes/1/revert', payload: { message: 'bad\u001b' } },
      { url: '/v1/admin/changes', payload: { message: 'lone \ud800 surrogate', operations: [{ op: 'retire', slug: 'x' }] } },
    ];
    for (const { url, payload } of bodies) {
      const problem = expectProblem(await app.inject({ method: 'POST', url, headers, payload }), 400);
      expect(problem.errors?.map((e) => e.field)).toEqual(['body.message']);
    }
    // In a platform's text fields.
    const field = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/platforms/x',
      headers: { ...headers, 'content-type': 'application/merge-patch+json', 'x-change-message': 'ok' },
      payload: { owner: 'X\u0007Corp' },
    });
    expect(expectProblem(field, 422).errors?.map((e) => e.field)).toEqual(['body.owner']);
    // Nothing stored but audit entries (read once: the audit log is flushed on its own schedule, so
    // two reads of it may differ).
    expect({ ...(await app.store.rowCounts()), auditLog: 0 }).toEqual({ ...before, auditLog: 0 });

    // Hostile but legal messages are stored and come back intact.
    const hostile = ['a & b < c > d " \' ]]> <![CDATA[ x ]]>', '&amp; &#0; &#x1B; &lt;', 'tab\tnew\nline\r', '💥 עברית \u202e \ufffd'];
    for (const [i, message] of hostile.entries()) {
      const res = await app.inject({
        method: 'PATCH',
        url: '/v1/admin/platforms/x',
        headers: { ...headers, 'content-type': 'application/merge-patch+json', 'x-change-message': encodeURIComponent(message) },
        payload: { name: `X ${i}` },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    // A message stored before such characters were refused (written below the HTTP layer).
    await record(app, {
      // No NUL: PostgreSQL text cannot hold one at all.
      message: 'legacy\u0001\u001b\u000b\ufffe',
      operations: [{ op: 'patch', slug: 'linkedin', patch: { name: 'L' } }],
    });

    const all = await feeds(app, ['x', 'linkedin']);
    for (const { url, res } of all) {
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/atom\+xml/);
      expectValidAtom(url, res.body);
    }
    const titles = [expectValidAtom('', all[0]!.res.body).entry]
      .flat()
      .map((e: { title: { '#text': string } }) => String(e.title['#text']));
    expect(titles.length).toBe(6);
    expect(titles[0]).toBe('v6: legacy\ufffd\ufffd\ufffd\ufffd');
  });

  it('build links from PUBLIC_URL, never from the Host header', async () => {
    const { app } = await setup();
    for (const host of ['a&b<c', 'evil.example', '[::1]:1']) {
      for (const url of ['/v1/changes.atom', '/v1/platforms/linkedin/changes.atom']) {
        const res = await app.inject({ url, headers: { host, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'gopher' } });
        expect(res.statusCode, `${host} ${url}: ${res.body}`).toBe(200);
        const feed = expectValidAtom(url, res.body);
        expect(res.body).not.toContain('evil');
        expect(feed.id).toBe(`https://registry.example.org/api${url}`);
        const entries = [feed.entry].flat();
        expect(entries.length).toBeGreaterThan(0);
        for (const entry of entries) expect(entry.id).toMatch(/^https:\/\/registry\.example\.org\/api\/v1\/changes\/\d+$/);
      }
    }
  });
});
