import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ReviewList } from '../src/routes/v1/admin/review.js';
import { AuditList, PlatformWriteResult, WriteResult } from '../src/schemas/admin.js';
import { PlatformRecord } from '../src/schemas/platform.js';
import { ChangeList, EventList, RegistryInfo } from '../src/schemas/responses.js';
import { JsonFileSourceStore } from '../src/sources/store.js';
import { createKey, expectProblem, makeApp, parse, record } from './helpers.js';

async function setup() {
  const app = await makeApp();
  const editor = await createKey(app, 'ed', 'editor');
  const admin = await createKey(app, 'root', 'admin');
  return { app, editor, admin, auth: (key: string) => ({ authorization: `Bearer ${key}` }) };
}

const version = async (app: FastifyInstance) => parse(RegistryInfo, await app.inject('/v1/registry')).version;
const exported = async (app: FastifyInstance) => (await app.inject('/v1/export')).body;

async function linkedin(app: FastifyInstance) {
  const res = await app.inject('/v1/platforms/linkedin');
  return { record: parse(PlatformRecord, res), etag: String(res.headers.etag) };
}

describe('keys and roles', () => {
  it('refuses a missing, malformed, unknown or revoked key with 401 and WWW-Authenticate', async () => {
    const { app, editor } = await setup();
    const body = { message: 'x', operations: [{ op: 'retire', slug: 'x' }] };
    const before = await exported(app);
    // The same key with its last character changed (to one it is not, or 1 run in 64 would pass).
    const wrongSecret = `${editor.slice(0, -1)}${editor.endsWith('A') ? 'B' : 'A'}`;
    for (const authorization of [undefined, 'Basic abc', 'Bearer nope', `Bearer ${editor}x`, `Bearer ${wrongSecret}`]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/admin/changes',
        headers: authorization ? { authorization } : {},
        payload: body,
      });
      const problem = expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
      expect(problem.detail).not.toContain(editor);
    }
    await app.services.keys.revoke('ed');
    expectProblem(
      await app.inject({ method: 'POST', url: '/v1/admin/changes', headers: { authorization: `Bearer ${editor}` }, payload: body }),
      401,
    );
    expect(await exported(app)).toBe(before);
  });

  it('authenticates before validating, so a stranger learns nothing about the body', async () => {
    const { app } = await setup();
    expectProblem(await app.inject({ method: 'POST', url: '/v1/admin/changes', payload: { nonsense: true } }), 401);
  });

  it('lets only admins read the audit log (403 for an editor)', async () => {
    const { app, editor, admin, auth } = await setup();
    const problem = expectProblem(await app.inject({ url: '/v1/admin/audit', headers: auth(editor) }), 403);
    expect(problem.detail).toMatch(/admin/);
    expect((await app.inject({ url: '/v1/admin/audit', headers: auth(admin) })).statusCode).toBe(200);
  });

  it('manages keys from the CLI: the key alone on stdout, list, revoke', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const env = { ...process.env, DATABASE_PATH: join(dir, 'r.sqlite') };
    const run = (...args: string[]) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', ...args], {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const key = run('create', '--name', 'cli-editor', '--role', 'editor');
    expect(key).toMatch(/^oor_[0-9a-f]{12}_[\w-]{43}\n$/);
    const listed = run('list');
    expect(listed).toContain('cli-editor\teditor');
    expect(listed).not.toContain(key.trim());
    expect(() => run('create', '--name', 'x', '--role', 'root')).toThrow(/role/);
    run('revoke', 'cli-editor');
    expect(run('list')).toMatch(/cli-editor\teditor\tcreated .*\trevoked /);
  });
});

