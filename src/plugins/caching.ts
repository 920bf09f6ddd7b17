import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'public, no-cache';

interface CachedBody {
  /** UTF-8 bytes: compact in memory, counted exactly, and written to the socket without re-encoding. */
  body: Buffer;
  etag: string;
}

/** A bounded LRU of serialised responses. Keys include the registry version, so entries never go stale. */
class ResponseCache {
  private readonly entries = new Map<string, CachedBody>();
  private bytes = 0;
  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get(key: string): CachedBody | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: CachedBody) {
    if (value.body.length > this.maxBytes / 8) return;
    this.entries.set(key, value);
    this.bytes += value.body.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [oldest, entry] = this.entries.entries().next().value as [string, CachedBody];
      this.entries.delete(oldest);
      this.bytes -= entry.body.length;
    }
  }
}

export function etagOf(body: string | Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** RFC 9110 If-None-Match: a list of entity tags or `*`, compared weakly. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  const mine = strip(etag);
  return header.split(',').some((t) => strip(t) === mine);
}

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Sends a JSON body computed by `compute`, cached under `key` (which must determine the body),
     * with an ETag and Cache-Control; answers 304 when If-None-Match matches.
     */
    sendCachedJson(key: string, pinned: boolean, compute: () => unknown): FastifyReply;
    /** The same for a body already rendered as text of the given content type. */
    sendCached(key: string, pinned: boolean, contentType: string, render: () => string): FastifyReply;
  }
}

export const cachingPlugin = fp(async (app: FastifyInstance) => {
  const cache = new ResponseCache(4000, 32 * 1024 * 1024);

  app.decorateReply('sendCached', function (this: FastifyReply, key: string, pinned: boolean, contentType: string, render: () => string) {
    let entry = cache.get(key);
    if (!entry) {
      const text = render();
      // Unpooled, so a small body does not keep a shared 8 KB slab alive and the byte count is true.
      const body = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
      body.write(text);
      entry = { body, etag: etagOf(body) };
      cache.set(key, entry);
    }
    this.header('etag', entry.etag).header('cache-control', pinned ? IMMUTABLE : REVALIDATE);
    return this.type(contentType).send(entry.body);
  });

  app.decorateReply('sendCachedJson', function (this: FastifyReply, key: string, pinned: boolean, compute: () => unknown) {
    return this.sendCached(key, pinned, 'application/json; charset=utf-8', () => JSON.stringify(compute()));
  });

  // Every successful GET gets an ETag (computed here when a route did not set one) and a 304 when
  // the client already has it.
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || reply.statusCode !== 200) return payload;
    let etag = reply.getHeader('etag') as string | undefined;
    if (!etag) {
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
      etag = etagOf(payload);
      reply.header('etag', etag);
    }
    if (!reply.getHeader('cache-control')) reply.header('cache-control', REVALIDATE);
    if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
      reply.code(304);
      return '';
    }
    return payload;
  });
});
