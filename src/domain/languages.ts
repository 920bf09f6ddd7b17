import Negotiator from 'negotiator';

/** The language of the records themselves; translations are for the others. */
export const DEFAULT_LANGUAGE = 'en';

/** How many ranges of an Accept-Language header are looked at (browsers send 2–6). */
const MAX_RANGES = 8;

/**
 * What a request asks for, in an order of preference: the `lang` parameter alone when given, else the
 * Accept-Language header (RFC 9110 §12.5.4) normalised to its ranges with a non-zero weight, best
 * first. The result is short and canonical, so it can be part of a cache key.
 */
export function preferredLanguages(header: string | undefined, lang: string | undefined): string[] {
  if (lang) return [lang];
  if (!header) return [];
  return new Negotiator({ headers: { 'accept-language': header } }).languages().slice(0, MAX_RANGES);
}

/**
 * The best of `available` for those preferences, or null: an exact or more specific match first (RFC
 * 4647 filtering: `pt` takes `pt-BR`), then the same language in another region (`pt-PT` takes
 * `pt-BR`, `es-ES` takes `es-419`), since a person who reads a language reads its regional variants
 * better than English. Tags compare case-insensitively.
 */
export function pickLanguage(preferences: readonly string[], available: readonly string[]): string | null {
  if (preferences.length === 0 || available.length === 0) return null;
  for (const wanted of preferences) {
    if (wanted === '*') return null;
    const lower = wanted.toLowerCase();
    const primary = lower.split('-')[0];
    const exact = available.find((tag) => tag.toLowerCase() === lower || tag.toLowerCase().startsWith(`${lower}-`));
    if (exact) return exact;
    if (primary === DEFAULT_LANGUAGE) return null;
    const sameLanguage = available.find((tag) => tag.toLowerCase().split('-')[0] === primary);
    if (sameLanguage) return sameLanguage;
  }
  return null;
}

/**
 * Content-Language for an answer in `lang`: labels and steps in that language, descriptions and what a
 * translation lacks in English, so both are named.
 */
export function contentLanguage(lang: string): string {
  return lang === DEFAULT_LANGUAGE ? DEFAULT_LANGUAGE : `${lang}, ${DEFAULT_LANGUAGE}`;
}
