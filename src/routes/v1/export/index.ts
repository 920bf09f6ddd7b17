import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { negotiateEncoding, withEncoding } from '../../../domain/etags.js';
import { ProblemError } from '../../../errors.js';
import { IMMUTABLE, matchesIfNoneMatch, REVALIDATE } from '../../../plugins/caching.js';
import { ExportQuery } from '../../../schemas/queries.js';
import { ExportDocument } from '../../../schemas/responses.js';
import { isPinned, NOT_MODIFIED, ok, problems, READ_ERRORS } from '../common.js';

export const exportRoutes: FastifyPluginAsyncZod = async (app) => {
  // Exports are the one public read whose body is megabytes: each response holds a socket, a file
  // and (for clients without gzip) an inflater for as long as the client takes to read it. Past
  // EXPORT_CONCURRENCY of them, the excess gets 503 + Retry-After at once, rather than letting a
  // client that keeps many exports in flight take the instance's memory and thread pool from
  // everyone else. Cheap reads are never behind them: building an export yields to the event loop
  // every few hundred platforms, and sending it is streamed from a file (see ExportFiles).
  let inFlight = 0;
  const limit = app.config.EXPORT_CONCURRENCY;

  app.get(
    '/',
    {
      schema: {
        operationId: 'exportRegistry',
        summary: 'The whole registry as one document',
        description:
          'Every platform at a version, keyed by slug. Applying the change feed’s patches in order to `{}` rebuilds it. Sent brotli- or gzip-encoded to clients that accept it (built once per version). Answers 503 with Retry-After when too many exports are being sent, or when a past version’s export is not built yet and the instance is building another past version’s (one at a time by default); the current version’s export is always built.',
        tags: ['Registry'],
        security: [],
        querystring: ExportQuery,
        response: { 200: ok(ExportDocument), 304: NOT_MODIFIED, ...problems(...READ_ERRORS) },
      },
    },
    async (request, typedReply) => {
      // The body is a stream, which the 200 schema's type cannot describe (it documents what it carries).
      const reply = typedReply as unknown as FastifyReply;
      const { version, current } = await app.services.reader.resolve(request.query.version, request.headVersion);
      // Derived from the version (what the content is); a compressed body is another representation,
      // so it carries the encoding suffix every compressed response does (compared without it).
      const encoding = negotiateEncoding(request.headers['accept-encoding']);
      const base = `"export.${version}"`;
      const etag = encoding ? withEncoding(base, encoding) : base;
      reply
        .header('etag', etag)
        .header('vary', 'Accept-Encoding')
        .header('cache-control', isPinned(request.query) ? IMMUTABLE : REVALIDATE);
      if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send();
      if (inFlight >= limit) {
        throw new ProblemError(503, 'service-unavailable', `${limit} exports are being sent already; retry in a few seconds.`, {
          headers: { 'retry-after': '5' },
        });
      }
      inFlight++;
      let released = false;
      const release = () => {
        if (!released) inFlight--;
        released = true;
      };
      reply.raw.once('close', release);
      try {
        const file = await app.services.exports.file(version, current);
        reply.type('application/json; charset=utf-8');
        // The file's length is known, so its stream ends with its last bytes (`end`) rather than
        // after one more read on the thread pool: otherwise a client, having read the whole body,
        // could send its next export request before this one's slot was freed, and a client keeping
        // EXPORT_CONCURRENCY exports in flight was now and then refused one (0.3 % in `npm run bench`).
        if (encoding === 'br') {
          return reply
            .header('content-encoding', 'br')
            .header('content-length', file.brBytes)
            .send(createReadStream(file.brPath, { end: file.brBytes - 1 }));
        }
        if (encoding === 'gzip') {
          return reply
            .header('content-encoding', 'gzip')
            .header('content-length', file.bytes)
            .send(createReadStream(file.path, { end: file.bytes - 1 }));
        }
        return reply.send(pipeline(createReadStream(file.path), createGunzip(), () => {}));
      } catch (error) {
        release();
        throw error;
      }
    },
  );
};
