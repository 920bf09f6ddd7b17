import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ExportQuery } from '../../../schemas/queries.js';
import { ExportDocument } from '../../../schemas/responses.js';
import { cacheKey, isPinned, problems, READ_ERRORS } from '../common.js';

export const exportRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      schema: {
        operationId: 'exportRegistry',
        summary: 'The whole registry as one document',
        description: 'Every platform at a version, keyed by slug. Applying the change feed’s patches in order to `{}` rebuilds it.',
        tags: ['Registry'],
        querystring: ExportQuery,
        response: { 200: ExportDocument, ...problems(...READ_ERRORS) },
      },
    },
    async (request, reply) =>
      reply.sendCachedJson(await cacheKey(request, app.services), isPinned(request.query), () =>
        app.services.exports.exportAt(request.query.version),
      ),
  );
};
