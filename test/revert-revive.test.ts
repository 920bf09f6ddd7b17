import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { diffDocuments } from '../src/domain/change-sets.js';
import type { PlatformDocument } from '../src/schemas/platform.js';
import { PlatformRecord } from '../src/schemas/platform.js';
import { createKey, documentOf, expectProblem, makeApp, parse } from './helpers.js';

async function setup() {
  const app = await makeApp();
  const editor = await createKey(app, 'ed', 'editor');
  return { app, headers: { authorization: `Bearer ${editor}` } };
}

/** Stores a document as a new version below every check, as data written under older rules would be. */
async function storeRaw(app: FastifyInstance, document: PlatformDocument) {
  const before = documentOf(parse(PlatformRecord, await app.inject(`/v1/platforms/${document.slug}`)));
  return app.store.write(async (tx) => {
    const head = await tx.lockHead();
    await tx.insertChangeSet(head + 1, {
      author: 'old-rules',
      message: 'written under older rules',
      revisions: [{ slug: document.slug, op: 'update', document, patch: diffDocuments(before, document) }],
    });
    return head + 1;
  });
}

describe('revert', () => {
  it('names the version, not body fields the request never had, when what it would restore is no longer valid', async () => {
    const { app, headers } = await setup();
    const x = documentOf(parse(PlatformRecord, await app.inject('/v1/platforms/x')));
    await storeRaw(app, { ...x, owner: 'X\u0007Corp' });
    const fixed = await storeRaw(app, { ...x, owner: 'X Corp, fixed' });
    const exported = (await app.inject('/v1/export')).body;

    const res = await app.inject({ method: 'POST', url: `/v1/admin/changes/${fixed}/revert`, headers, payload: { message: 'undo' } });
    const problem = expectProblem(res, 422);
    expect(problem.detail).toContain(`Version ${fixed} cannot be reverted`);
    expect(problem.errors).toHaveLength(1);
    expect(problem.errors?.[0]?.field).toBe('path.version');
    expect(problem.errors?.[0]?.message).toMatch(
      new RegExp(`^restoring "x" as of version ${fixed - 1}: its field owner must not contain control characters`),
    );
    expect((await app.inject('/v1/export')).body).toBe(exported);
  });
});

describe('reviving a retired platform', () => {
  it('is refused with 409 unless the write names the revision it read (If-Match or ifVersion)', async () => {
    const { app, headers } = await setup();
    const record = parse(PlatformRecord, await app.inject('/v1/platforms/x'));
    const retired = await app.inject({
      method: 'DELETE',
      url: '/v1/admin/platforms/x',
      headers: { ...headers, 'x-change-message': 'gone' },
    });
    expect(retired.statusCode, retired.body).toBe(201);
    const tombstone = await app.inject('/v1/platforms/x');
    const etag = String(tombstone.headers.etag);
    const retiredAt = parse(PlatformRecord, tombstone).revision.version;
    const exported = (await app.inject('/v1/export')).body;

    const active = { ...documentOf(record), status: 'active' };
    const merge = { ...headers, 'content-type': 'application/merge-patch+json', 'x-change-message': 'back' };
    const attempts = [
      { method: 'PUT' as const, url: '/v1/admin/platforms/x', headers: { ...headers, 'x-change-message': 'back' }, payload: active },
      {
        method: 'PUT' as const,
        url: '/v1/admin/platforms/x',
        headers: { ...headers, 'x-change-message': 'back', 'if-match': '*' },
        payload: active,
      },
      { method: 'PATCH' as const, url: '/v1/admin/platforms/x', headers: merge, payload: { status: 'active' } },
      {
        method: 'POST' as const,
        url: '/v1/admin/changes',
        headers,
        payload: { message: 'back', operations: [{ op: 'patch', slug: 'x', patch: { status: 'active' } }] },
      },
    ];
    for (const attempt of attempts) {
      const problem = expectProblem(await app.inject(attempt), 409);
      expect(problem.detail).toContain('is retired');
      expect(problem.detail).toContain('If-Match');
      expect(problem.currentVersion).toBe(retiredAt);
    }
    expect((await app.inject('/v1/export')).body).toBe(exported);

    // Named explicitly, it is revived.
    const revived = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/platforms/x',
      headers: { ...merge, 'if-match': etag },
      payload: { status: 'active' },
    });
    expect(revived.statusCode, revived.body).toBe(201);
    expect(parse(PlatformRecord, await app.inject('/v1/platforms/x')).status).toBe('active');
  });

  it('through a change set with ifVersion, or by reverting the retirement', async () => {
    const { app, headers } = await setup();
    const retire = await app.inject({
      method: 'DELETE',
      url: '/v1/admin/platforms/x',
      headers: { ...headers, 'x-change-message': 'gone' },
    });
    const version = (retire.json() as { version: number }).version;
    const viaChangeSet = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers,
      payload: { message: 'back', operations: [{ op: 'patch', slug: 'x', patch: { status: 'active' }, ifVersion: version }] },
    });
    expect(viaChangeSet.statusCode, viaChangeSet.body).toBe(201);
    const again = await app.inject({
      method: 'DELETE',
      url: '/v1/admin/platforms/x',
      headers: { ...headers, 'x-change-message': 'gone again' },
    });
    const againVersion = (again.json() as { version: number }).version;
    const reverted = await app.inject({
      method: 'POST',
      url: `/v1/admin/changes/${againVersion}/revert`,
      headers,
      payload: { message: 'undo' },
    });
    expect(reverted.statusCode, reverted.body).toBe(201);
    expect(parse(PlatformRecord, await app.inject('/v1/platforms/x')).status).toBe('active');
  });
});
