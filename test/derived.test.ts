import http from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/db/sqlite-store.js';
import { ACCOUNT_TYPE_CODES, type AccountTypeCode, accountTypesNamed } from '../src/domain/account-types.js';
import { todayUtc } from '../src/domain/effective.js';
import { eventItemsOf, listAnswer, listSummaryOf, resolutionInputOf } from '../src/domain/summaries.js';
import { compareEvents } from '../src/domain/timeline.js';
import { DefaultStates, Devices } from '../src/schemas/common.js';
import type { PlatformDocument } from '../src/schemas/platform.js';
import { EventList, PlatformList, RegistryInfo } from '../src/schemas/responses.js';
import { loadSeedDocuments } from '../src/seed/files.js';
import { createServices } from '../src/services/index.js';
import { expectProblem, makeApp, parse, record } from './helpers.js';

// Lists, the timeline and the registry summary are read from data derived when each revision is
// written. These tests hold them to the document path they replaced: the same answers, computed
// from every platform's full document at the version asked for.

const REGIONS = [null, 'DE', 'FR', 'GB', 'US', 'BR', 'CA', 'EU', 'EEA', 'CH', 'JP'];
const DAYS = ['2019-06-01', '2023-01-01', '2024-09-18', '2024-11-03', '2025-06-30', '2026-01-01'];

async function documentsAt(app: FastifyInstance, version: number): Promise<PlatformDocument[]> {
  return Object.values((await app.services.exports.exportAt(version)).platforms);
}

/** GET /v1/events as it was computed before the timeline table: from every document. */
function timelineFromDocuments(docs: PlatformDocument[], q: { platform?: string; kind?: string; since?: string; until?: string }) {
  return docs
    .filter((d) => !q.platform || d.slug === q.platform)
    .flatMap(eventItemsOf)
    .filter(
      (e) =>
        (!q.kind || e.kind === q.kind) &&
        (!q.since || (e.date !== null && e.date >= q.since)) &&
        (!q.until || (e.date !== null && e.date <= q.until)),
    )
    .sort(compareEvents);
}

/** Every page of a paged list, followed to the end. */
async function allPages<T>(app: FastifyInstance, url: string, schema: typeof EventList | typeof PlatformList): Promise<T[]> {
  const out: T[] = [];
  let next: string | null = url;
  for (let pages = 0; next !== null && pages < 200; pages++) {
    const page = parse(schema, await app.inject(next)) as unknown as { data: T[]; nextCursor: string | null };
    out.push(...page.data);
    next = page.nextCursor ? `${url}&cursor=${page.nextCursor}` : null;
  }
  return out;
}

/** Edits that touch events, sources (and so evidence), regions and status, over several versions. */
/** Makes the export build of version 1 wait at its first page; returns what lets it go on. */
function holdBuildOfVersion1(app: FastifyInstance): () => void {
  const store = app.services.reader.store;
  const realPage = store.documentsPage.bind(store);
  let open!: () => void;
  const gate = new Promise<void>((done) => {
    open = done;
  });
  store.documentsPage = async (version, ...rest) => {
    if (version === 1) await gate;
    return realPage(version, ...rest);
  };
  return open;
}

async function editHistory(app: FastifyInstance): Promise<number[]> {
  const docs = Object.fromEntries((await documentsAt(app, 1)).map((d) => [d.slug, d]));
  const linkedin = docs.linkedin!;
  const meta = docs.facebook ?? Object.values(docs)[1]!;
  const versions = [1];
  const write = async (message: string, operations: Parameters<typeof record>[1]['operations']) => {
    const outcome = await record(app, { message, operations });
    expect(outcome.version, message).not.toBeNull();
    versions.push(outcome.version!);
  };
  // Drop one event, re-date another to the same day as a third (a tie the order must break).
  const [dropped, moved, anchor, ...rest] = linkedin.events;
  expect(dropped && moved && anchor).toBeTruthy();
  await write('Timeline edit', [
    {
      op: 'patch',
      slug: 'linkedin',
      patch: { events: [{ ...moved!, effectiveDate: anchor!.effectiveDate ?? anchor!.announcedDate ?? '2024-01-01' }, anchor!, ...rest] },
    },
  ]);
  // A source turned to press only: the evidence of every event citing it changes.
  await write('Source reclassified', [
    { op: 'patch', slug: meta.slug, patch: { sources: meta.sources.map((s, i) => (i === 0 ? { ...s, kind: 'press' } : s)) } },
  ]);
  // Changes that do not touch the timeline, then a retirement, then the dropped event back.
  await write('Re-verified', [{ op: 'patch', slug: 'linkedin', patch: { lastVerified: '2025-01-02' } }]);
  await write('Retired', [{ op: 'retire', slug: meta.slug }]);
  await write('Event restored', [{ op: 'patch', slug: 'linkedin', patch: { events: linkedin.events } }]);
  return versions;
}

