import { describe, expect, it } from 'vitest';
import type { SqliteStore } from '../src/db/sqlite-store.js';
import { AuditList } from '../src/schemas/admin.js';
import { ENGINE } from './engine.js';
import { createKey, expectProblem, makeApp, parse } from './helpers.js';

/**
 * A database that can be read but not written (a disk remounted read-only, a file whose permissions
 * were taken away). The suite runs as root in CI, where chmod 0444 does not stop a write, so the
 * writer connection is switched to `query_only`: SQLite then refuses writes with SQLITE_READONLY,
 * the same error a read-only file gives.
 */
describe.skipIf(ENGINE !== 'sqlite')('a read-only database', () => {
  it('answers writes with a 503 problem and Retry-After, audits them once it can, and is not ready (while /healthz stays up)', async () => {
    const app = await makeApp();
    const editor = await createKey(app, 'ed', 'editor');
    const admin = await createKey(app, 'root', 'admin');
    const before = await app.inject('/v1/export');
    expect((await app.inject('/readyz')).statusCode).toBe(200);

    const writer = (app.store as SqliteStore).rawWriter;
    writer.pragma('query_only = ON');

    const write = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/platforms/x',
      headers: { authorization: `Bearer ${editor}`, 'content-type': 'application/merge-patch+json', 'x-change-message': 'rename' },
      payload: { name: 'Y' },
    });
    const problem = expectProblem(write, 503);
    expect(problem.code).toBe('service-unavailable');
    expect(Number(write.headers['retry-after'])).toBeGreaterThan(0);
    const changeSet = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: { authorization: `Bearer ${editor}` },
      payload: { message: 'retire', operations: [{ op: 'retire', slug: 'x' }] },
    });
    expectProblem(changeSet, 503);

    expectProblem(await app.inject('/readyz'), 503);
    const health = await app.inject('/healthz');
    expect(health.statusCode).toBe(200);
    // Reads go on.
    expect((await app.inject('/v1/export')).body).toBe(before.body);

    writer.pragma('query_only = OFF');
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    const audit = parse(AuditList, await app.inject({ url: '/v1/admin/audit?limit=50', headers: { authorization: `Bearer ${admin}` } }));
    const failed = audit.data.filter((row) => row.status === 503);
    expect(failed.map((row) => [row.method, row.route, row.keyName, row.outcome]).sort()).toEqual([
      ['PATCH', '/v1/admin/platforms/:slug', 'ed', 'failed'],
      ['POST', '/v1/admin/changes', 'ed', 'failed'],
    ]);
    expect((await app.inject('/v1/export')).body).toBe(before.body);
  });
});
