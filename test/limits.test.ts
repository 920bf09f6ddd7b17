import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Health } from '../src/schemas/responses.js';
import { createKey, expectProblem, makeApp, parse } from './helpers.js';

describe('rate limits', () => {
  it('limits public reads per client per minute with a 429 problem and Retry-After', async () => {
    const app = await makeApp({ RATE_LIMIT_MAX: 3 });
    for (let i = 0; i < 3; i++) expect((await app.inject('/v1/platforms/linkedin')).statusCode).toBe(200);
    const limited = await app.inject('/v1/regions');
    const problem = expectProblem(limited, 429);
    expect(problem.code).toBe('rate-limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another client is not affected.
    expect((await app.inject({ url: '/v1/regions', remoteAddress: '10.9.9.9' })).statusCode).toBe(200);
  });

  it('counts 404s and OPTIONS under any path against the public budget', async () => {
    const app = await makeApp({ RATE_LIMIT_MAX: 4 });
    const requests = [
      { method: 'GET' as const, url: '/no/such/path' },
      { method: 'OPTIONS' as const, url: '/v1/platforms' },
      { method: 'OPTIONS' as const, url: '/anything', headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } },
      { method: 'DELETE' as const, url: '/v1/platforms/linkedin' },
    ];
    const statuses = [];
    for (const request of requests) statuses.push((await app.inject(request)).statusCode);
    expect(statuses).toHaveLength(4);
    expect(statuses.filter((status) => status === 429)).toEqual([]);
    const limited = await app.inject({ url: '/no/such/path', headers: { origin: 'https://a.example' } });
    expectProblem(limited, 429);
    expect(limited.headers['access-control-allow-origin']).toBe('*');
    expectProblem(await app.inject({ method: 'OPTIONS', url: '/v1/regions' }), 429);
  });

  it('gives /healthz and /readyz a budget of their own', async () => {
    const app = await makeApp({ RATE_LIMIT_MAX: 2, HEALTH_RATE_LIMIT_MAX: 3 });
    for (let i = 0; i < 2; i++) expect((await app.inject('/v1/registry')).statusCode).toBe(200);
    expectProblem(await app.inject('/v1/registry'), 429);
    // A client that spent its public budget can still be probed…
    for (const url of ['/healthz', '/readyz', '/healthz?x=1']) expect((await app.inject(url)).statusCode).toBe(200);
    // …up to the health budget, which probing does not take from the public one either.
    expectProblem(await app.inject('/readyz'), 429);
    expect((await app.inject({ url: '/v1/registry', remoteAddress: '10.1.1.1' })).statusCode).toBe(200);
  });

  it('counts requests refused with 503 while shedding load, so a flood turns into cheap 429s', async () => {
    const app = await makeApp({ RATE_LIMIT_MAX: 2, MAX_EVENT_LOOP_DELAY_MS: 20 });
    // Block the event loop well past the threshold; the sampler (every second) then reports the delay.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      // busy: this is the overload
    }
    await new Promise((done) => setTimeout(done, 20));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.inject('/v1/registry')).statusCode);
    expect(statuses).toEqual([503, 503, 429, 429]);
  });

  it('turns the read limit off with RATE_LIMIT_MAX=0 but keeps the stricter admin limit', async () => {
    const app = await makeApp({ RATE_LIMIT_MAX: 0, ADMIN_RATE_LIMIT_MAX: 2 });
    for (let i = 0; i < 20; i++) expect((await app.inject('/v1/registry')).statusCode).toBe(200);
    const key = await createKey(app, 'ed', 'editor');
    const write = () =>
      app.inject({
        method: 'POST',
        url: '/v1/admin/changes',
        headers: { authorization: `Bearer ${key}` },
        payload: { message: '', operations: [] },
      });
    expect((await write()).statusCode).toBe(400);
    expect((await write()).statusCode).toBe(400);
    const limited = await write();
    expectProblem(limited, 429);
    expect(limited.headers['retry-after']).toBeTruthy();
  });

  it('slows down key guessing (429 after AUTH_FAILURE_LIMIT failures) without ever refusing a valid key', async () => {
    const app = await makeApp({ AUTH_FAILURE_LIMIT: 3 });
    const key = await createKey(app, 'ed', 'editor');
    const guess = (token: string) =>
      app.inject({ method: 'POST', url: '/v1/admin/changes', headers: { authorization: `Bearer ${token}` }, payload: {} });
    const wrong = `oor_000000000000_${'a'.repeat(43)}`;
    for (let i = 0; i < 3; i++) expectProblem(await guess(wrong), 401);
    const limited = await guess(`oor_111111111111_${'b'.repeat(43)}`);
    expect(expectProblem(limited, 429).detail).toMatch(/failed authentications/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // The same address with a valid key is not refused: an attacker sharing a proxy with editors cannot lock them out.
    expect((await guess(key)).statusCode).toBe(400);
    // Other clients keep working.
    const other = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      remoteAddress: '10.1.1.1',
      headers: { authorization: `Bearer ${key}` },
      payload: {},
    });
    expect(other.statusCode).toBe(400);
  });
});

