import { jsonSchemaTransform, type jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { type ProblemCode, problemTitle } from '../errors.js';
import { HEADER_WIRE_NAMES, type ResponseHeader } from '../schemas/headers.js';

/*
 * The few things the OpenAPI document must show that cannot be said in a zod schema or a route
 * definition, because of what fastify-type-provider-zod (7) or @fastify/swagger (9) do with them.
 * One function per fix; each says why it cannot be said at the source. Everything else (operation
 * ids, descriptions, security, every response status, success descriptions, the webhooks, servers,
 * header components) is said in the schemas, the routes or the plugin's options.
 */

export type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;
type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  example?: unknown;
  schema?: { allOf?: unknown[]; example?: unknown };
}
interface Response {
  description?: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema?: { $ref?: string }; example?: unknown }>;
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, Response>;
}
interface Parts {
  paths: Record<string, Record<string, Operation>>;
  schemas: Record<string, unknown>;
  components: { schemas?: Record<string, unknown>; headers?: Record<string, unknown> };
}

const SCHEMAS = '#/components/schemas/';

function parts(document: OpenApiDocument): Parts {
  const d = document as { paths?: Parts['paths']; components?: Parts['components'] };
  d.components ??= {};
  return { paths: d.paths ?? {}, schemas: d.components.schemas ?? {}, components: d.components };
}

function operations(document: OpenApiDocument): [path: string, method: string, operation: Operation][] {
  return Object.entries(parts(document).paths).flatMap(([path, item]) =>
    Object.entries(item).map(([m, op]): [string, string, Operation] => [path, m, op]),
  );
}

/** Calls `visit` on every schema `$ref` below `node` with the component name; a returned name replaces it. */
function eachSchemaRef(node: unknown, visit: (name: string) => string | undefined): void {
  if (Array.isArray(node)) {
    for (const child of node) eachSchemaRef(child, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const object = node as Json;
  for (const [key, value] of Object.entries(object)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith(SCHEMAS)) {
      const renamed = visit(value.slice(SCHEMAS.length));
      if (renamed) object[key] = `${SCHEMAS}${renamed}`;
    } else eachSchemaRef(value, visit);
  }
}

/**
 * Parameters typed by a named schema (`device`, `at`, `accountType`, …) keep their description and
 * example. Why not at the source: the route's zod schema says them, but @fastify/swagger drops every
 * keyword beside a `$ref` in a parameter's schema (the OpenAPI 3.0 rule, applied to 3.1 too) before
 * it lifts `description` and `examples` onto the parameter. This per-route transform wraps such a
 * reference in `allOf` so they survive; `tidyParameters` unwraps it once they are lifted.
 */
export const keepParameterAnnotations: typeof jsonSchemaTransform = (input) => {
  const output = jsonSchemaTransform(input);
  const schema = output.schema as Record<string, { properties?: Record<string, Json> } | undefined>;
  for (const part of ['querystring', 'params', 'headers']) {
    const properties = schema?.[part]?.properties ?? {};
    for (const [name, { $ref, ...rest }] of Object.entries(properties)) {
      if ($ref && Object.keys(rest).length > 0) properties[name] = { ...rest, allOf: [{ $ref }] };
    }
  }
  return output;
};

/**
 * A parameter's example sits on the parameter, and its schema is a bare `$ref` again where the
 * `allOf` wrapper (above) is all that is left. Why not at the source: @fastify/swagger lifts only
 * `examples` onto a parameter, and zod leaves `examples` out of the input side of a schema that
 * transforms (the decimal integers, the case-insensitive region), so those say `example`.
 */
export function tidyParameters(document: OpenApiDocument): OpenApiDocument {
  for (const [, , operation] of operations(document)) {
    for (const parameter of operation.parameters ?? []) {
      if (parameter.schema?.example !== undefined && parameter.example === undefined) {
        parameter.example = parameter.schema.example;
        delete parameter.schema.example;
      }
      if (parameter.schema?.allOf?.length === 1 && Object.keys(parameter.schema).length === 1)
        parameter.schema = parameter.schema.allOf[0] as typeof parameter.schema;
    }
  }
  return document;
}

/**
 * One component per zod schema, only those in use, named by its id. Why not at the source:
 * fastify-type-provider-zod emits every registered schema twice, as `<id>` (output) and `<id>Input`
 * (request side), used or not, and has no option to name them otherwise. Here an `<id>Input` whose
 * schema equals its output twin (once references to twins already merged are read as their output
 * names) is merged into it, repeated until nothing changes; components nothing refers to (from the
 * paths or the webhooks, directly or through other components) are dropped; and an `<id>Input`
 * left without an output twin takes the plain name. Only schemas that really differ between
 * request and response keep the `Input` suffix.
 */
export function oneComponentPerSchema(document: OpenApiDocument): OpenApiDocument {
  const { paths, schemas, components } = parts(document);
  const webhooks = (document as { webhooks?: unknown }).webhooks;
  const rename = (names: Map<string, string>) => {
    for (const node of [paths, webhooks, schemas]) eachSchemaRef(node, (name) => names.get(name));
  };

  const merged = new Map<string, string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of Object.keys(schemas)) {
      const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
      if (!base || merged.has(name) || !(base in schemas)) continue;
      const candidate = structuredClone(schemas[name]);
      eachSchemaRef(candidate, (ref) => merged.get(ref));
      if (JSON.stringify(candidate) === JSON.stringify(schemas[base])) {
        merged.set(name, base);
        changed = true;
      }
    }
  }
  for (const name of merged.keys()) delete schemas[name];
  rename(merged);

  const used = new Set<string>();
  const visit = (node: unknown) =>
    eachSchemaRef(node, (name) => {
      if (!used.has(name)) {
        used.add(name);
        visit(schemas[name]);
      }
      return undefined;
    });
  visit(paths);
  visit(webhooks);

  const plain = new Map<string, string>();
  for (const name of used) {
    const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
    if (base && !used.has(base)) plain.set(name, base);
  }
  rename(plain);
  components.schemas = Object.fromEntries(
    Object.entries(schemas).flatMap(([name, schema]) => (used.has(name) ? [[plain.get(name) ?? name, schema]] : [])),
  );
  return document;
}

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

