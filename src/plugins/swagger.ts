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

const SCHEMAS = '#/components/schemas/';

/** Replaces every `$ref` to a schema component named in `renames` (old name to new name). */
function renameRefs(node: unknown, renames: Map<string, string>): void {
  if (Array.isArray(node)) {
    for (const child of node) renameRefs(child, renames);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const object = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(object)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMAS)) {
      const target = renames.get(value.slice(SCHEMAS.length));
      if (target) object[key] = `${SCHEMAS}${target}`;
    } else renameRefs(value, renames);
  }
}

/**
 * The zod type provider names the input variant of every registered schema `<id>Input` beside the
 * output `<id>`, so generated clients get `DeviceInput` twins of every type (and `PlatformInputInput`).
 * One name is enough when both sides are the same schema: an input component whose schema equals its
 * output twin (once references to already merged twins are read as their output names) is dropped for
 * it, repeated until nothing changes. An input component with no output twin in use takes the plain
 * name. Only components that really differ between request and response keep the `Input` suffix.
 */
function nameComponents(input: OpenApiDocument): OpenApiDocument {
  const document = input as { paths?: unknown; components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas ?? {};
  const merged = new Map<string, string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of Object.keys(schemas)) {
      const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
      if (!base || merged.has(name) || !(base in schemas)) continue;
      const candidate = structuredClone(schemas[name]);
      renameRefs(candidate, merged);
      if (JSON.stringify(candidate) === JSON.stringify(schemas[base])) {
        merged.set(name, base);
        changed = true;
      }
    }
  }
  for (const name of merged.keys()) delete schemas[name];
  renameRefs(document.paths, merged);
  renameRefs(schemas, merged);
  return input;
}

/** After pruning: an `<id>Input` component whose output twin is not used anywhere takes the plain name. */
function plainInputNames(input: OpenApiDocument): OpenApiDocument {
  const document = input as { paths?: unknown; components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas ?? {};
  const renames = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
    if (base && !(base in schemas)) renames.set(name, base);
  }
  renameRefs(document.paths, renames);
  renameRefs(schemas, renames);
  const renamed = Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [renames.get(name) ?? name, schema]));
  return { ...input, components: { ...document.components, schemas: renamed } } as OpenApiDocument;
}

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
  405: 'method-not-allowed',
  406: 'not-acceptable',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'validation-failed',
  429: 'rate-limited',
  500: 'internal',
  503: 'service-unavailable',
};

type Json = Record<string, unknown>;
interface ResponseObject {
  description?: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema?: { $ref?: string }; example?: unknown }>;
}
interface OperationObject {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; example?: unknown; schema?: { allOf?: unknown[]; example?: unknown } }[];
  requestBody?: unknown;
  responses: Record<string, ResponseObject>;
}

const integerHeader = (description: string, example: number) => ({
  description,
  schema: { type: 'integer', format: 'int64', minimum: 0, maximum: 9_007_199_254_740_991 },
  example,
});

/**
 * Every response header the API sends, declared once so generated clients can read them typed. The
 * rate-limit headers are absent only where an operator turned the limit off.
 */