describe('body size, headers, CORS', () => {
  it('refuses a body over BODY_LIMIT with a 413 problem and writes nothing', async () => {
    const app = await makeApp({ BODY_LIMIT: 2048 });
    const key = await createKey(app, 'ed', 'editor');
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ message: 'x'.repeat(5000), operations: [] }),
    });
    expectProblem(res, 413);
    expect(parse(Health, await app.inject('/healthz')).version).toBe(1);
  });

  it('sends security headers on every response', async () => {
    const app = await makeApp();
    for (const url of ['/v1/platforms/linkedin', '/v1/platforms/nope']) {
      const res = await app.inject(url);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('opens CORS for public reads and closes it for admin routes', async () => {
    const app = await makeApp();
    const read = await app.inject({ url: '/v1/platforms/linkedin', headers: { origin: 'chrome-extension://abc' } });
    expect(read.headers['access-control-allow-origin']).toBe('*');
    expect(String(read.headers['access-control-expose-headers'])).toMatch(/ETag/);
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/platforms',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD');
    expect(preflight.headers['access-control-max-age']).toBe('86400');
    expect(preflight.headers['content-length']).toBe('0');
    // The request headers a browser asks for are allowed, so the answer varies with them.
    const withHeaders = await app.inject({
      method: 'OPTIONS',
      url: '/v1/platforms/linkedin',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' },
    });
    expect(withHeaders.statusCode).toBe(204);
    expect(withHeaders.headers['access-control-allow-headers']).toBe('if-none-match');
    expect(withHeaders.headers.vary).toBe('Access-Control-Request-Headers');
    // Problems and pages are readable from other origins too.
    for (const url of ['/v1/platforms/nope', '/no/such/path', '/'])
      expect((await app.inject(url)).headers['access-control-allow-origin'], url).toBe('*');
    const admin = await app.inject({
      method: 'OPTIONS',
      url: '/v1/admin/changes',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' },
    });
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
    const adminPost = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: { origin: 'https://example.org' },
      payload: {},
    });
    expect(adminPost.headers['access-control-allow-origin']).toBeUndefined();
    expect((await app.inject('/v1/admin/audit')).headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('health and readiness', () => {
  it('reports ready while the database answers, and 503 problem when it cannot be read', async () => {
    const app = await makeApp();
    expect(parse(Health, await app.inject('/readyz'))).toEqual({ status: 'ok', version: 1 });
    await app.store.close();
    const res = await app.inject('/readyz');
    expect(expectProblem(res, 503).detail).not.toMatch(/sqlite|SQL|Error:/i);
    expect(res.headers['retry-after']).toBe('5');
    // A read that needs the database fails without leaking internals either.
    const read = await app.inject('/v1/platforms/linkedin');
    const problem = expectProblem(read, 500);
    expect(problem.detail).not.toMatch(/database|sqlite|at .*\.ts/i);
  });
});

describe('secrets', () => {
  it('never writes an API key to the log, accepted or refused', async () => {
    let logged = '';
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    const app = await makeApp({ LOG_LEVEL: 'trace' }, { logStream });
    const key = await createKey(app, 'ed', 'editor');
    // `oor_<12 hex>_<43 base64url>`: the secret may itself contain `_`, so it is cut by position.
    const secret = key.slice('oor_'.length + 12 + 1);
    expect(secret).toHaveLength(43);
    await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: { authorization: `Bearer ${key}` },
      payload: { message: 'm', operations: [{ op: 'patch', slug: 'x', patch: { name: 'Y' } }] },
    });
    await app.inject({ method: 'POST', url: '/v1/admin/changes', headers: { authorization: `Bearer ${key}x` }, payload: {} });
    await app.inject({ url: `/v1/platforms/x?cursor=${key}` });
    expect(logged).toContain('incoming request');
    expect(logged).not.toContain(secret);
  });
});
