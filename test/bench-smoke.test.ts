import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The benchmarks only have to keep working here: they run in quick mode and nothing about their
// figures is asserted, since timings on a shared CI machine mean nothing.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

function runQuick(script: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench', script)],
      {
        cwd: ROOT,
        env: { ...process.env, BENCH_QUICK: '1', BENCH_RESULTS_DIR: resultsDir },
        timeout: 240_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr }),
    );
  });
}

function resultFile(prefix: string): Record<string, unknown> {
  const files = readdirSync(resultsDir).filter((f) => new RegExp(`^${prefix}-\\d{4}-.*\\.json$`).test(f));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(join(resultsDir, files[0]!), 'utf8')) as Record<string, unknown>;
}

describe('benchmarks (quick smoke run)', () => {
  it('npm run bench completes and writes every target and baseline', { timeout: 300_000 }, async () => {
    const { code, output } = await runQuick('run.ts');
    expect(code, output).toBe(0);
    const result = resultFile('bench');
    expect(result).toMatchObject({ kind: 'bench', quick: true });
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['settings', 'environment', 'results', 'targets']));
    const rows = result.results as { server: string; name: string; requests: number; reqPerSec: number; ratioToBare: number }[];
    expect(rows.map((r) => `${r.server}: ${r.name}`)).toEqual([
      'bare fastify: platform GET',
      'registry: platform GET',
      'registry: filtered list',
      'registry: opt-out resolution',
      'registry: version-pinned GET',
      'registry: 304 revalidation',
      'registry: export, uncompressed',
      'registry: export, br',
      'registry: export, gzip',
      'json-server 0.17: platform GET',
    ]);
    // Sizes are not timings: compression must shrink the export on the wire.
    const compression = result.compression as { encoding: string; bytesRatio: number }[];
    expect(compression.map((c) => c.encoding)).toEqual(['export, br', 'export, gzip']);
    for (const c of compression) expect(c.bytesRatio, c.encoding).toBeLessThan(0.5);
    for (const row of rows) {
      expect(row.requests, row.name).toBeGreaterThan(0);
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['reqPerSec', 'ratioToBare', 'latencyMs', 'errors', 'non2xx3xx']));
    }
    // The interleaved pairs also report each server's CPU time per response (read from /proc).
    const paired = result.paired as { medianRatio: number; cpu: { registryUs: number; bareUs: number } }[];
    expect(paired).toHaveLength(2);
    for (const p of paired) {
      expect(p.medianRatio).toBeGreaterThan(0);
      expect(p.cpu.registryUs).toBeGreaterThan(0);
      expect(p.cpu.bareUs).toBeGreaterThan(0);
    }
    expect(readdirSync(resultsDir)).toContain('latest.json');
  });

  it('npm run bench:scale completes and writes every size', { timeout: 300_000 }, async () => {
    const { code, output } = await runQuick('scale.ts');
    expect(code, output).toBe(0);
    const result = resultFile('scale-sqlite');
    expect(result).toMatchObject({ kind: 'scale', engine: 'sqlite', quick: true });
    const sizes = result.sizes as {
      revisions: number;
      versions: number;
      latencyMs: Record<string, { n: number }>;
      writes: { changeSets: number };
    }[];
    expect(sizes.map((s) => s.revisions)).toEqual([1_000, 10_000]);
    for (const size of sizes) {
      expect(size.versions).toBeGreaterThan(0);
      expect(Object.keys(size)).toEqual(
        expect.arrayContaining(['databaseBytes', 'coldStartMs', 'latencyMs', 'serverMemory', 'writes', 'generateMs']),
      );
      for (const metric of ['versionAsOf', 'dateAsOf', 'filteredList', 'changeFeed'])
        expect(size.latencyMs[metric]?.n, metric).toBeGreaterThan(0);
      expect(size.writes.changeSets).toBeGreaterThan(0);
    }
  });
});
