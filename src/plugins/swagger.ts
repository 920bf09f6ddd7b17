import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const API_VERSION = '1.0.0';

type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;

/**
 * The zod type provider emits every registered schema twice (input and output variants); keep only
 * the components that operations actually reference, directly or through other components.
 */
function pruneUnusedComponents(input: OpenApiDocument): OpenApiDocument {
  const document = input as { paths?: unknown; components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
        const name = value.slice('#/components/schemas/'.length);
        if (!used.has(name)) {
          used.add(name);
          visit(schemas[name]);
        }
      } else visit(value);
    }
  };
  visit(document.paths);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...input, components: { ...document.components, schemas: kept } } as OpenApiDocument;
}

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
      },
      servers: [{ url: '/', description: 'This server' }],
      tags: [
        { name: 'Platforms', description: 'Platforms, their settings, and the resolved opt-out answer.' },
        { name: 'Events', description: 'The policy timeline across platforms.' },
        { name: 'Regions', description: 'Countries and region groups rules refer to.' },
        { name: 'Changes', description: 'The change feed: one entry per registry version.' },
        { name: 'Registry', description: 'The registry as a whole.' },
        { name: 'Admin', description: 'Writes and audit (Bearer API key).' },
        { name: 'Operations', description: 'Health and readiness.' },
      ],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key created with `npm run keys -- create`.' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => pruneUnusedComponents(jsonSchemaTransformObject(document)),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.send(app.swagger()));
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { docExpansion: 'list', deepLinking: true } });
});
