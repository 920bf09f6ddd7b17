import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { PROBLEM_CODE_LIST, PROBLEM_CODES } from '../../errors.js';
import { urlCacheKey } from '../../plugins/caching.js';
import { Problem } from '../../schemas/responses.js';
import type { Services } from '../../services/index.js';

const STATUS_SUMMARY: Record<number, string> = {
  400: 'The request is not valid.',
  401: 'An API key is required.',
  403: 'The key may not do this.',
  404: 'Not found.',
  409: 'The change conflicts with the registry.',
  412: 'A precondition failed.',
  413: 'The body is too large.',
  415: 'The body’s media type is not accepted.',
  422: 'The request is well-formed but cannot be applied.',
  429: 'Too many requests.',
  503: 'Unavailable for now.',
};

/** A status's description: what it means, and each problem code it may carry with that code's own meaning. */
export function problemDescription(status: number): string {
  const codes = PROBLEM_CODE_LIST.filter((code) => PROBLEM_CODES[code].statuses.includes(status));
  return [STATUS_SUMMARY[status] ?? 'Error.', ...codes.map((code) => `\`${code}\`: ${PROBLEM_CODES[code].meaning}`)].join(' ');
}

/**
 * Response schemas for the error statuses an operation can return, all problem+json: those named,
 * and 429 and 500, which every operation can return (the rate limit applies to every route, and
 * any can fail on the server's side).
 */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    [...new Set([...statuses, 429, 500])].map((s) => [
      s,
      { description: problemDescription(s), content: { 'application/problem+json': { schema: Problem } } },
    ]),
  );
}

/**
 * A JSON success response, described by its schema's own description. (Given as a bare schema, a
 * response is described as "Default Response": the generator does not read a description through
 * the component reference it writes.)
 */
export function ok<T extends z.ZodType>(schema: T) {
  if (!schema.description) throw new Error('A success response needs a schema with a description (.meta({ description }))');
  return { description: schema.description, content: { 'application/json': { schema } } };
}

/** Every GET revalidates: the caching plugin answers 304, without a body, when If-None-Match matches. */
export const NOT_MODIFIED = z.null().describe('Not modified: the representation still has the ETag sent in If-None-Match. No body.');

/** The public read errors every registry read can return. */
export const READ_ERRORS = [400, 404, 429, 503] as const;

/**
 * The registry's current version for this request, read once (`RegistryReader.currentVersion`) and
 * passed to the cache key and the service, so the request costs one head read, not one per step.
 */
export function headOf(services: Services, request: FastifyRequest): Promise<number> {
  // The response cache read it for this request already when it looked the URL up (plugins/caching.ts).
  return request.headVersion !== undefined ? Promise.resolve(request.headVersion) : services.reader.currentVersion();
}

/**
 * A response-cache key: the request URL (which carries every parameter), the current registry
 * version as the request read it (so a write never serves stale data) and today's date (the
 * default `at`). A route whose body nothing else shapes says so (`config: { byUrl: true }`), and the cache then answers
 * later GETs of the URL before validation (plugins/caching.ts).
 */
export function cacheKey(request: FastifyRequest, head: number): string {
  return urlCacheKey(request.url, head);
}

export function isPinned(query: { version?: number }): boolean {
  return query.version !== undefined;
}