describe('POST /v1/admin/changes', () => {
  it('records a multi-platform change set as one version, visible in history, feed and as-of reads', async () => {
    const { app, editor, auth } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: auth(editor),
      payload: {
        message: 'Rename two platforms',
        operations: [
          { op: 'patch', slug: 'linkedin', patch: { name: 'LinkedIn (edited)' }, ifVersion: 1 },
          { op: 'patch', slug: 'x', patch: { owner: 'X Corp. (edited)' } },
        ],
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe('/v1/changes/2');
    const result = parse(WriteResult, res);
    expect(result).toMatchObject({ changed: true, version: 2 });
    expect(result.change).toMatchObject({ author: 'ed', message: 'Rename two platforms', platforms: ['linkedin', 'x'] });
    expect(result.change?.patch).toEqual([
      { op: 'replace', path: '/linkedin/name', value: 'LinkedIn (edited)' },
      { op: 'replace', path: '/x/owner', value: 'X Corp. (edited)' },
    ]);
    expect(parse(PlatformRecord, await app.inject('/v1/platforms/linkedin?version=1')).name).toBe('LinkedIn');
    expect(parse(PlatformRecord, await app.inject('/v1/platforms/linkedin')).name).toBe('LinkedIn (edited)');
    const feed = parse(ChangeList, await app.inject('/v1/changes?after=1'));
    expect(feed.data).toEqual([result.change]);
  });

  it('is atomic: an invalid operation in the middle writes nothing, and the error names every bad field', async () => {
    const { app, editor, auth } = await setup();
    const before = await exported(app);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: auth(editor),
      payload: {
        message: 'Half good',
        operations: [
          { op: 'patch', slug: 'linkedin', patch: { name: 'Changed' } },
          { op: 'patch', slug: 'x', patch: { category: 'television', lastVerified: '2025-02-30' } },
          { op: 'patch', slug: 'reddit', patch: { name: 'Also changed' } },
        ],
      },
    });
    const problem = expectProblem(res, 422);
    expect(problem.errors?.map((e) => e.field)).toEqual(['body.operations.1.patch.category', 'body.operations.1.patch.lastVerified']);
    expect(await version(app)).toBe(1);
    expect(await exported(app)).toBe(before);
  });

  it('rejects invalid bodies at every level with 400 naming the fields', async () => {
    const { app, editor, auth } = await setup();
    const linkedinDoc = (await linkedin(app)).record;
    const cases: [unknown, string[]][] = [
      [{}, ['body.message', 'body.operations']],
      [{ message: '', operations: [] }, ['body.message', 'body.operations']],
      [{ message: 'm', operations: [{ op: 'explode', slug: 'x' }] }, ['body.operations.0.op']],
      [{ message: 'm', operations: [{ op: 'retire', slug: 'Bad Slug' }] }, ['body.operations.0.slug']],
      [{ message: 'm', operations: [{ op: 'retire', slug: 'x', extra: 1 }] }, ['body.operations.0.extra']],
      [
        {
          message: 'm',
          operations: [
            {
              op: 'put',
              slug: 'linkedin',
              platform: { ...linkedinDoc, homepage: 'ftp://x', settings: [{ ...linkedinDoc.settings[0], mechanism: 'pigeon' }] },
            },
          ],
        },
        ['body.operations.0.platform.homepage', 'body.operations.0.platform.settings.0.mechanism'],
      ],
      [
        {
          message: 'm',
          operations: [
            {
              op: 'addEvent',
              slug: 'x',
              event: {
                id: 'e',
                kind: 'policy_update',
                title: 't',
                summary: 's',
                announcedDate: '2024-1-1',
                effectiveDate: null,
                settingIds: [],
                regions: ['UK'],
                sources: [],
              },
            },
          ],
        },
        ['body.operations.0.event.announcedDate', 'body.operations.0.event.regions.0', 'body.operations.0.event.sources'],
      ],
    ];
    for (const [payload, fields] of cases) {
      const problem = expectProblem(
        await app.inject({ method: 'POST', url: '/v1/admin/changes', headers: auth(editor), payload: payload as object }),
        400,
      );
      const got = problem.errors?.map((e) => e.field) ?? [];
      for (const f of fields) expect(got, JSON.stringify(payload).slice(0, 80)).toContain(f);
    }
    const notJson = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: { ...auth(editor), 'content-type': 'application/json' },
      payload: '{"message":',
    });
    expectProblem(notJson, 400);
    expect(await version(app)).toBe(1);
  });

  it('answers 412 for a stale ifVersion and 404 for a patch of an unknown platform', async () => {
    const { app, editor, auth } = await setup();
    const stale = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: auth(editor),
      payload: { message: 'm', operations: [{ op: 'patch', slug: 'linkedin', patch: { name: 'N' }, ifVersion: 0 }] },
    });
    expect(expectProblem(stale, 412).currentVersion).toBe(1);
    expectProblem(
      await app.inject({
        method: 'POST',
        url: '/v1/admin/changes',
        headers: auth(editor),
        payload: { message: 'm', operations: [{ op: 'patch', slug: 'myspace', patch: {} }] },
      }),
      404,
    );
    expect(await version(app)).toBe(1);
  });
});

