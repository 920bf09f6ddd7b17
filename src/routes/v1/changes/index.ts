import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ChangeEntry } from '../../../schemas/changes.js';
import { ChangeParams, ChangesQuery } from '../../../schemas/queries.js';
import { ChangeList } from '../../../schemas/responses.js';
import { changeFeedStart } from '../../../services/cursor.js';
import { changeEtag } from '../../../services/history-service.js';
import { cacheKey, headOf, NOT_MODIFIED, ok, problems, READ_ERRORS } from '../common.js';

const tags = ['Changes'];

export const changeRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { byUrl: true },
      schema: {
        operationId: 'listChanges',
        summary: 'The change feed',
        description:
          'One entry per registry version, oldest first: when, who (key name), why, the platforms touched, and the RFC 6902 patch against the export’s `platforms` object. ' +
          'A page holds up to `limit` change sets, fewer when their patches are large (about 512 KB of patch text a page); follow `nextCursor` (pass it as `cursor`) until it is null. ' +
          'To start after a version you already have, pass it as `after`.',
        tags,
        security: [],
        querystring: ChangesQuery,
        response: { 200: ok(ChangeList), 304: NOT_MODIFIED, ...problems(...READ_ERRORS) },
      },
    },
    async (request, reply) => {
      const head = await headOf(app.services, request);
      return reply.sendCachedJson(cacheKey(request, head), false, () =>
        app.services.history.changes({ after: changeFeedStart(request.query), limit: request.query.limit }, head),
      );
    },
  );

  app.get(
    '/:version',
    {
      schema: {
        operationId: 'getChange',
        summary: 'One change set',
        description:
          'The change set that created this registry version: when, who, why, the platforms it touched and its RFC 6902 patch. ' +
          'A version never changes once written, so the answer is cached as immutable; 404 `version-not-found` for a version not yet written.',
        tags,
        security: [],
        params: ChangeParams,
        response: { 200: ok(ChangeEntry), 304: NOT_MODIFIED, ...problems(...READ_ERRORS) },
      },
    },
    async (request, reply) =>
      reply.sendCachedJson(`change|${request.params.version}`, true, () => app.services.history.change(request.params.version), {
        etag: (entry) => changeEtag(entry.version),
      }),
  );
};
