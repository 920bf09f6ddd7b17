import type { DefaultState, Device } from '../schemas/common.js';
import type { PlatformDocument } from '../schemas/platform.js';
import { type AccountTypeCode, accountTypesNamed } from './account-types.js';
import { eventDate } from './effective.js';
import { type Evidence, withEvidence } from './evidence.js';
import { type Decision, resolveOptOut } from './resolve.js';

/**
 * What lists, events and the registry summary need from a platform revision, derived once when the
 * revision is written (so a read of 10 000 platforms never parses 10 000 full documents). Pure
 * functions of the document: the same values as the document path, which tests check.
 */

/** The item fields of a platform list that do not depend on the request, plus the registry counts. */
export interface ListSummary {
  name: string;
  owner: string;
  homepage: string;
  settingCount: number;
  regionRuleCount: number;
  eventCount: number;
  sourceCount: number;
  devices: Device[];
  /** Account types the record treats differently; absent in summaries derived before they existed (none did then). */
  accountTypes?: AccountTypeCode[];
}

export function listSummaryOf(doc: PlatformDocument): ListSummary {
  return {
    name: doc.name,
    owner: doc.owner,
    homepage: doc.homepage,
    settingCount: doc.settings.length,
    regionRuleCount: doc.regionRules.length,
    eventCount: doc.events.length,
    sourceCount: doc.sources.length,
    devices: devicesOf(doc),
    accountTypes: accountTypesNamed(doc),
  };
}

export function devicesOf(doc: PlatformDocument): Device[] {
  return [...new Set(doc.settings.flatMap((s) => s.paths.map((p) => p.device)))];
}

/** The `devices` column: `,web,ios,`, so "has steps for a device" is a LIKE on either engine. */
export const devicesColumn = (devices: readonly string[]) => `,${devices.join(',')},`;

/**
 * The part of a document `resolveOptOut` reads when no device is asked for: settings without their
 * texts and steps, region rules, and each source's id and kind. A list item's answer comes from this,
 * which is a fraction of the document to parse.
 */
export function resolutionInputOf(doc: PlatformDocument): PlatformDocument {
  return {
    settings: doc.settings.map((s) => ({
      id: s.id,
      purposes: s.purposes,
      ...(s.accountTypes !== undefined ? { accountTypes: s.accountTypes } : {}),
      defaults: s.defaults,
      paths: s.paths.map((p) => ({
        device: p.device,
        sources: p.sources,
        ...(p.unconfirmed !== undefined ? { unconfirmed: p.unconfirmed } : {}),
      })),
      sources: s.sources,
    })),
    regionRules: doc.regionRules,
    sources: doc.sources.map((s) => ({ id: s.id, kind: s.kind })),
  } as unknown as PlatformDocument;
}

export interface ListAnswer {
  trainingByDefault: boolean | null;
  evidence: Evidence | null;
  decidedBy: (Omit<Decision, 'explanation'> & { settingId: string | null }) | null;
  defaultStates: DefaultState[];
}

/** A list item's resolved answer for a region, account type and day, from a full document or its resolution input alike. */
export function listAnswer(doc: PlatformDocument, region: string | null, at: string, accountType?: AccountTypeCode): ListAnswer {
  const answer = resolveOptOut(doc, { region, device: null, at, accountType });
  const decided = answer.decidedBy;
  return {
    trainingByDefault: answer.trainingByDefault,
    evidence: answer.evidence,
    decidedBy: decided && {
      kind: decided.kind,
      regionRuleId: decided.regionRuleId,
      matchedBy: decided.matchedBy,
      accountTypes: decided.accountTypes,
      settingId: decided.settingId,
    },
    defaultStates: [...new Set(answer.settings.map((s) => s.defaultState).filter((s): s is DefaultState => s !== null))],
  };
}

/** One entry of the policy timeline, as `GET /v1/events` shows it. */
export interface EventItem {
  id: string;
  kind: string;
  platform: string;
  date: string | null;
  [field: string]: unknown;
}

/** The timeline entries of one platform document (with evidence and the sources they cite). */
export function eventItemsOf(doc: PlatformDocument): EventItem[] {
  return withEvidence(doc).events.map((e) => ({
    ...e,
    platform: doc.slug,
    date: eventDate(e),
    sourceDetails: doc.sources.filter((s) => e.sources.includes(s.id)),
  }));
}

/**
 * Whether a revision's patch can change its timeline entries: they are made of the events and the
 * sources only (and the slug, which never changes), so a patch touching neither leaves them as they were.
 */
export function patchTouchesEvents(patch: unknown[]): boolean {
  return patch.some((op) => {
    const path = (op as { path?: unknown }).path;
    return typeof path !== 'string' || path === '' || path.startsWith('/events') || path.startsWith('/sources');
  });
}
