import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { DEFAULT_USER_AGENT } from '../sources/check.js';
import { loadDocuments } from '../sources/documents.js';
import { scanOtaClone } from '../sources/ota.js';
import { formatOtaScan, formatReviewList } from '../sources/report.js';
import { reviewList } from '../sources/review.js';
import { JsonFileSourceStore } from '../sources/store.js';

/**
 * Lists, for every source citing a version in a clone of an Open Terms Archive versions repository,
 * the newer versions of that document and whether their AI-related paragraphs changed; saves the
 * findings beside the source checks so the review list counts them:
 *   npm run sources:ota -- <clone> [--repo-name genai-eu-versions] [--ref HEAD] [--from <export URL>]
 *                          [--store ./data/source-checks.json] [--stale-days 180]
 * The clone may be bare; update it (git fetch) first, the tool reads only what is there.
 */
const USAGE =
  'usage: npm run sources:ota -- <clone> [--repo-name <name>] [--ref <ref>] [--from <export URL>] [--store <file>] [--stale-days <days>]';

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(1);
}

let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      'repo-name': { type: 'string' },
      ref: { type: 'string' },
      from: { type: 'string' },
      store: { type: 'string' },
      'stale-days': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
} catch (error) {
  usageError((error as Error).message);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const clone = positionals[0];
if (positionals.length !== 1 || !clone) usageError('give exactly one path: a clone of an Open Terms Archive versions repository');
const staleDays = (values['stale-days'] as string | undefined) ?? '180';
if (!/^\d+$/.test(staleDays)) usageError(`--stale-days must be a whole number, got "${staleDays}"`);

let documents: Awaited<ReturnType<typeof loadDocuments>>;
let scan: Awaited<ReturnType<typeof scanOtaClone>>;
try {
  documents = await loadDocuments(values.from as string | undefined, DEFAULT_USER_AGENT);
  scan = await scanOtaClone(documents, clone, {
    repoName: values['repo-name'] as string | undefined,
    ref: values.ref as string | undefined,
  });
} catch (error) {
  usageError((error as Error).message);
}

const store = new JsonFileSourceStore((values.store as string | undefined) ?? loadConfig().SOURCE_CHECKS_PATH);
await store.saveOtaFindings(scan.findings);
console.log(formatOtaScan(documents, scan));
const today = new Date().toISOString().slice(0, 10);
const urls = [...new Set(documents.flatMap((d) => d.sources.map((s) => s.url)))];
const checks = [...(await store.previous(urls)).values()];
const items = reviewList(documents, { checks, ota: await store.otaFindings() }, today, { staleAfterDays: Number(staleDays) });
console.log(`\n${formatReviewList(items)}`);
console.error(`\nfindings saved to ${store.path}`);
