import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlatformDocument } from '../src/schemas/platform.js';
import { type CheckOptions, checkDocuments, checkUrls } from '../src/sources/check.js';
import { HostGate } from '../src/sources/host-gate.js';
import { contentHash } from '../src/sources/normalise.js';
import { reviewList } from '../src/sources/review.js';
import { parseRobots } from '../src/sources/robots.js';
import { type OtaFinding, ReviewItem, type SourceCheckResult } from '../src/sources/schemas.js';
import { JsonFileSourceStore } from '../src/sources/store.js';

const UA = 'test-checker/1.0 (+https://example.test/registry)';

/** A site whose pages differ per round, with a log of what it was asked and how many requests overlapped. */
class Site {
  round = 1;
  active = 0;
  maxActive = 0;
  log: { path: string; userAgent: string | undefined; start: number; end: number }[] = [];
  readonly servers: Server[] = [];
  origin = '';
  exported: unknown = null;

  constructor(private readonly shared: { active: number; maxActive: number } = { active: 0, maxActive: 0 }) {}

  get sharedMaxActive() {
    return this.shared.maxActive;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => this.#handle(req, res));
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.origin;
  }

  async stop() {
    for (const s of this.servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  }

  #handle(req: IncomingMessage, res: ServerResponse) {
    const path = req.url ?? '/';
    if (path === '/slow') return; // never answers: the checker's timeout must end it
    this.active++;
    this.shared.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.shared.maxActive = Math.max(this.shared.maxActive, this.shared.active);
    const entry = { path, userAgent: req.headers['user-agent'], start: Date.now(), end: 0 };
    this.log.push(entry);
    // Answer a little later so overlapping requests would overlap on the server too.
    setTimeout(() => {
      const [status, headers, body] = this.#page(path);
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(body);
      entry.end = Date.now();
      this.active--;
      this.shared.active--;
    }, 15);
  }

  #page(path: string): [number, Record<string, string>, string] {
    const html = (body: string) =>
      `<!doctype html><html><head><title>t</title><style>p{color:red}</style></head><body>${body}</body></html>`;
    const r2 = this.round >= 2;
    switch (path) {
      case '/robots.txt':
        return [
          200,
          { 'content-type': 'text/plain' },
          'User-agent: *\nDisallow: /\n\nUser-agent: Test-Checker\nDisallow: /private\nAllow: /private/open$\n',
        ];
      case '/stable':
        return [200, {}, html('<p>We never train on your data.</p>')];
      case '/cosmetic':
        // Round 2 re-wraps the same words in other markup, with a script that changes every time.
        return r2
          ? [
              200,
              {},
              html(
                `<section class="v2"><h1>Terms</h1>\n<div><p>We   MAY train\n on your posts&nbsp;&amp; photos.</p></div><script>window.t=${Date.now()}</script></section>`,
              ),
            ]
          : [200, {}, html('<div class="v1"><h1>Terms</h1><p>We may train on your posts &amp; photos.</p></div>')];
      case '/changing':
        return [
          200,
          {},
          html(this.round === 1 ? '<p>We do not train AI on posts.</p>' : '<p>We train AI on posts unless you opt out.</p>'),
        ];
      case '/gone':
        return r2 ? [410, {}, 'gone'] : [200, {}, html('<p>Here today.</p>')];
      case '/flaky':
        return this.round === 2 ? [503, {}, 'down'] : [200, {}, html('<p>Same words every time.</p>')];
      case '/missing':
        return [404, {}, 'not found'];
      case '/old':
        return [301, { location: '/mid' }, ''];
      case '/mid':
        return [302, { location: `${this.origin}/new` }, ''];
      case '/new':
        return [200, {}, html('<p>The new home.</p>')];
      case '/loop-a':
        return [302, { location: '/loop-b' }, ''];
      case '/loop-b':
        return [302, { location: '/loop-a' }, ''];
      case '/v1/export':
        return [200, { 'content-type': 'application/json' }, JSON.stringify(this.exported)];
      case '/private/open':
        return [200, {}, html('<p>Open.</p>')];
      default: {
        const chain = /^\/chain\/(\d+)$/.exec(path);
        if (chain) return [302, { location: `/chain/${Number(chain[1]) + 1}` }, ''];
        return [404, {}, 'no such page'];
      }
    }
  }
}