describe('derived list and timeline data equal the document path', () => {
  it('a list item’s answer from the resolution input equals the one from the full document', () => {
    const docs = loadSeedDocuments();
    expect(docs.length).toBeGreaterThan(5);
    let compared = 0;
    for (const doc of docs) {
      const input = JSON.parse(JSON.stringify(resolutionInputOf(doc))) as PlatformDocument;
      expect(JSON.stringify(input).length).toBeLessThan(JSON.stringify(doc).length);
      for (const region of REGIONS) {
        for (const at of DAYS) {
          for (const accountType of ACCOUNT_TYPE_CODES) {
            const label = `${doc.slug} ${region} ${at} ${accountType}`;
            expect(listAnswer(input, region, at, accountType), label).toEqual(listAnswer(doc, region, at, accountType));
            compared++;
          }
        }
      }
      const summary = listSummaryOf(doc);
      expect(summary).toMatchObject({ name: doc.name, owner: doc.owner, homepage: doc.homepage, settingCount: doc.settings.length });
      expect(summary.devices).toEqual([...new Set(doc.settings.flatMap((s) => s.paths.map((p) => p.device)))]);
    }
    expect(compared).toBe(docs.length * REGIONS.length * DAYS.length * ACCOUNT_TYPE_CODES.length);
  });

  it('GET /v1/events at every version equals the timeline computed from that version’s documents', async () => {
    const app = await makeApp();
    const versions = await editHistory(app);
    const queries = [{}, { kind: 'regulator_action' }, { since: '2024-09-01' }, { until: '2024-06-30' }, { platform: 'linkedin' }];
    for (const version of versions) {
      const docs = await documentsAt(app, version);
      for (const q of queries) {
        const params = new URLSearchParams({ ...(q as Record<string, string>), version: String(version) });
        const expected = timelineFromDocuments(docs, q);
        // The largest page (200) holds the first 200 entries; the seed alone has more than that.
        const one = parse(EventList, await app.inject(`/v1/events?${params}&limit=200`));
        expect(one.data, `v${version} ${params}`).toEqual(expected.slice(0, 200));
        // Small pages put page edges inside runs of events sharing a date.
        expect(await allPages(app, `/v1/events?${params}&limit=3`, EventList), `paged v${version} ${params}`).toEqual(expected);
      }
    }
    expectProblem(await app.inject('/v1/events?platform=no-such-platform'), 404);
    await app.close();
  });

  it('GET /v1/platforms with every filter equals the list computed from the documents', async () => {
    const app = await makeApp();
    const versions = await editHistory(app);
    const today = todayUtc();
    for (const version of [versions[0]!, versions[versions.length - 1]!]) {
      const docs = (await documentsAt(app, version)).sort((a, b) => (a.slug < b.slug ? -1 : 1));
      const cases: Record<string, string>[] = [
        {},
        { region: 'DE' },
        { region: 'GB', at: '2024-10-01' },
        { device: 'desktop_app', region: 'DE' },
        ...Devices.map((device) => ({ device })),
        ...DefaultStates.map((defaultState) => ({ defaultState, region: 'FR' })),
        { category: 'social', status: 'active' },
        { q: 'link' },
        { accountType: 'enterprise', region: 'DE' },
        { accountType: 'education', defaultState: 'opted_out' },
      ];
      for (const c of cases) {
        const at = c.at ?? today;
        const expected = docs
          .filter((d) => (!c.category || d.category === c.category) && (!c.status || d.status === c.status))
          .filter((d) => !c.q || [d.slug, d.name, d.owner, ...d.settings.map((s) => s.name)].join('\n').toLowerCase().includes(c.q))
          .filter((d) => !c.device || d.settings.some((s) => s.paths.some((p) => p.device === c.device)))
          .map((d) => ({ d, answer: listAnswer(d, c.region ?? null, at, c.accountType as AccountTypeCode | undefined) }))
          .filter(({ answer }) => !c.defaultState || answer.defaultStates.includes(c.defaultState as never))
          .map(({ d, answer }) => ({
            slug: d.slug,
            name: d.name,
            owner: d.owner,
            category: d.category,
            status: d.status,
            lastVerified: d.lastVerified,
            trainingByDefault: answer.trainingByDefault,
            evidence: answer.evidence,
            decidedBy: answer.decidedBy,
            defaultStates: answer.defaultStates,
            accountTypes: accountTypesNamed(d),
            settingCount: d.settings.length,
          }));
        const url = `/v1/platforms?${new URLSearchParams({ ...c, version: String(version) })}`;
        const got = await allPages<Record<string, unknown>>(app, `${url}&limit=4`, PlatformList);
        expect(
          got.map(({ homepage: _h, devices: _d, revision: _r, ...item }) => item),
          url,
        ).toEqual(expected);
      }
    }
    await app.close();
  });

  it('GET /v1/registry counts equal those of the documents', async () => {
    const app = await makeApp();
    await editHistory(app);
    const info = parse(RegistryInfo, await app.inject('/v1/registry'));
    const docs = await documentsAt(app, info.version);
    const sum = (f: (d: PlatformDocument) => number) => docs.reduce((n, d) => n + f(d), 0);
    expect(info.platforms).toEqual({
      total: docs.length,
      active: docs.filter((d) => d.status === 'active').length,
      retired: docs.filter((d) => d.status === 'retired').length,
    });
    expect(info.counts).toEqual({
      settings: sum((d) => d.settings.length),
      regionRules: sum((d) => d.regionRules.length),
      events: sum((d) => d.events.length),
      sources: sum((d) => d.sources.length),
    });
    const raw = (await app.inject('/v1/registry')).json() as { freshness: { oldestLastVerified: string } };
    expect(raw.freshness.oldestLastVerified).toBe(docs.map((d) => d.lastVerified).sort()[0]);
    await app.close();
  });
});

