import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { checkDocuments, DEFAULT_USER_AGENT } from '../sources/check.js';
import { loadDocuments } from '../sources/documents.js';
import { formatCheckSummary, formatReviewList } from '../sources/report.js';
import { reviewList } from '../sources/review.js';
import { JsonFileSourceStore } from '../sources/store.js';

/**
 * Fetches every URL the platform documents cite, politely (one request at a time per host, a pause
 * between them, robots.txt obeyed), records what came back and prints dead links, redirects,
 * changed pages and the review list:
 *   npm run sources:check -- [--from http://host/v1/export] [--store ./data/source-checks.json]
 *                            [--delay 2000] [--timeout 15000] [--user-agent "…"] [--stale-days 180]
 * A dead source is a finding, not a failure: the exit code is 0 unless the command line is wrong.
 */
const USAGE =
  'usage: npm run sources:check -- [--from <export URL>] [--store <file>] [--delay <ms>] [--timeout <ms>] ' +
  '[--user-agent <string>] [--stale-days <days>]';

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(1);
}

function count(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) usageError(`--${name} must be a whole number, got "${value}"`);
  return Number(value);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      from: { type: 'string' },
      store: { type: 'string' },
      delay: { type: 'string' },
      timeout: { type: 'string' },
      'user-agent': { type: 'string' },
      'stale-days': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  }));
} catch (error) {
  usageError((error as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const userAgent = (values['user-agent'] as string | undefined) ?? DEFAULT_USER_AGENT;
const delayMs = count('delay', values.delay as string | undefined, 2000);
const timeoutMs = count('timeout', values.timeout as string | undefined, 15_000);
const staleAfterDays = count('stale-days', values['stale-days'] as string | undefined, 180);
if (timeoutMs === 0) usageError('--timeout must be above 0');

let documents: Awaited<ReturnType<typeof loadDocuments>>;
try {
  documents = await loadDocuments(values.from as string | undefined, userAgent);
} catch (error) {
  usageError(`cannot read the platform documents: ${(error as Error).message}`);
}

const store = new JsonFileSourceStore((values.store as string | undefined) ?? loadConfig().SOURCE_CHECKS_PATH);
const results = await checkDocuments(documents, store, {
  userAgent,
  delayMs,
  timeoutMs,
  onResult: (r) => console.error(`${r.outcome.padEnd(17)} ${r.url}`),
});
console.log(formatCheckSummary(documents, results));
const today = new Date().toISOString().slice(0, 10);
const items = reviewList(documents, { checks: results, ota: await store.otaFindings() }, today, { staleAfterDays });
console.log(`\n${formatReviewList(items)}`);
console.error(`\nresults saved to ${store.path}`);
