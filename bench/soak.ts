import { existsSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { SqliteStore } from '../src/db/sqlite-store.js';
import { KeyService } from '../src/services/key-service.js';
import { build, envNumber, memoryOf, round, startRegistry, summarize, tempDir, writeResults } from './lib.js';

/**
 * Soak: SOAK_SECONDS (default 30) of mixed load against the built server (as `npm run start:built` starts it,
 * rate limits off): autocannon readers on every kind of read endpoint while a writer records an
 * admin merge patch every ~20 ms. Reports errors (the run fails unless there are none), latencies,
 * and the server's RSS sampled every second (/proc), and writes the figures to
 * bench/results/soak-<timestamp>.json.
 *   npm run soak                       SOAK_SECONDS=300 npm run soak      SOAK_SKIP_BUILD=1 npm run soak
 */
const SECONDS = envNumber('SOAK_SECONDS', 30);
const WRITE_EVERY_MS = envNumber('SOAK_WRITE_EVERY_MS', 20);
const CONNECTIONS = envNumber('SOAK_CONNECTIONS_PER_ENDPOINT', 2);
const READS = [
  '/v1/platforms',
  '/v1/platforms?region=DE&defaultState=opted_in',
  '/v1/platforms/linkedin',
  '/v1/platforms/linkedin/opt-out?region=DE&device=ios',
  '/v1/platforms/linkedin/history?limit=20',
  '/v1/events?limit=20',
  '/v1/changes?after=0&limit=20',
  '/v1/registry',
  '/v1/export',
];
const WRITE_TARGETS = ['linkedin', 'facebook', 'reddit', 'x', 'chatgpt'];

const fileBytes = (path: string) => (existsSync(path) ? statSync(path).size : 0);
const mib = (bytes: number | null) => (bytes === null ? null : Math.round((bytes / 1048576) * 10) / 10);

const dir = tempDir('soak-');

if (process.env.SOAK_SKIP_BUILD !== '1') {
  console.error('building (npm run build)…');
  build();
}

// An editor key on a fresh database, created before the server starts (the server seeds it).
const databasePath = join(dir, 'registry.sqlite');
const setupStore = new SqliteStore(databasePath);
const { key } = await new KeyService(setupStore).create('soak-writer', 'editor');
await setupStore.close();

const { proc: server, baseUrl: base } = await startRegistry(databasePath, { ADMIN_RATE_LIMIT_MAX: '0' });
const pid = server.child.pid!;
const serverExit = new Promise<number | null>((done) => server.child.once('exit', (code) => done(code)));
const startVersion = ((await (await fetch(`${base}/v1/registry`)).json()) as { version: number }).version;

// RSS every second, from just before the load until just after it.
const rss: { second: number; bytes: number }[] = [];
const started = Date.now();
const sampleRss = () => {
  const memory = memoryOf(pid);
  if (memory) rss.push({ second: Math.round((Date.now() - started) / 100) / 10, bytes: memory.rss });
};
sampleRss();
const sampler = setInterval(sampleRss, 1_000);

// The writer: one merge patch every WRITE_EVERY_MS, sequentially (a slow write delays the next).
const writes = { sent: 0, ok: 0, errors: 0, statuses: {} as Record<string, number>, latencies: [] as number[] };
let writing = true;
const writer = (async () => {
  while (writing) {
    const begun = performance.now();
    const slug = WRITE_TARGETS[writes.sent % WRITE_TARGETS.length]!;
    writes.sent++;
    try {
      const res = await fetch(`${base}/v1/admin/platforms/${slug}`, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/merge-patch+json',
          'x-change-message': encodeURIComponent(`soak write ${writes.sent}`),
        },
        body: JSON.stringify({ summary: `Soak test write ${writes.sent} at ${new Date().toISOString()}.` }),
      });
      await res.arrayBuffer();
      writes.statuses[res.status] = (writes.statuses[res.status] ?? 0) + 1;
      if (res.status === 201) writes.ok++;
      else writes.errors++;
    } catch {
      writes.errors++;
      writes.statuses.network = (writes.statuses.network ?? 0) + 1;
    }
    const took = performance.now() - begun;
    writes.latencies.push(took);
    await new Promise((done) => setTimeout(done, Math.max(0, WRITE_EVERY_MS - took)));
  }
})();

console.error(
  `soaking ${base} for ${SECONDS} s: ${READS.length} read endpoints × ${CONNECTIONS} connections, a write every ${WRITE_EVERY_MS} ms…`,
);
const readResults = await Promise.all(
  READS.map(async (path) => ({
    path,
    result: await autocannon({ url: `${base}${path}`, connections: CONNECTIONS, duration: SECONDS, timeout: 10 }),
  })),
);
writing = false;
await writer;
clearInterval(sampler);
sampleRss();

