import type { ControlledBy, DefaultState, Device, Mechanism } from '../schemas/common.js';
import type { DefaultPeriod, OptOutException, OptOutPath, PlatformDocument, RegionRule, Setting, Source } from '../schemas/platform.js';
import { ACCOUNT_TYPE_CODES, type AccountTypeCode, appliesToAccountType, DEFAULT_ACCOUNT_TYPE } from './account-types.js';
import { inEffect, settingExistsOn } from './effective.js';
import { type Evidence, EvidenceLevels, evidenceOf, weakestEvidence } from './evidence.js';
import { DEFAULT_LANGUAGE, pickLanguage } from './languages.js';
import { type AiPrefCategory, aiPrefCategoriesOf, countingSettings } from './purposes.js';
import { regionSpecificity } from './regions.js';

export interface Decision {
  kind: 'region_rule' | 'setting_default' | 'unknown';
  regionRuleId: string | null;
  matchedBy: 'country' | 'group' | null;
  /** The account types the deciding fact named; null when it applies to every kind of account. */
  accountTypes: string[] | null;
  explanation: string;
}

export interface ResolvedSetting {
  id: string;
  /**
   * The language the setting is shown in: the answer's when the setting has that translation (what it
   * lacks, a label or a device's steps, stays English), else English.
   */
  lang: string;
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
  /** The account types the setting exists for; null when it exists for every kind. */
  accountTypes: string[] | null;
  controlledBy: ControlledBy;
  aiPrefCategories: AiPrefCategory[];
  exceptions: (OptOutException & { evidence: Evidence })[];
  paths: (OptOutPath & { evidence: Evidence })[];
  availableDevices: Device[];
  decidedBy: Decision;
  countsTowardAnswer: boolean;
  /** The evidence of the fact that decided this setting's answer (its default period or region rule); each path has its own. */
  evidence: Evidence | null;
  sources: string[];
}

export interface Resolution {
  accountType: AccountTypeCode;
  /** The language labels and steps were given in where translated (`en`: the record's own). */
  lang: string;
  trainingByDefault: boolean | null;
  decidedBy: (Decision & { settingId: string | null }) | null;
  rule: RegionRule | null;
  settings: ResolvedSetting[];
  /** The weakest evidence among the facts that decided `trainingByDefault`; null when nothing did. */
  evidence: Evidence | null;
  sources: Source[];
}

/** Orders evidence from strongest (primary) to weakest; no evidence last. */
const strength = (e: Evidence | null) => (e === null ? EvidenceLevels.length : EvidenceLevels.indexOf(e));

const TRAINS: Record<DefaultState, boolean> = {
  opted_in: true,
  no_choice: true,
  opted_out: false,
  not_applicable: false,
};

/**
 * The region rule that governs a setting for a region, account type and day: most specific region
 * (a country beats a group), then a rule naming the account type over a general one, then the most
 * recent.
 */
export function governingRule(
  doc: PlatformDocument,
  settingId: string,
  region: string,
  at: string,
  accountType: string = DEFAULT_ACCOUNT_TYPE,
) {
  let best: { rule: RegionRule; specificity: 1 | 2; named: boolean } | undefined;
  for (const rule of doc.regionRules) {
    if (!inEffect(rule, at) || !appliesToAccountType(rule.accountTypes, accountType)) continue;
    if (rule.settingIds.length > 0 && !rule.settingIds.includes(settingId)) continue;
    const specificity = regionSpecificity(rule.regions, region);
    if (specificity === 0) continue;
    const named = rule.accountTypes !== undefined;
    if (
      !best ||
      specificity > best.specificity ||
      (specificity === best.specificity &&
        (named > best.named || (named === best.named && (rule.effectiveFrom ?? '') >= (best.rule.effectiveFrom ?? ''))))
    ) {
      best = { rule, specificity, named };
    }
  }
  return best;
}

/** The default period in force for an account type on a day: one naming the type beats a general one. */
export function periodFor(setting: Setting, at: string, accountType: string): DefaultPeriod | undefined {
  let general: DefaultPeriod | undefined;
  for (const d of setting.defaults) {
    if (!inEffect(d, at) || !appliesToAccountType(d.accountTypes, accountType)) continue;
    if (d.accountTypes) return d;
    general ??= d;
  }
  return general;
}

const scopeText = (types: string[] | undefined) => (types ? ` for ${types.join(', ')} accounts` : '');

/**
 * Answers "is this person's data used for training by default, and how do they opt out": per
 * setting in force on `at` for the account type, the governing region rule (a country rule beats a
 * group rule) or the setting's own default, and the steps for `device`.
 */
