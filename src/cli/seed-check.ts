import { Devices } from '../schemas/common.js';
import { readSeedFiles } from '../seed/files.js';

/**
 * Validates every seed file and prints a coverage table (platform × devices × region rules × events ×
 * sources) so gaps are visible. Exits 1 when any file is invalid.
 */
const files = readSeedFiles();
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
  const unknownDefaults = d.settings.filter((s) => s.defaults.length === 0 || s.defaults.some((p) => p.state === null)).length;
  rows.push([
    d.slug,
    String(d.settings.length),
    ...Devices.map((dev) => (devices.has(dev) ? '✓' : '·')),
    String(d.regionRules.length),
    String(d.events.length),
    String(d.sources.length),
    String(unknownDefaults),
    d.lastVerified,
  ]);
}
const header = ['platform', 'settings', ...Devices, 'region rules', 'events', 'sources', 'unknown defaults', 'last verified'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
const totals = (i: number) => rows.reduce((n, r) => n + Number(r[i]), 0);
console.log(
  `\n${rows.length} valid platform files, ${failed} invalid; ${totals(1)} settings, ${totals(2 + Devices.length)} region rules, ` +
    `${totals(3 + Devices.length)} events, ${totals(4 + Devices.length)} sources.`,
);
process.exitCode = failed > 0 ? 1 : 0;
