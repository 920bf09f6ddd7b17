import type { PlatformDocument } from '../schemas/platform.js';
import { type CitedSource, citedSources } from './cited.js';
import type { OtaScan } from './ota.js';
import { CheckOutcomes, type OtaFinding, type ReviewItem, type SourceCheckResult } from './schemas.js';

/** Plain-text reports for the CLIs: what an editor reads after a run. */

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
}

function what(result: SourceCheckResult): string {
  if (result.error) return `${result.error.kind} (${result.error.message})`;
  if (result.outcome === 'robots_disallowed') return `robots.txt disallows ${result.finalUrl ?? result.url}`;
  return `HTTP ${result.httpStatus}`;
}

function section(title: string, cited: CitedSource[], results: Map<string, SourceCheckResult>, detail: (r: SourceCheckResult) => string) {
  if (cited.length === 0) return [];
  return [
    `\n${title} (${cited.length})`,
    ...table(cited.map((c) => [`  ${c.slug}`, c.sourceId, `${c.url}  ${detail(results.get(c.url)!)}`])),
  ];
}

export function formatCheckSummary(documents: readonly PlatformDocument[], results: readonly SourceCheckResult[]): string {
  const byUrl = new Map(results.map((r) => [r.url, r]));
  const cited = citedSources(documents).filter((c) => byUrl.has(c.url));
  const withOutcome = (o: string) => cited.filter((c) => byUrl.get(c.url)?.outcome === o);
  const counts = CheckOutcomes.map((o) => `${results.filter((r) => r.outcome === o).length} ${o.replace('_', ' ')}`);
  const lines = [
    `Checked ${plural(results.length, 'URL')}, cited ${plural(cited.length, 'time')} by ${plural(documents.length, 'platform')}: ${counts.join(', ')}.`,
  ];
  lines.push(...section('Dead links', withOutcome('dead'), byUrl, what));
  lines.push(...section('Redirects', withOutcome('moved'), byUrl, (r) => `→ ${r.finalUrl} (${r.hops.map((h) => h.status).join(', ')})`));
  lines.push(...section('Changed pages', withOutcome('changed'), byUrl, (r) => `text changed; first seen ${r.firstSeenAt.slice(0, 10)}`));
  lines.push(...section('Not fetched: robots.txt', withOutcome('robots_disallowed'), byUrl, what));

  const rows = [['  platform', ...CheckOutcomes]];
  for (const doc of documents) {
    const outcomes = doc.sources.map((s) => byUrl.get(s.url)?.outcome);
    rows.push([`  ${doc.slug}`, ...CheckOutcomes.map((o) => String(outcomes.filter((x) => x === o).length))]);
  }
  lines.push('\nPer platform (sources by outcome)', ...table(rows));
  return lines.join('\n');
}

export function formatReviewList(items: readonly ReviewItem[]): string {
  if (items.length === 0) return 'No platform needs review.';
  const lines = [`Needs review: ${plural(items.length, 'platform')}, most urgent first`];
  items.forEach((item, i) => {
    lines.push(`${String(i + 1).padStart(3)}. ${item.slug} (${item.name}), last verified ${item.lastVerified}`);
    for (const r of item.reasons) {
      if (r.sources.length === 0) lines.push(`       ${r.reason}`);
      for (const s of r.sources) lines.push(`       ${r.reason}: ${s.id} ${s.url} — ${s.detail}`);
    }
  });
  return lines.join('\n');
}

function formatFinding(f: OtaFinding): string[] {
  const head = `  ${f.path ?? '(no document)'} @ ${f.citedCommit.slice(0, 7)} (${f.sourceUrl})`;
  if (f.error) return [head, `      ${f.error}`];
  if (f.newerVersions.length === 0) return [head, '      no newer version'];
  return [
    head,
    ...f.newerVersions.map(
      (v) =>
        `      ${v.date.slice(0, 10)} ${v.commit.slice(0, 7)} ${v.subject}: ` +
        (v.documentRemoved
          ? 'document removed'
          : v.aiChanged
            ? `AI paragraphs changed (+${v.aiParagraphsAdded} −${v.aiParagraphsRemoved})`
            : 'AI paragraphs unchanged'),
    ),
  ];
}

export function formatOtaScan(documents: readonly PlatformDocument[], scan: OtaScan): string {
  const bySource = citedSources(documents);
  const lines = [`Open Terms Archive repository ${scan.repo}: ${scan.findings.length} cited document versions`];
  for (const doc of documents) {
    const urls = new Set(bySource.filter((c) => c.slug === doc.slug).map((c) => c.url));
    const findings = scan.findings.filter((f) => urls.has(f.sourceUrl));
    if (findings.length === 0) continue;
    lines.push(`\n${doc.slug}`, ...findings.flatMap(formatFinding));
  }
  const others = [...new Set(scan.otherRepos.map((o) => o.repo))].sort();
  if (others.length > 0) lines.push(`\nAlso cited, in other repositories (run again with their clones): ${others.join(', ')}`);
  return lines.join('\n');
}
