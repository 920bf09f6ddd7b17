import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import { todayUtc } from '../domain/effective.js';
import { type Encoding, negotiateEncoding, weakIdentity, withEncoding } from '../domain/etags.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
const JSON_TYPE = 'application/json; charset=utf-8';
export const REVALIDATE = 'public, no-cache';

interface CachedBody {
  /** UTF-8 bytes: compact in memory, counted exactly, and written to the socket without re-encoding. */
  body: Buffer;
  etag: string;
  /** Headers that depend on the body (e.g. Content-Language), sent with it from the cache. */
  headers?: Record<string, string>;
  /**
   * Set on a body that the request URL alone determines (with the head version and the day, both in
   * its key): a later GET of the same URL is answered with it before validation and the handler run.
   */
  byUrl?: { pinned: boolean; contentType: string };
}

/**
 * The response-cache key of a body the request URL determines: the URL (which carries every
 * parameter), the registry version the request read (so a write never serves stale data) and today's
 * date (the default `at`).
 */
export function urlCacheKey(url: string, head: number): string {
  return `${url}|v${head}|d${todayUtc()}`;
}

/** Whether `key` is the URL key of this request on a `byUrl` route (and so may answer it early). */
function isUrlKey(request: FastifyRequest, key: string): boolean {
  if (request.routeOptions.config.byUrl !== true || !key.startsWith(`${request.url}|v`)) return false;
  return /^\d+\|d\d{4}-\d{2}-\d{2}$/.test(key.slice(request.url.length + 2));
}

export function etagOf(body: string | Buffer): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/**
 * RFC 9110 If-None-Match: a list of entity tags or `*`, compared weakly; a tag of any encoding of the
 * same content matches (the client holds that content, and decoding it is its own business).
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const mine = weakIdentity(etag);
  return header.split(',').some((t) => weakIdentity(t) === mine);
}

/** Bodies smaller than this go out as they are: compressing them saves less than the headers cost. */
export const COMPRESS_MIN_BYTES = 1024;

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * Compresses off the event loop (zlib's thread pool). Brotli at quality 6, not 9: quality 9's hash
 * table is 32 MB per compression, so four at once (the thread pool) took 111–131 MB more RSS on
 * the seed's documents (97 KB and 560 KB bodies) against 10–15 MB at 6, whose output is 0.5–3.6 %
 * larger and 2–5 times faster to make.
 */
export function compress(body: Buffer, encoding: Encoding): Promise<Buffer> {
  return encoding === 'br'
    ? brotli(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 6,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      })
    : gzipAsync(body, { level: 6 });
}

/** Adds Accept-Encoding to Vary, keeping what another plugin put there. */
function varyOnEncoding(reply: FastifyReply) {
  const vary = reply.getHeader('vary');
  if (vary === undefined) {
    reply.header('vary', 'Accept-Encoding');
    return;
  }
  const current = Array.isArray(vary) ? vary.join(', ') : vary === undefined ? '' : String(vary);
  if (!/(^|,)\s*accept-encoding\s*(,|$)/i.test(current)) reply.header('vary', current ? `${current}, Accept-Encoding` : 'Accept-Encoding');
}

export interface CacheOptions<T = unknown> {
  /** Derives the ETag from what identifies the content (e.g. a platform's revision) instead of hashing the body. */
  etag?: (value: T) => string;
  /** Headers that depend on the content (e.g. Content-Language), kept with the cached body. */
  headers?: (value: T) => Record<string, string>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's body is determined by the request URL, the head version and the day alone (no
     * request header, no credentials) and it caches it under `urlCacheKey(request.url, head)`: a later
     * GET of the same URL may then be answered from the cache as soon as it arrives, before validation
     * and the handler, which would produce the same bytes. Only such routes read the head that early.
     */
    byUrl?: boolean;
  }
  interface FastifyRequest {
    /** The registry version read for this request when the response cache looked its URL up. */
    headVersion: number | undefined;
  }
  interface FastifyReply {
    /**
     * Set when the body comes from the response cache (`sendCached`, `sendCachedJson`), which already
     * set its ETag, Cache-Control, Vary and encoding: the onSend hook only turns a revalidation into 304.
     */
    fromCache: boolean;
    /**
     * Sends a JSON body computed by `compute`, cached under `key` (which must determine the body),
     * with an ETag and Cache-Control; answers 304 when If-None-Match matches.
     */
    sendCachedJson<T>(key: string, pinned: boolean, compute: () => T | Promise<T>, options?: CacheOptions<T>): Sent;
    /** The same for a body already rendered as text of the given content type. */
    sendCached(
      key: string,
      pinned: boolean,
      contentType: string,
      render: () => string | Promise<string>,
      options?: CacheOptions<string>,
    ): Sent;
  }
}

