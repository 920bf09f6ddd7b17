import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { HEADER_COMPONENTS } from '../schemas/headers.js';
import { WEBHOOKS_OPENAPI } from '../schemas/webhooks.js';
import {
  declareResponseHeaders,
  exampleProblems,
  integerFormats,
  keepParameterAnnotations,
  oneComponentPerSchema,
  tidyParameters,
} from './openapi-fixes.js';

export const API_VERSION = '1.0.0';

/**
 * The document is served by each deployment (production or local) and describes that one. Every
 * server listed is public (OWASP API9: say who each one is for).
 */
const THIS_DEPLOYMENT = {
  url: '/',
  description: 'This deployment (production, staging or local): the server this document was read from',
  'x-internal': false,
};

/** OpenAPI 3.1 generated from the routes' zod schemas; served at /openapi.json, rendered at /docs. */
export const swaggerPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AI-training opt-out registry',
        version: API_VERSION,
        summary: 'Which platforms train AI on their users’ data, how to opt out on each device, and when that changed.',
        description:
          'A public, versioned, sourced registry. Every fact cites a source. Every accepted write is a change set that bumps the integer registry version; ' +
          'any version can be read back exactly with `?version=N` (such responses are immutable), and `?at=YYYY-MM-DD` answers what applied on a day. ' +
          'Errors are RFC 9457 `application/problem+json`. Data licence: CC BY 4.0.',
        license: { name: 'CC-BY-4.0 (data)', identifier: 'CC-BY-4.0' },
        contact: {
          name: 'AI-training opt-out registry maintainers',
          url: 'https://github.com/ai-optout-registry/registry/issues',
          email: 'registry@ai-optout-registry.org',
        },
      },
      servers: [THIS_DEPLOYMENT],
      tags: [
        { name: 'Platforms', description: 'Platforms, their settings, and the resolved opt-out answer.' },
        { name: 'Events', description: 'The policy timeline across platforms.' },
        { name: 'Regions', description: 'Countries and region groups rules refer to.' },
        {
          name: 'Vocabulary',
          description:
            'The terms answers are given in: account types, and purposes with the headline rule and their AI Preferences categories.',
        },
        { name: 'Changes', description: 'The change feed: one entry per registry version.' },
        { name: 'Registry', description: 'The registry as a whole.' },
        { name: 'Admin', description: 'Writes and audit (Bearer API key).' },
        { name: 'Webhooks', description: 'Endpoints that receive every change set, signed per Standard Webhooks (admin key).' },
        { name: 'MCP', description: 'The Model Context Protocol server for AI assistants (Streamable HTTP, stateless, read-only).' },
        { name: 'Operations', description: 'Health and readiness.' },
      ],
      webhooks: WEBHOOKS_OPENAPI,
      components: {
        headers: HEADER_COMPONENTS,
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key created with `npm run keys -- create`.' },
        },
      },
    },
    transform: keepParameterAnnotations,
    // The fixes for what cannot be said in the schemas or the routes (see openapi-fixes.ts).
    transformObject: (document) => {
      const fixed = declareResponseHeaders(exampleProblems(tidyParameters(oneComponentPerSchema(jsonSchemaTransformObject(document)))));
      integerFormats(fixed);
      return fixed;
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.send(app.swagger()));
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { docExpansion: 'list', deepLinking: true } });
});
