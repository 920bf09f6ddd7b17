import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AdminStore, Role } from '../db/admin-store.js';
import { ProblemError } from '../errors.js';

export interface Principal {
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Registry version a write created, for the audit log. */
    writtenVersion: number | null;
  }
}

const CHALLENGE = 'Bearer realm="ai-optout-registry admin"';

/** Reads `Authorization: Bearer <key>`; keys are verified against stored hashes in constant time. */
export const authPlugin = fp(async (app: FastifyInstance, opts: { admin: AdminStore; failureLimit: number }) => {
  app.decorateRequest('principal', null);
  app.decorateRequest('writtenVersion', null);

  // Failed authentications per client per minute, so keys cannot be guessed at speed.
  const failures = new Map<string, { count: number; resetAt: number }>();
  /** Counts a failed authentication and returns the error to throw. */
  const failed = (request: FastifyRequest, error: ProblemError): ProblemError => {
    if (opts.failureLimit > 0) {
      const now = Date.now();
      const entry = failures.get(request.ip);
      if (!entry || entry.resetAt <= now) {
        if (failures.size > 10_000) failures.clear();
        failures.set(request.ip, { count: 1, resetAt: now + 60_000 });
      } else entry.count++;
    }
    return error;
  };
  const checkFailures = (request: FastifyRequest) => {
    const entry = opts.failureLimit > 0 ? failures.get(request.ip) : undefined;
    if (entry && entry.resetAt > Date.now() && entry.count >= opts.failureLimit) {
      const seconds = Math.ceil((entry.resetAt - Date.now()) / 1000);
      throw new ProblemError(429, 'rate-limited', `Too many failed authentications from this client; retry in ${seconds} s.`, {
        headers: { 'retry-after': String(seconds) },
      });
    }
  };

  app.decorate('requireRole', (role: Role) => async (request: FastifyRequest) => {
    checkFailures(request);
    const header = request.headers.authorization;
    if (!header) {
      throw failed(
        request,
        new ProblemError(401, 'unauthorized', 'This operation needs an API key: send `Authorization: Bearer <key>`.', {
          headers: { 'www-authenticate': CHALLENGE },
        }),
      );
    }
    const token = /^Bearer +(\S+)$/i.exec(header)?.[1];
    const key = token ? opts.admin.verify(token) : undefined;
    if (!key) {
      throw failed(
        request,
        new ProblemError(
          401,
          'unauthorized',
          'The API key is not valid or has been revoked. Ask an admin for a key (`npm run keys -- create`).',
          {
            headers: { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` },
          },
        ),
      );
    }
    request.principal = { name: key.name, role: key.role };
    if (role === 'admin' && key.role !== 'admin') {
      throw new ProblemError(403, 'forbidden', `The key "${key.name}" has the role "${key.role}"; this operation needs "admin".`);
    }
  });
});

declare module 'fastify' {
  interface FastifyInstance {
    requireRole(role: Role): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}
