import type { PlatformDocument } from '../schemas/platform.js';
import { citedUrls } from './cited.js';
import { type FetchOutcome, fetchPage } from './fetch-page.js';
import { HostGate } from './host-gate.js';
import { contentHash } from './normalise.js';
import { RobotsCache } from './robots-cache.js';
import type { CheckOutcome, SourceCheckResult } from './schemas.js';
import type { SourceCheckStore } from './store.js';

/**
 * Names the project and where to read about it, so a site owner who sees us in their logs can find
 * out who we are. The project has no public address on record yet: the URL is a placeholder until
 * it does (override it with --user-agent meanwhile).
 */
export const DEFAULT_USER_AGENT = 'ai-optout-registry-source-checker/1.0 (+https://github.com/ai-optout-registry/ai-optout-registry)';

export interface CheckOptions {
  userAgent?: string;
  /** Pause between the end of one request and the start of the next to the same host. */
  delayMs?: number;
  timeoutMs?: number;
  maxRedirects?: number;
  /** Hosts worked on at the same time; each host still sees one request at a time. */
  hostConcurrency?: number;
  maxBodyBytes?: number;
  now?: () => Date;
  /** Called as each URL is done, for progress output. */
  onResult?: (result: SourceCheckResult) => void;
}

const DEFAULTS = {
  userAgent: DEFAULT_USER_AGENT,
  delayMs: 2000,
  timeoutMs: 15_000,
  maxRedirects: 5,
  hostConcurrency: 4,
  maxBodyBytes: 5 * 1024 * 1024,
};

function sameUrl(a: string, b: string): boolean {
  const strip = (u: string) => {
    const url = new URL(u);
    url.hash = '';
    return url.href;
  };
  return strip(a) === strip(b);
}

/** Turns one fetch into a stored result, carrying the history (first seen, last change) over from the previous one. */
export function toResult(
  url: string,
  fetched: FetchOutcome,
  previous: SourceCheckResult | undefined,
  checkedAt: string,
): SourceCheckResult {
  const status = fetched.kind === 'response' ? fetched.status : null;
  const alive = status !== null && status >= 200 && status < 300;
  const hash = alive && fetched.kind === 'response' && fetched.body ? contentHash(fetched.body, fetched.contentType) : null;
  const before = previous?.lastContentHash ?? null;
  const changed = hash !== null && before !== null && hash !== before;
  const redirected = fetched.hops.length > 0;
  const moved = redirected && !sameUrl(url, fetched.finalUrl);
  let outcome: CheckOutcome;
  if (fetched.kind === 'robots_disallowed') outcome = 'robots_disallowed';
  else if (!alive) outcome = 'dead';
  else if (moved) outcome = 'moved';
  else if (changed) outcome = 'changed';
  else outcome = 'ok';
  return {
    url,
    checkedAt,
    outcome,
    httpStatus: status,
    error: fetched.kind === 'error' ? fetched.error : null,
    finalUrl: fetched.kind === 'robots_disallowed' && !redirected ? null : fetched.finalUrl,
    redirected,
    hops: fetched.hops,
    contentHash: hash,
    lastContentHash: hash ?? before,
    firstSeenAt: previous?.firstSeenAt ?? checkedAt,
    changedAt: changed ? checkedAt : (previous?.changedAt ?? null),
  };
}

async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * Checks each URL once. URLs are grouped by host name (ports share a machine, so they share its
 * turn) and each host's URLs are checked in turn, so a slow host holds up only itself; the host
 * gate keeps redirects into another host polite too.
 */
export async function checkUrls(
  urls: readonly string[],
  previous: ReadonlyMap<string, SourceCheckResult>,
  options: CheckOptions = {},
): Promise<SourceCheckResult[]> {
  const o = { ...DEFAULTS, ...options };
  const now = options.now ?? (() => new Date());
  const gate = new HostGate(o.delayMs);
  const base = { userAgent: o.userAgent, timeoutMs: o.timeoutMs, maxRedirects: o.maxRedirects, maxBodyBytes: o.maxBodyBytes, gate };
  const robots = new RobotsCache(base);
  const settings = { ...base, allowed: (url: URL) => robots.allowed(url) };

  const byHost = new Map<string, string[]>();
  const results = new Map<string, SourceCheckResult>();
  for (const url of new Set(urls)) {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      const at = now().toISOString();
      const error = { kind: 'other' as const, message: 'not a valid URL' };
      const result = toResult(url, { kind: 'error', error, finalUrl: url, hops: [] }, previous.get(url), at);
      results.set(url, result);
      options.onResult?.(result);
      continue;
    }
    byHost.set(host, [...(byHost.get(host) ?? []), url]);
  }
  await runLimited([...byHost.values()], o.hostConcurrency, async (hostUrls) => {
    for (const url of hostUrls) {
      const fetched = await fetchPage(url, settings);
      const result = toResult(url, fetched, previous.get(url), now().toISOString());
      results.set(url, result);
      options.onResult?.(result);
    }
  });
  return [...new Set(urls)].map((u) => results.get(u) as SourceCheckResult);
}

/** Checks every URL the documents cite against the store's previous results, and saves the new ones. */
export async function checkDocuments(
  documents: readonly PlatformDocument[],
  store: SourceCheckStore,
  options: CheckOptions = {},
): Promise<SourceCheckResult[]> {
  const urls = citedUrls(documents);
  const results = await checkUrls(urls, await store.previous(urls), options);
  await store.save(results);
  return results;
}