export const RESPONSE_HEADERS = {
  ETag: {
    description:
      'Entity tag of this representation. Send it back in If-None-Match to revalidate a read (304 when unchanged), or in If-Match to ' +
      'write only if the platform has not changed. On a write, the tag of what it created: the platform for a platform write, ' +
      'else the change set at Location. A compressed representation’s tag ends in `-br` or `-gzip`; the server compares ' +
      'tags with and without that suffix as the same.',
    schema: { type: 'string', maxLength: 200, pattern: '^(W/)?"[^"]*"$' },
    example: '"linkedin.12.r3"',
  },
  CacheControl: {
    description:
      '`public, max-age=31536000, immutable` for responses pinned by `?version=N` (they never change); `public, no-cache` for other ' +
      'public reads (revalidate with If-None-Match); `no-store` for problems, health checks and admin responses.',
    schema: { type: 'string', enum: ['public, max-age=31536000, immutable', 'public, no-cache', 'no-store'] },
    example: 'public, no-cache',
  },
  Vary: {
    description: 'The response depends on Accept-Encoding (br, gzip or none), so caches keep one copy per encoding.',
    schema: { type: 'string', maxLength: 200 },
    example: 'Accept-Encoding',
  },
  Location: {
    description: 'The change set the write recorded, under /v1/changes/{version}.',
    schema: { type: 'string', maxLength: 64, pattern: '^/v1/changes/[1-9][0-9]*$' },
    example: '/v1/changes/13',
  },
  WebhookLocation: {
    description: 'The webhook endpoint created, under /v1/admin/webhooks/{id}.',
    schema: { type: 'string', maxLength: 64, pattern: '^/v1/admin/webhooks/[1-9][0-9]*$' },
    example: '/v1/admin/webhooks/3',
  },
  RetryAfter: integerHeader('Seconds to wait before retrying.', 30),
  RateLimitLimit: integerHeader('Requests this client may make per minute on this group of routes (public reads, or admin).', 600),
  RateLimitRemaining: integerHeader('Requests left in the current minute.', 599),
  RateLimitReset: integerHeader('Seconds until the current minute’s budget is renewed.', 60),
  AccessControlAllowOrigin: {
    description: 'Public reads may be read from any origin (browser extensions, dashboards). Admin operations send no CORS headers.',
    schema: { type: 'string', enum: ['*'] },
    example: '*',
  },
  IdempotentReplayed: {
    description:
      'Present (`true`) when the response is the stored answer to an earlier request with the same Idempotency-Key: nothing was recorded again.',
    schema: { type: 'string', enum: ['true'] },
    example: 'true',
  },
} as const;

type HeaderName = keyof typeof RESPONSE_HEADERS;
/** Header names as sent on the wire, for each component. */
export const HEADER_WIRE_NAMES: Record<HeaderName, string> = {
  ETag: 'ETag',
  CacheControl: 'Cache-Control',
  Vary: 'Vary',
  Location: 'Location',
  WebhookLocation: 'Location',
  RetryAfter: 'Retry-After',
  RateLimitLimit: 'X-RateLimit-Limit',
  RateLimitRemaining: 'X-RateLimit-Remaining',
  RateLimitReset: 'X-RateLimit-Reset',
  IdempotentReplayed: 'Idempotent-Replayed',
  AccessControlAllowOrigin: 'Access-Control-Allow-Origin',
};

const RATE_LIMIT: HeaderName[] = ['RateLimitLimit', 'RateLimitRemaining', 'RateLimitReset'];

/** Which headers a response declares, and which of them it always carries. */
function responseHeaders(method: string, status: string, operation: OperationObject): { names: HeaderName[]; required: HeaderName[] } {
  const code = Number(status);
  const platformWrite = /Platform|PolicyEvent/.test(operation.operationId ?? '');
  if (code >= 400) {
    const retry: HeaderName[] = code === 429 || code === 503 ? ['RetryAfter'] : [];
    return { names: ['CacheControl', ...retry, ...RATE_LIMIT], required: ['CacheControl', ...retry] };
  }
  if (method === 'get') {
    if (code === 304) return { names: ['ETag', 'CacheControl', 'Vary', ...RATE_LIMIT], required: ['ETag'] };
    return { names: ['ETag', 'CacheControl', 'Vary', ...RATE_LIMIT], required: ['ETag', 'CacheControl'] };
  }
  // MCP answers are POSTs that write nothing: no tag, never stored by a cache.
  if (operation.operationId === 'mcp') return { names: ['CacheControl', ...RATE_LIMIT], required: ['CacheControl'] };
  const etag: HeaderName[] = platformWrite ? ['ETag'] : [];
  // A new webhook endpoint is not a change set: it says where the endpoint is, and has no tag.
  if (code === 201 && operation.operationId === 'createWebhook')
    return { names: ['WebhookLocation', ...RATE_LIMIT], required: ['WebhookLocation'] };
  // A 201's tag names what it created: the platform for a platform write, else the change set at Location.
  if (code === 201) return { names: ['Location', 'ETag', 'IdempotentReplayed', ...RATE_LIMIT], required: ['Location', 'ETag'] };
  return { names: [...etag, 'IdempotentReplayed', ...RATE_LIMIT], required: etag };
}

