import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MirrorIndex, writeStaticMirror } from '../src/static/mirror.js';
import { makeApp, record } from './helpers.js';

const fileOf = (path: string) => (/\.(json|atom)$/.test(path) ? path : `${path}/index.json`);

describe('static mirror (npm run export:static)', () => {
  it('writes every read the index names with the bytes the server sends for that request, and keeps what a version wrote', async () => {
    const app = await makeApp();
    await record(app, {
      message: 'Rename for the mirror test',
      operations: [{ op: 'patch', slug: 'linkedin', patch: { name: 'LinkedIn (mirror)' } }],
    });
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    const out = mkdtempSync(join(tmpdir(), 'mirror-'));

    const first = await writeStaticMirror(origin, app.services, out);
    expect(first.version).toBe(2);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as MirrorIndex;
    expect(index.version).toBe(2);
    const paths = index.files.map((f) => f.path);
    // The list, every platform record, the per-version tree, the feeds, the document.
    const slugs = ((await app.inject('/v1/platforms?limit=200')).json() as { data: { slug: string }[] }).data.map((p) => p.slug);
    expect(slugs.length).toBeGreaterThan(40);
    for (const slug of slugs) expect(paths).toEqual(expect.arrayContaining([`/v1/platforms/${slug}`, `/v1/versions/1/platforms/${slug}`]));
    expect(paths).toEqual(
      expect.arrayContaining([
        '/openapi.json',
        '/v1/platforms',
        '/v1/registry',
        '/v1/events',
        '/v1/changes',
        '/v1/changes/1',
        '/v1/changes/2',
        '/v1/changes.atom',
        '/v1/platforms/linkedin/changes.atom',
        '/v1/platforms/linkedin/history',
        '/v1/versions/2/platforms/linkedin',
        '/v1/export',
      ]),
    );
    // Only what version 2 changed is under /v1/versions/2.
    expect(paths.filter((p) => p.startsWith('/v1/versions/2/'))).toEqual(['/v1/versions/2/platforms/linkedin']);

    // Every file: its hash and size as the index says, and the very bytes the server sends for the request.
    for (const file of index.files) {
      const bytes = readFileSync(join(out, fileOf(file.path)));
      expect(bytes.length, file.path).toBe(file.bytes);
      expect(createHash('sha256').update(bytes).digest('hex'), file.path).toBe(file.sha256);
      const served = Buffer.from(await (await fetch(`${origin}${file.request.slice('GET '.length)}`)).arrayBuffer());
      expect(served.equals(bytes), file.request).toBe(true);
    }
    // The per-version record is the pinned read; the current one is today's record.
    const v1 = JSON.parse(readFileSync(join(out, fileOf('/v1/versions/1/platforms/linkedin')), 'utf8'));
    const now = JSON.parse(readFileSync(join(out, fileOf('/v1/platforms/linkedin')), 'utf8'));
    expect([v1.name, now.name]).toEqual(['LinkedIn', 'LinkedIn (mirror)']);

    // A second export after another write keeps what versions 1 and 2 wrote and adds version 3's.
    await record(app, { message: 'Another edit', operations: [{ op: 'patch', slug: 'x', patch: { name: 'X (mirror)' } }] });
    const second = await writeStaticMirror(origin, app.services, out);
    expect(second.version).toBe(3);
    expect(second.kept).toBe(index.files.filter((f) => f.immutable).length);
    expect(existsSync(join(out, fileOf('/v1/versions/3/platforms/x')))).toBe(true);
    expect(readFileSync(join(out, '_headers'), 'utf8')).toContain('/v1/versions/*\n  Cache-Control: public, max-age=31536000, immutable');
  });
});
