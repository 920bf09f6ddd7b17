import type { PlatformDocument, Setting } from '../schemas/platform.js';
import { appliesToAccountType } from './account-types.js';

interface Range {
  effectiveFrom: string | null;
  effectiveUntil: string | null;
}

/** Whether a fact with an effective range applied on `at` (from inclusive, until exclusive). */
export function inEffect(range: Range, at: string): boolean {
  return (range.effectiveFrom === null || range.effectiveFrom <= at) && (range.effectiveUntil === null || at < range.effectiveUntil);
}

/**
 * A setting exists on `at` when that day lies between the start of its first known default period
 * and the end of its last one. A day in a gap between two periods is inside that span: the setting
 * existed, its default then is simply not known (so it resolves to null, never to "not trained").
 * With an account type, only the periods that apply to it count (all of them when none does).
 * Periods are in date order within each account scope, but a scoped period listed after general
 * ones may start earlier, so the span runs from the earliest start to the latest end.
 */
export function settingExistsOn(setting: Setting, at: string, accountType?: string): boolean {
  const scoped = accountType ? setting.defaults.filter((d) => appliesToAccountType(d.accountTypes, accountType)) : [];
  // No period for this account type: the setting's span is that of all its periods (its default for the type is unknown).
  const periods = scoped.length > 0 ? scoped : setting.defaults;
  if (periods.length === 0) return true;
  const startsBy = periods.some((d) => d.effectiveFrom === null || d.effectiveFrom <= at);
  const endsAfter = periods.some((d) => d.effectiveUntil === null || at < d.effectiveUntil);
  return startsBy && endsAfter;
}

/** The day an event counts from on a timeline: when it took effect, else when it was announced. */
export function eventDate(e: { effectiveDate: string | null; announcedDate: string | null }): string | null {
  return e.effectiveDate ?? e.announcedDate;
}

let today = '';
let todayEndsAt = 0;

/** Today's date in UTC (YYYY-MM-DD); formatted once a day, since every read asks for it. */
export function todayUtc(): string {
  const now = Date.now();
  if (now >= todayEndsAt) {
    today = new Date(now).toISOString().slice(0, 10);
    todayEndsAt = Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1, Number(today.slice(8, 10)) + 1);
  }
  return today;
}

/**
 * The record as it applied on `at`: settings that existed then with the default in force, region
 * rules in force, and events up to that day (undated ones kept). Sources stay whole.
 */
export function narrowToDate(doc: PlatformDocument, at: string): PlatformDocument {
  const settings = doc.settings
    .filter((s) => settingExistsOn(s, at))
    .map((s) => ({ ...s, defaults: s.defaults.filter((d) => inEffect(d, at)) }));
  const regionRules = doc.regionRules
    .filter((r) => inEffect(r, at))
    .map((r) => ({ ...r, settingIds: r.settingIds.filter((id) => settings.some((s) => s.id === id)) }))
    .filter((r) => r.settingIds.length > 0 || !doc.regionRules.find((o) => o.id === r.id)?.settingIds.length);
  const events = doc.events.filter((e) => {
    const day = eventDate(e);
    return day === null || day <= at;
  });
  return {
    ...doc,
    settings,
    regionRules,
    events: events.map((e) => ({ ...e, settingIds: e.settingIds.filter((id) => settings.some((s) => s.id === id)) })),
  };
}