export function resolveOptOut(
  doc: PlatformDocument,
  opts: { region: string | null; device: Device | null; at: string; accountType?: AccountTypeCode; languages?: readonly string[] },
): Resolution {
  const { region, device, at } = opts;
  const available = [...new Set(doc.settings.flatMap((s) => s.translations?.map((t) => t.lang) ?? []))];
  const lang = pickLanguage(opts.languages ?? [], available);
  const accountType = opts.accountType ?? DEFAULT_ACCOUNT_TYPE;
  const sourcesById = new Map(doc.sources.map((s) => [s.id, s]));
  const where = region ? `in ${region}` : 'with no region rule applied';
  const who = `a ${accountType} account`;
  const settings: ResolvedSetting[] = doc.settings
    .filter((s) => appliesToAccountType(s.accountTypes, accountType) && settingExistsOn(s, at, accountType))
    .map((s) => {
      const period = periodFor(s, at, accountType);
      const governing = region ? governingRule(doc, s.id, region, at, accountType) : undefined;
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
          accountTypes: rule.accountTypes ?? null,
          explanation: excluded
            ? `Region rule "${rule.id}" (${rule.regions.join(', ')}${scopeText(rule.accountTypes)}) leaves ${who} ${where} out of this use on ${at}.`
            : `Region rule "${rule.id}" (${rule.regions.join(', ')}${scopeText(rule.accountTypes)}) sets the treatment of ${who} ${where} on ${at}` +
              (defaultState ? `: default ${defaultState}.` : '.'),
        };
      } else if (defaultState) {
        decidedBy = {
          kind: 'setting_default',
          regionRuleId: null,
          matchedBy: null,
          accountTypes: period?.accountTypes ?? null,
          explanation: `No region rule applies to ${who} ${where} on ${at}; the setting's default then${scopeText(period?.accountTypes)} was ${defaultState}.`,
        };
      } else {
        decidedBy = {
          kind: 'unknown',
          regionRuleId: null,
          matchedBy: null,
          accountTypes: period?.accountTypes ?? null,
          explanation: `The registry does not know this setting's default for ${who} on ${at}.`,
        };
      }
      const translation = lang ? s.translations?.find((t) => t.lang === lang) : undefined;
      const paths = (device ? s.paths.filter((p) => p.device === device) : s.paths).map((p) => {
        const localised = translation?.paths.find((l) => l.device === p.device);
        return localised
          ? { ...p, steps: localised.steps, notes: localised.notes ?? p.notes, sources: [...p.sources, ...translation!.sources] }
          : p;
      });
      const exceptions = (s.exceptions ?? []).filter((x) => inEffect(x, at));
      const sources = new Set([
        ...s.sources,
        ...(period?.sources ?? []),
        ...(rule?.sources ?? []),
        ...paths.flatMap((p) => p.sources),
        ...exceptions.flatMap((x) => x.sources),
        ...(translation?.sources ?? []),
      ]);
      // The answer's evidence is that of the fact that decided it; the steps carry their own.
      const deciding = rule ?? (defaultState ? period : undefined);
      return {
        id: s.id,
        lang: translation ? translation.lang : DEFAULT_LANGUAGE,
        name: translation?.name ?? s.name,
        label: translation ? (translation.label ?? s.label) : s.label,
        purposes: s.purposes,
        dataCovered: s.dataCovered,
        excluded,
        defaultState: excluded ? null : defaultState,
        trainingByDefault,
        mechanism: (rule?.treatment === 'override' && rule.mechanism) || s.mechanism,
        optOutUrl: (rule?.treatment === 'override' && rule.optOutUrl) || s.deepLink,
        retroactive: s.retroactive,
        coversAffiliates: s.coversAffiliates,
        accountTypes: s.accountTypes ?? null,
        controlledBy: period?.controlledBy ?? s.controlledBy ?? 'user',
        aiPrefCategories: aiPrefCategoriesOf(s.purposes),
        exceptions: exceptions.map((x) => ({ ...x, evidence: evidenceOf(x, sourcesById) })),
        paths: paths.map((p) => ({ ...p, evidence: evidenceOf(p, sourcesById) })),
        availableDevices: s.paths.map((p) => p.device),
        decidedBy,
        countsTowardAnswer: false,
        evidence: deciding ? evidenceOf(deciding, sourcesById) : null,
        sources: [...sources],
      };
    });

  const counted = countingSettings(settings);
  for (const s of counted) s.countsTowardAnswer = true;
  // "Trains by default" needs one setting that does, so it is as well backed as the best-backed such
  // setting; "does not" needs every counting setting to agree, so it is as weak as the weakest of them.
  // The setting shown as deciding: among equals, the best-backed one, then one written for this
  // account type (an Enterprise setting, not the consumer API's, answers an enterprise account).
  const named = (s: ResolvedSetting) => (s.accountTypes?.includes(accountType) || s.decidedBy.accountTypes?.includes(accountType) ? 0 : 1);
  const byEvidence = (a: ResolvedSetting, b: ResolvedSetting) => strength(a.evidence) - strength(b.evidence) || named(a) - named(b);
  const byScope = (a: ResolvedSetting, b: ResolvedSetting) => named(a) - named(b) || strength(a.evidence) - strength(b.evidence);
  const trains = counted.filter((s) => s.trainingByDefault === true).sort(byEvidence);
  const unknown = counted.filter((s) => s.trainingByDefault === null).sort(byScope);
  const deciding = trains[0] ?? unknown[0] ?? [...counted].sort(byScope)[0];
  const trainingByDefault = deciding ? deciding.trainingByDefault : null;
  const cited = new Set(settings.flatMap((s) => s.sources));
  const countedEvidence = counted.map((s) => s.evidence).filter((e): e is Evidence => e !== null);
  return {
    accountType,
    lang: lang ?? DEFAULT_LANGUAGE,
    trainingByDefault,
    evidence: trainingByDefault === true ? deciding!.evidence : countedEvidence.length > 0 ? weakestEvidence(countedEvidence) : null,
    decidedBy: deciding ? { ...deciding.decidedBy, settingId: deciding.id } : null,
    rule: deciding?.decidedBy.regionRuleId ? (doc.regionRules.find((r) => r.id === deciding.decidedBy.regionRuleId) ?? null) : null,
    settings,
    sources: doc.sources.filter((s) => cited.has(s.id)),
  };
}

/**
 * The headline for every account type (same region, day): what a person would be told on a
 * personal, education, business, enterprise or government account.
 */
export function headlineByAccountType(doc: PlatformDocument, region: string | null, at: string): Record<AccountTypeCode, boolean | null> {
  const out = {} as Record<AccountTypeCode, boolean | null>;
  for (const accountType of ACCOUNT_TYPE_CODES) {
    out[accountType] = resolveOptOut(doc, { region, device: null, at, accountType }).trainingByDefault;
  }
  return out;
}
