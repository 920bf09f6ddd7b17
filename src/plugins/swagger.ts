import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { type ProblemCode, problemTitle } from '../errors.js';
import { problems } from '../routes/v1/common.js';
import { WEBHOOK_EVENT_TYPE } from '../schemas/webhooks.js';

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
  visit((document as { webhooks?: unknown }).webhooks);
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...input, components: { ...document.components, schemas: kept } } as OpenApiDocument;
}

/**
 * @fastify/swagger drops every keyword beside a `$ref` in a parameter (OpenAPI 3.0 rules), which
 * loses the description and examples of parameters typed by a named schema (`device`, `at`, …);
 * wrapping the reference in `allOf` keeps them.
 */
const transform: typeof jsonSchemaTransform = (input) => {
  const output = jsonSchemaTransform(input);
  const schema = output.schema as Record<string, { properties?: Record<string, Record<string, unknown>> } | undefined>;
  for (const part of ['querystring', 'params', 'headers']) {
    const properties = schema?.[part]?.properties ?? {};
    for (const [name, { $ref, ...rest }] of Object.entries(properties)) {
      if ($ref && Object.keys(rest).length > 0) properties[name] = { ...rest, allOf: [{ $ref }] };
    }
  }
  return output;
};

/** The problem `code` an example of each error status shows. */
const EXAMPLE_CODES: Record<string, ProblemCode> = {
  400: 'validation-failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'validation-failed',
  429: 'rate-limited',
  503: 'service-unavailable',
};

type Json = Record<string, unknown>;
interface OperationObject {
  security?: unknown[];
  parameters?: { name: string; in: string; example?: unknown; schema?: { allOf?: unknown[]; example?: unknown } }[];
  requestBody?: unknown;
  responses: Record<string, { description?: string; content?: Record<string, { schema?: { $ref?: string }; example?: unknown }> }>;
}

/**
 * Completes what every operation should state: its security (`[]` for the public reads, which need
 * no key), 429 (the rate limit applies to every route), an example for each problem response, and
 * a description of the success response taken from its schema.
 */
function completeOperations(input: OpenApiDocument): OpenApiDocument {
  const document = input as { paths?: Record<string, Record<string, OperationObject>>; components?: { schemas?: Record<string, Json> } };
  const schemas = document.components?.schemas ?? {};
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      operation.security ??= [];
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema?.example !== undefined && parameter.example === undefined) {
          parameter.example = parameter.schema.example;
          delete parameter.schema.example;
        }
        // The parameter now carries the description and examples; a bare reference is enough again.
        if (parameter.schema?.allOf?.length === 1 && Object.keys(parameter.schema).length === 1)
          parameter.schema = parameter.schema.allOf[0] as typeof parameter.schema;
      }
      operation.responses['429'] ??= {
        ...problems(429)[429],
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
      const instance = `${path.replace('{slug}', 'no-such-platform').replace('{version}', '7')}#0b5c8f5e-3f1a-4c8e-9d2b-6a1f0e4d7c21`;
      const first = operation.parameters?.[0];
      const field = operation.requestBody || !first ? 'body' : `${first.in}.${first.name}`;
      for (const [status, response] of Object.entries(operation.responses)) {
        const media = response.content?.['application/problem+json'];
        const code = EXAMPLE_CODES[status];
        if (media && code) {
          media.example ??= {
            type: `/problems/${code}`,
            title: problemTitle(code),
            status: Number(status),
            detail: response.description ?? problemTitle(code),
            instance,
            code,
            ...(status === '400' || status === '422' ? { errors: [{ field, message: 'is not valid' }] } : {}),
          };
        }
        const ref = Object.values(response.content ?? {})[0]?.schema?.$ref?.replace('#/components/schemas/', '');
        const described = ref ? schemas[ref]?.description : undefined;
        if (status.startsWith('2') && response.description === 'Default Response' && typeof described === 'string') {
          response.description = described;
        }
      }
    }
  }
  return input;
}

/**
 * OpenAPI 3.1's top-level `webhooks`: what the registry POSTs to subscribed endpoints. The body is the
 * zod schema the worker builds payloads with (a registered component); headers per Standard Webhooks.
 */
function addWebhooks(input: OpenApiDocument): OpenApiDocument {
  const header = (description: string, example: string) => ({ required: true, description, schema: { type: 'string' }, example });
  const webhooks = {
    [WEBHOOK_EVENT_TYPE]: {
      post: {
        operationId: 'changeSetRecordedWebhook',
        summary: 'A change set was recorded',
        description:
          'Sent to every endpoint whose filters match, once per change set, in version order per endpoint, at least once: a retry (exponential backoff for about 24 h), a redelivery or a replay carries the same `webhook-id`, so deduplicate on it. ' +
          'Verify the signature with the `standardwebhooks` package and the endpoint’s secret before trusting the body. Answer 2xx within 10 s; anything else (redirects included) is retried.',
        tags: ['Webhooks'],
        security: [],
        parameters: [
          {
            name: 'webhook-id',
            in: 'header',
            ...header('The message id: the same on every attempt.', 'msg_2b3c4d5e6f708192a3b4c5d6e7f80912'),
          },
          { name: 'webhook-timestamp', in: 'header', ...header('When this attempt was signed, in Unix seconds.', '1767225600') },
          {
            name: 'webhook-signature',
            in: 'header',
            ...header(
              'Space-separated `v1,<base64 HMAC-SHA256>` signatures of `id.timestamp.body`: two during the 24 hours after a secret rotation.',
              'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
            ),
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ChangeSetRecordedEvent' } } },
        },
        responses: {
          '200': { description: 'Any 2xx acknowledges the delivery.' },
          '400': {
            description: 'Any other answer, or none within 10 s, fails the attempt: it is retried with the same `webhook-id`.',
          },
        },
      },
    },
  };
  return { ...input, webhooks } as OpenApiDocument;
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
        { name: 'Webhooks', description: 'Endpoints that receive every change set, signed per Standard Webhooks (admin key).' },
        { name: 'Operations', description: 'Health and readiness.' },
      ],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key created with `npm run keys -- create`.' },
        },
      },
    },
    transform,
    transformObject: (document) => completeOperations(pruneUnusedComponents(addWebhooks(jsonSchemaTransformObject(document)))),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.send(app.swagger()));
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { docExpansion: 'list', deepLinking: true } });
});
