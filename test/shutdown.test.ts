import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { keyInDatabase } from './helpers.js';
import { startServer } from './server-process.js';

describe('graceful shutdown', () => {
  it('finishes a request already in flight on SIGTERM, then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shutdown-'));
    const database = join(dir, 'registry.sqlite');
    const key = await keyInDatabase(database, 'ed');

    const { port, child, exited } = await startServer(database);

    const body = JSON.stringify({
      message: 'Written across a shutdown',
      operations: [{ op: 'patch', slug: 'x', patch: { name: 'X (shutdown test)' } }],
    });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/admin/changes',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      // Send half the body, so the request is certainly in flight when the signal arrives.
      req.write(body.slice(0, 20));
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(20)), 300);
      }, 300);
    });

    const answered = await response;
    expect(answered.status).toBe(201);
    expect(JSON.parse(answered.body)).toMatchObject({ changed: true, version: 2 });
    expect(await exited).toBe(0);

    // The acknowledged write is on disk.
    const reopened = new Database(database, { readonly: true });
    const row = reopened.prepare('select author, message from change_sets where version = 2').get();
    reopened.close();
    expect(row).toEqual({ author: 'ed', message: 'Written across a shutdown' });
  });

  it('exits 1 at once on a second signal, without waiting for requests in flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shutdown-'));
    const database = join(dir, 'registry.sqlite');
    const key = await keyInDatabase(database, 'ed');
    const { port, child, exited } = await startServer(database);
    // A request that never completes (half a body) keeps the first shutdown waiting.
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/admin/changes',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': 1000 },
    });
    req.on('error', () => {});
    req.write('{"message":');
    await new Promise((done) => setTimeout(done, 300));
    child.kill('SIGTERM');
    await new Promise((done) => setTimeout(done, 300));
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    // Well before the 10 s grace period the first signal would allow.
    const outcome = await Promise.race([exited, new Promise((done) => setTimeout(() => done('still running after 5 s'), 5000))]);
    expect(outcome).toBe(1);
    req.destroy();
  });
});