describe('platform convenience routes', () => {
  it('round-trips GET → edit → PUT with If-Match, and 412s a stale If-Match without writing', async () => {
    const { app, editor, auth } = await setup();
    const { record, etag } = await linkedin(app);
    const put = (body: object, ifMatch: string, message = 'Edit%20summary') =>
      app.inject({
        method: 'PUT',
        url: '/v1/admin/platforms/linkedin',
        headers: { ...auth(editor), 'if-match': ifMatch, 'x-change-message': message },
        payload: body,
      });
    const res = await put({ ...record, summary: 'A new summary in our own words.' }, etag);
    expect(res.statusCode).toBe(201);
    const written = parse(PlatformWriteResult, res);
    expect(written.platform.summary).toBe('A new summary in our own words.');
    expect(written.change?.message).toBe('Edit summary');
    expect(res.headers.etag).toBe((await linkedin(app)).etag);

    const stale = await put({ ...record, summary: 'Someone else’s edit.' }, etag);
    expect(expectProblem(stale, 412).currentEtag).toBe(res.headers.etag);
    expect(await version(app)).toBe(2);

    // Writing back what is already there records nothing.
    const same = await put(written.platform, String(res.headers.etag));
    expect(same.statusCode).toBe(200);
    expect(parse(PlatformWriteResult, same)).toMatchObject({ changed: false, version: 2, change: null });
  });

  it('needs a change message and refuses a slug that differs from the path', async () => {
    const { app, editor, auth } = await setup();
    const { record } = await linkedin(app);
    const missing = expectProblem(
      await app.inject({ method: 'PUT', url: '/v1/admin/platforms/linkedin', headers: auth(editor), payload: record }),
      400,
    );
    expect(missing.errors?.[0]?.field).toBe('header.x-change-message');
    const moved = await app.inject({
      method: 'PUT',
      url: '/v1/admin/platforms/linkedin2',
      headers: { ...auth(editor), 'x-change-message': 'copy' },
      payload: record,
    });
    expect(expectProblem(moved, 422).errors?.[0]?.field).toBe('body.slug');
    expectProblem(
      await app.inject({
        method: 'PUT',
        url: '/v1/admin/platforms/linkedin',
        headers: { ...auth(editor), 'x-change-message': 'm', 'if-match': 'abc' },
        payload: record,
      }),
      400,
    );
  });

  it('creates a new platform with PUT and retires it with DELETE (409 the second time)', async () => {
    const { app, editor, auth } = await setup();
    const { record } = await linkedin(app);
    const { revision: _r, at: _a, ...doc } = record;
    const created = await app.inject({
      method: 'PUT',
      url: '/v1/admin/platforms/example-net',
      headers: { ...auth(editor), 'x-change-message': 'New platform', 'if-match': '*' },
      payload: { ...doc, slug: 'example-net', name: 'Example Net' },
    });
    expect(expectProblem(created, 412).detail).toMatch(/no platform/);
    const ok = await app.inject({
      method: 'PUT',
      url: '/v1/admin/platforms/example-net',
      headers: { ...auth(editor), 'x-change-message': 'New platform' },
      payload: { ...doc, slug: 'example-net', name: 'Example Net' },
    });
    expect(ok.statusCode).toBe(201);
    expect(parse(PlatformWriteResult, ok).change?.patch).toEqual([
      { op: 'add', path: '/example-net', value: expect.objectContaining({ slug: 'example-net' }) },
    ]);
    const retire = await app.inject({
      method: 'DELETE',
      url: '/v1/admin/platforms/example-net',
      headers: { ...auth(editor), 'x-change-message': 'Shut down' },
    });
    expect(parse(PlatformWriteResult, retire).platform.status).toBe('retired');
    expectProblem(
      await app.inject({
        method: 'DELETE',
        url: '/v1/admin/platforms/example-net',
        headers: { ...auth(editor), 'x-change-message': 'again' },
      }),
      409,
    );
    // The tombstone stays readable, and so does every earlier version.
    expect(parse(PlatformRecord, await app.inject('/v1/platforms/example-net')).status).toBe('retired');
    expect(parse(PlatformRecord, await app.inject('/v1/platforms/example-net?version=2')).status).toBe('active');
  });

  it('patches with application/merge-patch+json and refuses other media types', async () => {
    const { app, editor, auth } = await setup();
    const headers = { ...auth(editor), 'x-change-message': 'Patch' };
    const res = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/platforms/x',
      headers: { ...headers, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ summary: 'Patched summary.' }),
    });
    expect(res.statusCode).toBe(201);
    expect(parse(PlatformWriteResult, res).change?.patch).toEqual([{ op: 'replace', path: '/x/summary', value: 'Patched summary.' }]);
    const text = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/platforms/x',
      headers: { ...headers, 'content-type': 'text/plain' },
      payload: 'summary=x',
    });
    expectProblem(text, 415);
    const invalid = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/platforms/x',
      headers: { ...headers, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ sources: null }),
    });
    expect(expectProblem(invalid, 422).errors?.[0]).toMatchObject({ field: 'body.sources' });
    expect(await version(app)).toBe(2);
  });

  it('records a policy event together with the change it brings', async () => {
    const { app, editor, auth } = await setup();
    const x = parse(PlatformRecord, await app.inject('/v1/platforms/x'));
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/platforms/x/events',
      headers: auth(editor),
      payload: {
        message: 'X changes its default (test)',
        event: {
          id: 'test-default-change',
          kind: 'default_changed',
          title: 'Default changed',
          summary: 'A test event.',
          announcedDate: '2026-11-01',
          effectiveDate: '2026-11-20',
          settingIds: [x.settings[0]!.id],
          regions: ['EU'],
          sources: [x.sources[0]!.id],
        },
        patch: { lastVerified: '2026-11-22' },
      },
    });
    expect(res.statusCode).toBe(201);
    const written = parse(PlatformWriteResult, res);
    expect(written.platform.lastVerified).toBe('2026-11-22');
    expect(written.change?.patch.map((p) => p.path)).toEqual(expect.arrayContaining(['/x/lastVerified', `/x/events/${x.events.length}`]));
    const events = parse(EventList, await app.inject('/v1/events?platform=x&kind=default_changed'));
    expect(events.data.map((e) => e.id)).toEqual(['test-default-change']);
    const dup = await app.inject({
      method: 'POST',
      url: '/v1/admin/platforms/x/events',
      headers: auth(editor),
      payload: { message: 'again', event: { ...x.events[0] } },
    });
    expect(expectProblem(dup, 422).errors?.[0]?.field).toMatch(/^body\.events\.\d+\.id$/);
  });
});

