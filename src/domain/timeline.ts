/**
 * The order of the policy timeline (`GET /v1/events`): newest first by the event's date (effective,
 * else announced), undated last, then by platform, then by event id.
 *
 * The order is carried by one string per entry, its timeline key, whose bytewise order is the
 * timeline's: the date as 8 digits counting down (99999999 − YYYYMMDD, so a later day is a smaller
 * number) or `~` when undated (after every digit), then the platform's slug, then the event's id,
 * separated by spaces. Slugs and ids are lower-case letters, digits and single hyphens, all of which
 * sort after a space, so a shorter slug sorts before a longer one it begins (`x` before `x-ai`), as a
 * comparison of the parts would have it. The store keeps the key with each timeline row and pages by
 * it (keyset pagination: a page starts after the previous page's last key), so a page deep in the
 * feed costs what the first one does. Both engines compare it bytewise: SQLite's default collation,
 * and PostgreSQL's column collation "C".
 */

/** The key of undated entries: after every dated one (`~` sorts after digits). */
const UNDATED = '~';
const COUNTDOWN_FROM = 99_999_999;

/** 99999999 − YYYYMMDD, 8 digits: a later day gives a smaller string. */
function countdown(day: string): string {
  return String(COUNTDOWN_FROM - Number(day.replaceAll('-', ''))).padStart(8, '0');
}

export interface TimelineEntry {
  /** The event's date (effective, else announced), or null when it has neither. */
  date: string | null;
  platform: string;
  id: string;
}

export function timelineKey(entry: TimelineEntry): string {
  return `${entry.date === null ? UNDATED : countdown(entry.date)} ${entry.platform} ${entry.id}`;
}

/** Timeline order (see above), as a comparator. */
export function compareEvents(a: TimelineEntry, b: TimelineEntry): number {
  const x = timelineKey(a);
  const y = timelineKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The keys of the entries dated on or after `since` and on or before `until` (undated entries match
 * neither bound): `from` inclusive, `before` exclusive.
 */
export function timelineRange(since?: string, until?: string): { from?: string; before?: string } {
  return {
    from: until === undefined ? undefined : countdown(until),
    // Every key of a day `d` is `countdown(d)`, a space and the rest; `!` is the character after the space.
    before: since !== undefined ? `${countdown(since)}!` : until !== undefined ? UNDATED : undefined,
  };
}
