import http from 'node:http';
import { join } from 'node:path';
import { build, environment, get, getExpect, interleaved, QUICK, startRegistry, tempDir, waitForQuiet } from './lib.js';

/**
 * `npm run bench:mcp`: the MCP round trip against the REST call for the same answer, on the built
 * server and the default seed. For one question (LinkedIn, Germany, iOS) it times, one request at a
 * time on a kept-alive socket:
 * - REST, cached: the same URL each time (what most clients get);
 * - REST, uncached: a different `at` each time, so every answer is resolved afresh;
 * - MCP: `tools/call resolve_opt_out` over Streamable HTTP with the same `at` as the uncached REST call
 *   (MCP answers are never cached: each builds a server, validates input and output, and resolves).
 * The three are measured in interleaved rounds, and MCP is reported as a ratio of each REST median.
 */
const ROUNDS = QUICK ? 2 : 10;
const PER_ROUND = QUICK ? 20 : 200;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; ms: number; body: string }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, ms: performance.now() - started, body: Buffer.concat(chunks).toString() }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

build();
await waitForQuiet();
const dir = tempDir('bench-mcp-');
const server = await startRegistry(join(dir, 'registry.sqlite'));
const base = server.baseUrl;
const question = 'region=DE&device=ios';
const mcpHeaders = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-06-18',
};
// A different day for every uncached request: 2019-01-01 onwards, never repeated within the run.
let day = Date.UTC(2019, 0, 1);
const nextDay = () => {
  day += 86_400_000;
  return new Date(day).toISOString().slice(0, 10);
};

// The same answer both ways, checked once before timing.
const at = nextDay();
const rest = JSON.parse((await getExpect(`${base}/v1/platforms/linkedin/opt-out?${question}&at=${at}`)).body.toString());
const call = (date: string, id: number) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'resolve_opt_out', arguments: { platform: 'linkedin', region: 'DE', device: 'ios', at: date } },
  });
const viaMcp = await post(`${base}/mcp`, call(at, 0), mcpHeaders);
const structured = JSON.parse(viaMcp.body).result.structuredContent;
delete structured.links;
if (JSON.stringify(structured) !== JSON.stringify(rest)) throw new Error('MCP and REST gave different answers for the same question');

const samples = { cached: [] as number[], uncached: [] as number[], mcp: [] as number[] };
let id = 1;
const restRound = async () => {
  for (let i = 0; i < PER_ROUND; i++) samples.cached.push((await get(`${base}/v1/platforms/linkedin/opt-out?${question}`)).ms);
  for (let i = 0; i < PER_ROUND; i++)
    samples.uncached.push((await get(`${base}/v1/platforms/linkedin/opt-out?${question}&at=${nextDay()}`)).ms);
};
const mcpRound = async () => {
  for (let i = 0; i < PER_ROUND; i++) {
    const res = await post(`${base}/mcp`, call(nextDay(), id++), mcpHeaders);
    if (res.status !== 200) throw new Error(`MCP answered ${res.status}: ${res.body.slice(0, 300)}`);
    samples.mcp.push(res.ms);
  }
};
// A warm-up round of each, not counted.
await restRound();
await mcpRound();
samples.cached.length = samples.uncached.length = samples.mcp.length = 0;
await interleaved(ROUNDS, restRound, mcpRound);
server.proc.child.kill('SIGTERM');

const row = (label: string, values: number[]) =>
  `${label.padEnd(26)} p50 ${percentile(values, 50).toFixed(2).padStart(6)} ms   p99 ${percentile(values, 99).toFixed(2).padStart(6)} ms   n=${values.length}`;
console.log(`\nMCP round trip against REST for the same answer (linkedin, ${question}), ${JSON.stringify(environment())}`);
console.log(row('REST, cached', samples.cached));
console.log(row('REST, uncached (new `at`)', samples.uncached));
console.log(row('MCP tools/call', samples.mcp));
const p50 = (v: number[]) => percentile(v, 50);
console.log(
  `MCP ÷ REST uncached: ${(p50(samples.mcp) / p50(samples.uncached)).toFixed(2)}× (p50); MCP ÷ REST cached: ${(p50(samples.mcp) / p50(samples.cached)).toFixed(2)}× (p50)`,
);
agent.destroy();