describe('idempotency and revert', () => {
  it('replays a retry with the same Idempotency-Key and records nothing twice; 422 for a different body', async () => {
    const { app, editor, auth } = await setup();
    const send = (name: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/admin/changes',
        headers: { ...auth(editor), 'idempotency-key': 'abc-1' },
        payload: { message: 'Idempotent', operations: [{ op: 'patch', slug: 'x', patch: { name } }] },
      });
    const first = await send('X one');
    const second = await send('X one');
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    expect(await version(app)).toBe(2);
    expectProblem(await send('X two'), 422);
    expect(await version(app)).toBe(2);
  });

  it('reverts a change set as a new version, and 409s when a later change touched the same platform', async () => {
    const { app, editor, auth } = await setup();
    const patch = (name: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/admin/changes',
        headers: auth(editor),
        payload: { message: `to ${name}`, operations: [{ op: 'patch', slug: 'x', patch: { name } }] },
      });
    await patch('X two'); // v2
    await patch('X three'); // v3
    const conflict = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes/2/revert',
      headers: auth(editor),
      payload: { message: 'undo v2' },
    });
    expect(expectProblem(conflict, 409).detail).toMatch(/version 3/);
    const revert = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes/3/revert',
      headers: auth(editor),
      payload: { message: 'undo v3' },
    });
    expect(revert.statusCode).toBe(201);
    expect(parse(WriteResult, revert).change).toMatchObject({
      version: 4,
      revertOf: 3,
      patch: [{ op: 'replace', path: '/x/name', value: 'X two' }],
    });
    expect(parse(PlatformRecord, await app.inject('/v1/platforms/x')).name).toBe('X two');
    expectProblem(
      await app.inject({ method: 'POST', url: '/v1/admin/changes/99/revert', headers: auth(editor), payload: { message: 'm' } }),
      404,
    );
  });
});

