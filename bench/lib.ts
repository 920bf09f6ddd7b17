import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Shared by bench/run.ts and bench/scale.ts: processes, HTTP timing, statistics, tables and result files. */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HOST = '127.0.0.1';
export const QUICK = process.env.BENCH_QUICK === '1';

/** A number from the environment, or the fallback; a bad value stops the run rather than being ignored. */
export function envNumber(name: string, fallback: number, allowZero = false): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number (got ${JSON.stringify(raw)})`);
  }
  return value;
}

export function environment() {
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes. Every process started here is tracked so that an error, Ctrl-C or a failed
// assertion never leaves a server holding a port or a CPU core.

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function cleanUpNow() {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
  if (process.env.BENCH_KEEP_TMP !== '1') for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on('exit', cleanUpNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanUpNow();
    process.exit(130);
  });
}

/** A temporary directory removed when the bench process exits (kept with BENCH_KEEP_TMP=1). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last few KB of stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

export function spawnManaged(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
  /** 'ignore' sends stdout to /dev/null: for servers logging every request, as a log file would take them. */
  stdout: 'pipe' | 'ignore' = 'pipe',
): Managed {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'pipe'] });
  live.add(child);
  let tail = '';
  // Pipes must be drained or a chatty child blocks on a full pipe and skews the measurement.
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.once('exit', () => live.delete(child));
  return {
    name,
    child,
    output: () => tail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A port free on loopback right now (the kernel picks it; the tiny race with other programs is acceptable here). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Polls `url` until it answers 200 and returns the milliseconds since `since`. Fails at once when
 * the process dies, with its output, instead of waiting for the timeout.
 */
export async function waitForOk(url: string, proc: Managed, since: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before ${url} answered:\n${proc.output()}`);
    }
    const status = await probe(url);
    if (status === 200) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${proc.output()}`);
    await sleep(2);
  }
}

/** One request on a fresh connection, so a refused or half-started listener is just "not yet". */
function probe(url: string): Promise<number | null> {
  return new Promise((done) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? null));
    });
    req.on('error', () => done(null));
  });
}

/** `npm run build`; a failing build stops the run (benchmarking a stale dist/ would be dishonest). */
export function build(): number {
  const started = performance.now();
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return performance.now() - started;
}

/**
 * As `npm run start:built` starts it: glibc limited to 2 malloc arenas (its default is 8 per core, and
 * libuv's thread-pool threads, where zlib and brotli run, each grew their own; 2 ended a 10 000-revision
 * noisy-neighbour run at 186–189 MB RSS instead of 206–211 MB), and V8's young generation capped at
 * two 8 MiB semi-spaces instead of 16 (a V8 flag, so it must be given on the command line: `npm run
 * soak` peaked at 176.7–179.0 MiB with it, 206.6 MiB without, reads the same).
 */
export const SERVER_ENV = { MALLOC_ARENA_MAX: '2' };
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=8'];
export const SERVER_COMMAND = `MALLOC_ARENA_MAX=2 node ${SERVER_NODE_FLAGS.join(' ')} dist/src/server.js`;

export interface RegistryServer {
  proc: Managed;
  baseUrl: string;
  /** Spawn to first 200 on /healthz, in ms. */
  startupMs: number;
}

export interface StartOptions {
  /** Preload bench/loop-monitor.mjs, writing event-loop delay statistics here on SIGUSR2 (see loopDelay). */
  loopStatsFile?: string;
  stdout?: 'pipe' | 'ignore';
}

/** The real built server on `databasePath` (created, migrated and seeded on first start), rate limiting off. */
export async function startRegistry(
  databasePath: string,
  extraEnv: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RegistryServer> {
  const port = await freePort();
  const env: Record<string, string> = {
    ...SERVER_ENV,
    PORT: String(port),
    HOST,
    DATABASE_PATH: databasePath,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_MAX: '0',
    ...extraEnv,
  };
  const args = [...SERVER_NODE_FLAGS, 'dist/src/server.js'];
  if (options.loopStatsFile) {
    env.LOOP_STATS_FILE = options.loopStatsFile;
    args.unshift('--import', join(ROOT, 'bench', 'loop-monitor.mjs'));
  }
  const since = performance.now();
  const proc = spawnManaged('registry server', process.execPath, args, env, ROOT, options.stdout);
  const baseUrl = `http://${HOST}:${port}`;
  const startupMs = await waitForOk(`${baseUrl}/healthz`, proc, since);
  return { proc, baseUrl, startupMs };
}

