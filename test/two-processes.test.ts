import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlatformRecord } from '../src/schemas/platform.js';
import { keyInDatabase } from './helpers.js';
import { type ServerProcess, startServer } from './server-process.js';

/**
 * Two server processes on one SQLite file, as two instances behind a load balancer would share a
 * database: If-Match is checked under the write lock both processes take, and a version one process
 * acknowledged is answered by the other at once. One process cannot show this (its writes are queued).
 */
const ROUNDS = 8;

async function patch(server: ServerProcess, key: string, etag: string, name: string) {
  const res = await fetch(`${server.url}/v1/admin/platforms/linkedin`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/merge-patch+json',
      'if-match': etag,
      'x-change-message': encodeURIComponent(`rename to ${name}`),
    },
    body: JSON.stringify({ name }),
  });
  const body = (await res.json()) as { version?: number; code?: string };
  return { status: res.status, body };
}

async function read(server: ServerProcess, path: string) {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, etag: res.headers.get('etag') ?? '', text: await res.text() };
}

describe('two server processes on one database', () => {
  it('check If-Match across processes (412 for the loser) and answer a version as soon as the other acknowledged it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'two-processes-'));
    try {
      const databasePath = join(dir, 'registry.sqlite');
      const key = await keyInDatabase(databasePath, 'two-process-editor');
      const a = await startServer(databasePath);
      const b = await startServer(databasePath);

      // Read through B, write through A, then B is asked to write from the same, now stale, ETag.
      const seen = await read(b, '/v1/platforms/linkedin');
      expect(seen.status).toBe(200);
      const first = await patch(a, key, seen.etag, 'LinkedIn A');
      expect(first.status).toBe(201);
      const version = first.body.version!;
      // Right after A acknowledged it, B answers that version (no 404 from a stale idea of the head).
      const pinned = await read(b, `/v1/platforms/linkedin?version=${version}`);
      expect(pinned.status, pinned.text).toBe(200);
      expect(PlatformRecord.parse(JSON.parse(pinned.text)).name).toBe('LinkedIn A');
      // …and its current record, though B cached the one it answered before the write.
      const current = await read(b, '/v1/platforms/linkedin');
      expect(PlatformRecord.parse(JSON.parse(current.text)).name).toBe('LinkedIn A');
      const stale = await patch(b, key, seen.etag, 'LinkedIn B');
      expect(stale.status).toBe(412);
      expect(stale.body.code).toBe('precondition-failed');

      // Both at once, round after round: exactly one wins, the other gets 412, never two 201s.
      for (let round = 0; round < ROUNDS; round++) {
        const { etag } = await read(round % 2 ? a : b, '/v1/platforms/linkedin');
        const results = await Promise.all([patch(a, key, etag, `A${round}`), patch(b, key, etag, `B${round}`)]);
        expect(results.map((r) => r.status).sort(), JSON.stringify(results.map((r) => [r.status, r.body.code]))).toEqual([201, 412]);
        const winner = results.find((r) => r.status === 201)!;
        const other = results[0] === winner ? b : a;
        const seenByOther = await read(other, `/v1/platforms/linkedin?version=${winner.body.version}`);
        expect(seenByOther.status).toBe(200);
      }
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
