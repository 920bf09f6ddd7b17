import type { DefaultState, Device, Mechanism } from '../schemas/common.js';
import type { OptOutPath, PlatformDocument, RegionRule, Setting, Source } from '../schemas/platform.js';
import { inEffect, settingExistsOn } from './effective.js';
import { type Evidence, evidenceOf, weakestEvidence } from './evidence.js';
import { regionSpecificity } from './regions.js';

export interface Decision {
  kind: 'region_rule' | 'setting_default' | 'unknown';
  regionRuleId: string | null;
  matchedBy: 'country' | 'group' | null;
  explanation: string;
}

export interface ResolvedSetting {
  id: string;
  name: string;
  label: string | null;
  purposes: Setting['purposes'];
  dataCovered: Setting['dataCovered'];
  excluded: boolean;
  defaultState: DefaultState | null;
  trainingByDefault: boolean | null;
  mechanism: Mechanism;
  optOutUrl: string | null;
  retroactive: boolean | null;
  coversAffiliates: boolean | null;
  paths: OptOutPath[];
  availableDevices: Device[];
  decidedBy: Decision;
  countsTowardAnswer: boolean;
  /** The weakest evidence among the facts that decided this setting's answer and its paths. */
  evidence: Evidence | null;
  sources: string[];
}

export interface Resolution {
  trainingByDefault: boolean | null;
  decidedBy: (Decision & { settingId: string | null }) | null;
  rule: RegionRule | null;
  settings: ResolvedSetting[];
  /** The weakest evidence among the facts that decided `trainingByDefault`; null when nothing did. */
  evidence: Evidence | null;
  sources: Source[];
}

/**
 * Purposes that make a setting part of the headline answer: training generative models, by the
 * platform, its affiliates or third parties. Settings for other models (ranking, personalisation)
 * only decide the answer on platforms that have no generative-AI setting.
 */
export const GENERATIVE_PURPOSES: ReadonlySet<string> = new Set([
  'train_own_generative_models',
  'share_with_affiliates',
  'license_to_third_parties',
  'third_party_crawling',
]);

const TRAINS: Record<DefaultState, boolean> = {
  opted_in: true,
  no_choice: true,
  opted_out: false,
  not_applicable: false,
};

/** The region rule that governs a setting for a region on a day: most specific, then most recent. */
export function governingRule(doc: PlatformDocument, settingId: string, region: string, at: string) {
  let best: { rule: RegionRule; specificity: 1 | 2 } | undefined;
  for (const rule of doc.regionRules) {
    if (!inEffect(rule, at)) continue;
    if (rule.settingIds.length > 0 && !rule.settingIds.includes(settingId)) continue;
    const specificity = regionSpecificity(rule.regions, region);
    if (specificity === 0) continue;
    if (
      !best ||
      specificity > best.specificity ||
      (specificity === best.specificity && (rule.effectiveFrom ?? '') >= (best.rule.effectiveFrom ?? ''))
    ) {
      best = { rule, specificity };
    }
  }
  return best;
}

/**
 * Answers "is this person's data used for training by default, and how do they opt out": per
 * setting in force on `at`, the governing region rule (a country rule beats a group rule) or the
 * setting's own default, and the steps for `device`.
 */
export function resolveOptOut(doc: PlatformDocument, opts: { region: string | null; device: Device | null; at: string }): Resolution {
  const { region, device, at } = opts;
  const sourcesById = new Map(doc.sources.map((s) => [s.id, s]));
  const where = region ? `in ${region}` : 'with no region rule applied';
  const settings: ResolvedSetting[] = doc.settings
    .filter((s) => settingExistsOn(s, at))
    .map((s) => {
      const period = s.defaults.find((d) => inEffect(d, at));
      const governing = region ? governingRule(doc, s.id, region, at) : undefined;
      const rule = governing?.rule;
      const excluded = rule?.treatment === 'excluded';
      const defaultState = rule?.treatment === 'override' && rule.defaultState ? rule.defaultState : (period?.state ?? null);
      const trainingByDefault = excluded ? false : defaultState ? TRAINS[defaultState] : null;
      let decidedBy: Decision;
      if (rule && governing) {
        const matchedBy = governing.specificity === 2 ? 'country' : 'group';
        decidedBy = {
          kind: 'region_rule',
          regionRuleId: rule.id,
          matchedBy,
          explanation: excluded
            ? `Region rule "${rule.id}" (${rule.regions.join(', ')}) leaves people ${where} out of this use on ${at}.`
            : `Region rule "${rule.id}" (${rule.regions.join(', ')}) sets the treatment ${where} on ${at}` +
              (defaultState ? `: default ${defaultState}.` : '.'),
        };
      } else if (defaultState) {
        decidedBy = {
          kind: 'setting_default',
          regionRuleId: null,
          matchedBy: null,
          explanation: `No region rule applies ${where} on ${at}; the setting's default then was ${defaultState}.`,
        };
      } else {
        decidedBy = {
          kind: 'unknown',
          regionRuleId: null,
          matchedBy: null,
          explanation: `The registry does not know this setting's default on ${at}.`,
        };
      }
      const paths = device ? s.paths.filter((p) => p.device === device) : s.paths;
      const sources = new Set([...s.sources, ...(period?.sources ?? []), ...(rule?.sources ?? []), ...paths.flatMap((p) => p.sources)]);
      const deciding = rule ?? (defaultState ? period : undefined);
      const facts = [...(deciding ? [deciding] : []), ...paths];
      return {
        id: s.id,
        name: s.name,
        label: s.label,
        purposes: s.purposes,
        dataCovered: s.dataCovered,
        excluded,
        defaultState: excluded ? null : defaultState,
        trainingByDefault,
        mechanism: (rule?.treatment === 'override' && rule.mechanism) || s.mechanism,
        optOutUrl: (rule?.treatment === 'override' && rule.optOutUrl) || s.deepLink,
        retroactive: s.retroactive,
        coversAffiliates: s.coversAffiliates,
        paths,
        availableDevices: s.paths.map((p) => p.device),
        decidedBy,
        countsTowardAnswer: false,
        evidence: facts.length > 0 ? weakestEvidence(facts.map((f) => evidenceOf(f, sourcesById))) : null,
        sources: [...sources],
      };
    });

  const generative = settings.filter((s) => s.purposes.some((p) => GENERATIVE_PURPOSES.has(p)));
  const counted = generative.length > 0 ? generative : settings;
  for (const s of counted) s.countsTowardAnswer = true;
  const deciding = counted.find((s) => s.trainingByDefault === true) ?? counted.find((s) => s.trainingByDefault === null) ?? counted[0];
  const trainingByDefault = deciding ? deciding.trainingByDefault : null;
  const cited = new Set(settings.flatMap((s) => s.sources));
  const decidingEvidence = counted.map((s) => s.evidence).filter((e): e is Evidence => e !== null);
  return {
    trainingByDefault,
    evidence: decidingEvidence.length > 0 ? weakestEvidence(decidingEvidence) : null,
    decidedBy: deciding ? { ...deciding.decidedBy, settingId: deciding.id } : null,
    rule: deciding?.decidedBy.regionRuleId ? (doc.regionRules.find((r) => r.id === deciding.decidedBy.regionRuleId) ?? null) : null,
    settings,
    sources: doc.sources.filter((s) => cited.has(s.id)),
  };
}