describe('audit log and Atom feeds', () => {
  it('records every admin request, accepted or refused, without keys', async () => {
    const { app, editor, admin, auth } = await setup();
    await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: auth(editor),
      payload: { message: 'ok', operations: [{ op: 'patch', slug: 'x', patch: { name: 'Y' } }] },
    });
    await app.inject({ method: 'POST', url: '/v1/admin/changes', headers: { authorization: 'Bearer wrong' }, payload: {} });
    await app.inject({ method: 'POST', url: '/v1/admin/changes', headers: auth(editor), payload: { message: '' } });
    const res = await app.inject({ url: '/v1/admin/audit?limit=2', headers: auth(admin) });
    expect(res.body).not.toContain(editor);
    expect(res.body).not.toContain(admin);
    const page = parse(AuditList, res);
    // The refusal without a valid key is counted per client and minute, and written when the audit is read.
    expect(page.data.map((e) => [e.keyName, e.status, e.outcome, e.count])).toEqual([
      [null, 401, 'refused', 1],
      ['ed', 400, 'refused', 1],
    ]);
    const rest = parse(AuditList, await app.inject({ url: `/v1/admin/audit?cursor=${page.nextCursor}`, headers: auth(admin) }));
    expect(rest.data[0]).toMatchObject({
      keyName: 'ed',
      method: 'POST',
      route: '/v1/admin/changes',
      status: 201,
      outcome: 'accepted',
      version: 2,
    });
    expect(rest.data[0]?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('aggregates a flood of refused requests without a valid key: one row per client and minute, with a count', async () => {
    const { app, admin, auth } = await setup();
    const before = (await app.store.rowCounts()).auditLog!;
    for (let i = 0; i < 300; i++) {
      await app.inject({ method: 'POST', url: '/v1/admin/changes', headers: { authorization: `Bearer made-up-${i}` }, payload: {} });
    }
    // Nothing is written per refused request.
    expect((await app.store.rowCounts()).auditLog).toBe(before);
    const page = parse(AuditList, await app.inject({ url: '/v1/admin/audit?limit=5', headers: auth(admin) }));
    const flood = page.data.filter((e) => e.keyName === null && e.status === 401);
    expect(flood.reduce((n, e) => n + e.count, 0)).toBe(300);
    // One row, or two if the flood straddled a minute boundary.
    expect(flood.length).toBeLessThanOrEqual(2);
    expect(flood[0]).toMatchObject({ route: '/v1/admin/changes', method: 'POST', outcome: 'refused', keyId: null });
  });

  it('serves valid Atom feeds of change sets, overall and per platform', async () => {
    const { app, editor, auth } = await setup();
    await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers: auth(editor),
      payload: { message: 'Rename <X> & co', operations: [{ op: 'patch', slug: 'x', patch: { name: 'Y' } }] },
    });
    const res = await app.inject('/v1/changes.atom');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/atom\+xml/);
    expect(XMLValidator.validate(res.body)).toBe(true);
    const feed = new XMLParser({ ignoreAttributes: false }).parse(res.body).feed;
    expect(feed['@_xmlns']).toBe('http://www.w3.org/2005/Atom');
    const entries = [feed.entry].flat();
    expect(entries).toHaveLength(2);
    expect(entries[0].title['#text'] ?? entries[0].title).toContain('v2: Rename <X> & co');
    expect(entries[0].id).toBe('http://localhost:3000/v1/changes/2');
    expect(entries[0].author.name).toBe('ed');
    const perPlatform = new XMLParser().parse((await app.inject('/v1/platforms/x/changes.atom')).body).feed;
    expect([perPlatform.entry].flat()).toHaveLength(2);
    const linkedinFeed = new XMLParser().parse((await app.inject('/v1/platforms/linkedin/changes.atom')).body).feed;
    expect([linkedinFeed.entry].flat()).toHaveLength(1);
    expectProblem(await app.inject('/v1/platforms/myspace/changes.atom'), 404);
  });
});