/** The reply, once sent: at once when the body was cached, later when it had to be produced. */
type Sent = FastifyReply | Promise<FastifyReply>;

/**
 * ETags and 304s are done here rather than with @fastify/etag (no longer a dependency): that plugin
 * hashes every response body on every request. Here the tag is derived from what identifies the
 * content (a platform's revision) or computed once when a body enters the response cache, so a
 * repeated request, answered 200 or 304, neither rebuilds nor rehashes the body; and the same code
 * sets Cache-Control (immutable for version-pinned reads). The onSend hook below hashes only the
 * few responses that do not come through the cache.
 */
export const cachingPlugin = fp(async (app: FastifyInstance, opts: { maxBytes?: number; head?: () => Promise<number> } = {}) => {
  // Serialised responses, bounded by their bytes (RESPONSE_CACHE_MAX_BYTES). Keys include the
  // registry version (or pin one), so an entry never goes stale; one body may take at most an eighth
  // of the budget. Exports are files (ExportFiles), never held here.
  const maxSize = opts.maxBytes ?? 8 * 1024 * 1024;
  const cache = new LRUCache<string, CachedBody>({
    max: 4000,
    maxSize,
    maxEntrySize: Math.max(1, Math.floor(maxSize / 8)),
    sizeCalculation: (entry, key) => entry.body.length + key.length,
  });

  /**
   * Bodies being produced, by key: requests for a key that is not cached yet wait for the one
   * production under way instead of each producing it. Requests arrive in batches (they share the
   * head-version read of their turn of the event loop, see RegistryReader.currentVersion), so after
   * a write every request of a batch for the same URL would otherwise build the same body (`npm run
   * soak` served 10 100–10 300 reads without this, 14 800–15 600 with it). On PostgreSQL, whose
   * reads are round trips, concurrent misses overlapped the same way before batching.
   */
  const producing = new Map<string, Promise<CachedBody>>();
  const entryOf = (key: string, produce: () => Promise<CachedBody>): CachedBody | Promise<CachedBody> => {
    const hit = cache.get(key);
    if (hit) return hit;
    let pending = producing.get(key);
    if (!pending) {
      pending = produce()
        .then((entry) => {
          cache.set(key, entry);
          return entry;
        })
        .finally(() => producing.delete(key));
      producing.set(key, pending);
    }
    return pending;
  };

  /**
   * Sends a cached body in the encoding the client prefers. Each encoding of a body is its own cache
   * entry (`key|br`), compressed once from the identity entry and counted in the same byte budget, so a
   * hot or immutable response costs one compression, not one per request.
   */
  const send = (reply: FastifyReply, key: string, pinned: boolean, contentType: string, produce: () => Promise<CachedBody>): Sent => {
    const cached = entryOf(key, produce);
    // A hit is answered at once, without a promise (most requests are hits).
    return cached instanceof Promise
      ? cached.then((entry) => sendEntry(reply, key, pinned, contentType, entry))
      : sendEntry(reply, key, pinned, contentType, cached);
  };
  const sendEntry = (reply: FastifyReply, key: string, pinned: boolean, contentType: string, entry: CachedBody): Sent => {
    reply.fromCache = true;
    reply.header('cache-control', pinned ? IMMUTABLE : REVALIDATE).type(contentType);
    if (entry.headers) reply.headers(entry.headers);
    if (entry.body.length < COMPRESS_MIN_BYTES) return reply.header('etag', entry.etag).send(entry.body);
    varyOnEncoding(reply);
    const encoding = negotiateEncoding(reply.request.headers['accept-encoding']);
    if (!encoding) return reply.header('etag', entry.etag).send(entry.body);
    const etag = withEncoding(entry.etag, encoding);
    // A revalidation that will end in 304 needs no compressed body.
    if (matchesIfNoneMatch(reply.request.headers['if-none-match'], etag)) return reply.header('etag', etag).send(entry.body);
    const compressed = entryOf(`${key}|${encoding}`, async () => ({ body: await compress(entry.body, encoding), etag }));
    const sendEncoded = (encoded: CachedBody) => reply.header('etag', encoded.etag).header('content-encoding', encoding).send(encoded.body);
    return compressed instanceof Promise ? compressed.then(sendEncoded) : sendEncoded(compressed);
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
    return send(this, key, pinned, JSON_TYPE, async () => {
      const value = await compute();
      const body = bytes(JSON.stringify(value));
      return {
        body,
        etag: options?.etag ? options.etag(value) : etagOf(body),
        headers: options?.headers?.(value),
        byUrl: isUrlKey(this.request, key) ? { pinned, contentType: JSON_TYPE } : undefined,
      };
    });
  });

  // GETs of routes whose body the URL determines (`config.byUrl`) are looked up here, after the
  // security hooks (headers, rate limit, load shedding) and before validation and the handler, which
  // would produce the same bytes: a cached platform GET costs less this way. A miss costs a map
  // lookup, and the route then uses the head read here (`request.headVersion`). Other requests (other
  // routes, unknown paths, HEAD) are not touched and read no head here.
  const { head } = opts;
  if (head) {
    app.decorateRequest('headVersion', undefined);
    /** An error after the cached headers were set (a failed compression): the problem must not carry them. */
    const fail = (reply: FastifyReply, error: unknown) => {
      if (reply.sent) return reply.log.error({ err: error }, 'response cache: answering a cached URL failed');
      reply.removeHeader('etag').removeHeader('vary').removeHeader('content-encoding');
      reply.send(error);
    };
    app.addHook('onRequest', (request, reply, done) => {
      if (request.method !== 'GET' || request.routeOptions.config.byUrl !== true) return done();
      head().then((version) => {
        request.headVersion = version;
        const key = urlCacheKey(request.url, version);
        const entry = cache.get(key);
        if (entry?.byUrl === undefined) return done();
        try {
          const sent = sendEntry(reply, key, entry.byUrl.pinned, entry.byUrl.contentType, entry);
          if (sent instanceof Promise) sent.catch((error: unknown) => fail(reply, error));
        } catch (error) {
          fail(reply, error);
        }
      }, done);
    });
  }

  app.decorateReply('fromCache', false);

  // Every successful GET gets an ETag (computed here when a route did not set one), is compressed
  // when a route did not do it from the cache (per request: these bodies are not cached), and
  // becomes a 304 when the client already has it. A callback hook, not an async one: most responses
  // come from the cache and need no more than the If-None-Match check, which then costs no promise.
  app.addHook(
    'onSend',
    (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => {
      if ((request.method !== 'GET' && request.method !== 'HEAD') || reply.statusCode !== 200) return done(null, payload);
      let etag = reply.getHeader('etag') as string | undefined;
      const bytes = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : undefined;
      if (!reply.fromCache) {
        if (!etag) {
          if (bytes === undefined) return done(null, payload);
          etag = etagOf(bytes);
          reply.header('etag', etag);
        }
        if (!reply.getHeader('cache-control')) reply.header('cache-control', REVALIDATE);
        if (bytes !== undefined && !reply.getHeader('content-encoding') && Buffer.byteLength(bytes) >= COMPRESS_MIN_BYTES) {
          varyOnEncoding(reply);
          const encoding = negotiateEncoding(request.headers['accept-encoding']);
          if (encoding) {
            etag = withEncoding(etag, encoding);
            reply.header('etag', etag);
            if (!matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
              compress(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), encoding).then((body) => {
                reply.header('content-encoding', encoding);
                done(null, body);
              }, done);
              return;
            }
          }
        }
      }
      if (etag !== undefined && matchesIfNoneMatch(request.headers['if-none-match'], etag)) {
        reply.code(304).removeHeader('content-encoding');
        return done(null, '');
      }
      done(null, payload);
    },
  );
});
