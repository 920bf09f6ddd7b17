import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { PlatformRecord } from '../src/schemas/platform.js';
import { PlatformQuery } from '../src/schemas/queries.js';
import { documentOf, expectProblem, makeApp, parse, record } from './helpers.js';

// A GET whose body the URL alone determines is answered from the response cache before validation
// and the handler (plugins/caching.ts, `byUrl`). These tests hold that shortcut to giving exactly
// what the route would give, and to never skipping what must run.

/** Headers that differ between two responses by nature. */
const withoutDate = (headers: Record<string, unknown>) => {
  const { date, ...rest } = headers;
  return rest;
};

describe('the response cache answering a URL it holds', () => {
  it('answers a repeated platform GET without the handler, with the same bytes and headers', async () => {
    const app = await makeApp();
    const get = vi.spyOn(app.services.platforms, 'get');
    const first = await app.inject('/v1/platforms/linkedin?at=2024-10-01');
    expect(first.statusCode).toBe(200);
    expect(get).toHaveBeenCalledTimes(1);
    // A hit is answered before validation: the route's query schema no longer runs.
    const validations = vi.spyOn(PlatformQuery._zod, 'run');
    for (const encoding of [undefined, 'br', 'gzip']) {
      const again = await app.inject({
        url: '/v1/platforms/linkedin?at=2024-10-01',
        headers: encoding ? { 'accept-encoding': encoding } : {},
      });
      expect(again.statusCode).toBe(200);
      if (!encoding) {
        expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
        expect(withoutDate(again.headers)).toEqual(withoutDate(first.headers));
      } else {
        expect(again.headers['content-encoding']).toBe(encoding);
        const decoded = encoding === 'br' ? brotliDecompressSync(again.rawPayload) : gunzipSync(again.rawPayload);
        expect(decoded.equals(first.rawPayload)).toBe(true);
      }
    }
    // A revalidation is still a 304.
    const revalidated = await app.inject({
      url: '/v1/platforms/linkedin?at=2024-10-01',
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    expect(revalidated.statusCode).toBe(304);
    expect(revalidated.body).toBe('');
    expect(get).toHaveBeenCalledTimes(1);
    expect(validations).not.toHaveBeenCalled();
    // Another URL (here the same record asked differently) goes through the route.
    expect((await app.inject('/v1/platforms/linkedin')).statusCode).toBe(200);
    expect(get).toHaveBeenCalledTimes(2);
    expect(validations).toHaveBeenCalledTimes(1);
  });

  it('never serves a body from before a write', async () => {
    const app = await makeApp();
    const before = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
    const doc = documentOf(before);
    await record(app, {
      message: 'A new summary',
      operations: [{ op: 'put', slug: 'linkedin', platform: { ...doc, summary: `${doc.summary} Edited.` } }],
    });
    const after = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
    expect(after.summary.endsWith('Edited.')).toBe(true);
    expect(after.revision.version).toBeGreaterThan(before.revision.version);
    const list = await app.inject('/v1/events?limit=3');
    expect(list.statusCode).toBe(200);
  });

  it('never caches a refused request, and keeps refusing it', async () => {
    const app = await makeApp();
    for (let i = 0; i < 2; i++) expectProblem(await app.inject('/v1/platforms/linkedin?region=XX'), 400);
    for (let i = 0; i < 2; i++) expectProblem(await app.inject('/v1/platforms/no-such-platform'), 404);
  });

  it('leaves answers that depend on request headers to their route', async () => {
    const app = await makeApp();
    const optOut = vi.spyOn(app.services.platforms, 'optOut');
    await app.inject('/v1/platforms/youtube/opt-out');
    await app.inject('/v1/platforms/youtube/opt-out');
    const german = await app.inject({ url: '/v1/platforms/youtube/opt-out', headers: { 'accept-language': 'de' } });
    expect(german.headers['content-language']).toMatch(/^de/);
    // The first request computed it; the repeat was a cache hit inside the route; German is its own answer.
    expect(optOut).toHaveBeenCalledTimes(2);
    const head = await app.inject({ method: 'HEAD', url: '/v1/platforms/linkedin' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('still counts a cached answer against the rate limit', async () => {
    const app = await makeApp({ RATE_LIMIT_MAX: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.inject('/v1/platforms/linkedin')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
