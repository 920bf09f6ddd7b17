import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

// The ceiling for GET /v1/platforms/linkedin: fastify with no plugins, hooks, validation, logging or
// database, answering the registry's own bytes (read from BODY_FILE) with the same content type.
// The bytes are sent as a Buffer, the cheapest way fastify can answer them, so that the ceiling is
// a real one (the registry currently caches strings, which are encoded again on every send).
const body = readFileSync(process.env.BODY_FILE ?? '');
// HEADERS_FILE (JSON: name → value), when set: the registry's own response headers too (security,
// CORS, caching), so that a comparison can tell the cost of sending them from the server's own.
const headers = process.env.HEADERS_FILE ? (JSON.parse(readFileSync(process.env.HEADERS_FILE, 'utf8')) as Record<string, string>) : {};
// LOG_LEVEL (unset: no logger) lets a run compare it with the registry logging at the same level.
const level = process.env.LOG_LEVEL;
const app = Fastify({ logger: level ? { level } : false });
app.get('/v1/platforms/linkedin', (_request, reply) => reply.headers(headers).type('application/json; charset=utf-8').send(body));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
// A clean exit on SIGTERM (rather than death by signal) lets `node --cpu-prof` write its profile.
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