export interface LoopDelay {
  maxMs: number;
  p99Ms: number;
  p50Ms: number;
  meanMs: number;
  samples: number;
  /** process.memoryUsage() of the server when the figures were taken, in MB. */
  memory?: Record<string, number>;
}

/** The server's event-loop delay since the previous call (or its start), and resets it (bench/loop-monitor.mjs). */
export async function loopDelay(server: RegistryServer, file: string): Promise<LoopDelay> {
  rmSync(file, { force: true });
  server.proc.child.kill('SIGUSR2');
  for (let tries = 0; tries < 1000; tries++) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as LoopDelay;
    } catch {
      await sleep(5);
    }
  }
  throw new Error(`the server wrote no event-loop statistics to ${file}`);
}

/** Resident and peak resident memory of a process, in bytes (Linux /proc; null elsewhere). */
export function memoryOf(pid: number | undefined): { rss: number; peak: number } | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** A process and its descendants (Linux /proc), parents before children; just `pid` elsewhere. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // It exited meanwhile.
      }
    }
  } catch {
    return [pid];
  }
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return out;
}

/**
 * CPU seconds used by a process so far (Linux /proc, USER_HZ = 100), or 0 when unreadable; with
 * `reaped`, plus that of its children that have exited (a server started and stopped meanwhile).
 */
export function cpuSecondsOf(pid: number, reaped = false): number {
  try {
    // The command name in parentheses may contain spaces; the fields after it are fixed.
    const f = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []).map(Number);
    return ((f[11] ?? 0) + (f[12] ?? 0) + (reaped ? (f[13] ?? 0) + (f[14] ?? 0) : 0)) / 100;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine so far (every core, every process and container on it). */
function machineBusySeconds(): number {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const busy = ticks.slice(0, 8).reduce((sum, t, i) => (i === 3 || i === 4 ? sum : sum + t), 0);
    return busy / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * Measures how many cores something other than this benchmark kept busy during a measurement:
 * the machine's busy time minus this process's, its exited children's and the running servers'
 * (`pids`). The benchmark VM is shared, and a neighbour's test run is invisible to `ps` but not to
 * /proc/stat; a figure taken while other load was high is flagged rather than silently trusted.
 */
export function foreignLoad(pids: (number | undefined)[]) {
  const sum = (list: (number | undefined)[]) => list.reduce<number>((total, pid) => total + (pid === undefined ? 0 : cpuSecondsOf(pid)), 0);
  const own = () => sum(pids) + cpuSecondsOf(process.pid, true);
  const started = performance.now();
  const machine0 = machineBusySeconds();
  const own0 = own();
  return {
    /** Average cores used by others since the start (≥ 0); `startedMeanwhile` are servers started since and still running. */
    stop(startedMeanwhile: (number | undefined)[] = []): number {
      const seconds = (performance.now() - started) / 1000;
      const ours = own() - own0 + sum(startedMeanwhile);
      return round(Math.max(0, (machineBusySeconds() - machine0 - ours) / seconds));
    },
  };
}

/**
 * Waits (up to BENCH_WAIT_QUIET seconds; default 120, 0 = not at all, the default in quick mode) until other tenants leave
 * the machine idle for 3 s in a row, and says what it found; measuring while a neighbour runs a
 * test suite halves every figure.
 */
export async function waitForQuiet(): Promise<void> {
  const limit = envNumber('BENCH_WAIT_QUIET', QUICK ? 0 : 120, true);
  if (limit === 0) return;
  const started = performance.now();
  let quietSeconds = 0;
  let last = 0;
  while (quietSeconds < 3 && (performance.now() - started) / 1000 < limit) {
    const meter = foreignLoad([]);
    await sleep(1000);
    last = meter.stop();
    quietSeconds = last < 0.1 ? quietSeconds + 1 : 0;
  }
  const waited = Math.round((performance.now() - started) / 1000);
  if (quietSeconds >= 3) console.log(`machine quiet (other tenants < 0.1 cores) after ${waited} s`);
  else console.log(`warning: other tenants still used ${last.toFixed(2)} cores after ${waited} s; measuring anyway`);
}

/**
 * Measures `a` and `b` in `pairs` interleaved pairs (a, b, b, a, a, b…): which goes first alternates,
 * so neither always gets the first (or second) half of a drift in the machine's speed.
 */
export async function interleaved<T>(pairs: number, a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T; b: T }[]> {
  const measured: { a: T; b: T }[] = [];
  for (let i = 0; i < pairs; i++) {
    const aFirst = i % 2 === 0;
    const first = await (aFirst ? a : b)();
    const second = await (aFirst ? b : a)();
    measured.push(aFirst ? { a: first, b: second } : { a: second, b: first });
  }
  return measured;
}

/** Other tenants' load above which a measurement is taken again. */
export const NOISY_CORES = 0.3;

/**
 * Runs a measurement and, while other tenants kept more than NOISY_CORES busy during it, waits for
 * quiet and takes it again (at most BENCH_RETRIES more times; the last one is kept either way, and
 * its `otherCores` is reported).
 */
export async function measureQuietly<T extends { otherCores: number }>(label: string, measure: () => Promise<T>): Promise<T> {
  const retries = envNumber('BENCH_RETRIES', QUICK ? 0 : 3, true);
  for (let attempt = 0; ; attempt++) {
    const result = await measure();
    if (result.otherCores <= NOISY_CORES || attempt >= retries) return result;
    console.log(`  (${label}: other tenants used ${result.otherCores.toFixed(2)} cores meanwhile; waiting for quiet to measure again)`);
    await waitForQuiet();
  }
}

// ---------------------------------------------------------------------------------------------
// Sequential HTTP. One keep-alive socket, so each sample is one request's round trip over loopback
// and not connection set-up.

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const req = http.get(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - started }),
      );
      res.on('error', fail);
    });
    req.on('error', fail);
  });
}

