import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ProblemError } from '../errors.js';
import { Health } from '../schemas/responses.js';
import { NOT_MODIFIED, ok, problems } from './v1/common.js';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Liveness',
        description:
          'Answers 200 with the current registry version while the process serves and the database can be read, even when it cannot be written (see /readyz); 503 problem otherwise.',
        tags: ['Operations'],
        security: [],
        response: { 200: ok(Health), 304: NOT_MODIFIED, ...problems(503) },
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
        summary: 'Readiness: can this instance read and write its database?',
        description:
          'Checks that the database can be read and written (without taking the write lock); 503 problem when it cannot: the file or disk is read-only, the handle is closed, the server is a standby or unreachable. A load balancer should stop sending writes to an instance that is not ready.',
        tags: ['Operations'],
        security: [],
        response: { 200: ok(Health), 304: NOT_MODIFIED, ...problems(503) },
      },
    },
    async (request, reply) => {
      let version: number;
      try {
        await app.store.ping(true);
        version = await app.services.reader.currentVersion();
      } catch (error) {
        request.log.warn({ err: error }, 'not ready: the database cannot be read or written');
        throw new ProblemError(503, 'service-unavailable', 'The database cannot be read or written; this instance is not ready.', {
          headers: { 'retry-after': '5' },
        });
      }
      return reply.header('cache-control', 'no-store').send({ status: 'ok' as const, version });
    },
  );
};
