import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { NewAuditRow } from '../../../db/repository.js';
import { sendProblem, storeUnavailable } from '../../../plugins/errors.js';

const FLUSH_MS = 15_000;
/** Rows kept in memory while the database cannot be written; past this, further ones are only logged. */
const MAX_UNWRITTEN = 10_000;

declare module 'fastify' {
  interface FastifyInstance {
    /** Writes the refusals counted in memory so far. */
    flushAudit(): Promise<void>;
  }
}

/** The minute an instant falls in, as the ISO text the aggregated rows are keyed by. */
const minuteOf = (ms: number) => `${new Date(ms - (ms % 60_000)).toISOString().slice(0, 16)}:00.000Z`;

/**
 * Audits every admin request. An accepted change set's row is written in its own transaction by the
 * write service; a refusal with a valid key (403, 409, 412, 422…) gets its own row; requests without
 * a valid key are counted in memory per client, route, status and minute and written as one row per
 * minute, so a flood of made-up keys costs no write per request and never waits on the write lock.
 */
export const auditPlugin = fp(async (app: FastifyInstance) => {
  const retention = {
    auditDays: app.config.AUDIT_RETENTION_DAYS,
    idempotencyHours: app.config.IDEMPOTENCY_RETENTION_HOURS,
  };
  const pending = new Map<string, NewAuditRow>();
  // Rows of requests answered while the database could not be written (a 503 for a read-only disk is
  // exactly what an audit must show): written with the next flush that succeeds.
  const unwritten: NewAuditRow[] = [];

  const flush = async (all: boolean) => {
    const current = minuteOf(Date.now());
    const due = [...pending.entries()].filter(([, row]) => all || row.at < current);
    const retry = unwritten.splice(0);
    if (due.length === 0 && retry.length === 0) return;
    for (const [key] of due) pending.delete(key);
    try {
      await app.store.write(async (tx) => {
        for (const row of retry) await tx.audit(row);
        for (const [, row] of due) await tx.auditAggregate(row);
      });
    } catch (error) {
      // Nothing was written: keep it all for the next flush.
      unwritten.unshift(...retry);
      for (const [key, row] of due) {
        const later = pending.get(key);
        if (later) later.count = (later.count ?? 1) + (row.count ?? 1);
        else pending.set(key, row);
      }
      throw error;
    }
  };
  const prune = async () => {
    const now = Date.now();
    await app.store.write((tx) =>
      tx.prune(
        new Date(now - retention.auditDays * 86_400_000).toISOString(),
        new Date(now - retention.idempotencyHours * 3_600_000).toISOString(),
      ),
    );
  };
  const log = (what: string) => (error: unknown) => app.log.error({ err: error }, `audit: ${what} failed`);
  const flushTimer = setInterval(() => flush(false).catch(log('flushing refused requests')), FLUSH_MS).unref();
  const pruneTimer = setInterval(() => prune().catch(log('pruning')), 3_600_000).unref();
  app.addHook('onReady', async () => {
    await prune().catch(log('pruning'));
  });
  // The audit API shows refusals still being counted too: they are written before it reads.
  app.decorate('flushAudit', () => flush(true));
  app.addHook('onClose', async () => {
    clearInterval(flushTimer);
    clearInterval(pruneTimer);
    await flush(true).catch(log('flushing refused requests'));
  });

  const rowOf = (request: FastifyRequest, status: number): NewAuditRow => ({
    at: new Date().toISOString(),
    keyId: request.principal?.keyId ?? null,
    keyName: request.principal?.name ?? null,
    method: request.method,
    route: request.routeOptions.url ?? request.url.split('?')[0] ?? request.url,
    status,
    outcome: status < 400 ? 'accepted' : status < 500 ? 'refused' : 'failed',
    version: request.writtenVersion,
    requestId: request.id,
    ip: request.ip ?? null,
  });

  app.addHook('onResponse', async (request, reply) => {
    if (request.auditedInTransaction) return;
    const row = rowOf(request, reply.statusCode);
    if (request.principal === null && row.outcome === 'refused') {
      const minute = minuteOf(Date.now());
      const key = `${minute}|${row.ip}|${row.method}|${row.route}|${row.status}`;
      const bucket = pending.get(key);
      if (bucket) bucket.count = (bucket.count ?? 1) + 1;
      else pending.set(key, { ...row, at: minute, requestId: `aggregate:${request.id}`, count: 1 });
      return;
    }
    await app.store
      .write((tx) => tx.audit(row))
      .catch((error: unknown) => {
        if (storeUnavailable(error) && unwritten.length < MAX_UNWRITTEN) unwritten.push(row);
        else log('writing a row')(error);
      });
  });

  // Unknown routes and methods under /v1/admin are admin requests too: answered here, so they are audited.
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, 'not-found', `There is no admin operation ${request.method} ${request.url.split('?')[0]}. See /docs.`),
  );
});
