import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { negotiateEncoding } from '../src/domain/etags.js';
import { PlatformWriteResult } from '../src/schemas/admin.js';
import { createKey, makeApp, parse } from './helpers.js';

// Counts real compressions, to show a cached response is compressed once and not per request.
const calls = vi.hoisted(() => ({ br: 0, gzip: 0 }));
vi.mock('node:zlib', async (importOriginal) => {
  const zlib = await importOriginal<typeof import('node:zlib')>();
  const brotliCompress = ((...args: Parameters<typeof zlib.brotliCompress>) => {
    calls.br++;
    return (zlib.brotliCompress as (...a: unknown[]) => void)(...args);
  }) as typeof zlib.brotliCompress;
  const gzip = ((...args: Parameters<typeof zlib.gzip>) => {
    calls.gzip++;
    return (zlib.gzip as (...a: unknown[]) => void)(...args);
  }) as typeof zlib.gzip;
  return { ...zlib, default: { ...zlib, brotliCompress, gzip }, brotliCompress, gzip };
});

const decode = { br: brotliDecompressSync, gzip: gunzipSync } as const;

describe('compression', () => {
  it('negotiates Accept-Encoding: br before gzip, honouring q=0 and *', () => {
    expect(negotiateEncoding('gzip, deflate, br')).toBe('br');
    expect(negotiateEncoding('br;q=0, gzip')).toBe('gzip');
    expect(negotiateEncoding('gzip;q=0.5, br;q=0.4')).toBe('gzip');
    expect(negotiateEncoding('*')).toBe('br');
    expect(negotiateEncoding('*;q=0, gzip')).toBe('gzip');
    expect(negotiateEncoding('identity')).toBeUndefined();
    expect(negotiateEncoding(undefined)).toBeUndefined();
  });

  it('/v1/export, /v1/changes and /v1/changes/1 go out as br or gzip, with Vary and an ETag per encoding', async () => {
    const app = await makeApp({ MAX_EVENT_LOOP_DELAY_MS: 0 });
    for (const url of ['/v1/export', '/v1/changes', '/v1/changes/1', '/v1/export?version=1']) {
      const plain = await app.inject(url);
      expect(plain.statusCode).toBe(200);
      expect(plain.headers['content-encoding'], url).toBeUndefined();
      expect(plain.headers.vary, url).toMatch(/Accept-Encoding/);
      for (const encoding of ['br', 'gzip'] as const) {
        const res = await app.inject({ url, headers: { 'accept-encoding': encoding } });
        expect(res.headers['content-encoding'], `${url} ${encoding}`).toBe(encoding);
        expect(res.headers.vary).toMatch(/Accept-Encoding/);
        expect(res.headers.etag).toBe(`${plain.headers.etag!.slice(0, -1)}-${encoding}"`);
        expect(res.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
        expect(decode[encoding](res.rawPayload).toString('utf8')).toBe(plain.body);
        // Any encoding's tag revalidates the same content.
        const again = await app.inject({ url, headers: { 'accept-encoding': encoding, 'if-none-match': plain.headers.etag! } });
        expect(again.statusCode, `${url} ${encoding} ${again.body}`).toBe(304);
        expect(again.headers['content-encoding']).toBeUndefined();
        const identity = await app.inject({ url, headers: { 'if-none-match': res.headers.etag! } });
        expect(identity.statusCode).toBe(304);
      }
    }
  });

  it('compresses a cached response once, not per request', async () => {
    const app = await makeApp({ MAX_EVENT_LOOP_DELAY_MS: 0 });
    // (The export is built once per version into compressed files instead: see test/derived.test.ts.)
    await app.inject('/v1/changes/1');
    const before = { ...calls };
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({ url: '/v1/changes/1', headers: { 'accept-encoding': 'br, gzip' } });
      expect(res.headers['content-encoding']).toBe('br');
    }
    expect(calls.br - before.br).toBe(1);
    for (let i = 0; i < 3; i++) await app.inject({ url: '/v1/changes/1', headers: { 'accept-encoding': 'gzip' } });
    expect(calls.gzip - before.gzip).toBe(1);
  });

  it('small bodies go out as they are', async () => {
    const app = await makeApp({ MAX_EVENT_LOOP_DELAY_MS: 0 });
    const res = await app.inject({ url: '/healthz', headers: { 'accept-encoding': 'br' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBeUndefined();
  });

  it('If-Match accepts the ETag of a compressed read', async () => {
    const app = await makeApp({ MAX_EVENT_LOOP_DELAY_MS: 0 });
    const key = await createKey(app, 'ed', 'editor');
    const read = await app.inject({ url: '/v1/platforms/x', headers: { 'accept-encoding': 'gzip' } });
    expect(read.headers['content-encoding']).toBe('gzip');
    expect(read.headers.etag).toMatch(/-gzip"$/);
    const write = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/platforms/x',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/merge-patch+json',
        'if-match': read.headers.etag!,
        'x-change-message': 'verify',
      },
      payload: { lastVerified: '2026-04-01' },
    });
    expect(write.statusCode, write.body).toBe(201);
    expect(parse(PlatformWriteResult, write).platform.lastVerified).toBe('2026-04-01');
  });
});
