import type { PlatformDocument, Source } from '../schemas/platform.js';
import { PRIMARY_SOURCE_KINDS } from './source-kinds.js';

/**
 * How well a fact is backed. `primary`: the platform's own words, a regulator, a court or an archived
 * version of the platform's document. `secondary`: only press or other third parties. `unconfirmed`:
 * an editor noted that the fact could not be confirmed against its sources.
 */
export const EvidenceLevels = ['primary', 'secondary', 'unconfirmed'] as const;
export type Evidence = (typeof EvidenceLevels)[number];

/** A fact as far as evidence goes: the sources it cites and the editor's note, if any. */
export interface Fact {
  sources: string[];
  unconfirmed?: string;
}

export function evidenceOf(fact: Fact, sources: ReadonlyMap<string, Source> | readonly Source[]): Evidence {
  if (fact.unconfirmed !== undefined) return 'unconfirmed';
  const byId = sources instanceof Map ? sources : new Map((sources as readonly Source[]).map((s) => [s.id, s]));
  return fact.sources.some((id) => {
    const kind = byId.get(id)?.kind;
    return kind !== undefined && PRIMARY_SOURCE_KINDS.includes(kind);
  })
    ? 'primary'
    : 'secondary';
}

/** The weakest of several levels (`unconfirmed` < `secondary` < `primary`); `primary` for none. */
export function weakestEvidence(levels: Iterable<Evidence>): Evidence {
  let weakest: Evidence = 'primary';
  for (const level of levels) if (EvidenceLevels.indexOf(level) > EvidenceLevels.indexOf(weakest)) weakest = level;
  return weakest;
}

/**
 * Every fact of a document that carries its own evidence: default periods, paths, opt-out exceptions,
 * region rules, events.
 */
export function factsOf(doc: PlatformDocument): Fact[] {
  return [...doc.settings.flatMap((s) => [...s.defaults, ...s.paths, ...(s.exceptions ?? [])]), ...doc.regionRules, ...doc.events];
}

export interface EvidenceSummary {
  facts: number;
  primary: number;
  secondary: number;
  unconfirmed: number;
}

export function evidenceSummary(doc: PlatformDocument): EvidenceSummary {
  const byId = new Map(doc.sources.map((s) => [s.id, s]));
  const summary: EvidenceSummary = { facts: 0, primary: 0, secondary: 0, unconfirmed: 0 };
  for (const fact of factsOf(doc)) {
    summary.facts++;
    summary[evidenceOf(fact, byId)]++;
  }
  return summary;
}

/** The document with each fact's derived `evidence`, as the API shows it. */
export function withEvidence(doc: PlatformDocument): PlatformDocument {
  const byId = new Map(doc.sources.map((s) => [s.id, s]));
  const mark = <T extends Fact>(fact: T): T & { evidence: Evidence } => ({ ...fact, evidence: evidenceOf(fact, byId) });
  return {
    ...doc,
    settings: doc.settings.map((s) => ({
      ...s,
      defaults: s.defaults.map(mark),
      paths: s.paths.map(mark),
      ...(s.exceptions && { exceptions: s.exceptions.map(mark) }),
    })),
    regionRules: doc.regionRules.map(mark),
    events: doc.events.map(mark),
  };
}

/** The document without derived fields a client may send back (`evidence`): they are never stored. */
export function withoutEvidence(doc: PlatformDocument): PlatformDocument {
  const strip = <T extends { evidence?: unknown }>({ evidence: _e, ...fact }: T) => fact as Omit<T, 'evidence'>;
  return {
    ...doc,
    settings: doc.settings.map((s) => ({
      ...s,
      defaults: s.defaults.map(strip),
      paths: s.paths.map(strip),
      ...(s.exceptions && { exceptions: s.exceptions.map(strip) }),
    })),
    regionRules: doc.regionRules.map(strip),
    events: doc.events.map(strip),
  };
}
