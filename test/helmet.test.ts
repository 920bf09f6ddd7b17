import { createServer } from 'node:http';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { HELMET, securityHeaders } from '../src/plugins/security.js';
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
    // Only what helmet added or removed, not what node sends anyway (date, connection, …).
    const sent = Object.fromEntries(res.headers);
    return Object.fromEntries(Object.entries(sent).filter(([name, value]) => plain[name] !== value));
  } finally {
    server.close();
  }
}

describe('security headers', () => {
  it('precomputed from helmet equal what helmet itself sends, and every response carries them', async () => {
    const expected = await helmetSends();
    expect(Object.keys(expected).length).toBeGreaterThan(8);
    expect(expected['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    expect(securityHeaders()).toEqual(expected);

    const app = await makeApp();
    for (const url of ['/v1/registry', '/healthz', '/no/such/path', '/']) {
      const res = await app.inject(url);
      const sent = Object.fromEntries(Object.keys(expected).map((name) => [name, res.headers[name]]));
      // The page for people at / sets a stricter policy of its own.
      if (url === '/') {
        expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'/);
        sent['content-security-policy'] = expected['content-security-policy'];
      }
      expect(sent, url).toEqual(expected);
      // Helmet removes X-Powered-By; nothing may put it back.
      expect(res.headers['x-powered-by'], url).toBeUndefined();
    }
  });
});
