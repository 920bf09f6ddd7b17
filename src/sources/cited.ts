import type { PlatformDocument } from '../schemas/platform.js';

/** One source entry of one platform: the same URL may be cited by several platforms, or twice by one. */
export interface CitedSource {
  slug: string;
  name: string;
  sourceId: string;
  url: string;
}

export function citedSources(documents: readonly PlatformDocument[]): CitedSource[] {
  return documents.flatMap((d) => d.sources.map((s) => ({ slug: d.slug, name: d.name, sourceId: s.id, url: s.url })));
}

/** Every distinct cited URL, in first-cited order. */
export function citedUrls(documents: readonly PlatformDocument[]): string[] {
  return [...new Set(citedSources(documents).map((s) => s.url))];
}
