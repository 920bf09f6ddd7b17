import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'public, no-cache';

interface CachedBody {
  /** UTF-8 bytes: compact in memory, counted exactly, and written to the socket without re-encoding. */
  body: Buffer;
  etag: string;
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

export interface CacheOptions<T = unknown> {
  /** Derives the ETag from what identifies the content (e.g. a platform's revision) instead of hashing the body. */
  etag?: (value: T) => string;
}

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Sends a JSON body computed by `compute`, cached under `key` (which must determine the body),
     * with an ETag and Cache-Control; answers 304 when If-None-Match matches.
     */
    sendCachedJson<T>(key: string, pinned: boolean, compute: () => T | Promise<T>, options?: CacheOptions<T>): Promise<FastifyReply>;
    /** The same for a body already rendered as text of the given content type. */
    sendCached(
      key: string,
      pinned: boolean,
      contentType: string,
      render: () => string | Promise<string>,
      options?: CacheOptions<string>,
    ): Promise<FastifyReply>;
  }
}

export const cachingPlugin = fp(async (app: FastifyInstance) => {
  // Serialised responses, bounded by their bytes. Keys include the registry version (or pin one), so
  // an entry never goes stale; one body may take at most an eighth of the budget.
  const cache = new LRUCache<string, CachedBody>({
    max: 4000,
    maxSize: 32 * 1024 * 1024,
    maxEntrySize: 4 * 1024 * 1024,
    sizeCalculation: (entry, key) => entry.body.length + key.length,
  });

  const send = async (reply: FastifyReply, key: string, pinned: boolean, contentType: string, produce: () => Promise<CachedBody>) => {
    let entry = cache.get(key);
    if (!entry) {
      entry = await produce();
      cache.set(key, entry);
    }
    reply.header('etag', entry.etag).header('cache-control', pinned ? IMMUTABLE : REVALIDATE);
    return reply.type(contentType).send(entry.body);
  };
  /** Unpooled, so a small body does not keep a shared 8 KB slab alive and the byte count is true. */
  const bytes = (text: string) => {
    const body = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
    body.write(text);
    return body;
  };

  app.decorateReply(
    'sendCached',
    function (
      this: FastifyReply,
      key: string,
      pinned: boolean,
      contentType: string,
      render: () => string | Promise<string>,
      options?: CacheOptions<string>,
    ) {
      return send(this, key, pinned, contentType, async () => {
        const text = await render();
        const body = bytes(text);
        return { body, etag: options?.etag ? options.etag(text) : etagOf(body) };
      });
    },
  );

  app.decorateReply('sendCachedJson', function <
    T,
  >(this: FastifyReply, key: string, pinned: boolean, compute: () => T | Promise<T>, options?: CacheOptions<T>) {
    return send(this, key, pinned, 'application/json; charset=utf-8', async () => {
      const value = await compute();
      const body = bytes(JSON.stringify(value));
      return { body, etag: options?.etag ? options.etag(value) : etagOf(body) };
    });
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