describe('revisions written before the derived data existed', () => {
  it('are derived at start-up into the same lists and timeline', async () => {
    const app = await makeApp();
    if (!(app.store instanceof SqliteStore)) return; // clearing the columns needs SQL; the derivation itself is engine-neutral
    const versions = await editHistory(app);
    const urls = versions.flatMap((v) => [`/v1/events?version=${v}&limit=200`, `/v1/platforms?version=${v}&region=DE&limit=200`]);
    const before = await Promise.all(urls.map(async (url) => (await app.inject(url)).body));
    app.store.rawWriter.exec(
      "update platform_revisions set summary = '', resolution = '', devices = '', last_verified = ''; delete from platform_events",
    );
    expect(await app.services.writes.backfillDerived()).toBe((await app.store.rowCounts()).platformRevisions);
    expect(await app.services.writes.backfillDerived()).toBe(0);
    // Fresh services, so no parsed summary of the first pass is remembered.
    const fresh = createServices(app.store);
    for (const [i, url] of urls.entries()) {
      const version = Number(/version=(\d+)/.exec(url)![1]);
      if (url.startsWith('/v1/events')) {
        expect(JSON.stringify(await fresh.events.events({ version, limit: 200 })), url).toBe(before[i]);
      } else {
        expect(JSON.stringify(await fresh.platforms.list({ version, region: 'DE', limit: 200 })), url).toBe(before[i]);
      }
    }
    await app.close();
  });
});

