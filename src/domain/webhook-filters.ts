import type { PlatformDocument } from '../schemas/platform.js';
import { regionGroup } from './regions.js';

/** What a change set touched, as webhook filters see it. */
export interface ChangeFacets {
  platforms: string[];
  /** Kinds of the policy events it added or changed. */
  eventKinds: string[];
  /** Regions named by the region rules and policy events it added, changed or removed. */
  regions: string[];
}

/** An endpoint's filters: each empty list matches anything; a change set must match every non-empty one. */
export interface WebhookFilters {
  platforms: string[];
  eventKinds: string[];
  regions: string[];
}

/** One platform's document before and after a change set (undefined before it was created). */
export interface DocumentChange {
  slug: string;
  before: PlatformDocument | undefined;
  after: PlatformDocument;
}

/** Items of `after` that are new or different in `before`, and items of `before` gone from `after`, matched by id. */
function changedItems<T extends { id: string }>(before: T[], after: T[]): T[] {
  const old = new Map(before.map((item) => [item.id, JSON.stringify(item)]));
  const kept = new Set(after.map((item) => item.id));
  return [...after.filter((item) => old.get(item.id) !== JSON.stringify(item)), ...before.filter((item) => !kept.has(item.id))];
}

export function changeFacets(changes: DocumentChange[]): ChangeFacets {
  const eventKinds = new Set<string>();
  const regions = new Set<string>();
  for (const { before, after } of changes) {
    for (const rule of changedItems(before?.regionRules ?? [], after.regionRules)) for (const r of rule.regions) regions.add(r);
    for (const event of changedItems(before?.events ?? [], after.events)) {
      eventKinds.add(event.kind);
      for (const r of event.regions) regions.add(r);
    }
  }
  return {
    platforms: changes.map((c) => c.slug).sort(),
    eventKinds: [...eventKinds].sort(),
    regions: [...regions].sort(),
  };
}

/** A region code with what it stands for: a group with its member countries, a country alone. */
const reach = (code: string) => new Set([code, ...(regionGroup(code)?.members ?? [])]);

/** Whether two region codes overlap: equal, a country in a group, or groups sharing a country. */
function regionsOverlap(a: string, b: string): boolean {
  const ra = reach(a);
  for (const code of reach(b)) if (ra.has(code)) return true;
  return false;
}

export function matchesFilters(filters: WebhookFilters, facets: ChangeFacets): boolean {
  const platforms = filters.platforms.length === 0 || filters.platforms.some((p) => facets.platforms.includes(p));
  const kinds = filters.eventKinds.length === 0 || filters.eventKinds.some((k) => facets.eventKinds.includes(k));
  const regions = filters.regions.length === 0 || filters.regions.some((f) => facets.regions.some((r) => regionsOverlap(f, r)));
  return platforms && kinds && regions;
}
