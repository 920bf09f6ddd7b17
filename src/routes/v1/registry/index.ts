import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RegistryInfo } from '../../../schemas/responses.js';
import { cacheKey, problems } from '../common.js';

export const registryRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      schema: {
        operationId: 'getRegistry',
        summary: 'Current version, counts, last change and data licence',
        tags: ['Registry'],
        response: { 200: RegistryInfo, ...problems(429, 503) },
      },
    },
    async (request, reply) => reply.sendCachedJson(await cacheKey(request, app.services), false, () => app.services.exports.info()),
  );
};
