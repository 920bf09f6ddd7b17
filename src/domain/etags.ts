/** Content codings the API compresses responses with, best first. */
export const ENCODINGS = ['br', 'gzip'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/**
 * A compressed representation is a different representation (RFC 9110 §8.8.3), so its entity tag
 * differs: `"abc"` becomes `"abc-br"`. Preconditions compare tags without the suffix, so a tag a
 * client got with any encoding names the same content.
 */
export function withEncoding(etag: string, encoding: Encoding): string {
  return etag.endsWith('"') ? `${etag.slice(0, -1)}-${encoding}"` : etag;
}

const SUFFIX = new RegExp(`-(${ENCODINGS.join('|')})"$`);

/** The entity tag without its encoding suffix (a weak marker stays: If-Match compares strongly). */
export function withoutEncoding(etag: string): string {
  return etag.trim().replace(SUFFIX, '"');
}

/** Weak comparison (If-None-Match): the tags without weak marker and encoding suffix. */
export function weakIdentity(etag: string): string {
  return withoutEncoding(etag).replace(/^W\//, '');
}

/**
 * The coding to send for an Accept-Encoding header (RFC 9110 §12.5.3): the best of ours the client
 * accepts with a non-zero weight, `*` standing for any coding it did not name; none without the header.
 */
export function negotiateEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  let best: Encoding | undefined;
  let bestWeight = 0;
  for (const encoding of ENCODINGS) {
    const weight = weights.get(encoding) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) {
      best = encoding;
      bestWeight = weight;
    }
  }
  return best;
}
