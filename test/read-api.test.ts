import fastJsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { ChangeEntry } from '../src/schemas/changes.js';
import { PlatformRecord } from '../src/schemas/platform.js';
import {
  ChangeList,
  EventList,
  ExportDocument,
  Health,
  HistoryList,
  OptOutAnswer,
  PlatformDiff,
  PlatformList,
  Regions,
  RegistryInfo,
} from '../src/schemas/responses.js';
import { loadSeedDocuments } from '../src/seed/files.js';
import { documentOf, expectProblem, makeApp, parse, record } from './helpers.js';

const seedCount = loadSeedDocuments().length;

describe('registry, health, regions', () => {
  it('reports the seeded version, counts and the data licence', async () => {
    const app = await makeApp();
    const info = parse(RegistryInfo, await app.inject('/v1/registry'));
    expect(info.version).toBe(1);
    expect(info.platforms.total).toBe(seedCount);
    expect(info.counts.sources).toBeGreaterThan(seedCount);
    expect(info.lastChange?.author).toBe('seed');
    expect(info.license.spdx).toBe('CC-BY-4.0');
  });

  it('answers /healthz with the current version', async () => {
    const app = await makeApp();
    const res = await app.inject('/healthz');
    expect(parse(Health, res)).toEqual({ status: 'ok', version: 1 });
  });

  it('lists region groups with their members and every country', async () => {
    const app = await makeApp();
    const regions = parse(Regions, await app.inject('/v1/regions'));
    const eea = regions.groups.find((g) => g.code === 'EEA');
    expect(eea?.members).toEqual(expect.arrayContaining(['DE', 'NO', 'IS', 'LI']));
    expect(eea?.members).not.toContain('CH');
    expect(regions.groups.find((g) => g.code === 'EU')?.members).toHaveLength(27);
    expect(regions.countries.find((c) => c.code === 'GB')?.name).toMatch(/United Kingdom/);
  });

  it('starts empty at version 0 without seed data', async () => {
    const app = await makeApp({ SEED: false });
    expect(parse(RegistryInfo, await app.inject('/v1/registry')).version).toBe(0);
    expect(parse(PlatformList, await app.inject('/v1/platforms')).data).toEqual([]);
  });
});

