import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { PlatformRecord } from '../src/schemas/platform.js';
import { PlatformQuery } from '../src/schemas/queries.js';
import { PlatformList } from '../src/schemas/responses.js';
import { documentOf, makeApp, parse, record } from './helpers.js';

// A GET of a route whose body the URL determines (`config.byUrl`) is answered from the response
// cache before validation and the handler (plugins/caching.ts). These tests hold that shortcut to
// giving exactly what the route gives, and to never skipping what must run.

/** Headers that differ between two responses by nature. */
const withoutDate = (headers: Record<string, unknown>) => {
  const { date, ...rest } = headers;
  return rest;
};

const decode = (encoding: string | undefined, body: Buffer) =>
  encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body;

describe('the response cache answering a URL it holds', () => {
  it('answers a repeated GET before validation, with the bytes and headers the route gave, in every encoding', async () => {
    const app = await makeApp();
    const validations = vi.spyOn(PlatformQuery._zod, 'run');
    const days = ['2024-10-01', '2024-10-02', '2024-10-03'];
    for (const [i, encoding] of [undefined, 'br', 'gzip'].entries()) {
      const url = `/v1/platforms/linkedin?at=${days[i]}`;
      const headers = encoding ? { 'accept-encoding': encoding } : {};
      // The first request goes through the route (validated once), the second is answered early.
      const first = await app.inject({ url, headers });
      expect(first.statusCode).toBe(200);
      const runs = validations.mock.calls.length;
      expect(runs).toBeGreaterThan(0);
      const again = await app.inject({ url, headers });
      expect(validations.mock.calls.length).toBe(runs);
      expect(again.statusCode).toBe(200);
      expect(again.rawPayload.equals(first.rawPayload)).toBe(true);
      expect(withoutDate(again.headers)).toEqual(withoutDate(first.headers));
      expect(again.headers['content-encoding']).toBe(encoding);
      expect(PlatformRecord.parse(JSON.parse(decode(encoding, again.rawPayload).toString())).slug).toBe('linkedin');
      // A revalidation of the hit is still a 304, with no body.
      const revalidated = await app.inject({ url, headers: { ...headers, 'if-none-match': String(first.headers.etag) } });
      expect(revalidated.statusCode).toBe(304);
      expect(revalidated.body).toBe('');
    }
    // A HEAD goes through the route, with the GET's headers and no body.
    const get = await app.inject('/v1/platforms/linkedin?at=2024-10-01');
    const head = await app.inject({ method: 'HEAD', url: '/v1/platforms/linkedin?at=2024-10-01' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(withoutDate(head.headers)).toEqual(withoutDate(get.headers));
  });

  it('never serves a body from before a write', async () => {
    const app = await makeApp();
    // Both URLs are cached before the write.
    const before = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
    const listBefore = parse(PlatformList, await app.inject('/v1/platforms?limit=5'));
    parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
    const doc = documentOf(before);
    await record(app, {
      message: 'A new summary',
      operations: [{ op: 'put', slug: 'linkedin', platform: { ...doc, summary: `${doc.summary} Edited.` } }],
    });
    const after = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
    expect(after.summary.endsWith('Edited.')).toBe(true);
    expect(after.revision.version).toBeGreaterThan(before.revision.version);
    const listAfter = parse(PlatformList, await app.inject('/v1/platforms?limit=5'));
    expect(listAfter.asOf.version).toBe(after.revision.version);
    expect(listAfter.asOf.version).toBeGreaterThan(listBefore.asOf.version);
  });

  it('reads no head early for routes that do not need it, unknown paths or refused requests', async () => {
    const app = await makeApp();
    const heads = vi.spyOn(app.services.reader, 'currentVersion');
    for (const url of ['/v1/regions', '/v1/account-types', '/v1/no-such-resource']) await app.inject(url);
    expect(heads).not.toHaveBeenCalled();
    // A byUrl route reads it once, early, and its handler uses that read.
    await app.inject('/v1/events?limit=2');
    expect(heads).toHaveBeenCalledTimes(1);
  });

  it('leaves answers that depend on request headers to their route', async () => {
    const app = await makeApp();
    const optOut = vi.spyOn(app.services.platforms, 'optOut');
    const english = await app.inject('/v1/platforms/youtube/opt-out');
    await app.inject('/v1/platforms/youtube/opt-out');
    const german = await app.inject({ url: '/v1/platforms/youtube/opt-out', headers: { 'accept-language': 'de' } });
    expect(english.headers['content-language']).toBe('en');
    expect(german.headers['content-language']).toMatch(/^de/);
    // The first request computed it, the repeat was the route's own cache hit, German is its own answer.
    expect(optOut).toHaveBeenCalledTimes(2);
  });

  it('still counts a cached answer against the rate limit', async () => {
    const app = await makeApp({ RATE_LIMIT_MAX: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.inject('/v1/platforms/linkedin')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
