import type { PlatformDocument } from '../schemas/platform.js';
import { ACCOUNT_TYPE_CODES } from './account-types.js';
import { regionGroup } from './regions.js';

/** What a change set touched, as webhook filters see it. */
export interface ChangeFacets {
  platforms: string[];
  /** Kinds of the policy events it added or changed. */
  eventKinds: string[];
  /** Regions named by the region rules and policy events it added, changed or removed. */
  regions: string[];
  /**
   * Account types the facts it added, changed or removed apply to: a fact scoped to some types adds
   * those, one that applies to every kind of account (or a policy event, or the record's own fields)
   * adds them all.
   */
  accountTypes: string[];
}

/** An endpoint's filters: each empty list matches anything; a change set must match every non-empty one. */
export interface WebhookFilters {
  platforms: string[];
  eventKinds: string[];
  regions: string[];
  accountTypes: string[];
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

/** Default periods in one list and not the other (periods have no id: compared whole). */
function changedPeriods<T>(before: T[], after: T[]): T[] {
  const text = (items: T[]) => new Set(items.map((i) => JSON.stringify(i)));
  const was = text(before);
  const now = text(after);
  return [...after.filter((p) => !was.has(JSON.stringify(p))), ...before.filter((p) => !now.has(JSON.stringify(p)))];
}

export function changeFacets(changes: DocumentChange[]): ChangeFacets {
  const eventKinds = new Set<string>();
  const regions = new Set<string>();
  const accountTypes = new Set<string>();
  const scope = (types: readonly string[] | undefined) => {
    for (const t of types ?? ACCOUNT_TYPE_CODES) accountTypes.add(t);
  };
  for (const { before, after } of changes) {
    for (const rule of changedItems(before?.regionRules ?? [], after.regionRules)) {
      for (const r of rule.regions) regions.add(r);
      scope(rule.accountTypes);
    }
    for (const event of changedItems(before?.events ?? [], after.events)) {
      eventKinds.add(event.kind);
      for (const r of event.regions) regions.add(r);
      scope(undefined);
    }
    // A setting added, removed or changed concerns its scope (old and new); one whose default periods
    // alone changed concerns the scopes of those periods.
    const oldSettings = new Map((before?.settings ?? []).map((s) => [s.id, s]));
    const kept = new Set(after.settings.map((s) => s.id));
    for (const setting of changedItems(before?.settings ?? [], after.settings)) {
      const old = kept.has(setting.id) ? oldSettings.get(setting.id) : undefined;
      if (!old || JSON.stringify({ ...setting, defaults: [] }) !== JSON.stringify({ ...old, defaults: [] })) {
        scope(setting.accountTypes);
        if (old) scope(old.accountTypes);
        continue;
      }
      for (const period of changedPeriods(old.defaults, setting.defaults)) scope(period.accountTypes ?? setting.accountTypes);
    }
  }
  return {
    platforms: changes.map((c) => c.slug).sort(),
    eventKinds: [...eventKinds].sort(),
    regions: [...regions].sort(),
    accountTypes: ACCOUNT_TYPE_CODES.filter((t) => accountTypes.has(t)),
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
  const accountTypes = filters.accountTypes.length === 0 || filters.accountTypes.some((t) => facets.accountTypes.includes(t));
  return platforms && kinds && regions && accountTypes;
}
