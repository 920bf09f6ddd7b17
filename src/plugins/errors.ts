import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type FieldError, type ProblemCode, ProblemError, problemTitle } from '../errors.js';

const CONTEXT: Record<string, string> = { querystring: 'query', body: 'body', params: 'path', headers: 'header' };

/** Fastify's own client errors, mapped to problem codes. */
const FASTIFY_CODES: Record<string, [number, ProblemCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload-too-large', 'The request body is larger than this API accepts. Send a smaller body.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'unsupported-media-type',
    'Send the body as application/json (or application/merge-patch+json for PATCH).',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad-request', 'The Content-Length header does not match the body.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'bad-request', 'The body is empty but Content-Type says JSON. Send a JSON body, or no Content-Type.'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'bad-request', 'The body is not valid JSON.'],
  FST_ERR_BAD_URL: [400, 'bad-request', 'The URL could not be decoded.'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad-request', 'The request could not be routed.'],
  FST_ERR_INVALID_URL: [400, 'bad-request', 'The URL is not valid.'],
};

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: ProblemCode,
  detail: string,
  extra: { errors?: FieldError[]; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
) {
  const path = request.url.split('?')[0] ?? request.url;
  const body = {
    type: `/problems/${code}`,
    title: problemTitle(code),
    status,
    detail,
    instance: `${path}#${request.id}`,
    code,
    ...(extra.errors ? { errors: extra.errors } : {}),
    ...extra.extensions,
  };
  // A problem describes one moment (a 404 for a version not yet written, a 503): no cache may keep it.
  reply.header('cache-control', 'no-store');
  if (extra.headers) reply.headers(extra.headers);
  return reply.code(status).type('application/problem+json; charset=utf-8').send(JSON.stringify(body));
}

/**
 * Database errors that mean "not now" rather than "broken": a read-only or full disk, a lock held too
 * long, a PostgreSQL server that is down, restarting, read-only or out of connections.
 */
const UNAVAILABLE =
  /^(SQLITE_(READONLY|BUSY|LOCKED|FULL|IOERR|CANTOPEN)\w*|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P0[1-3]|53300|25006|08\w{3})$/;

/** The database's error code behind an error, following `cause` (drizzle wraps driver errors). */
export function storeUnavailable(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNAVAILABLE.test(e.code)) return true;
    if (e instanceof Error && /Connection terminated|timeout exceeded when trying to connect/.test(e.message)) return true;
  }
  return false;
}

interface FieldIssue extends FieldError {
  /** Every value the field accepts, when it is an enumeration: the 400 lists them so a client can correct itself. */
  validValues?: readonly unknown[];
}

/**
 * The field errors of a failed validation, once each (zod may report one field twice, e.g. "not an
 * integer" and "too big" for the same value, with the same message).
 */
function validationErrors(error: FastifyError, request: FastifyRequest): FieldIssue[] {
  const context = CONTEXT[error.validationContext ?? ''] ?? error.validationContext ?? 'request';
  const seen = new Set<string>();
  const out: FieldIssue[] = [];
  for (const v of error.validation ?? []) {
    const path = v.instancePath.split('/').filter(Boolean);
    const params = v.params as { keys?: string[]; values?: unknown[] };
    let issue: FieldIssue;
    if (v.keyword === 'unrecognized_keys' && params.keys?.length) {
      issue = {
        field: [context, ...path, params.keys.join(', ')].join('.'),
        message: `is not a parameter this operation accepts (${v.message})`,
      };
    } else {
      issue = { field: [context, ...path].join('.'), message: v.message ?? 'is not valid' };
      const raw = context === 'query' && path.length === 1 ? (request.query as Record<string, unknown>)[path[0]!] : undefined;
      if (Array.isArray(raw) && !issue.message.startsWith('must be given once'))
        issue.message = `was given ${raw.length} times; give it once`;
      if (v.keyword === 'invalid_value' && params.values?.length) issue.validValues = params.values;
    }
    const id = `${issue.field}\u0000${issue.message}`;
    if (!seen.has(id)) out.push(issue);
    seen.add(id);
  }
  return out;
}

/** Errors node's HTTP parser raises before fastify sees a request: status, code and what to do. */
const CLIENT_ERRORS: Record<string, [number, ProblemCode, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'request-timeout',
    'The request was not received in time. Send the whole request promptly, or reconnect.',
  ],
  HPE_HEADER_OVERFLOW: [
    431,
    'headers-too-large',
    'The request line and headers are larger than this API accepts. Send fewer or shorter headers.',
  ],
};

/**
 * Answers errors raised while a request is still being read (timeouts, oversized headers, unparsable
 * HTTP) with problem+json, as fastify's `clientErrorHandler`: no route, hook or request id exists yet,
 * so `instance` names only the connection's fate. The connection is closed afterwards.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'bad-request' as const, 'The request is not valid HTTP/1.1.'];
  const body = JSON.stringify({ type: `/problems/${code}`, title: problemTitle(code), status, detail, instance: `#${code}`, code });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${problemTitle(code)}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** One root error handler: every error leaves as RFC 9457 problem+json; 5xx never leak internals. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ProblemError) {
      return sendProblem(request, reply, error.status, error.code, error.message, error);
    }
    if (hasZodFastifySchemaValidationErrors(error) || error.validation) {
      const issues = validationErrors(error, request);
      const errors = issues.map(({ field, message }) => ({ field, message }));
      const extensions: Record<string, unknown> = {};
      const valid = issues.filter((e) => e.validValues);
      if (valid.length > 0) extensions.validValues = Object.fromEntries(valid.map((e) => [e.field, e.validValues]));
      const fields = errors.map((e) => e.field).join(', ');
      return sendProblem(request, reply, 400, 'validation-failed', `Fix these fields and try again: ${fields}.`, { errors, extensions });
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) return sendProblem(request, reply, mapped[0], mapped[1], mapped[2]);
    if (error.statusCode === 429) {
      return sendProblem(request, reply, 429, 'rate-limited', error.message || 'Too many requests; wait before retrying.', {
        headers: reply.getHeader('retry-after') ? {} : { 'retry-after': '60' },
      });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(request, reply, error.statusCode, 'bad-request', 'The request could not be processed as sent.');
    }
    if (storeUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return sendProblem(
        request,
        reply,
        503,
        'service-unavailable',
        'The database cannot take this request right now (read-only, full, locked or unreachable). Retry shortly.',
        {
          headers: { 'retry-after': '5' },
        },
      );
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(request, reply, 500, 'internal', 'Something went wrong on our side. It has been logged; retry later.');
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      404,
      'not-found',
      `There is no ${request.method} ${request.url.split('?')[0]}. See /docs for the operations this API offers.`,
    ),
  );
});