describe('GET /v1/platforms', () => {
  it('pages through every platform with nextCursor, in slug order', async () => {
    const app = await makeApp();
    const slugs: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/platforms?limit=4${cursor ? `&cursor=${cursor}` : ''}`;
      const page = parse(PlatformList, await app.inject(url));
      expect(page.data.length).toBeLessThanOrEqual(4);
      slugs.push(...page.data.map((p) => p.slug));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(slugs).toHaveLength(seedCount);
    expect([...slugs].sort()).toEqual(slugs);
    expect(new Set(slugs).size).toBe(seedCount);
  });

  it('filters by category, text, device and resolved default state', async () => {
    const app = await makeApp();
    const professional = parse(PlatformList, await app.inject('/v1/platforms?category=professional'));
    expect(professional.data.map((p) => p.slug)).toContain('linkedin');
    expect(professional.data.every((p) => p.category === 'professional')).toBe(true);

    const q = parse(PlatformList, await app.inject('/v1/platforms?q=LinkedIn'));
    expect(q.data.map((p) => p.slug)).toEqual(['linkedin']);

    const ios = parse(PlatformList, await app.inject('/v1/platforms?device=ios&limit=200'));
    expect(ios.data.length).toBeGreaterThan(0);
    expect(ios.data.every((p) => p.devices.includes('ios'))).toBe(true);

    const deOld = parse(PlatformList, await app.inject('/v1/platforms?q=linkedin&region=DE&at=2024-10-01'));
    expect(deOld.data[0]?.trainingByDefault).toBe(false);
    const deNew = parse(PlatformList, await app.inject('/v1/platforms?q=linkedin&region=DE&at=2025-12-01&defaultState=opted_in'));
    expect(deNew.data[0]?.trainingByDefault).toBe(true);
  });

  it('rejects bad parameters with problem+json naming the field', async () => {
    const app = await makeApp();
    for (const [query, field] of [
      ['limit=0', 'query.limit'],
      ['limit=201', 'query.limit'],
      ['limit=abc', 'query.limit'],
      ['status=gone', 'query.status'],
      ['device=fridge', 'query.device'],
      ['region=XX', 'query.region'],
      ['at=2024-02-30', 'query.at'],
      ['version=-1', 'query.version'],
      ['regoin=DE', 'query.regoin'],
      ['cursor=not-a-cursor', 'query.cursor'],
    ] as const) {
      const problem = expectProblem(await app.inject(`/v1/platforms?${query}`), 400);
      expect(
        problem.errors?.map((e) => e.field),
        query,
      ).toContain(field);
    }
  });

  it('answers 404 for a version that does not exist yet', async () => {
    const app = await makeApp();
    const problem = expectProblem(await app.inject('/v1/platforms?version=2'), 404);
    expect(problem.code).toBe('version-not-found');
    expect(problem.detail).toMatch(/current version is 1/);
  });
});

describe('GET /v1/platforms/{slug}', () => {
  it('returns the full record with settings, paths, region rules, events and sources', async () => {
    const app = await makeApp();
    const res = await app.inject('/v1/platforms/linkedin');
    const record = parse(PlatformRecord, res);
    expect(record.settings.find((s) => s.id === 'data-for-generative-ai-improvement')?.label).toBe(
      'Use my data for training content creation AI models',
    );
    expect(record.regionRules.length).toBeGreaterThan(0);
    expect(record.events.length).toBeGreaterThan(0);
    expect(record.sources.length).toBeGreaterThan(0);
    expect(record.revision.version).toBe(1);
    expect(record.at).toBeNull();
    expect(res.headers.etag).toBeTruthy();
    expect(res.headers['cache-control']).toBe('public, no-cache');
  });

  it('narrows to what applied on a day with `at`', async () => {
    const app = await makeApp();
    const before = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin?at=2024-01-01'));
    // The generative-AI setting was introduced in September 2024.
    expect(before.settings.map((s) => s.id)).not.toContain('data-for-generative-ai-improvement');
    // No LinkedIn event in the seed is that old; a later day keeps exactly the events dated by then.
    expect(before.events).toEqual([]);
    const full = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
    const autumn = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin?at=2024-10-01'));
    const dated = (e: { effectiveDate: string | null; announcedDate: string | null }) => e.effectiveDate ?? e.announcedDate ?? '';
    expect(autumn.events.length).toBeGreaterThan(0);
    expect(autumn.events.length).toBeLessThan(full.events.length);
    expect(autumn.events.filter((e) => dated(e) > '2024-10-01')).toEqual([]);
    const after = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin?at=2025-12-01'));
    expect(after.regionRules.length).toBeGreaterThan(0);
    expect(after.regionRules.every((r) => (r.effectiveFrom ?? '') <= '2025-12-01' && (r.effectiveUntil ?? '9999') > '2025-12-01')).toBe(
      true,
    );
    expect(after.at).toBe('2025-12-01');
  });

  it('answers 404 problem+json for an unknown platform', async () => {
    const app = await makeApp();
    const problem = expectProblem(await app.inject('/v1/platforms/myspace'), 404);
    expect(problem.detail).toMatch(/myspace/);
    expectProblem(await app.inject('/v1/platforms/Not_A_Slug'), 400);
  });

  it('serves version-pinned reads as immutable and 304s a matching If-None-Match', async () => {
    const app = await makeApp();
    const pinned = await app.inject('/v1/platforms/linkedin?version=1');
    expect(pinned.statusCode).toBe(200);
    expect(pinned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const etag = String(pinned.headers.etag);
    const again = await app.inject({ url: '/v1/platforms/linkedin?version=1', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const list = await app.inject({ url: '/v1/platforms/linkedin?version=1', headers: { 'if-none-match': `"other", W/${etag}` } });
    expect(list.statusCode).toBe(304);
    const stale = await app.inject({ url: '/v1/platforms/linkedin?version=1', headers: { 'if-none-match': '"other"' } });
    expect(stale.statusCode).toBe(200);
  });

  it('puts an ETag on every GET, including the docs and the OpenAPI document', async () => {
    const app = await makeApp();
    for (const url of ['/v1/regions', '/v1/registry', '/v1/events', '/v1/changes', '/v1/export', '/openapi.json', '/healthz']) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers.etag, url).toMatch(/^"/);
      const cached = await app.inject({ url, headers: { 'if-none-match': String(res.headers.etag) } });
      expect(cached.statusCode, url).toBe(304);
    }
  });
});

describe('as-of reads by version and by date', () => {
  async function appWithChange() {
    const app = await makeApp();
    const result = await record(app, {
      author: 'test',
      message: 'Rename LinkedIn for the test',
      operations: [{ op: 'patch', slug: 'linkedin', patch: { name: 'LinkedIn (renamed)' } }],
    });
    expect(result.version).toBe(2);
    return app;
  }

  it('reads any version back exactly while the current one moves on', async () => {
    const app = await appWithChange();
    const v1 = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin?version=1'));
    const v2 = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
    expect(v1.name).toBe('LinkedIn');
    expect(v2.name).toBe('LinkedIn (renamed)');
    expect(v2.revision.version).toBe(2);
    // An untouched platform still reports the revision it was last changed at.
    const x = parse(PlatformRecord, await app.inject('/v1/platforms/x'));
    expect(x.revision.version).toBe(1);
    // …and its body (so its ETag) is unchanged by writes to other platforms.
    const xAt1 = await app.inject('/v1/platforms/x?version=1');
    expect((await app.inject('/v1/platforms/x')).headers.etag).toBe(xAt1.headers.etag);
  });

  it('combines version and at', async () => {
    const app = await appWithChange();
    const answer = parse(OptOutAnswer, await app.inject('/v1/platforms/linkedin/opt-out?region=DE&at=2024-10-01&version=1'));
    expect(answer.platform.name).toBe('LinkedIn');
    expect(answer.trainingByDefault).toBe(false);
  });

  it('lists history and diffs between versions', async () => {
    const app = await appWithChange();
    const history = parse(HistoryList, await app.inject('/v1/platforms/linkedin/history'));
    expect(history.data.map((h) => h.version)).toEqual([2, 1]);
    expect(history.data[0]).toMatchObject({ author: 'test', message: 'Rename LinkedIn for the test', op: 'update' });
    expect(history.data[0]?.patch).toEqual([{ op: 'replace', path: '/name', value: 'LinkedIn (renamed)' }]);
    expect(history.data[1]?.op).toBe('create');
    const paged = parse(HistoryList, await app.inject('/v1/platforms/linkedin/history?limit=1'));
    expect(paged.data).toHaveLength(1);
    const next = parse(HistoryList, await app.inject(`/v1/platforms/linkedin/history?limit=1&cursor=${paged.nextCursor}`));
    expect(next.data.map((h) => h.version)).toEqual([1]);
    expect(next.nextCursor).toBeNull();

    const diff = parse(PlatformDiff, await app.inject('/v1/platforms/linkedin/diff?from=1&to=2'));
    expect(diff.patch).toEqual([{ op: 'replace', path: '/name', value: 'LinkedIn (renamed)' }]);
    expect(parse(PlatformDiff, await app.inject('/v1/platforms/x/diff?from=1&to=2')).patch).toEqual([]);
    expectProblem(await app.inject('/v1/platforms/linkedin/diff?from=1&to=3'), 404);
    expectProblem(await app.inject('/v1/platforms/linkedin/diff?from=1'), 400);
    expectProblem(await app.inject('/v1/platforms/nope/history'), 404);
  });
});

describe('GET /v1/platforms/{slug}/opt-out', () => {
  it('LinkedIn in Germany: excluded on 2024-10-01, opted in after 2025-11-03', async () => {
    const app = await makeApp();
    const before = parse(OptOutAnswer, await app.inject('/v1/platforms/linkedin/opt-out?region=DE&device=web&at=2024-10-01'));
    expect(before.trainingByDefault).toBe(false);
    expect(before.decidedBy).toMatchObject({ kind: 'region_rule', matchedBy: 'group', settingId: 'data-for-generative-ai-improvement' });
    expect(before.rule?.regions).toEqual(expect.arrayContaining(['EEA']));
    expect(before.rule?.treatment).toBe('excluded');

    const after = parse(OptOutAnswer, await app.inject('/v1/platforms/linkedin/opt-out?region=DE&device=web&at=2025-12-01'));
    expect(after.trainingByDefault).toBe(true);
    const setting = after.settings.find((s) => s.id === 'data-for-generative-ai-improvement');
    expect(setting?.defaultState).toBe('opted_in');
    expect(setting?.paths.map((p) => p.device)).toEqual(['web']);
    expect(setting?.paths[0]?.steps.length).toBeGreaterThan(2);
    expect(setting?.optOutUrl).toBe('https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement');
    expect(after.sources.length).toBeGreaterThan(0);
    const cited = new Set(after.sources.map((s) => s.id));
    expect(setting?.sources.length).toBeGreaterThan(0);
    expect(setting?.sources.every((id) => cited.has(id))).toBe(true);
  });

  it('LinkedIn in the UK: a country rule decides, and the US had no exclusion', async () => {
    const app = await makeApp();
    const gb = parse(OptOutAnswer, await app.inject('/v1/platforms/linkedin/opt-out?region=gb&at=2024-10-01'));
    expect(gb.region).toBe('GB');
    expect(gb.trainingByDefault).toBe(false);
    expect(gb.decidedBy?.matchedBy).toBe('country');
    const us = parse(OptOutAnswer, await app.inject('/v1/platforms/linkedin/opt-out?region=US&at=2024-10-01'));
    expect(us.trainingByDefault).toBe(true);
    expect(us.decidedBy?.kind).toBe('setting_default');
  });

  it('Meta in Germany: no training before the 2024 plan or during the pause, an objection form from 2025-05-27', async () => {
    const app = await makeApp();
    const on = async (at: string) => parse(OptOutAnswer, await app.inject(`/v1/platforms/facebook/opt-out?region=DE&at=${at}`));
    expect((await on('2024-06-01')).trainingByDefault).toBe(false);
    expect((await on('2024-10-01')).trainingByDefault).toBe(false);
    const after = await on('2025-06-01');
    expect(after.trainingByDefault).toBe(true);
    expect(after.settings.length).toBeGreaterThan(0);
    expect(after.settings.every((s) => s.mechanism === 'form')).toBe(true);
    // Outside Europe there is no opt-out at all.
    const us = parse(OptOutAnswer, await app.inject('/v1/platforms/facebook/opt-out?region=US&at=2025-06-01'));
    expect(us.trainingByDefault).toBe(true);
    expect(us.settings.length).toBeGreaterThan(0);
    const deciding = us.settings.find((s) => s.id === us.decidedBy?.settingId);
    expect([deciding?.defaultState, deciding?.mechanism]).toEqual(['no_choice', 'none']);
  });

  it('gives steps only for the device asked for', async () => {
    const app = await makeApp();
    const all = parse(OptOutAnswer, await app.inject('/v1/platforms/linkedin/opt-out?region=US'));
    const android = parse(OptOutAnswer, await app.inject('/v1/platforms/linkedin/opt-out?region=US&device=android'));
    const gai = (a: typeof all) => a.settings.find((s) => s.id === 'data-for-generative-ai-improvement');
    expect(gai(all)?.paths.length).toBeGreaterThan(1);
    expect(gai(android)?.paths.map((p) => p.device)).toEqual(['android']);
    expect(gai(android)?.availableDevices).toEqual(gai(all)?.availableDevices);
  });

  it('answers 400 listing the valid values for an unknown region or device', async () => {
    const app = await makeApp();
    const region = expectProblem(await app.inject('/v1/platforms/linkedin/opt-out?region=UK'), 400);
    expect(region.errors?.[0]?.field).toBe('query.region');
    expect((region.validValues as Record<string, string[]>)['query.region']).toEqual(expect.arrayContaining(['GB', 'DE', 'EU', 'EEA']));
    const device = expectProblem(await app.inject('/v1/platforms/linkedin/opt-out?device=fridge'), 400);
    expect((device.validValues as Record<string, string[]>)['query.device']).toEqual([
      'web',
      'ios',
      'android',
      'mobile_web',
      'desktop_app',
    ]);
    expectProblem(await app.inject('/v1/platforms/myspace/opt-out?region=DE'), 404);
  });
});

describe('events, changes and export', () => {
  it('lists the policy timeline newest first with filters', async () => {
    const app = await makeApp();
    const all = parse(EventList, await app.inject('/v1/events?limit=200'));
    const dates = all.data.map((e) => e.date).filter((d): d is string => d !== null);
    expect([...dates].sort().reverse()).toEqual(dates);
    const linkedin = parse(EventList, await app.inject('/v1/events?platform=linkedin&since=2024-09-01&until=2024-12-31&limit=200'));
    expect(linkedin.data.length).toBeGreaterThan(2);
    expect(
      linkedin.data.every((e) => e.platform === 'linkedin' && e.date !== null && e.date >= '2024-09-01' && e.date <= '2024-12-31'),
    ).toBe(true);
    expect(linkedin.data.every((e) => e.sourceDetails.length === e.sources.length)).toBe(true);
    const regulator = parse(EventList, await app.inject('/v1/events?kind=regulator_action&limit=200'));
    expect(regulator.data.length).toBeGreaterThan(0);
    expect(regulator.data.every((e) => e.kind === 'regulator_action')).toBe(true);
    const first = parse(EventList, await app.inject('/v1/events?limit=3'));
    const second = parse(EventList, await app.inject(`/v1/events?limit=3&cursor=${first.nextCursor}`));
    expect(second.data[0]).toEqual(all.data[3]);
    expectProblem(await app.inject('/v1/events?kind=rumour'), 400);
    expectProblem(await app.inject('/v1/events?platform=myspace'), 404);
  });

  it('serves the change feed and single change sets with RFC 6902 patches', async () => {
    const app = await makeApp();
    await record(app, {
      author: 'test',
      message: 'Retire Discord for the test',
      operations: [{ op: 'retire', slug: 'discord' }],
    });
    // The seed's change set alone can fill a page (they close early past ~512 KB of patches): follow the cursor.
    const first = parse(ChangeList, await app.inject('/v1/changes?after=0'));
    const rest = first.nextCursor ? parse(ChangeList, await app.inject(`/v1/changes?after=${first.nextCursor}`)).data : [];
    const feed = { data: [...first.data, ...rest] };
    expect(feed.data.map((c) => c.version)).toEqual([1, 2]);
    expect(feed.data[1]).toMatchObject({ author: 'test', platforms: ['discord'], revertOf: null });
    expect(feed.data[1]?.patch).toEqual([{ op: 'replace', path: '/discord/status', value: 'retired' }]);
    const page = parse(ChangeList, await app.inject('/v1/changes?after=0&limit=1'));
    expect(page.nextCursor).toBe('1');
    expect(parse(ChangeList, await app.inject('/v1/changes?after=2')).data).toEqual([]);
    const one = parse(ChangeEntry, await app.inject('/v1/changes/2'));
    expect(one).toEqual(feed.data[1]);
    expectProblem(await app.inject('/v1/changes/3'), 404);
    expectProblem(await app.inject('/v1/changes/zero'), 400);
  });

  it('closes a feed page early when its patches are large, and paging still yields every version once', async () => {
    const app = await makeApp();
    const linkedin = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
    const { revision: _r, at: _a, ...doc } = linkedin;
    for (let i = 0; i < 10; i++) {
      await record(app, {
        author: 'test',
        message: `Copies batch ${i}`,
        operations: [0, 1, 2].map((j) => ({ op: 'put' as const, slug: `copy-${i}-${j}`, platform: { ...doc, slug: `copy-${i}-${j}` } })),
      });
    }
    const first = parse(ChangeList, await app.inject('/v1/changes?after=0&limit=200'));
    expect(first.data.length).toBeLessThan(11);
    expect(first.nextCursor).toBe(String(first.data[first.data.length - 1]?.version));
    const seen: number[] = [];
    let after = '0';
    for (let pages = 0; pages < 20; pages++) {
      const page = parse(ChangeList, await app.inject(`/v1/changes?after=${after}&limit=200`));
      seen.push(...page.data.map((c) => c.version));
      if (!page.nextCursor) break;
      after = page.nextCursor;
    }
    expect(seen).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
  });

  it('round-trips: replaying the change feed onto {} rebuilds the export at every version', async () => {
    const app = await makeApp();
    await record(app, {
      author: 'test',
      message: 'Two edits',
      operations: [
        { op: 'patch', slug: 'linkedin', patch: { summary: 'Edited summary for the round-trip test.' } },
        { op: 'retire', slug: 'x' },
      ],
    });
    const feed = parse(ChangeList, await app.inject('/v1/changes?limit=200'));
    let state: Record<string, unknown> = {};
    for (const entry of feed.data) {
      state = fastJsonPatch.applyPatch(state, entry.patch as fastJsonPatch.Operation[], true, false).newDocument;
      const exported = parse(ExportDocument, await app.inject(`/v1/export?version=${entry.version}`));
      expect(state).toEqual(exported.platforms);
    }
    const current = parse(ExportDocument, await app.inject('/v1/export'));
    expect(current.version).toBe(2);
    expect(Object.keys(current.platforms)).toHaveLength(seedCount);
    // What the export holds is exactly what the platform endpoint serves, minus server fields.
    const linkedin = documentOf(parse(PlatformRecord, await app.inject('/v1/platforms/linkedin')));
    expect(current.platforms.linkedin).toEqual(linkedin);
  });
});

describe('evidence and freshness', () => {
  it('marks every fact of a record with its evidence, derived from its sources’ kinds and never stored', async () => {
    const app = await makeApp();
    const record = parse(PlatformRecord, await app.inject('/v1/platforms/linkedin'));
    const byId = new Map(record.sources.map((s) => [s.id, s.kind]));
    const facts = [...record.settings.flatMap((s) => [...s.defaults, ...s.paths]), ...record.regionRules, ...record.events];
    expect(facts.length).toBeGreaterThan(10);
    for (const fact of facts) {
      const primary = fact.sources.some((id) => ['platform', 'regulator', 'court', 'terms_archive'].includes(byId.get(id) ?? ''));
      expect(fact.evidence).toBe(fact.unconfirmed ? 'unconfirmed' : primary ? 'primary' : 'secondary');
    }
    // The export (what the change feed patches) holds documents without the derived marks.
    const exported = ExportDocument.parse((await app.inject('/v1/export')).json());
    expect(JSON.stringify(exported.platforms.linkedin)).not.toContain('"evidence"');
  });

  it('gives the opt-out answer the weakest evidence of the facts that decided it', async () => {
    const app = await makeApp();
    // A press-only default decides the answer once the platform's own source is taken away from it.
    const linkedin = documentOf(parse(PlatformRecord, await app.inject('/v1/platforms/linkedin')));
    const press = linkedin.sources.find((s) => s.kind === 'press')!;
    const setting = linkedin.settings.find((s) => s.id === linkedin.regionRules[0]?.settingIds[0]) ?? linkedin.settings[0]!;
    for (const d of setting.defaults) d.sources = [press.id];
    linkedin.regionRules = [];
    await record(app, { message: 'Evidence test', operations: [{ op: 'put', slug: 'linkedin', platform: linkedin }] });
    const answer = parse(OptOutAnswer, await app.inject('/v1/platforms/linkedin/opt-out?region=US&device=web&at=2025-01-01'));
    expect(answer.settings.find((s) => s.id === setting.id)?.evidence).not.toBe('primary');
    expect(answer.evidence).not.toBe('primary');
    // A list item is the answer with no device given: the steps of every device count.
    const anyDevice = parse(OptOutAnswer, await app.inject('/v1/platforms/linkedin/opt-out?region=US&at=2025-01-01'));
    const list = parse(PlatformList, await app.inject('/v1/platforms?q=LinkedIn&region=US&at=2025-01-01'));
    expect(list.data[0]?.evidence).toBe(anyDevice.evidence);
  });

  it('reports how fresh the records are and lists those verified before a day', async () => {
    const app = await makeApp();
    await record(app, { message: 'An old check', operations: [{ op: 'patch', slug: 'zoom', patch: { lastVerified: '2024-01-02' } }] });
    const info = parse(RegistryInfo, await app.inject('/v1/registry'));
    expect(info.freshness.oldestLastVerified).toBe('2024-01-02');
    expect(info.freshness.verifiedWithin365Days).toBeLessThan(info.platforms.total);
    expect(info.freshness.verifiedWithin30Days).toBeLessThanOrEqual(info.freshness.verifiedWithin90Days);
    const due = parse(PlatformList, await app.inject('/v1/platforms?verifiedBefore=2025-01-01&limit=200'));
    expect(due.data.map((p) => p.slug)).toEqual(['zoom']);
    expectProblem(await app.inject('/v1/platforms?verifiedBefore=2025-13-01'), 400);
  });
});
