import { describe, expect, it } from 'vitest';
import { withoutEncoding } from '../src/domain/etags.js';
import { PlatformWriteResult } from '../src/schemas/admin.js';
import { PlatformRecord } from '../src/schemas/platform.js';
import { ChangeList, ExportDocument, HistoryList, Problem, RegistryInfo } from '../src/schemas/responses.js';
import { createKey, documentOf, makeApp } from './helpers.js';

/**
 * Concurrency over real HTTP (the app listening on a port): writers race with If-Match and exactly
 * one wins each round, no update is lost, and readers running meanwhile always see one consistent
 * registry version at a time.
 */
const WRITERS = 8;
const ROUNDS = 10;
const READERS = 3;

describe('concurrent writers and readers', () => {
  it('lets exactly one If-Match writer win per round, loses no update, and never shows readers a torn state', async () => {
    // Load shedding off: the test's own clients share this event loop.
    const app = await makeApp({ MAX_EVENT_LOOP_DELAY_MS: 0 });
    const key = await createKey(app, 'racer', 'editor');
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const get = async (path: string) => {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      return { text: await res.text(), etag: res.headers.get('etag') };
    };
    const seedVersion = RegistryInfo.parse(JSON.parse((await get('/v1/registry')).text)).version;

    // Readers: until the writers are done, check that what they see is one version, whole.
    let writing = true;
    /** Bodies of /v1/platforms/linkedin?version=N as first read; a version's answer must never change. */
    const pinned = new Map<number, string>();
    const versionsSeen = new Set<number>();
    let readerPasses = 0;
    const reader = async () => {
      let lastVersion = 0;
      while (writing) {
        const current = await get('/v1/export');
        const exported = ExportDocument.parse(JSON.parse(current.text));
        const version = exported.version;
        versionsSeen.add(version);
        // The current export is byte for byte the export pinned at its version.
        expect((await get(`/v1/export?version=${version}`)).text).toBe(current.text);
        // Its version is the number of change sets recorded up to it: 1..version, none missing.
        const feedVersions: number[] = [];
        for (let after: string | null = '0'; after !== null; ) {
          const page = ChangeList.parse(JSON.parse((await get(`/v1/changes?after=${after}&limit=200`)).text));
          feedVersions.push(...page.data.map((c) => c.version));
          after = page.nextCursor;
        }
        expect(feedVersions.filter((v) => v <= version)).toEqual(Array.from({ length: version }, (_, i) => i + 1));
        // The platform read at that version is the platform in that export.
        const pinnedRead = await get(`/v1/platforms/linkedin?version=${version}`);
        const document = documentOf(PlatformRecord.parse(JSON.parse(pinnedRead.text)));
        expect(document).toEqual(exported.platforms.linkedin);
        const earlier = pinned.get(version);
        if (earlier === undefined) pinned.set(version, pinnedRead.text);
        else expect(pinnedRead.text).toBe(earlier);
        // The registry version never goes backwards for a client.
        const info = RegistryInfo.parse(JSON.parse((await get('/v1/registry')).text));
        expect(info.version).toBeGreaterThanOrEqual(Math.max(lastVersion, version));
        lastVersion = info.version;
        readerPasses++;
      }
    };

    // Writers: each round all read the ETag, then all send If-Match with it at once.
    const winners: { round: number; writer: number; summary: string; version: number; etag: string | null }[] = [];
    const writers = async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const reads = await Promise.all(Array.from({ length: WRITERS }, () => get('/v1/platforms/linkedin')));
        const etag = reads[0]!.etag!;
        expect(reads.every((r) => r.etag === etag)).toBe(true);
        // fetch asks for compression, so the read's tag carries the encoding's suffix; the write's names the same content.
        if (winners.length > 0) expect(withoutEncoding(etag)).toBe(winners.at(-1)!.etag);
        const results = await Promise.all(
          Array.from({ length: WRITERS }, async (_, writer) => {
            const summary = `Round ${round}: written by racer ${writer}.`;
            const res = await fetch(`${base}/v1/admin/platforms/linkedin`, {
              method: 'PATCH',
              headers: {
                authorization: `Bearer ${key}`,
                'content-type': 'application/merge-patch+json',
                'if-match': etag,
                'x-change-message': encodeURIComponent(`round ${round} racer ${writer}`),
              },
              body: JSON.stringify({ summary }),
            });
            return {
              writer,
              summary,
              status: res.status,
              type: res.headers.get('content-type'),
              etag: res.headers.get('etag'),
              body: await res.json(),
            };
          }),
        );
        const won = results.filter((r) => r.status === 201);
        const lost = results.filter((r) => r.status !== 201);
        expect(won, `round ${round}: ${results.map((r) => r.status).join(',')}`).toHaveLength(1);
        for (const r of lost) {
          expect(r.status).toBe(412);
          expect(r.type).toMatch(/^application\/problem\+json/);
          expect(Problem.parse(r.body).code).toBe('precondition-failed');
        }
        const winner = won[0]!;
        const result = PlatformWriteResult.parse(winner.body);
        expect(result.platform.summary).toBe(winner.summary);
        winners.push({ round, writer: winner.writer, summary: winner.summary, version: result.version, etag: winner.etag });
        // Let a reader pass finish on this version before the next round, so readers see versions change
        // (bounded: a stuck reader fails the test through its own assertions, not by waiting here).
        const passes = readerPasses;
        for (let waited = 0; readerPasses === passes && waited < 3000; waited += 10) await new Promise((done) => setTimeout(done, 10));
      }
    };

    await Promise.all([
      writers().finally(() => {
        writing = false;
      }),
      // A failing reader stops the others too, so a failure ends the test instead of leaving loops running.
      ...Array.from({ length: READERS }, () =>
        reader().catch((error: unknown) => {
          writing = false;
          throw error;
        }),
      ),
    ]);
    console.log(
      `concurrency: ${ROUNDS} rounds of ${WRITERS} writers; ${readerPasses} reader passes saw versions ${[...versionsSeen].sort((a, b) => a - b).join(', ')}`,
    );

    // One version per round, in order, nothing else written.
    expect(winners.map((w) => w.version)).toEqual(Array.from({ length: ROUNDS }, (_, i) => seedVersion + 1 + i));
    const feed = ChangeList.parse(JSON.parse((await get(`/v1/changes?after=${seedVersion}`)).text));
    expect(feed.data.map((c) => [c.version, c.message, c.platforms])).toEqual(
      winners.map((w) => [w.version, `round ${w.round} racer ${w.writer}`, ['linkedin']]),
    );
    // History shows each winning write once, with its own value.
    const history = HistoryList.parse(JSON.parse((await get('/v1/platforms/linkedin/history?limit=200')).text));
    const recent = history.data.filter((h) => h.version > seedVersion).reverse();
    expect(recent.map((h) => [h.version, h.author, h.patch])).toEqual(
      winners.map((w) => [w.version, 'racer', [{ op: 'replace', path: '/summary', value: w.summary }]]),
    );
    // No lost update: the platform holds the last winner's value.
    expect(PlatformRecord.parse(JSON.parse((await get('/v1/platforms/linkedin')).text)).summary).toBe(winners.at(-1)!.summary);
    // Pinned reads are unchanged now that writing is over.
    for (const [version, body] of pinned) expect((await get(`/v1/platforms/linkedin?version=${version}`)).text).toBe(body);
    expect(readerPasses).toBeGreaterThanOrEqual(READERS);
    expect(versionsSeen.size, 'readers ran while versions changed').toBeGreaterThanOrEqual(2);
  }, 60_000);
});
