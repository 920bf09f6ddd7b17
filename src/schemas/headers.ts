/**
 * Every response header the API sends, as OpenAPI header components (`components.headers`), so
 * generated clients can read them typed. Which response carries which is decided where the headers
 * are added (the caching, security and error plugins, the write routes); the OpenAPI plugin states
 * it per response (src/plugins/openapi-fixes.ts). The rate-limit headers are absent only where an
 * operator turned the limit off.
 */

interface HeaderSchema {
  type: 'string' | 'integer';
  format?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  enum?: string[];
}

const header = (description: string, schema: HeaderSchema, example: string | number) => ({ description, schema, example });
const integerHeader = (description: string, example: number) =>
  header(description, { type: 'integer', format: 'int64', minimum: 0, maximum: 9_007_199_254_740_991 }, example);

export const RESPONSE_HEADERS = {
  ETag: header(
    'Entity tag of this representation. Send it back in If-None-Match to revalidate a read (304 when unchanged), or in If-Match to ' +
      'write only if the platform has not changed. On a write, the tag of what it created: the platform for a platform write, ' +
      'else the change set at Location. A compressed representation’s tag ends in `-br` or `-gzip`; the server compares ' +
      'tags with and without that suffix as the same.',
    { type: 'string', maxLength: 200, pattern: '^(W/)?"[^"]*"$' },
    '"linkedin.12.r3"',
  ),
  CacheControl: header(
    '`public, max-age=31536000, immutable` for responses pinned by `?version=N` (they never change); `public, no-cache` for other ' +
      'public reads (revalidate with If-None-Match); `no-store` for problems, health checks and admin responses.',
    { type: 'string', enum: ['public, max-age=31536000, immutable', 'public, no-cache', 'no-store'] },
    'public, no-cache',
  ),
  Vary: header(
    'The response depends on Accept-Encoding (br, gzip or none), so caches keep one copy per encoding.',
    { type: 'string', maxLength: 200 },
    'Accept-Encoding',
  ),
  Location: header(
    'The change set the write recorded, under /v1/changes/{version}.',
    { type: 'string', maxLength: 64, pattern: '^/v1/changes/[1-9][0-9]*$' },
    '/v1/changes/13',
  ),
  WebhookLocation: header(
    'The webhook endpoint created, under /v1/admin/webhooks/{id}.',
    { type: 'string', maxLength: 64, pattern: '^/v1/admin/webhooks/[1-9][0-9]*$' },
    '/v1/admin/webhooks/3',
  ),
  RetryAfter: integerHeader('Seconds to wait before retrying.', 30),
  RateLimitLimit: integerHeader('Requests this client may make per minute on this group of routes (public reads, or admin).', 600),
  RateLimitRemaining: integerHeader('Requests left in the current minute.', 599),
  RateLimitReset: integerHeader('Seconds until the current minute’s budget is renewed.', 60),
  AccessControlAllowOrigin: header(
    'Public reads may be read from any origin (browser extensions, dashboards). Admin operations send no CORS headers.',
    { type: 'string', enum: ['*'] },
    '*',
  ),
  IdempotentReplayed: header(
    'Present (`true`) when the response is the stored answer to an earlier request with the same Idempotency-Key: nothing was recorded again.',
    { type: 'string', enum: ['true'] },
    'true',
  ),
};

export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** Header names as sent on the wire, for each component. */
export const HEADER_WIRE_NAMES: Record<ResponseHeader, string> = {
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

/**
 * The header components, each also as `<name>Required`: OpenAPI puts `required` on the header object
 * itself, so a header one response always carries and another may omit needs two components.
 */
export const HEADER_COMPONENTS = Object.fromEntries(
  Object.entries(RESPONSE_HEADERS).flatMap(([name, header]) => [
    [name, header],
    [`${name}Required`, { ...header, required: true }],
  ]),
);
