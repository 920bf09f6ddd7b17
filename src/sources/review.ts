import type { PlatformDocument } from '../schemas/platform.js';
import {
  type OtaFinding,
  type ReviewItem,
  type ReviewReason,
  ReviewReasons,
  type ReviewSource,
  type SourceCheckResult,
} from './schemas.js';

export interface ReviewInputs {
  /** The latest check of each URL (older ones are ignored). */
  checks: readonly SourceCheckResult[];
  ota?: readonly OtaFinding[];
}

export interface ReviewOptions {
  /** A record last verified longer ago than this needs a look even when its sources look fine. */
  staleAfterDays?: number;
}

const DAY_MS = 86_400_000;

function daysBetween(from: string, to: string): number {
  return Math.floor((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

function otaDetail(findings: readonly OtaFinding[], lastVerified: string): string | null {
  const versions = findings.flatMap((f) => f.newerVersions);
  const aiChanged = versions.filter((v) => v.aiChanged);
  const sinceVerified = versions.filter((v) => v.date.slice(0, 10) > lastVerified);
  // Newer versions an editor has seen (recorded before the last verification) and whose AI
  // paragraphs match the cited one's do not need another look.
  if (aiChanged.length === 0 && sinceVerified.length === 0) return null;
  const newest = versions.at(-1);
  return (
    `${versions.length} newer version${versions.length === 1 ? '' : 's'} (newest ${newest?.date.slice(0, 10)} ${newest?.commit.slice(0, 7)}), ` +
    (aiChanged.length > 0 ? `AI paragraphs changed in ${aiChanged.length}` : 'AI paragraphs unchanged')
  );
}

/**
 * The platform records an editor should look at, most urgent first: a dead source outranks a moved
 * one, then a page that changed after the record was verified, a newer Open Terms Archive version,
 * and last a verification older than `staleAfterDays`. `today` is YYYY-MM-DD.
 */
export function reviewList(
  documents: readonly PlatformDocument[],
  inputs: ReviewInputs,
  today: string,
  options: ReviewOptions = {},
): ReviewItem[] {
  const staleAfterDays = options.staleAfterDays ?? 180;
  const checks = new Map(inputs.checks.map((c) => [c.url, c]));
  const ota = new Map<string, OtaFinding[]>();
  for (const f of inputs.ota ?? []) ota.set(f.sourceUrl, [...(ota.get(f.sourceUrl) ?? []), f]);

  const items: ReviewItem[] = [];
  for (const doc of documents) {
    const found = new Map<ReviewReason, ReviewSource[]>();
    const add = (reason: ReviewReason, source: ReviewSource | null) => {
      const list = found.get(reason) ?? [];
      if (source) list.push(source);
      found.set(reason, list);
    };
    for (const source of doc.sources) {
      const at = { id: source.id, url: source.url };
      const check = checks.get(source.url);
      if (check?.outcome === 'dead') {
        add('dead_source', { ...at, detail: check.error ? `${check.error.kind}: ${check.error.message}` : `HTTP ${check.httpStatus}` });
      } else if (check?.outcome === 'moved') {
        add('moved_source', { ...at, detail: `→ ${check.finalUrl}` });
      }
      if (check?.changedAt && check.changedAt.slice(0, 10) > doc.lastVerified) {
        add('changed_source', { ...at, detail: `text changed ${check.changedAt.slice(0, 10)}, after the record was verified` });
      }
      const detail = otaDetail(ota.get(source.url) ?? [], doc.lastVerified);
      if (detail) add('newer_terms_version', { ...at, detail });
    }
    const age = daysBetween(doc.lastVerified, today);
    if (age > staleAfterDays) add('stale_verification', null);
    if (found.size === 0) continue;
    const reasons = ReviewReasons.filter((r) => found.has(r)).map((reason) => ({ reason, sources: found.get(reason) ?? [] }));
    items.push({ slug: doc.slug, name: doc.name, lastVerified: doc.lastVerified, urgency: reasons[0]!.reason, reasons });
  }
  const rank = (r: ReviewReason) => ReviewReasons.indexOf(r);
  const concerned = (item: ReviewItem) => item.reasons.find((r) => r.reason === item.urgency)?.sources.length ?? 0;
  return items.sort(
    (a, b) =>
      rank(a.urgency) - rank(b.urgency) ||
      concerned(b) - concerned(a) ||
      a.lastVerified.localeCompare(b.lastVerified) ||
      a.slug.localeCompare(b.slug),
  );
}