const at = (day: number) => () => new Date(Date.UTC(2026, 0, day, 12));
const options = (day: number, extra: CheckOptions = {}): CheckOptions => ({
  userAgent: UA,
  delayMs: 0,
  timeoutMs: 400,
  now: at(day),
  ...extra,
});

function doc(slug: string, lastVerified: string, urls: string[]): PlatformDocument {
  return {
    slug,
    name: slug.toUpperCase(),
    owner: 'Owner',
    homepage: 'https://example.test/',
    category: 'social',
    status: 'active',
    summary: 'Summary.',
    lastVerified,
    settings: [],
    regionRules: [],
    events: [],
    sources: urls.map((url, i) => ({
      id: `s${i}`,
      url,
      title: 'Title',
      publisher: 'Publisher',
      kind: 'platform',
      publishedDate: null,
      retrievedDate: lastVerified,
    })),
  } as PlatformDocument;
}

let site: Site;
let dir: string;
beforeEach(async () => {
  site = new Site();
  await site.start();
  dir = await mkdtemp(join(tmpdir(), 'sources-check-'));
});
afterEach(async () => {
  await site.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('source checker against a local site', () => {
  it('classifies ok, changed, dead and moved across two runs and keeps firstSeenAt and changedAt', async () => {
    const paths = ['/stable', '/cosmetic', '/changing', '/gone', '/missing', '/old'];
    const documents = [
      doc(
        'alpha',
        '2026-01-01',
        paths.map((p) => `${site.origin}${p}`),
      ),
    ];
    const store = new JsonFileSourceStore(join(dir, 'checks.json'));
    const byPath = (results: SourceCheckResult[]) => new Map(results.map((r) => [new URL(r.url).pathname, r]));

    const first = byPath(await checkDocuments(documents, store, options(1)));
    expect(Object.fromEntries([...first].map(([p, r]) => [p, r.outcome]))).toEqual({
      '/stable': 'ok',
      '/cosmetic': 'ok',
      '/changing': 'ok',
      '/gone': 'ok',
      '/missing': 'dead',
      '/old': 'moved',
    });
    for (const r of first.values()) {
      expect(r.firstSeenAt).toBe('2026-01-01T12:00:00.000Z');
      expect(r.changedAt).toBeNull();
    }
    expect(first.get('/missing')).toMatchObject({ httpStatus: 404, contentHash: null, redirected: false });
    expect(first.get('/old')).toMatchObject({ httpStatus: 200, redirected: true, finalUrl: `${site.origin}/new` });
    expect(first.get('/old')?.hops.map((h) => h.status)).toEqual([301, 302]);
    expect(first.get('/stable')?.contentHash).toMatch(/^[0-9a-f]{64}$/);

    site.round = 2;
    const second = byPath(await checkDocuments(documents, store, options(2)));
    expect(second.get('/stable')?.outcome).toBe('ok');
    expect(second.get('/cosmetic')?.outcome).toBe('ok');
    expect(second.get('/cosmetic')?.changedAt).toBeNull();
    expect(second.get('/changing')).toMatchObject({ outcome: 'changed', changedAt: '2026-01-02T12:00:00.000Z' });
    expect(second.get('/changing')?.contentHash).not.toBe(first.get('/changing')?.contentHash);
    expect(second.get('/gone')).toMatchObject({ outcome: 'dead', httpStatus: 410 });
    for (const r of second.values()) expect(r.firstSeenAt).toBe('2026-01-01T12:00:00.000Z');

    // A third run without edits: the page is "ok" again but still remembers when it changed.
    const third = byPath(await checkDocuments(documents, store, options(3)));
    expect(third.get('/changing')).toMatchObject({ outcome: 'ok', changedAt: '2026-01-02T12:00:00.000Z' });

    const saved = JSON.parse(await readFile(store.path, 'utf8'));
    expect(saved.checks[`${site.origin}/changing`].changedAt).toBe('2026-01-02T12:00:00.000Z');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('does not call a page changed when it comes back after a dead spell with the same text', async () => {
    const url = `${site.origin}/flaky`;
    const r1 = await checkUrls([url], new Map(), options(1));
    site.round = 2;
    const r2 = await checkUrls([url], new Map(r1.map((r) => [r.url, r])), options(2));
    site.round = 3;
    const r3 = await checkUrls([url], new Map(r2.map((r) => [r.url, r])), options(3));
    expect([r1[0]?.outcome, r2[0]?.outcome, r3[0]?.outcome]).toEqual(['ok', 'dead', 'ok']);
    expect(r2[0]?.lastContentHash).toBe(r1[0]?.contentHash);
    expect(r3[0]?.changedAt).toBeNull();
  });

  it('reports redirect loops, long redirect chains, timeouts, refused connections and unknown hosts as dead with their kind', async () => {
    const closed = new Site();
    const closedOrigin = await closed.start();
    await closed.stop();
    const urls = [
      `${site.origin}/loop-a`,
      `${site.origin}/chain/0`,
      `${site.origin}/slow`,
      `${closedOrigin}/x`,
      'http://no-such-host.invalid/x',
    ];
    const started = Date.now();
    const results = await checkUrls(urls, new Map(), options(1, { timeoutMs: 300 }));
    expect(results.map((r) => [r.outcome, r.error?.kind])).toEqual([
      ['dead', 'redirect_loop'],
      ['dead', 'too_many_redirects'],
      ['dead', 'timeout'],
      ['dead', 'refused'],
      ['dead', 'dns'],
    ]);
    expect(results[1]?.hops).toHaveLength(6);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('obeys robots.txt for its own user agent, reads it once per host and never fetches a disallowed page', async () => {
    const urls = [`${site.origin}/private/page`, `${site.origin}/private/open`, `${site.origin}/stable`];
    const results = await checkUrls(urls, new Map(), options(1));
    expect(results.map((r) => r.outcome)).toEqual(['robots_disallowed', 'ok', 'ok']);
    expect(results[0]).toMatchObject({ httpStatus: null, contentHash: null, finalUrl: null });
    const asked = site.log.map((l) => l.path);
    expect(asked).not.toContain('/private/page');
    expect(asked.filter((p) => p === '/robots.txt')).toHaveLength(1);
  });

  it('sends its User-Agent on every request, robots.txt included', async () => {
    await checkUrls([`${site.origin}/stable`, `${site.origin}/old`], new Map(), options(1));
    expect(site.log.length).toBeGreaterThanOrEqual(5);
    expect(new Set(site.log.map((l) => l.userAgent))).toEqual(new Set([UA]));
  });

  it('sends one request at a time to a host, across its ports too', async () => {
    const shared = { active: 0, maxActive: 0 };
    const a = new Site(shared);
    const b = new Site(shared);
    await a.start();
    await b.start();
    try {
      const urls = ['/stable', '/changing', '/gone', '/old', '/missing'].flatMap((p) => [`${a.origin}${p}`, `${b.origin}${p}`]);
      const results = await checkUrls(urls, new Map(), options(1, { hostConcurrency: 8 }));
      expect(results).toHaveLength(10);
      expect(a.log.length + b.log.length).toBeGreaterThanOrEqual(14);
      expect(a.sharedMaxActive).toBe(1);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('waits the configured delay between requests to the same host', async () => {
    await checkUrls([`${site.origin}/stable`, `${site.origin}/changing`, `${site.origin}/gone`], new Map(), options(1, { delayMs: 150 }));
    expect(site.log).toHaveLength(4);
    const gaps = site.log.slice(1).map((l, i) => l.start - (site.log[i]?.end ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(140);
  });
});

describe('host gate', () => {
  it('runs one request at a time per host and lets other hosts through meanwhile', async () => {
    const gate = new HostGate(0);
    const active = new Map<string, number>();
    const most = new Map<string, number>();
    let overall = 0;
    let overallMost = 0;
    const request = (host: string) =>
      gate.run(host, async () => {
        active.set(host, (active.get(host) ?? 0) + 1);
        overall++;
        most.set(host, Math.max(most.get(host) ?? 0, active.get(host) ?? 0));
        overallMost = Math.max(overallMost, overall);
        await new Promise((resolve) => setTimeout(resolve, 20));
        active.set(host, (active.get(host) ?? 0) - 1);
        overall--;
      });
    await Promise.all(['a', 'a', 'A', 'b', 'b', 'a'].map(request));
    expect(most.get('a')).toBe(1);
    expect(most.get('b')).toBe(1);
    expect(overallMost).toBe(2);
  });
});

describe('normalised content hash', () => {
  it('ignores markup, scripts, styles, case and whitespace but not words', () => {
    const hash = (html: string) => contentHash(Buffer.from(html), 'text/html');
    const base = hash('<p>We may <b>train</b> on posts.</p>');
    expect(hash('<div class="x"><p>WE   may\ntrain on posts.</p><script>var a=1</script><style>p{}</style></div>')).toBe(base);
    expect(hash('<p>We may not train on posts.</p>')).not.toBe(base);
  });
});

describe('robots.txt rules', () => {
  it('picks our group over *, the longest match and allow on ties, with * and $ patterns', () => {
    const rules = parseRobots(
      'User-agent: *\nDisallow: /\n\nUser-agent: other\nUser-agent: test-checker\nDisallow: /a\nAllow: /a/b\nDisallow: /*.pdf$\nAllow: /t\nDisallow: /t\n',
      UA,
    );
    expect(rules.allows('/x')).toBe(true);
    expect(rules.allows('/a/c')).toBe(false);
    expect(rules.allows('/a/b/c')).toBe(true);
    expect(rules.allows('/docs/file.pdf')).toBe(false);
    expect(rules.allows('/docs/file.pdf?x=1')).toBe(true);
    expect(rules.allows('/t')).toBe(true);
    expect(parseRobots('User-agent: *\nDisallow: /\n', UA).allows('/x')).toBe(false);
    expect(parseRobots('User-agent: *\nDisallow:\n', UA).allows('/x')).toBe(true);
  });
});

describe('review list', () => {
  const check = (url: string, outcome: SourceCheckResult['outcome'], extra: Partial<SourceCheckResult> = {}): SourceCheckResult => ({
    url,
    checkedAt: '2026-03-01T00:00:00.000Z',
    outcome,
    httpStatus: outcome === 'dead' ? 404 : 200,
    error: null,
    finalUrl: url,
    redirected: false,
    hops: [],
    contentHash: 'h',
    lastContentHash: 'h',
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    changedAt: null,
    ...extra,
  });
  const ota = (url: string, date: string, aiChanged: boolean): OtaFinding => ({
    sourceUrl: url,
    repo: 'r',
    citedCommit: 'c'.repeat(40),
    path: 'A/B.md',
    checkedAt: '2026-03-01T00:00:00.000Z',
    error: null,
    newerVersions: [
      {
        commit: 'd'.repeat(40),
        date,
        subject: 's',
        documentRemoved: false,
        aiChanged,
        aiChangedFromPrevious: aiChanged,
        aiParagraphsAdded: 0,
        aiParagraphsRemoved: 0,
      },
    ],
  });

  it('orders platforms dead > moved > changed > newer terms version > stale and leaves out those needing nothing', () => {
    const u = (n: string) => `https://example.test/${n}`;
    const documents = [
      doc('stale', '2025-01-01', [u('fine')]),
      doc('fine', '2026-02-01', [u('fine'), u('changed-before')]),
      doc('ota', '2026-02-01', [u('ota-new'), u('ota-seen')]),
      doc('changed', '2026-02-01', [u('changed-after')]),
      doc('moved', '2026-02-01', [u('moved')]),
      doc('dead', '2025-01-01', [u('dead'), u('moved'), u('changed-after')]),
    ];
    const checks = [
      check(u('fine'), 'ok'),
      check(u('changed-before'), 'ok', { changedAt: '2026-01-15T00:00:00.000Z' }),
      check(u('changed-after'), 'ok', { changedAt: '2026-02-15T00:00:00.000Z' }),
      check(u('moved'), 'moved', { redirected: true, finalUrl: u('elsewhere') }),
      check(u('dead'), 'dead'),
    ];
    const findings = [ota(u('ota-new'), '2026-02-10T00:00:00.000Z', false), ota(u('ota-seen'), '2026-01-10T00:00:00.000Z', false)];
    const items = reviewList(documents, { checks, ota: findings }, '2026-03-01');
    for (const item of items) ReviewItem.parse(item);
    expect(items.map((i) => [i.slug, i.urgency])).toEqual([
      ['dead', 'dead_source'],
      ['moved', 'moved_source'],
      ['changed', 'changed_source'],
      ['ota', 'newer_terms_version'],
      ['stale', 'stale_verification'],
    ]);
    expect(items[0]?.reasons.map((r) => r.reason)).toEqual(['dead_source', 'moved_source', 'changed_source', 'stale_verification']);
    expect(items[0]?.reasons[0]?.sources).toEqual([{ id: 's0', url: u('dead'), detail: 'HTTP 404' }]);
    expect(items[3]?.reasons[0]?.sources.map((s) => s.id)).toEqual(['s0']);
    // A newer version seen before the last verification counts once its AI paragraphs differ.
    const aiChanged = reviewList(documents, { checks, ota: [ota(u('ota-seen'), '2026-01-10T00:00:00.000Z', true)] }, '2026-03-01');
    expect(aiChanged.find((i) => i.slug === 'ota')?.reasons[0]?.sources.map((s) => s.id)).toEqual(['s1']);
    expect(reviewList(documents, { checks }, '2026-03-01', { staleAfterDays: 1000 }).map((i) => i.slug)).not.toContain('stale');
  });
});

describe('sources:check CLI', () => {
  const run = promisify(execFile);

  it('checks the sources of a registry export, prints the summary and review list, saves the results and exits 0', async () => {
    const claude = JSON.parse(await readFile('seed/platforms/claude.json', 'utf8')) as PlatformDocument;
    const paths = ['/stable', '/missing', '/old'];
    claude.sources = claude.sources.map((s, i) => ({ ...s, url: `${site.origin}${paths[i % paths.length]}` }));
    site.exported = { version: 1, recordedAt: null, license: 'CC-BY-4.0', platforms: { claude } };
    const store = join(dir, 'checks.json');
    const { stdout } = await run(
      'npx',
      ['tsx', 'src/cli/sources-check.ts', '--from', `${site.origin}/v1/export`, '--store', store, '--delay', '0', '--user-agent', UA],
      { cwd: process.cwd() },
    );
    expect(stdout).toMatch(/Checked 3 URLs, cited \d+ times by 1 platform: 1 ok, 1 dead, 1 moved/);
    expect(stdout).toMatch(/Dead links[\s\S]*\/missing {2}HTTP 404/);
    expect(stdout).toMatch(/Redirects[\s\S]*\/old {2}→ http:\/\/127\.0\.0\.1:\d+\/new \(301, 302\)/);
    expect(stdout).toMatch(/1\. claude \(Claude\)[\s\S]*dead_source/);
    expect(Object.keys(JSON.parse(await readFile(store, 'utf8')).checks)).toHaveLength(3);
    expect(new Set(site.log.map((l) => l.userAgent))).toEqual(new Set([UA]));
  });

  it('exits 1 on a bad option', async () => {
    const failure = await run('npx', ['tsx', 'src/cli/sources-check.ts', '--delay', 'soon'], { cwd: process.cwd() }).catch((e) => e);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/--delay must be a whole number/);
  });
});
