import type { FastifyRequest } from 'fastify';
import { todayUtc } from '../../domain/effective.js';
import { Problem } from '../../schemas/responses.js';
import type { Services } from '../../services/index.js';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'A parameter or the body is not valid; `errors` names every field to fix.',
  401: 'No valid API key: send `Authorization: Bearer <key>`.',
  403: 'The key’s role does not allow this.',
  404: 'No such platform, or the registry version does not exist yet.',
  409: 'The change conflicts with the registry’s state.',
  412: 'The platform changed since the version given in If-Match / ifVersion.',
  413: 'The request body is too large.',
  415: 'The body’s media type is not accepted.',
  422: 'The change is well-formed but would leave a record invalid; `errors` names every field.',
  429: 'Too many requests; retry after the number of seconds in Retry-After.',
  503: 'The server is overloaded or not ready; retry shortly.',
};

/** Response schemas for the error statuses an operation can return, all problem+json. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: ERROR_DESCRIPTIONS[s] ?? 'Error', content: { 'application/problem+json': { schema: Problem } } },
    ]),
  );
}

/** The public read errors every registry read can return. */
export const READ_ERRORS = [400, 404, 429, 503] as const;

/**
 * A response-cache key: the request URL (which carries every parameter), the current registry
 * version (so a write never serves stale data) and today's date (the default `at`).
 */
export async function cacheKey(request: FastifyRequest, services: Services): Promise<string> {
  return `${request.url}|v${await services.reader.currentVersion()}|d${todayUtc()}`;
}

export function isPinned(query: { version?: number }): boolean {
  return query.version !== undefined;
}