/**
 * One request on its own agent, the body counted and dropped (an export is tens of megabytes): for
 * clients that run beside the measured one.
 */
export function fetchDiscard(url: string, agent: http.Agent, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; bytes: number; ms: number }>((done, fail) => {
    const started = performance.now();
    const req = http.get(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started }));
      res.on('error', fail);
    });
    req.on('error', fail);
  });
}

/** Fetches `url` and fails unless it answers `status`, naming the body (a problem+json says why). */
export async function getExpect(url: string, status = 200, headers: Record<string, string> = {}): Promise<Response> {
  const res = await get(url, headers);
  if (res.status !== status) throw new Error(`GET ${url} answered ${res.status}, expected ${status}: ${res.body.toString().slice(0, 500)}`);
  return res;
}

/** Releases the keep-alive socket so the bench process can exit. */
export function closeClient() {
  agent.destroy();
}

// ---------------------------------------------------------------------------------------------
// Statistics and output.

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentiles of the samples (ms). */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return { n: sorted.length, p50: at(50), p99: at(99), mean, max: sorted[sorted.length - 1] ?? Number.NaN };
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
export const fmtInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
export const fmtMs = (x: number) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '–');
export const fmtMb = (bytes: number) => (Number.isFinite(bytes) ? (bytes / 1024 / 1024).toFixed(1) : '–');

/** A plain-text table: the first column left-aligned, the others right-aligned (they are numbers). */
export function printTable(title: string, header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

export interface TargetCheck {
  target: string;
  goal: string;
  measured: string;
  /** null when the run did not measure what the target is about (e.g. quick mode skips 1M revisions). */
  met: boolean | null;
}

export function printTargets(checks: TargetCheck[]) {
  printTable(
    'Targets',
    ['target', 'goal', 'measured', 'result'],
    checks.map((c) => [
      c.target,
      c.goal,
      c.measured,
      c.met === null ? (c.goal === '—' ? 'information' : 'not measured') : c.met ? 'met' : 'MISSED',
    ]),
  );
}

/**
 * Writes `<prefix>-<timestamp>.json` and `latestName` into BENCH_RESULTS_DIR (default bench/results)
 * and returns the first path.
 */
export function writeResults(prefix: string, latestName: string, data: unknown): string {
  const dir = process.env.BENCH_RESULTS_DIR ?? join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(data, null, 2)}\n`;
  const file = join(dir, `${prefix}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, json);
  writeFileSync(join(dir, latestName), json);
  return file;
}

/**
 * Runs a bench script's main: on failure prints the error and exits 1; either way every server is
 * stopped (by the exit handler) and the process does not wait for idle sockets.
 */
export function runMain(main: () => Promise<void>) {
  main().then(
    () => {
      closeClient();
      process.exit(0);
    },
    (error: unknown) => {
      console.error(`\nbenchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
