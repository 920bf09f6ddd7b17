import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProblemError } from '../errors.js';
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
      const version = await app.services.reader.currentVersion();
      return reply.header('cache-control', 'no-store').send({ status: 'ok' as const, version });
    },
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: can this instance answer from its database?',
        description:
          'Runs a query against the database; 503 problem when it cannot be read (e.g. the file is gone or the handle is closed).',
        tags: ['Operations'],
        response: { 200: Health, ...problems(503) },
      },
    },
    async (_request, reply) => {
      let version: number;
      try {
        await app.store.ping();
        version = await app.services.reader.currentVersion();
      } catch {
        throw new ProblemError(503, 'service-unavailable', 'The database cannot be read; this instance is not ready.', {
          headers: { 'retry-after': '5' },
        });
      }
      return reply.header('cache-control', 'no-store').send({ status: 'ok' as const, version });
    },
  );
};
