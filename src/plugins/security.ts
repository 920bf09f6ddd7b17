import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { ProblemError } from '../errors.js';

const isAdmin = (url: string) => url.startsWith('/v1/admin');

/**
 * Limits and headers: security headers, CORS open for public reads and closed for admin routes,
 * per-client rate limits (stricter for admin), and load shedding with 503 when the event loop lags.
 */
export const securityPlugin = fp(async (app: FastifyInstance, opts: { config: Config }) => {
  const { config } = opts;

  await app.register(helmet, {
    // The API serves JSON; the pages (/, /docs) need inline styles and swagger-ui's own CSP.
    contentSecurityPolicy: { directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] } },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });

  // Browser extensions and dashboards read the API from any origin; admin routes get no CORS headers.
  await app.register(cors, {
    // An OPTIONS request that is not a real preflight falls through to the router (a 404 problem).
    strictPreflight: false,
    delegator: (request, callback) =>
      callback(
        null,
        isAdmin(request.url ?? '')
          ? { origin: false }
          : { origin: '*', methods: ['GET', 'HEAD'], exposedHeaders: ['ETag', 'Location', 'Retry-After'], maxAge: 86400 },
      ),
  });

  // Per-client limits per minute, one budget for public reads (RATE_LIMIT_MAX) and a stricter one
  // for admin routes (ADMIN_RATE_LIMIT_MAX); 0 turns either off.
  const limitFor = (url: string) => (isAdmin(url) ? config.ADMIN_RATE_LIMIT_MAX : config.RATE_LIMIT_MAX);
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    max: async (request) => limitFor(request.url),
    allowList: (request) => limitFor(request.url) === 0,
    keyGenerator: (request) => `${request.ip}|${isAdmin(request.url) ? 'admin' : 'read'}`,
    errorResponseBuilder: (_request, context) =>
      new ProblemError(
        429,
        'rate-limited',
        `This client made more than ${context.max} requests in a minute. Retry after ${context.after}.`,
        {
          headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
        },
      ),
  });

  if (config.MAX_EVENT_LOOP_DELAY_MS > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: config.MAX_EVENT_LOOP_DELAY_MS,
      retryAfter: 10,
      // Thrown, not sent: when the handler returns nothing under-pressure lets the request carry on
      // (body parsing, even the route), which could overwrite the 503's status or run a shed write.
      pressureHandler: (_request, _reply, type, value) => {
        throw new ProblemError(503, 'service-unavailable', `The server is overloaded (${type} ${value}); retry in a few seconds.`, {
          headers: { 'retry-after': '10' },
        });
      },
    });
  }
});