// After the load: the server still answers, and every acknowledged write is a version.
const endVersion = ((await (await fetch(`${base}/v1/registry`)).json()) as { version: number }).version;
const versionsMatchWrites = endVersion - startVersion === writes.ok;
server.child.kill('SIGTERM');
const exitCode = await serverExit;

const reads = readResults.map(({ path, result }) => ({
  path,
  requests: result.requests.total,
  perSecond: Math.round(result.requests.average),
  latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
  errors: result.errors + result.timeouts + result.non2xx,
  statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
}));
const writeLatency = summarize(writes.latencies);
const rssValues = rss.map((s) => s.bytes);
const summary = {
  kind: 'soak',
  at: new Date().toISOString(),
  environment: {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
  },
  config: { seconds: SECONDS, writeEveryMs: WRITE_EVERY_MS, connectionsPerEndpoint: CONNECTIONS, readEndpoints: READS.length },
  reads,
  readTotals: {
    requests: reads.reduce((n, r) => n + r.requests, 0),
    perSecond: reads.reduce((n, r) => n + r.perSecond, 0),
    errors: reads.reduce((n, r) => n + r.errors, 0),
  },
  writes: {
    sent: writes.sent,
    ok: writes.ok,
    errors: writes.errors,
    perSecond: Math.round((writes.sent / SECONDS) * 10) / 10,
    statuses: writes.statuses,
    latencyMs: {
      p50: round(writeLatency.p50, 1),
      p99: round(writeLatency.p99, 1),
      max: round(writeLatency.max, 1),
    },
  },
  registry: { startVersion, endVersion, versionsMatchWrites, databaseBytes: fileBytes(databasePath) + fileBytes(`${databasePath}-wal`) },
  rssMiB: {
    start: mib(rssValues[0] ?? null),
    end: mib(rssValues.at(-1) ?? null),
    min: mib(Math.min(...rssValues)),
    max: mib(Math.max(...rssValues)),
    samples: rss.map((s) => ({ second: s.second, mib: mib(s.bytes) })),
  },
  serverExitCode: exitCode,
  targets: [
    {
      target: 'server RSS throughout',
      goal: '< 200 MiB',
      measured: `${mib(Math.max(...rssValues))} MiB max (${(Math.max(...rssValues) / 1e6).toFixed(1)} MB)`,
      met: Math.max(...rssValues) < 200 * 1048576,
    },
  ],
};
const errors = summary.readTotals.errors + summary.writes.errors;

const file = writeResults('soak', 'soak-latest.json', summary);

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`\nSoak: ${SECONDS} s on ${summary.environment.cpus} CPU(s), node ${process.version}`);
console.log(
  `${'read endpoint'.padEnd(50)} ${pad('requests', 9)} ${pad('req/s', 7)} ${pad('p50 ms', 7)} ${pad('p99 ms', 7)} ${pad('errors', 7)}`,
);
for (const r of reads) {
  console.log(
    `${r.path.padEnd(50)} ${pad(r.requests, 9)} ${pad(r.perSecond, 7)} ${pad(r.latencyMs.p50, 7)} ${pad(r.latencyMs.p99, 7)} ${pad(r.errors, 7)}`,
  );
}
console.log(
  `${'all reads'.padEnd(50)} ${pad(summary.readTotals.requests, 9)} ${pad(summary.readTotals.perSecond, 7)} ${pad('', 7)} ${pad('', 7)} ${pad(summary.readTotals.errors, 7)}`,
);
console.log(
  `writes: ${writes.ok}/${writes.sent} accepted (${summary.writes.perSecond}/s), p50 ${summary.writes.latencyMs.p50} ms, p99 ${summary.writes.latencyMs.p99} ms, errors ${writes.errors}; ` +
    `registry v${startVersion} → v${endVersion}${versionsMatchWrites ? '' : ' (does NOT match the accepted writes)'}`,
);
console.log(
  `server RSS: ${summary.rssMiB.start} MiB at start, ${summary.rssMiB.end} MiB at end (min ${summary.rssMiB.min}, max ${summary.rssMiB.max}); ` +
    `database ${(summary.registry.databaseBytes / 1048576).toFixed(1)} MiB; server exit code ${exitCode}`,
);
const rssMet = (summary.rssMiB.max ?? Number.POSITIVE_INFINITY) < 200;
console.log(`target: server RSS < 200 MiB throughout: max ${summary.rssMiB.max} MiB, ${rssMet ? 'met' : 'MISSED'}`);
console.log(`errors: ${errors}\nresults: ${file}`);
if (errors > 0 || !versionsMatchWrites || exitCode !== 0) process.exitCode = 1;
