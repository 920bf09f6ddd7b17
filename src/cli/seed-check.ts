import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { accountTypesNamed } from '../domain/account-types.js';
import { eventDate } from '../domain/effective.js';
import { evidenceSummary } from '../domain/evidence.js';
import { Devices, PrimarySourceKinds } from '../schemas/common.js';
import { readSeedFiles } from '../seed/files.js';

/**
 * Validates seed files (all of them, or those named on the command line) and prints, per platform,
 * coverage and evidence: facts, facts with a primary source, facts that rest on press only, facts an
 * editor could not confirm, the newest source date and the newest event. Exits 1 when a file is invalid.
 */
const { positionals } = parseArgs({ allowPositionals: true, options: {}, strict: true });
const only = new Set(positionals.map((p) => basename(p)));
const files = readSeedFiles().filter((f) => only.size === 0 || only.has(f.file));
let failed = 0;
const rows: string[][] = [];
for (const f of files) {
  if (!f.document) {
    failed++;
    console.error(`✗ ${f.file}`);
    if (f.error) console.error(`    ${f.error}`);
    for (const i of f.issues ?? []) console.error(`    ${i.path.join('.') || '(root)'}: ${i.message}`);
    continue;
  }
  const d = f.document;
  const devices = new Set(d.settings.flatMap((s) => s.paths.map((p) => p.device)));
  const evidence = evidenceSummary(d);
  const primarySources = d.sources.filter((s) => PrimarySourceKinds.includes(s.kind)).length;
  const accountTypes = accountTypesNamed(d);
  const exceptions = d.settings.reduce((n, s) => n + (s.exceptions?.length ?? 0), 0);
  const langs = new Set(d.settings.flatMap((s) => s.translations?.map((t) => t.lang) ?? []));
  const newest = (dates: (string | null)[]) =>
    dates
      .filter((x): x is string => x !== null)
      .sort()
      .at(-1) ?? '—';
  rows.push([
    d.slug,
    String(d.settings.length),
    Devices.filter((dev) => devices.has(dev)).length ? Devices.map((dev) => (devices.has(dev) ? dev[0] : '·')).join('') : '·····',
    String(d.regionRules.length),
    String(d.events.length),
    String(d.sources.length),
    String(primarySources),
    `${Math.round((100 * primarySources) / d.sources.length)}%`,
    String(evidence.facts),
    String(evidence.primary),
    String(evidence.secondary),
    String(evidence.unconfirmed),
    String(exceptions),
    accountTypes.length ? accountTypes.join(',') : 'all',
    langs.size ? [...langs].sort().join(',') : '—',
    newest(d.sources.map((s) => s.publishedDate)),
    newest(d.events.map((e) => eventDate(e))),
    d.lastVerified,
  ]);
}
const header = [
  'platform',
  'settings',
  'devices',
  'region rules',
  'events',
  'sources',
  'primary sources',
  'primary %',
  'facts',
  'primary',
  'press only',
  'unconfirmed',
  'exceptions',
  'account types named',
  'languages',
  'newest source',
  'newest event',
  'last verified',
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
const total = (i: number) => rows.reduce((n, r) => n + Number(r[i]), 0);
console.log(
  `\n${rows.length} valid platform files, ${failed} invalid; ${total(1)} settings, ${total(3)} region rules, ${total(4)} events, ` +
    `${total(5)} sources (${total(6)} primary, ${Math.round((100 * total(6)) / Math.max(1, total(5)))}%); ` +
    `${total(8)} facts: ${total(9)} with a primary source, ${total(10)} on press only, ${total(11)} unconfirmed; ` +
    `${total(12)} opt-out exceptions; ${rows.filter((r) => r[13] !== 'all').length} platforms name account types; ` +
    `${rows.filter((r) => r[14] !== '—').length} platforms have localised steps.`,
);
console.log('devices: w = web, i = ios, a = android, m = mobile_web, d = desktop_app');
process.exitCode = failed > 0 ? 1 : 0;
