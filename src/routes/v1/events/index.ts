import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EventsQuery } from '../../../schemas/queries.js';
import { EventList } from '../../../schemas/responses.js';
import { cacheKey, headOf, isPinned, NOT_MODIFIED, ok, problems, READ_ERRORS } from '../common.js';

export const eventRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/',
    {
      config: { byUrl: true },
      schema: {
        operationId: 'listEvents',
        summary: 'Policy timeline across platforms',
        description: 'Dated policy events, newest first (by effective date, else announced date; undated last).',
        tags: ['Events'],
        security: [],
        querystring: EventsQuery,
        response: { 200: ok(EventList), 304: NOT_MODIFIED, ...problems(...READ_ERRORS) },
      },
    },
    async (request, reply) => {
      const head = await headOf(app.services, request);
      return reply.sendCachedJson(cacheKey(request, head), isPinned(request.query), () => app.services.events.events(request.query, head));
    },
  );
};
