import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ChangeEntry } from '../src/schemas/changes.js';
import { PlatformRecord } from '../src/schemas/platform.js';
import { ChangeList, RegistryInfo } from '../src/schemas/responses.js';
import { keyInDatabase } from './helpers.js';
import { startServer } from './server-process.js';

/**
 * Crash safety on the real server: a child process on a SQLite file takes concurrent admin writes
 * over HTTP and is killed with SIGKILL mid-stream. After a restart on the same file every write that
 * was acknowledged with a 2xx is there, versions are contiguous, and the file passes integrity_check.
 */
const WORKERS = ['linkedin', 'facebook', 'instagram', 'x'];
const KILL_AFTER_WRITES = 150;
const KILL_AFTER_MS = 1_000;
/** Even on a slow machine, enough writes to make the check mean something. */
const MIN_WRITES = 20;

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.json();
}

interface Write {
  slug: string;
  summary: string;
  version?: number;
}

describe('crash safety', () => {
  it('keeps every acknowledged write through a SIGKILL mid-stream, with contiguous versions and a sound file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crash-'));
    try {
      const databasePath = join(dir, 'registry.sqlite');
      // The key is created before the server starts, on the same file (migrated here, seeded by the server).
      const key = await keyInDatabase(databasePath, 'crash-editor');

      let server = await startServer(databasePath);
      const seedVersion = RegistryInfo.parse(await getJson(`${server.url}/v1/registry`)).version;
      const acknowledged: Write[] = [];
      /** Per worker, the write sent but not acknowledged when the server died: it may or may not have committed. */
      const inFlight = new Map<string, Write>();
      const started = Date.now();
      let killed = false;
      let killedAfterMs = 0;

      const worker = async (slug: string, index: number) => {
        for (let n = 0; !killed; n++) {
          const write: Write = { slug, summary: `Crash test: worker ${index}, write ${n}, ${slug}.` };
          inFlight.set(slug, write);
          try {
            const res = await fetch(`${server.url}/v1/admin/changes`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                message: `crash test ${index}/${n}`,
                operations: [{ op: 'patch', slug, patch: { summary: write.summary } }],
              }),
            });
            const body = (await res.json()) as { version?: number };
            // Anything but a 201 before the kill is a failure of its own, not a crash effect.
            if (res.status !== 201) throw new Error(`write answered ${res.status}: ${JSON.stringify(body)}`);
            acknowledged.push({ ...write, version: body.version });
            inFlight.delete(slug);
          } catch (error) {
            if (killed) return; // the connection died with the server: this write stays in flight
            throw error;
          }
          const enough =
            acknowledged.length >= KILL_AFTER_WRITES || (Date.now() - started >= KILL_AFTER_MS && acknowledged.length >= MIN_WRITES);
          if (!killed && enough) {
            killed = true;
            killedAfterMs = Date.now() - started;
            server.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(WORKERS.map((slug, i) => worker(slug, i)));
      expect(await server.exited).toBeNull(); // killed by a signal, no exit code
      expect(server.child.signalCode).toBe('SIGKILL');
      expect(acknowledged.length).toBeGreaterThanOrEqual(MIN_WRITES);
      // Workers never pause between writes, so the others were mid-request when the trigger was pulled;
      // one whose response had already arrived whole (on a busy machine) finishes as acknowledged, so
      // at least one write, and at most one per other worker, was in flight.
      expect(inFlight.size).toBeGreaterThan(0);
      expect(inFlight.size).toBeLessThanOrEqual(WORKERS.length - 1);
      // The process died with its log not checkpointed: recovery has to read the WAL.
      expect(existsSync(`${databasePath}-wal`)).toBe(true);
      expect(statSync(`${databasePath}-wal`).size).toBeGreaterThan(0);

      server = await startServer(databasePath);
      const finalVersion = RegistryInfo.parse(await getJson(`${server.url}/v1/registry`)).version;

      // Contiguous versions 1..final, one change set each.
      const versions: number[] = [];
      for (let after = 0; ; ) {
        const page = ChangeList.parse(await getJson(`${server.url}/v1/changes?after=${after}&limit=200`));
        versions.push(...page.data.map((c) => c.version));
        if (page.nextCursor === null) break;
        after = Number(page.nextCursor);
      }
      expect(versions).toEqual(Array.from({ length: finalVersion }, (_, i) => i + 1));
      // Every acknowledged write committed; at most the in-flight ones (one per worker) did too.
      const written = finalVersion - seedVersion;
      expect(written).toBeGreaterThanOrEqual(acknowledged.length);
      expect(written).toBeLessThanOrEqual(acknowledged.length + inFlight.size);
      expect(new Set(acknowledged.map((w) => w.version)).size).toBe(acknowledged.length);

      console.log(
        `crash: killed after ${acknowledged.length} acknowledged writes in ${killedAfterMs} ms with ${inFlight.size} in flight; ` +
          `${written - acknowledged.length} of those had committed`,
      );

      // Each acknowledged version is exactly the write it acknowledged.
      for (const write of acknowledged) {
        const change = ChangeEntry.parse(await getJson(`${server.url}/v1/changes/${write.version}`));
        expect(change).toMatchObject({ version: write.version, author: 'crash-editor', platforms: [write.slug] });
        expect(change.patch).toEqual([{ op: 'replace', path: `/${write.slug}/summary`, value: write.summary }]);
      }

      // Each platform ends at its last acknowledged write, or at the one in flight when the server died.
      for (const slug of WORKERS) {
        const last = acknowledged.filter((w) => w.slug === slug).at(-1);
        const record = PlatformRecord.parse(await getJson(`${server.url}/v1/platforms/${slug}`));
        const allowed = [last?.summary, inFlight.get(slug)?.summary].filter((s) => s !== undefined);
        expect(allowed, slug).toContain(record.summary);
      }

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const db = new Database(databasePath, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        // The tables agree with each other: every revision belongs to a recorded change set and a known
        // slug, and every change set wrote at least one revision.
        const orphans = (query: string) => (db.prepare(query).get() as { n: number }).n;
        expect(
          orphans(
            'select count(*) as n from platform_revisions r left join change_sets c on c.version = r.version where c.version is null',
          ),
        ).toBe(0);
        expect(
          orphans('select count(*) as n from platform_revisions r left join platforms p on p.slug = r.slug where p.slug is null'),
        ).toBe(0);
        expect(
          orphans(
            'select count(*) as n from change_sets c where not exists (select 1 from platform_revisions r where r.version = c.version)',
          ),
        ).toBe(0);
        const rows = db.prepare('select count(*) as n from change_sets').get() as { n: number };
        expect(rows.n).toBe(finalVersion);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
