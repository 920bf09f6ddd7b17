import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/db/postgres-store.js';
import { ChangeList, RegistryInfo } from '../src/schemas/responses.js';
import { KeyService } from '../src/services/key-service.js';
import { freshDatabase } from './engine.js';
import { freePort, startServer } from './server-process.js';

/**
 * Several stateless instances on one PostgreSQL database behind nginx (round robin): the guarantees
 * of one instance must hold across them. Runs in the "postgres" project only.
 */
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const WRITERS = 8;
const ROUNDS = 6;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** nginx as a round-robin load balancer in front of `ports`, in its own temporary prefix. */
async function startNginx(ports: number[]): Promise<{ url: string; child: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-nginx-'));
  const port = await freePort();
  const conf = `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream registry { ${ports.map((p) => `server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join(' ')} }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://registry;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_next_upstream error timeout;
    }
  }
}`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  cleanups.push(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('nginx did not start');
}

describe.skipIf(!NGINX)('several instances behind nginx on one PostgreSQL database', () => {
  if (!NGINX) console.warn('nginx is not installed (apt-get install -y nginx-light): the multi-instance test is skipped.');

  it('loses no update across instances, keeps versions contiguous, reads its writes anywhere, and survives kill -9 of one instance', async () => {
    const { DATABASE_URL } = await freshDatabase();
    expect(DATABASE_URL, 'this file runs in the postgres project').toBeDefined();
    const setup = await PostgresStore.open(DATABASE_URL!);
    const key = (await new KeyService(setup).create('lb-editor', 'editor')).key;
    await setup.close();

    // Both start at once on the empty database: it is seeded exactly once.
    const [a, b] = await Promise.all([
      startServer(':memory:', { DATABASE_URL: DATABASE_URL! }),
      startServer(':memory:', { DATABASE_URL: DATABASE_URL! }),
    ]);
    const lb = await startNginx([a!.port, b!.port]);
    const json = async (url: string, init?: RequestInit) => {
      const res = await fetch(url, init);
      return { status: res.status, etag: res.headers.get('etag'), body: (await res.json()) as Record<string, unknown> };
    };
    const seeded = RegistryInfo.parse((await json(`${lb.url}/v1/registry`)).body).version;
    expect(seeded).toBe(1);
    const patch = (base: string, etag: string, summary: string) =>
      json(`${base}/v1/admin/platforms/linkedin`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/merge-patch+json',
          'if-match': etag,
          'x-change-message': encodeURIComponent(summary),
        },
        body: JSON.stringify({ summary }),
      });

    // 1. Writers with If-Match through the balancer (round robin spreads them over both instances):
    // exactly one 201 per round, every other writer 412.
    for (let round = 0; round < ROUNDS; round++) {
      const read = await json(`${lb.url}/v1/platforms/linkedin`);
      const results = await Promise.all(
        Array.from({ length: WRITERS }, (_, w) => patch(lb.url, read.etag!, `Round ${round}, writer ${w}: summary written through nginx.`)),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, `round ${round}`).toEqual([201, ...Array(WRITERS - 1).fill(412)]);
    }

    // 2. A write acknowledged by A is readable at its version through B at once (no 404 window).
    for (let i = 0; i < 5; i++) {
      const etag = (await json(`${a!.url}/v1/platforms/linkedin`)).etag!;
      // B answers (and caches) the current record before the write…
      expect((await json(`${b!.url}/v1/platforms/linkedin`)).status).toBe(200);
      const written = await patch(a!.url, etag, `Read-your-writes check ${i} through instance A.`);
      expect(written.status).toBe(201);
      const version = written.body.version as number;
      const atB = await json(`${b!.url}/v1/platforms/linkedin?version=${version}`);
      expect(atB.status, `version ${version} through B`).toBe(200);
      expect(atB.body.summary).toBe(`Read-your-writes check ${i} through instance A.`);
      // …and its current record right after A acknowledged the write is the new one.
      expect((await json(`${b!.url}/v1/platforms/linkedin`)).body.summary).toBe(`Read-your-writes check ${i} through instance A.`);
      // And a stale ETag is refused by the other instance.
      expect((await patch(b!.url, etag, 'stale')).status).toBe(412);
    }

    // 3. kill -9 of instance A while writers run through the balancer: every acknowledged write stays,
    // B keeps serving, versions stay contiguous.
    const acknowledged: number[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        try {
          const res = await json(`${lb.url}/v1/admin/changes`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              message: `kill test ${w}.${n}`,
              operations: [
                { op: 'patch', slug: ['reddit', 'x', 'slack', 'zoom'][w]!, patch: { summary: `Kill test: writer ${w}, write ${n}.` } },
              ],
            }),
          });
          if (res.status === 201) acknowledged.push(res.body.version as number);
        } catch {
          // The connection to the killed instance broke: not acknowledged.
        }
      }
    };
    const writers = Promise.all([0, 1, 2, 3].map(writer));
    await new Promise((done) => setTimeout(done, 700));
    a!.child.kill('SIGKILL');
    await a!.exited;
    await new Promise((done) => setTimeout(done, 700));
    stop = true;
    await writers;
    expect(acknowledged.length).toBeGreaterThan(10);

    const final = RegistryInfo.parse((await json(`${b!.url}/v1/registry`)).body).version;
    const versions: number[] = [];
    for (let after: string | null = '0'; after !== null; ) {
      const page = ChangeList.parse((await json(`${b!.url}/v1/changes?after=${after}&limit=200`)).body);
      versions.push(...page.data.map((c) => c.version));
      after = page.nextCursor;
    }
    expect(versions).toEqual(Array.from({ length: final }, (_, i) => i + 1));
    for (const v of acknowledged) expect(versions).toContain(v);
    // The balancer still answers, through B.
    expect((await json(`${lb.url}/v1/platforms/linkedin`)).status).toBe(200);
    console.log(
      `multi-instance: ${ROUNDS} rounds of ${WRITERS} If-Match writers, 5 cross-instance reads, ${acknowledged.length} writes acknowledged around a kill -9; final version ${final}`,
    );
    await b!.stop();
  }, 90_000);
});
