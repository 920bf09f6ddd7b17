import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { allCountryCodes, countryName, REGION_GROUPS } from '../../../domain/regions.js';
import { Regions } from '../../../schemas/responses.js';
import { NOT_MODIFIED, ok, problems } from '../common.js';

export const regionRoutes: FastifyPluginAsyncZod = async (app) => {
  const regions = {
    groups: REGION_GROUPS,
    countries: allCountryCodes().map((code) => ({ code, name: countryName(code) ?? code })),
  };
  app.get(
    '/',
    {
      schema: {
        operationId: 'listRegions',
        summary: 'Region groups and countries',
        description: 'The region groups rules may name (with their member countries and a source) and every ISO 3166-1 alpha-2 country.',
        tags: ['Regions'],
        security: [],
        response: { 200: ok(Regions), 304: NOT_MODIFIED, ...problems(429, 503) },
      },
    },
    async (_request, reply) => reply.sendCachedJson('regions', false, () => regions),
  );
};
