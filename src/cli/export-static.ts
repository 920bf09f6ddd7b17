import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { writeStaticMirror } from '../static/mirror.js';

/**
 * `npm run export:static -- --out DIR`: writes the read API as files a static host or CDN can serve
 * (see src/static/mirror.ts). It opens the configured database (DATABASE_PATH or DATABASE_URL), serves
 * the API on a loopback port for itself alone, and fetches every file from it.
 */
const { values } = parseArgs({ options: { out: { type: 'string' } }, strict: true });
if (!values.out) {
  console.error('usage: npm run export:static -- --out DIR');
  process.exit(2);
}
const out = resolve(values.out);
let config: ReturnType<typeof loadConfig>;
try {
  // Its own requests are neither rate-limited nor shed; no webhook deliveries are sent from here.
  config = loadConfig({ LOG_LEVEL: 'warn', ...process.env, WEBHOOK_WORKER: 'false', RATE_LIMIT_MAX: '0', MAX_EVENT_LOOP_DELAY_MS: '0' });
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
// As in server.ts: keep V8's heap near what is live (the export allocates steadily, mostly garbage).
if (config.HEAP_GROWING_PERCENT > 0) v8.setFlagsFromString(`--heap-growing-percent=${config.HEAP_GROWING_PERCENT}`);
const app = await buildApp(config, { logStream: process.stderr });
try {
  await mkdir(out, { recursive: true });
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  const started = performance.now();
  const result = await writeStaticMirror(origin, app.services, out);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(
    `wrote ${out}: registry version ${result.version}, ${result.files} files (${result.written} written, ${result.kept} kept from the last export), ` +
      `${(result.bytes / 1_048_576).toFixed(1)} MiB, in ${seconds} s`,
  );
} finally {
  await app.close();
}