describe('review list', () => {
  it('lists records with dead or moved sources (from the checker’s findings) and old verifications, most urgent first, for editors only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'review-'));
    const path = join(dir, 'source-checks.json');
    const app = await makeApp({ SOURCE_CHECKS_PATH: path });
    const editor = await createKey(app, 'reviewer', 'editor');
    const auth = { authorization: `Bearer ${editor}` };
    const zoom = parse(PlatformRecord, await app.inject('/v1/platforms/zoom'));
    const reddit = parse(PlatformRecord, await app.inject('/v1/platforms/reddit'));
    // What `npm run sources:check` would have written: one dead Zoom source, one moved Reddit source.
    const result = (url: string, outcome: 'dead' | 'moved', extra: object) => ({
      url,
      checkedAt: '2026-11-26T10:00:00.000Z',
      outcome,
      httpStatus: outcome === 'dead' ? 404 : 200,
      error: null,
      finalUrl: outcome === 'moved' ? `${url}#moved` : url,
      redirected: outcome === 'moved',
      hops: [],
      contentHash: null,
      lastContentHash: null,
      firstSeenAt: '2026-11-01T10:00:00.000Z',
      changedAt: null,
      ...extra,
    });
    await new JsonFileSourceStore(path).save([
      result(zoom.sources[0]!.url, 'dead', {}),
      result(reddit.sources[0]!.url, 'moved', {}),
    ] as never);
    await record(app, { message: 'An old check', operations: [{ op: 'patch', slug: 'udemy', patch: { lastVerified: '2024-01-02' } }] });
    const recent = new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10);
    await record(app, { message: 'A recent check', operations: [{ op: 'patch', slug: 'medium', patch: { lastVerified: recent } }] });

    expectProblem(await app.inject('/v1/admin/review'), 401);
    const list = parse(ReviewList, await app.inject({ url: '/v1/admin/review', headers: auth }));
    const order = list.data.map((i) => [i.slug, i.urgency]);
    expect(order.slice(0, 3)).toEqual([
      ['zoom', 'dead_source'],
      ['reddit', 'moved_source'],
      ['udemy', 'stale_verification'],
    ]);
    expect(list.data[0]?.reasons[0]?.sources.map((s) => s.id)).toContain(zoom.sources[0]!.id);
    // A check 20 days ago is fine by the default 180 days, not by a 10-day limit.
    expect(list.data.map((i) => i.slug)).not.toContain('medium');
    const strict = parse(ReviewList, await app.inject({ url: '/v1/admin/review?staleAfterDays=10', headers: auth }));
    expect(strict.data.find((i) => i.slug === 'medium')?.urgency).toBe('stale_verification');
    for (const bad of ['0', '0x10', '1.0', '%2B1', '00001', '1e2', '%201', '10000']) {
      expectProblem(await app.inject({ url: `/v1/admin/review?staleAfterDays=${bad}`, headers: auth }), 400);
    }
  });
});

describe('audit of requests that match no admin operation', () => {
  it('audits unknown admin routes and wrong methods (with or without a key), answered 404 problem+json', async () => {
    const app = await makeApp();
    const admin = await createKey(app, 'auditor', 'admin');
    const auth = { authorization: `Bearer ${admin}` };
    expectProblem(await app.inject({ url: '/v1/admin/no-such-thing', headers: auth }), 404);
    expectProblem(await app.inject({ method: 'DELETE', url: '/v1/admin/audit', headers: auth }), 404);
    expectProblem(await app.inject({ method: 'PUT', url: '/v1/admin/changes' }), 404);
    const page = parse(AuditList, await app.inject({ url: '/v1/admin/audit?limit=50', headers: auth }));
    const seen = page.data.map((e) => `${e.method} ${e.route} ${e.status}`);
    expect(seen).toEqual(
      expect.arrayContaining(['GET /v1/admin/no-such-thing 404', 'DELETE /v1/admin/audit 404', 'PUT /v1/admin/changes 404']),
    );
  });
});
