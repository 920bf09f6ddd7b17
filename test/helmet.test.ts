import { createServer } from 'node:http';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { apiSecurityHeaders, HELMET, securityHeaders } from '../src/plugins/security.js';
import { makeApp } from './helpers.js';

/** The headers helmet's own middleware sends on a real node response, with the registry's options. */
async function helmetSends(): Promise<Record<string, string>> {
  const middleware = helmet(HELMET);
  const server = createServer((req, res) => middleware(req, res, () => res.end('ok')));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/`);
    await res.text();
    const plain = await new Promise<Record<string, string>>((done) => {
      const bare = createServer((_req, r) => r.end('ok'));
      bare.listen(0, '127.0.0.1', async () => {
        const r = await fetch(`http://127.0.0.1:${(bare.address() as { port: number }).port}/`);
        await r.text();
        bare.close();
        done(Object.fromEntries(r.headers));
      });
    });
    // Only what helmet added or changed, not what node sends anyway (connection, …; the date may
    // differ by a second between the two responses, so it is never helmet's).
    const sent = Object.fromEntries(res.headers);
    return Object.fromEntries(
      Object.entries(sent).filter(([name, value]) => !(name in plain) || (name !== 'date' && plain[name] !== value)),
    );
  } finally {
    server.close();
  }
}

describe('security headers', () => {
  it('pages carry helmet’s set (precomputed, equal to what helmet sends), every other response the API set', async () => {
    const expected = await helmetSends();
    expect(Object.keys(expected).length).toBeGreaterThan(8);
    expect(expected['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    expect(securityHeaders()).toEqual(expected);

    const app = await makeApp();
    // The pages get helmet's whole set; the page for people at / sets a stricter policy of its own.
    for (const url of ['/', '/?q=linkedin', '/docs']) {
      const res = await app.inject(url);
      const sent = Object.fromEntries(Object.keys(expected).map((name) => [name, res.headers[name]]));
      expect(res.headers['content-security-policy'], url).not.toBe(expected['content-security-policy']);
      sent['content-security-policy'] = expected['content-security-policy'];
      expect(sent, url).toEqual(expected);
    }
    // Everything else gets the API set, and none of helmet's document-only headers.
    const api = apiSecurityHeaders();
    expect(api['strict-transport-security']).toBe(expected['strict-transport-security']);
    const documentOnly = Object.keys(expected).filter((name) => !(name in api));
    expect(documentOnly).toEqual(
      expect.arrayContaining(['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-xss-protection']),
    );
    for (const url of [
      '/v1/registry',
      '/v1/platforms/linkedin',
      '/v1/changes.atom',
      '/openapi.json',
      '/healthz',
      '/no/such/path',
      '/docsx',
    ]) {
      const res = await app.inject(url);
      expect(Object.fromEntries(Object.keys(api).map((name) => [name, res.headers[name]])), url).toEqual(api);
      for (const name of documentOnly) expect(res.headers[name], `${url} ${name}`).toBeUndefined();
    }
    for (const url of ['/v1/registry', '/healthz', '/no/such/path', '/']) {
      // Helmet removes X-Powered-By; nothing may put it back.
      expect((await app.inject(url)).headers['x-powered-by'], url).toBeUndefined();
    }
  });
});
