import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDatabase } from './engine.js';
import { build, environment, envNumber, ROOT, tempDir, waitForQuiet } from './lib.js';
import { generateRegistry } from './scale-data.js';

/**
 * `npm run bench:static`: `export:static` on a generated registry (the scale bench's generator;
 * BENCH_STATIC_PLATFORMS platforms, default 5 000, with BENCH_STATIC_REVISIONS revisions, default 4×
 * that), run as the built CLI in its own process: wall time, peak RSS (from /usr/bin/time when it is
 * there, else the kernel's rusage of the child), files and bytes written, then a second export into the
 * same directory (which keeps what earlier versions wrote).
 */
const platforms = envNumber('BENCH_STATIC_PLATFORMS', 5000);
const revisions = envNumber('BENCH_STATIC_REVISIONS', platforms * 4);

build();
const dir = tempDir('bench-static-');
const database = await benchDatabase(dir, 'registry', 'sqlite');
console.log(`generating ${platforms} platforms, ${revisions} revisions…`);
const generated = await generateRegistry(database, { platforms, revisions });
console.log(`  ${generated.versions} versions in ${(generated.generateMs / 1000).toFixed(1)} s`);
await waitForQuiet();

const out = join(dir, 'mirror');
const run = (label: string) => {
  const started = performance.now();
  const child = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, 'dist/src/cli/export-static.js', '--out', out], {
    cwd: ROOT,
    env: { ...process.env, ...database.env, LOG_LEVEL: 'warn', SEED: 'false' },
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (child.status !== 0) throw new Error(`${label} failed: ${child.stderr}`);
  const lines = child.stderr.trim().split('\n');
  const peakKb = Number(lines.at(-1));
  console.log(`${label}: ${lines.at(-2)}`);
  console.log(`  wall ${seconds.toFixed(1)} s, peak RSS ${(peakKb / 1024).toFixed(0)} MiB`);
};
run('first export');
run('second export (nothing new)');
const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { files: { bytes: number; immutable: boolean }[] };
const immutable = index.files.filter((f) => f.immutable);
console.log(
  `index: ${index.files.length} files, ${(index.files.reduce((n, f) => n + f.bytes, 0) / 1_048_576).toFixed(0)} MiB; ` +
    `${immutable.length} immutable (${(immutable.reduce((n, f) => n + f.bytes, 0) / 1_048_576).toFixed(0)} MiB)`,
);
console.log(JSON.stringify(environment()));
