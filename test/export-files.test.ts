import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ExportFiles } from '../src/services/export-files.js';
import type { RegistryReader } from '../src/services/reader.js';

const dir = mkdtempSync(join(tmpdir(), 'export-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A reader over a fake store of `platforms` platforms per version, recording when each build reads a page. */
function fakeReader(platforms: number, log: string[]) {
  const store = {
    currentVersion: async () => 2,
    changeSet: async (version: number) => ({
      version,
      recordedAt: `2026-01-0${version}T00:00:00.000Z`,
      author: 'test',
      requestId: null,
      message: 'm',
    }),
    documentsPage: async (version: number, after: string, limit: number) => {
      log.push(`v${version} page after "${after}"`);
      await new Promise((done) => setTimeout(done, 5));
      const rows = [];
      for (let i = 0; i < platforms; i++) {
        const slug = `p${String(i).padStart(4, '0')}`;
        if (slug > after && rows.length < limit)
          rows.push({ slug, document: JSON.stringify({ slug, text: `ü ${'x'.repeat(900)} ${version}` }) });
      }
      return rows;
    },
  };
  return { store } as unknown as RegistryReader;
}

describe('ExportFiles', () => {
  it('builds one version at a time, and both files hold the whole document', async () => {
    const log: string[] = [];
    const files = new ExportFiles(fakeReader(450, log), dir, 1e9);
    const [one, two] = await Promise.all([files.file(1, false), files.file(2, true)]);
    // Every page of one version is read before the first of the other: the builds did not overlap.
    // (Which starts first depends on which call's file checks finish first, so either may.)
    const first = log[0]?.split(' ')[0] ?? '';
    const switchAt = log.findIndex((l) => !l.startsWith(first));
    expect(switchAt).toBeGreaterThan(0);
    expect(log.slice(switchAt).every((l) => !l.startsWith(first))).toBe(true);
    expect(new Set(log.map((l) => l.split(' ')[0]))).toEqual(new Set(['v1', 'v2']));
    for (const [file, version] of [
      [one, 1],
      [two, 2],
    ] as const) {
      const gz = JSON.parse(gunzipSync(readFileSync(file.path)).toString('utf8'));
      const br = JSON.parse(brotliDecompressSync(readFileSync(file.brPath)).toString('utf8'));
      expect(br).toEqual(gz);
      expect(gz.version).toBe(version);
      expect(Object.keys(gz.platforms)).toHaveLength(450);
      expect(gz.platforms.p0449.text.endsWith(` ${version}`)).toBe(true);
    }
  });
});
