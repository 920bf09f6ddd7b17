import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LRUCache } from 'lru-cache';
import type { Role } from '../db/repository.js';
import { ProblemError } from '../errors.js';
import { KeyService } from '../services/key-service.js';

export interface Principal {
  keyId: number;
  name: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Registry version a write created, for the audit log. */
    writtenVersion: number | null;
    /** The request's audit row was committed with its change set; the response hook must not add another. */
    auditedInTransaction: boolean;
  }
}

const CHALLENGE = 'Bearer realm="ai-optout-registry admin"';
const WINDOW_MS = 60_000;

/**
 * Reads `Authorization: Bearer <key>`; keys are verified against stored hashes in constant time.
 *
 * Failed authentications are counted per client address and per key id, and once either passes the
 * limit, further *failed* attempts from it are refused with 429 before the key is even looked up.
 * A request whose key is valid is never refused by this limit: guessing slows down, and an attacker
 * sharing an address with editors (a proxy, a NAT) cannot lock them out.
 */
export const authPlugin = fp(async (app: FastifyInstance, opts: { keys: KeyService; failureLimit: number }) => {
  app.decorateRequest('principal', null);
  app.decorateRequest('writtenVersion', null);
  app.decorateRequest('auditedInTransaction', false);

  const failures = new LRUCache<string, { count: number }>({ max: 50_000, ttl: WINDOW_MS, ttlAutopurge: false });
  const countFailure = (...keys: (string | undefined)[]) => {
    if (opts.failureLimit <= 0) return;
    for (const key of keys) {
      if (key === undefined) continue;
      const entry = failures.get(key, { updateAgeOnGet: false });
      if (entry) entry.count++;
      else failures.set(key, { count: 1 });
    }
  };
  const overLimit = (...keys: (string | undefined)[]) =>
    opts.failureLimit > 0 && keys.some((k) => k !== undefined && (failures.get(k, { updateAgeOnGet: false })?.count ?? 0) >= opts.failureLimit);
  const tooMany = (key: string) => {
    const seconds = Math.max(1, Math.ceil(failures.getRemainingTTL(key) / 1000));
    return new ProblemError(429, 'rate-limited', `Too many failed authentications; retry in ${seconds} s with a valid key.`, {
      headers: { 'retry-after': String(seconds) },
    });
  };

  app.decorate('requireRole', (role: Role) => async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const token = header ? /^Bearer +(\S+)$/i.exec(header)?.[1] : undefined;
    const byAddress = `ip:${request.ip}`;
    const byKey = token ? KeyService.keyId(token) : undefined;
    const keyCounter = byKey ? `key:${byKey}` : undefined;
    const key = token ? await opts.keys.verify(token) : undefined;
    if (!key) {
      // Refused before counting when already over the limit, so a flood costs one lookup per request.
      const limited = [byAddress, keyCounter].find((k) => k !== undefined && overLimit(k));
      if (limited) throw tooMany(limited);
      countFailure(byAddress, keyCounter);
      if (!header) {
        throw new ProblemError(401, 'unauthorized', 'This operation needs an API key: send `Authorization: Bearer <key>`.', {
          headers: { 'www-authenticate': CHALLENGE },
        });
      }
      throw new ProblemError(401, 'unauthorized', 'The API key is not valid or has been revoked. Ask an admin for a key (`npm run keys -- create`).', {
        headers: { 'www-authenticate': `${CHALLENGE}, error="invalid_token"` },
      });
    }
    request.principal = { keyId: key.id, name: key.name, role: key.role };
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