/** The header references of one response; a required header is declared through a component that says so. */
function headerRefs(names: HeaderName[], required: HeaderName[]): Record<string, { $ref: string }> {
  return Object.fromEntries(
    names.map((name) => [HEADER_WIRE_NAMES[name], { $ref: `#/components/headers/${required.includes(name) ? `${name}Required` : name}` }]),
  );
}

/** Each header component, optional and required: OpenAPI puts `required` on the header object itself. */
function headerComponents(): Record<string, { description: string; required?: boolean; schema: object; example: unknown }> {
  return Object.fromEntries(
    Object.entries(RESPONSE_HEADERS).flatMap(([name, header]) => [
      [name, header],
      [`${name}Required`, { ...header, required: true }],
    ]),
  );
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
    for (const [method, operation] of Object.entries(item)) {
      operation.security ??= [];
      if (method === 'get') {
        operation.responses['304'] ??= {
          description: 'Not modified: the representation still has the ETag sent in If-None-Match. No body.',
        };
      }
      for (const parameter of operation.parameters ?? []) {
        if (parameter.schema?.example !== undefined && parameter.example === undefined) {
          parameter.example = parameter.schema.example;
          delete parameter.schema.example;
        }
        // The parameter now carries the description and examples; a bare reference is enough again.
        if (parameter.schema?.allOf?.length === 1 && Object.keys(parameter.schema).length === 1)
          parameter.schema = parameter.schema.allOf[0] as typeof parameter.schema;
      }
      // The rate limit applies to every route, and any route can fail on the server's side.
      for (const status of [429, 500]) {
        operation.responses[String(status)] ??= {
          ...problems(status)[status],
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        };
      }
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
        const { names, required } = responseHeaders(method, status, operation);
        // CORS is open for everything but the admin operations (see the security plugin).
        const cors: HeaderName[] = path.startsWith('/v1/admin') ? [] : ['AccessControlAllowOrigin'];
        response.headers = headerRefs([...names, ...cors], [...required, ...cors]);
      }
    }
  }
  // Only the header components some response refers to.
  const used = new Set(JSON.stringify(document.paths).match(/#\/components\/headers\/\w+/g) ?? []);
  const components = (input as { components?: { headers?: Record<string, unknown> } }).components;
  if (components?.headers) {
    components.headers = Object.fromEntries(
      Object.entries(components.headers).filter(([name]) => used.has(`#/components/headers/${name}`)),
    );
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

/**
 * States each integer's width (`int32` when its range fits, else `int64`), so generated clients pick a
 * type that holds every value (zod's integers are bounded by Number.MAX_SAFE_INTEGER).
 */
function integerFormats(node: unknown): void {
  if (Array.isArray(node)) {
    for (const child of node) integerFormats(child);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  if (schema.type === 'integer' && schema.format === undefined) {
    const fits = (n: unknown) => typeof n === 'number' && Math.abs(n) <= 2_147_483_647;
    schema.format = fits(schema.minimum) && fits(schema.maximum) ? 'int32' : 'int64';
  }
  for (const child of Object.values(schema)) integerFormats(child);
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
        contact: {
          name: 'AI-training opt-out registry maintainers',
          url: 'https://github.com/ai-optout-registry/registry/issues',
          email: 'registry@ai-optout-registry.org',
        },
      },
      // The document is served by each deployment (production or local) and describes that one.
      servers: [{ url: '/', description: 'This deployment (production, staging or local): the server this document was read from' }],
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
      components: {
        headers: headerComponents(),
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key created with `npm run keys -- create`.' },
        },
      },
    },
    transform,
    transformObject: (document) => {
      const complete = completeOperations(
        plainInputNames(pruneUnusedComponents(nameComponents(addWebhooks(jsonSchemaTransformObject(document))))),
      );
      integerFormats(complete);
      // Every server in the list is public (OWASP API9: say who each one is for).
      for (const server of (complete as { servers?: Record<string, unknown>[] }).servers ?? []) server['x-internal'] = false;
      return complete;
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.send(app.swagger()));
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { docExpansion: 'list', deepLinking: true } });
});
