import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Health } from '../schemas/responses.js';
import { problems } from './v1/common.js';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness and readiness',
        description: 'Answers 200 with the current registry version when the database can be read; 503 problem otherwise.',
        tags: ['Operations'],
        response: { 200: Health, ...problems(503) },
      },
    },
    async (_request, reply) => {
      const version = app.registry.store.currentVersion();
      return reply.header('cache-control', 'no-store').send({ status: 'ok' as const, version });
    },
  );
};
