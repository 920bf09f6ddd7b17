import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from './engine.js';

// The two-instances benchmark only has to keep working here (quick mode, figures not asserted).
// It runs in the "postgres" project, on that project's server.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].some((p) => existsSync(p));
const resultsDir = mkdtempSync(join(tmpdir(), 'bench-instances-'));
afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

describe.skipIf(!NGINX || !TEST_DATABASE_URL)('npm run bench:instances (quick smoke run)', () => {
  it('measures two instances behind nginx against one and writes the pairs and their median ratio', { timeout: 240_000 }, async () => {
    const { code, output } = await new Promise<{ code: number; output: string }>((done) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'bench', 'instances.ts')],
        {
          cwd: ROOT,
          env: { ...process.env, BENCH_QUICK: '1', BENCH_RESULTS_DIR: resultsDir, BENCH_DATABASE_URL: TEST_DATABASE_URL },
          timeout: 200_000,
          maxBuffer: 8 * 1024 * 1024,
        },
        (error, stdout, stderr) => done({ code: error ? 1 : 0, output: stdout + stderr }),
      ),
    );
    expect(code, output).toBe(0);
    const file = readdirSync(resultsDir).find((f) => /^instances-\d{4}-.*\.json$/.test(f));
    expect(file, output).toBeDefined();
    const result = JSON.parse(readFileSync(join(resultsDir, file!), 'utf8')) as {
      pairs: { one: number; two: number }[];
      medianRatio: number;
    };
    expect(result.pairs.length).toBeGreaterThan(0);
    for (const pair of result.pairs) expect(Math.min(pair.one, pair.two)).toBeGreaterThan(0);
    expect(result.medianRatio).toBeGreaterThan(0);
  });
});