/**
 * An example for every problem response, naming the operation's path (and its first parameter for
 * a field error). Why not at the source: an example belongs beside the `$ref` to `Problem` in the
 * media type, and fastify-type-provider-zod keeps nothing of a response's media type but its
 * schema, while @fastify/swagger drops keywords beside a `$ref`.
 */
export function exampleProblems(document: OpenApiDocument): OpenApiDocument {
  for (const [path, , operation] of operations(document)) {
    const instance = `${path.replace('{slug}', 'no-such-platform').replace('{version}', '7')}#0b5c8f5e-3f1a-4c8e-9d2b-6a1f0e4d7c21`;
    const first = operation.parameters?.[0];
    const field = operation.requestBody || !first ? 'body' : `${first.in}.${first.name}`;
    for (const [status, response] of Object.entries(operation.responses)) {
      const media = response.content?.['application/problem+json'];
      const code = EXAMPLE_CODES[status];
      if (!media || !code) continue;
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
  }
  return document;
}

const RATE_LIMIT: ResponseHeader[] = ['RateLimitLimit', 'RateLimitRemaining', 'RateLimitReset'];

/**
 * Which headers a response carries, and which of them always: what the plugins add (the caching
 * plugin's ETag, Cache-Control and Vary on reads; the rate limit's on every response; Cache-Control
 * and Retry-After on problems) and what the writes set (Location, the ETag of what they created,
 * Idempotent-Replayed).
 */
function headersOf(method: string, status: string, operation: Operation): { names: ResponseHeader[]; required: ResponseHeader[] } {
  const code = Number(status);
  const platformWrite = /Platform|PolicyEvent/.test(operation.operationId ?? '');
  if (code >= 400) {
    const retry: ResponseHeader[] = code === 429 || code === 503 ? ['RetryAfter'] : [];
    return { names: ['CacheControl', ...retry, ...RATE_LIMIT], required: ['CacheControl', ...retry] };
  }
  if (method === 'get') {
    if (code === 304) return { names: ['ETag', 'CacheControl', 'Vary', ...RATE_LIMIT], required: ['ETag'] };
    return { names: ['ETag', 'CacheControl', 'Vary', ...RATE_LIMIT], required: ['ETag', 'CacheControl'] };
  }
  // MCP answers are POSTs that write nothing: no tag, never stored by a cache.
  if (operation.operationId === 'mcp') return { names: ['CacheControl', ...RATE_LIMIT], required: ['CacheControl'] };
  const etag: ResponseHeader[] = platformWrite ? ['ETag'] : [];
  // A new webhook endpoint is not a change set: it says where the endpoint is, and has no tag.
  if (code === 201 && operation.operationId === 'createWebhook')
    return { names: ['WebhookLocation', ...RATE_LIMIT], required: ['WebhookLocation'] };
  // A 201's tag names what it created: the platform for a platform write, else the change set at Location.
  if (code === 201) return { names: ['Location', 'ETag', 'IdempotentReplayed', ...RATE_LIMIT], required: ['Location', 'ETag'] };
  return { names: [...etag, 'IdempotentReplayed', ...RATE_LIMIT], required: etag };
}

/**
 * Every response declares the headers it carries, as references to the header components (given in
 * the plugin's options), and only the components some response refers to are kept. Why not at the
 * source: @fastify/swagger writes a route's response headers inline, as schemas, and cannot refer
 * to a header component (nor does fastify-type-provider-zod pass them on); and most of these headers
 * are added by plugins to every response of a kind, not by the routes.
 */
export function declareResponseHeaders(document: OpenApiDocument): OpenApiDocument {
  for (const [path, method, operation] of operations(document)) {
    // CORS is open for everything but the admin operations (see the security plugin).
    const cors: ResponseHeader[] = path.startsWith('/v1/admin') ? [] : ['AccessControlAllowOrigin'];
    for (const [status, response] of Object.entries(operation.responses)) {
      const { names, required } = headersOf(method, status, operation);
      const all = [...names, ...cors];
      const always = [...required, ...cors];
      response.headers = Object.fromEntries(
        all.map((name) => [HEADER_WIRE_NAMES[name], { $ref: `#/components/headers/${always.includes(name) ? `${name}Required` : name}` }]),
      );
    }
  }
  const { paths, components } = parts(document);
  const used = new Set(JSON.stringify(paths).match(/#\/components\/headers\/\w+/g) ?? []);
  if (components.headers) {
    components.headers = Object.fromEntries(
      Object.entries(components.headers).filter(([name]) => used.has(`#/components/headers/${name}`)),
    );
  }
  return document;
}

/**
 * Each integer states its width (`int32` when its range fits, else `int64`), so generated clients
 * pick a type that holds every value (zod's integers are bounded by Number.MAX_SAFE_INTEGER). Why
 * not at the source: zod writes no `format` for integers; `.meta({ format })` on each of some forty
 * integer schemas would repeat one rule, and fastify-type-provider-zod's `zodToJsonConfig.override`,
 * the one hook that could apply it, replaces the library's own override (for unions, dates and
 * undefined) rather than adding to it.
 */
export function integerFormats(node: unknown): void {
  if (Array.isArray(node)) {
    for (const child of node) integerFormats(child);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const schema = node as Json;
  if (schema.type === 'integer' && schema.format === undefined) {
    const fits = (n: unknown) => typeof n === 'number' && Math.abs(n) <= 2_147_483_647;
    schema.format = fits(schema.minimum) && fits(schema.maximum) ? 'int32' : 'int64';
  }
  for (const child of Object.values(schema)) integerFormats(child);
}
