import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { benchDatabase } from './engine.js';
import {
  build,
  environment,
  envNumber,
  foreignLoad,
  freePort,
  getExpect,
  HOST,
  interleaved,
  printTable,
  QUICK,
  round,
  runMain,
  SERVER_COMMAND,
  spawnManaged,
  startRegistry,
  summarize,
  tempDir,
  waitForOk,
  waitForQuiet,
  writeResults,
} from './lib.js';

// Throughput of two API instances behind nginx (round robin) against one instance behind the same
// nginx, on one PostgreSQL database, measured in interleaved pairs (one, two, one, two…) so that the
// machine's drift hits both alike; the figure is the median ratio. Everything runs on this machine:
// with two cores, the load generator, nginx, PostgreSQL and the instances share them, so the ratio
// says what a second instance buys when CPU is already shared, not what it buys on its own machine.

const CONNECTIONS = envNumber('BENCH_CONNECTIONS', QUICK ? 8 : 64);
const PAIRS = Math.round(envNumber('BENCH_PAIRS', QUICK ? 1 : 5));
const PAIR_DURATION = envNumber('BENCH_PAIR_DURATION', QUICK ? 1 : 5);
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** nginx with one listener per upstream list, in its own prefix; resolves once every listener answers. */
async function startNginx(dir: string, upstreams: Record<string, number[]>) {
  const listeners: Record<string, number> = {};
  for (const name of Object.keys(upstreams)) listeners[name] = await freePort();
  const blocks = Object.entries(upstreams)
    .map(
      ([name, ports]) => `
  upstream ${name} { ${ports.map((p) => `server ${HOST}:${p};`).join(' ')} keepalive 64; }
  server {
    listen ${HOST}:${listeners[name]};
    location / { proxy_pass http://${name}; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
    )
    .join('\n');
  const conf = `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${blocks}
}`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const proc = spawnManaged('nginx', NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf')], {}, dir, 'ignore');
  const urls: Record<string, string> = {};
  for (const [name, port] of Object.entries(listeners)) {
    urls[name] = `http://${HOST}:${port}`;
    await waitForOk(`${urls[name]}/healthz`, proc, performance.now());
  }
  return { proc, urls };
}

runMain(async () => {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install -y nginx-light)');
  const buildMs = build();
  const tmp = tempDir('optout-instances-');
  const database = await benchDatabase(tmp, 'instances', 'postgres');
  console.log(
    `bench:instances: ${PAIRS} interleaved pairs of ${PAIR_DURATION} s, ${CONNECTIONS} connections; built in ${Math.round(buildMs)} ms`,
  );
  const [a, b] = [await startRegistry(':memory:', database.env), await startRegistry(':memory:', database.env)];
  const lb = await startNginx(tmp, {
    one: [new URL(a!.baseUrl).port].map(Number),
    two: [a!, b!].map((s) => Number(new URL(s.baseUrl).port)),
  });

  // A mix of the reads clients make most: records and opt-out answers of every platform.
  const slugs = Object.keys(
    (JSON.parse((await getExpect(`${a!.baseUrl}/v1/export`)).body.toString('utf8')) as { platforms: Record<string, unknown> }).platforms,
  );
  const requests = slugs.flatMap((slug) => [
    { method: 'GET' as const, path: `/v1/platforms/${slug}` },
    { method: 'GET' as const, path: `/v1/platforms/${slug}/opt-out?region=DE&device=ios` },
  ]);
  const rate = async (url: string, duration: number) => {
    const r = await autocannon({ url, connections: CONNECTIONS, duration, timeout: 10, requests });
    if (r.errors + r.timeouts + r.non2xx > 0) throw new Error(`${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
    return { perSecond: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99 };
  };
  await rate(lb.urls.one!, 1);
  await rate(lb.urls.two!, 1);
  await waitForQuiet();
  const meter = foreignLoad([a!.proc.child.pid, b!.proc.child.pid, lb.proc.child.pid]);
  const pairs = (
    await interleaved(
      PAIRS,
      () => rate(lb.urls.one!, PAIR_DURATION),
      () => rate(lb.urls.two!, PAIR_DURATION),
    )
  ).map(({ a: one, b: two }) => ({
    one: round(one.perSecond, 1),
    two: round(two.perSecond, 1),
    ratio: round(two.perSecond / one.perSecond, 3),
    p99One: one.p99,
    p99Two: two.p99,
  }));
  const otherCores = meter.stop();
  const medianRatio = round(summarize(pairs.map((p) => p.ratio)).p50, 3);
  printTable(
    'Two instances behind nginx vs one (PostgreSQL, req/s)',
    ['pair', 'one instance', 'two instances', 'ratio', 'p99 one (ms)', 'p99 two (ms)'],
    pairs.map((p, i) => [String(i + 1), p.one.toFixed(0), p.two.toFixed(0), `${p.ratio.toFixed(2)}×`, String(p.p99One), String(p.p99Two)]),
  );
  console.log(
    `\nmedian ratio two ÷ one: ${medianRatio.toFixed(2)}× (CPU used outside the instances, nginx and the load generator, PostgreSQL included: ${otherCores} cores)`,
  );
  const file = writeResults('instances', 'instances-latest.json', {
    kind: 'instances',
    engine: 'postgres',
    timestamp: new Date().toISOString(),
    quick: QUICK,
    settings: { connections: CONNECTIONS, pairs: PAIRS, pairDuration: PAIR_DURATION, requestMix: requests.length },
    environment: { ...environment(), server: SERVER_COMMAND, buildMs: Math.round(buildMs) },
    pairs,
    medianRatio,
    otherCores,
  });
  console.log(`wrote ${file}`);
});