describe('GET /v1/export from built files', () => {
  it('serves the same document gzip-encoded or not, built once per version', async () => {
    const app = await makeApp();
    await editHistory(app);
    const files = app.services.exports;
    const original = files.file.bind(files);
    const built: number[] = [];
    const build = (app.services.exports as unknown as { files: { build: (...a: unknown[]) => Promise<unknown> } }).files;
    const realBuild = build.build.bind(build);
    build.build = (...args: unknown[]) => {
      built.push(args[0] as number);
      return realBuild(...args);
    };
    for (const version of [1, 3]) {
      const expected = JSON.stringify(await app.services.exports.exportAt(version));
      const [plain, again, zipped, brotli] = await Promise.all([
        app.inject(`/v1/export?version=${version}`),
        app.inject(`/v1/export?version=${version}`),
        app.inject({ url: `/v1/export?version=${version}`, headers: { 'accept-encoding': 'gzip' } }),
        app.inject({ url: `/v1/export?version=${version}`, headers: { 'accept-encoding': 'br;q=1, gzip;q=0.5' } }),
      ]);
      expect(plain.body).toBe(expected);
      expect(again.body).toBe(expected);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(zipped.rawPayload).toString('utf8')).toBe(expected);
      expect(brotli.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(brotli.rawPayload).toString('utf8')).toBe(expected);
      expect(new Set([plain.headers.etag, zipped.headers.etag, brotli.headers.etag]).size).toBe(3);
      expect(plain.headers['cache-control']).toContain('immutable');
      const revalidated = await app.inject({
        url: `/v1/export?version=${version}`,
        headers: { 'if-none-match': String(plain.headers.etag) },
      });
      expect(revalidated.statusCode).toBe(304);
    }
    // Identity answers when gzip is refused.
    const refused = await app.inject({ url: '/v1/export', headers: { 'accept-encoding': 'gzip;q=0, identity' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(built).toEqual([1, 3, expect.any(Number)]);
    expect(original).toBeTypeOf('function');
    await app.close();
  });

  it('answers exports beyond EXPORT_CONCURRENCY with 503 and Retry-After, and serves again once one is done', async () => {
    const app = await makeApp({ EXPORT_CONCURRENCY: 1 });
    const exports = app.services.exports;
    const real = exports.file.bind(exports);
    let open!: () => void;
    const gate = new Promise<void>((done) => {
      open = done;
    });
    exports.file = async (version?: number) => {
      await gate;
      return real(version);
    };
    const first = app.inject('/v1/export');
    await new Promise((done) => setTimeout(done, 50));
    const refused = await app.inject('/v1/export');
    expectProblem(refused, 503);
    expect(refused.headers['retry-after']).toBe('5');
    // Cheap reads are not affected by the cap.
    expect((await app.inject('/v1/platforms/linkedin')).statusCode).toBe(200);
    open();
    expect((await first).statusCode).toBe(200);
    expect((await app.inject('/v1/export')).statusCode).toBe(200);
    await app.close();
  });

  it('never refuses a client its next export on a connection whose last export it has read in full', async () => {
    // One connection, EXPORT_CONCURRENCY 1: each export is read to its last byte before the next is
    // asked for, as a client does. The slot must be free by then; it was not always, when the file
    // stream ended only after one more read of the file.
    const app = await makeApp({ EXPORT_CONCURRENCY: 1 });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const statuses: Record<number, number> = {};
    try {
      for (let i = 0; i < 60; i++) {
        const encoding = i % 2 === 0 ? 'br' : 'gzip';
        const status = await new Promise<number>((done, fail) => {
          http
            .get(`${base}/v1/export`, { agent, headers: { 'accept-encoding': encoding } }, (res) => {
              res.resume();
              res.on('end', () => done(res.statusCode ?? 0));
            })
            .on('error', fail);
        });
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    } finally {
      agent.destroy();
      await app.close();
    }
    expect(statuses).toEqual({ 200: 60 });
  });

  it('never refuses a request for the current export when a write lands between resolving its version and building it', async () => {
    const app = await makeApp();
    const versions = await editHistory(app);
    const head = versions[versions.length - 1]!;
    const open = holdBuildOfVersion1(app);
    // A past version's build holds the one place past builds have.
    const past = app.inject('/v1/export?version=1');
    await new Promise((done) => setTimeout(done, 50));
    // Another editor's write is acknowledged after the request resolved the current version.
    const exports = app.services.exports;
    const realFile = exports.file.bind(exports);
    exports.file = async (requested?: number, current?: boolean) => {
      await record(app, {
        message: 'A write in between',
        operations: [{ op: 'patch', slug: 'linkedin', patch: { lastVerified: '2025-03-04' } }],
      });
      return realFile(requested, current);
    };
    const latest = app.inject('/v1/export');
    await new Promise((done) => setTimeout(done, 50));
    open();
    expect((await past).statusCode).toBe(200);
    const response = await latest;
    expect(response.statusCode).toBe(200);
    // The version it resolved, which the ETag names too.
    expect(response.json().version).toBe(head);
    expect(response.headers.etag).toBe(`"export.${head}"`);
    await app.close();
  });

  it('builds one past version at a time (503 and Retry-After for another), while the current version waits its turn', async () => {
    const app = await makeApp();
    const versions = await editHistory(app);
    const current = versions[versions.length - 1]!;
    const open = holdBuildOfVersion1(app);
    const first = app.inject('/v1/export?version=1');
    await new Promise((done) => setTimeout(done, 50));
    const refused = await app.inject(`/v1/export?version=${versions[1]}`);
    expectProblem(refused, 503);
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.json().detail).toMatch(/building another past version's export/);
    // The same past version joins the build under way; the current version is not refused: it is
    // built as soon as the build ahead of it is done.
    const joined = app.inject('/v1/export?version=1');
    const latest = app.inject('/v1/export');
    await new Promise((done) => setTimeout(done, 50));
    open();
    expect((await first).statusCode).toBe(200);
    expect((await joined).body).toBe((await first).body);
    const latestResponse = await latest;
    expect(latestResponse.statusCode).toBe(200);
    expect(latestResponse.json().version).toBe(current);
    expect((await app.inject(`/v1/export?version=${versions[1]}`)).statusCode).toBe(200);
    await app.close();
  });
});
