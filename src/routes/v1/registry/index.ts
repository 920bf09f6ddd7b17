import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RegistryInfo } from '../../../schemas/responses.js';
import { cacheKey, headOf, NOT_MODIFIED, ok, problems } from '../common.js';

export const registryRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { byUrl: true },
      schema: {
        operationId: 'getRegistry',
        summary: 'Current version, counts, last change and data licence',
        description:
          'The registry at a glance: its current integer version (what `?version=N` and the change feed count), how many platforms, settings, ' +
          'region rules, events and sources it holds, the last change set (without its patch) and the licence under which the data may be reused.',
        tags: ['Registry'],
        security: [],
        response: { 200: ok(RegistryInfo), 304: NOT_MODIFIED, ...problems(429, 503) },
      },
    },
    async (request, reply) => {
      const head = await headOf(app.services, request);
      return reply.sendCachedJson(cacheKey(request, head), false, () => app.services.exports.info(head));
    },
  );
};
