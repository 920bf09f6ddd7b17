import { z } from 'zod';
import { accountScopesConflict } from '../domain/account-types.js';
import { EvidenceLevels } from '../domain/evidence.js';
import { allRegionCodes, isRegionCode } from '../domain/regions.js';
import {
  AccountType,
  AccountTypes,
  Category,
  ControlledBy,
  DataCategories,
  DataCategory,
  DefaultState,
  Device,
  Devices,
  EventKind,
  ExceptionAction,
  HttpUrl,
  IsoDate,
  LanguageTag,
  Mechanism,
  NonEmptyText,
  PlatformStatus,
  Purpose,
  Purposes,
  Slug,
  SourceKind,
} from './common.js';

/**
 * How much one platform record may hold: far above any real platform (the largest seed file has 3
 * settings, 16 events, 34 sources) and low enough that one record stays a bounded amount of work.
 */
export const LIMITS = {
  settings: 50,
  defaults: 50,
  regionRules: 200,
  events: 1000,
  sources: 500,
  sourceRefs: 50,
  regions: 300,
  exceptions: 20,
  translations: 20,
} as const;

export const Evidence = z.enum(EvidenceLevels).meta({
  id: 'Evidence',
  description:
    'How well a fact is backed. `primary`: it cites the platform’s own words, a regulator, a court or an archived version of the ' +
    'platform’s document. `secondary`: press reports (or other third parties) only. `unconfirmed`: an editor noted it could not be confirmed.',
});

export const SourceRefs = z
  .array(Slug)
  .min(1, 'every fact must cite at least one source id from the platform’s `sources`')
  .max(LIMITS.sourceRefs, `may cite at most ${LIMITS.sourceRefs} sources`)
  .describe('Ids of entries in the platform’s `sources` that back this fact.');

export const Source = z
  .strictObject({
    id: Slug.describe('Id of the source within this platform, cited by facts.'),
    url: HttpUrl.describe('The original page: the platform’s help page, the regulator’s statement, the article.'),
    title: NonEmptyText(300),
    publisher: NonEmptyText(200),
    kind: SourceKind,
    publishedDate: IsoDate.nullable().describe('When the page was published or last updated; null when it carries no date.'),
    retrievedDate: IsoDate.describe('When the registry last read the page.'),
  })
  .meta({ id: 'Source', description: 'Where a fact was seen.' });
export type Source = z.infer<typeof Source>;

/**
 * An editor's note that a fact could not be confirmed against its sources. Present only then; the
 * fact's derived `evidence` becomes `unconfirmed`.
 */
const unconfirmed = {
  unconfirmed: NonEmptyText(1000)
    .optional()
    .describe('Editor’s note saying why this fact could not be confirmed against its sources; absent when it was.'),
  evidence: Evidence.optional().describe(
    'Server-derived from the cited sources’ kinds and `unconfirmed`; always present in responses, ignored on writes.',
  ),
};

/**
 * Which kinds of account a fact applies to. Absent: every kind. A fact naming kinds beats a general
 * one for those kinds (see `domain/resolve.ts`).
 */
const accountScope = {
  accountTypes: z
    .array(AccountType)
    .min(1, 'name at least one account type, or leave `accountTypes` out when the fact applies to every kind of account')
    .max(AccountTypes.length)
    .optional()
    .describe('The kinds of account this applies to; absent when it applies to every kind.'),
};

/** `effectiveFrom` is inclusive, `effectiveUntil` exclusive; null means open-ended (or not known). */
const effectiveRange = {
  effectiveFrom: IsoDate.nullable().describe(
    'First day this applies (inclusive); null when it applied from the start or the date is unknown.',
  ),
  effectiveUntil: IsoDate.nullable().describe('First day this no longer applies (exclusive); null while it still applies.'),
};

export const DefaultPeriod = z
  .strictObject({
    state: DefaultState.nullable().describe('The default in this period; null when the setting existed but its default is not known.'),
    ...effectiveRange,
    ...accountScope,
    controlledBy: ControlledBy.optional().describe(
      'Who can change the setting for these accounts, when it differs from the setting’s `controlledBy` (e.g. an admin on work accounts).',
    ),
    sources: SourceRefs,
    ...unconfirmed,
  })
  .meta({
    id: 'DefaultPeriod',
    description:
      'What a setting defaulted to during a period of real time, for every kind of account or (with `accountTypes`) for some kinds.',
  });
export type DefaultPeriod = z.infer<typeof DefaultPeriod>;

export const OptOutPath = z
  .strictObject({
    device: Device,
    steps: z.array(NonEmptyText(300)).min(1).max(20).describe('Ordered steps, each naming the exact menu label a person taps or clicks.'),
    deepLink: HttpUrl.nullable().describe('A link straight to the control on this device, when one exists.'),
    notes: NonEmptyText(1000).nullable(),
    sources: SourceRefs,
    ...unconfirmed,
  })
  .meta({ id: 'OptOutPath', description: 'How to reach and change a setting on one device.' });
export type OptOutPath = z.infer<typeof OptOutPath>;

export const OptOutException = z
  .strictObject({
    id: Slug.describe('Stable id of the exception within the setting.'),
    action: ExceptionAction,
    description: NonEmptyText(1000).describe('What the person does, and what the platform then uses, in the registry’s own words.'),
    dataCovered: z.array(DataCategory).max(DataCategories.length).describe('Kinds of data that still count.'),
    ...effectiveRange,
    sources: SourceRefs,
    ...unconfirmed,
  })
  .meta({
    id: 'OptOutException',
    description: 'Something a person can do that makes their data count for training although they opted out.',
  });
export type OptOutException = z.infer<typeof OptOutException>;

export const PrimaryTranslationKinds = ['platform', 'terms_archive'] as const;

export const LocalisedPath = z
  .strictObject({
    device: Device,
    steps: z.array(NonEmptyText(300)).min(1).max(20).describe('The steps as the platform’s page in this language gives them.'),
    notes: NonEmptyText(1000).nullable(),
  })
  .meta({ id: 'LocalisedPath', description: 'The steps on one device as the platform’s localised help page words them.' });

export const SettingTranslation = z
  .strictObject({
    lang: LanguageTag,
    name: NonEmptyText(200).nullable().describe('The setting’s name as the platform shows it in this language; null when not known.'),
    label: NonEmptyText(300).nullable().describe('The toggle or button text as the platform shows it in this language; null when none.'),
    paths: z
      .array(LocalisedPath)
      .max(Devices.length)
      .describe('Localised steps per device; a device missing here falls back to the English steps.'),
    sources: SourceRefs.describe('The platform’s own help page in this language (never a translation made by the registry).'),
  })
  .meta({
    id: 'SettingTranslation',
    description: 'Menu labels and steps copied from the platform’s own localised help page, cited. The registry never translates them.',
  });
export type SettingTranslation = z.infer<typeof SettingTranslation>;

export const Setting = z
  .strictObject({
    id: Slug.describe('Stable id of the setting within the platform.'),
    name: NonEmptyText(200).describe(
      'The setting’s name exactly as the platform’s interface shows it (or, for data uses with no control, a plain description).',
    ),
    label: NonEmptyText(300)
      .nullable()
      .describe('The toggle, checkbox or button text exactly as shown; null when there is none or it is not known.'),
    description: NonEmptyText(2000).describe('What the setting controls, in the registry’s own words.'),
    dataCovered: z.array(DataCategory).max(DataCategories.length).describe('Kinds of data the setting covers.'),
    purposes: z.array(Purpose).min(1).max(Purposes.length).describe('What the covered data is used for.'),
    mechanism: Mechanism,
    defaults: z
      .array(DefaultPeriod)
      .max(LIMITS.defaults, `may have at most ${LIMITS.defaults} periods`)
      .describe('The default state over real time, oldest first; periods never overlap. Empty when unknown.'),
    retroactive: z.boolean().nullable().describe('Whether opting out also removes data from models already trained; null when unknown.'),
    coversAffiliates: z
      .boolean()
      .nullable()
      .describe('Whether the choice also binds affiliates (e.g. a parent company); null when unknown.'),
    deepLink: HttpUrl.nullable().describe('A link straight to the control, when one exists.'),
    paths: z
      .array(OptOutPath)
      .max(Devices.length, `may have one path per device (${Devices.length} at most)`)
      .describe('Steps per device; one entry per device at most.'),
    sources: SourceRefs,
    ...accountScope,
    controlledBy: ControlledBy.optional().describe(
      'Who can change the setting; absent means the person themself (`user`). A default period may say otherwise for some accounts.',
    ),
    exceptions: z
      .array(OptOutException)
      .max(LIMITS.exceptions, `may list at most ${LIMITS.exceptions} exceptions`)
      .optional()
      .describe('What still counts for training after a person opts out (rating replies, sending feedback, …); absent when none is known.'),
    translations: z
      .array(SettingTranslation)
      .max(LIMITS.translations, `may have at most ${LIMITS.translations} translations`)
      .optional()
      .describe('The name, label and steps in other languages, copied from the platform’s own localised pages.'),
  })
  .meta({ id: 'Setting', description: 'A control (or the absence of one) over whether the platform trains AI on a person’s data.' });
export type Setting = z.infer<typeof Setting>;

/**
 * Checked by a refinement rather than a zod enum so an unknown code is reported beside every other
 * fault of the record (an enum failure would stop the cross-reference checks); the document still
 * lists the codes.
 */
export const RegionCode = z
  .string()
  .refine(isRegionCode, {
    message: 'must be an ISO 3166-1 alpha-2 country code (e.g. "DE", "GB") or a region group listed at /v1/regions (e.g. "EU", "EEA")',
  })
  .meta({
    id: 'RegionCode',
    description: 'An ISO 3166-1 alpha-2 country code or a region group code from `/v1/regions`.',
    example: 'DE',
    enum: allRegionCodes(),
  });

export const RegionRule = z
  .strictObject({
    id: Slug,
    regions: z
      .array(RegionCode)
      .min(1)
      .max(LIMITS.regions, `may name at most ${LIMITS.regions} regions`)
      .describe('Countries and region groups the rule applies to. A rule naming a country beats one matching it through a group.'),
    settingIds: z
      .array(Slug)
      .max(LIMITS.settings, `may name at most ${LIMITS.settings} settings`)
      .describe('Settings the rule applies to; empty means every setting of the platform.'),
    treatment: z
      .enum(['excluded', 'override'])
      .describe(
        '`excluded`: people there are left out of the training altogether. `override`: the fields below replace the setting’s own.',
      ),
    defaultState: DefaultState.nullable().describe('Default that applies there instead of the setting’s; null leaves it unchanged.'),
    mechanism: Mechanism.nullable().describe('Mechanism that applies there instead of the setting’s; null leaves it unchanged.'),
    optOutUrl: HttpUrl.nullable().describe('Where people there opt out or object, when it differs from the setting’s deep link.'),
    ...effectiveRange,
    ...accountScope,
    notes: NonEmptyText(2000).nullable(),
    sources: SourceRefs,
    ...unconfirmed,
  })
  .meta({ id: 'RegionRule', description: 'How a platform treats people in some regions differently, for a period of real time.' });
export type RegionRule = z.infer<typeof RegionRule>;

export const PolicyEvent = z
  .strictObject({
    id: Slug,
    kind: EventKind,
    title: NonEmptyText(200),
    summary: NonEmptyText(3000).describe('What changed, in the registry’s own words.'),
    announcedDate: IsoDate.nullable().describe('When the change was announced or first reported; null when unknown.'),
    effectiveDate: IsoDate.nullable().describe('When the change took effect; null when unknown or not applicable.'),
    settingIds: z
      .array(Slug)
      .max(LIMITS.settings, `may name at most ${LIMITS.settings} settings`)
      .describe('Settings the change affected.'),
    regions: z
      .array(RegionCode)
      .max(LIMITS.regions, `may name at most ${LIMITS.regions} regions`)
      .describe('Regions the change affected; empty when it applied everywhere.'),
    sources: SourceRefs,
    ...unconfirmed,
  })
  .meta({ id: 'PolicyEvent', description: 'A dated change in how a platform uses data for AI training.' });
export type PolicyEvent = z.infer<typeof PolicyEvent>;

const platformFields = {
  slug: Slug.describe('Stable id, never reused (e.g. "linkedin").'),
  name: NonEmptyText(200),
  owner: NonEmptyText(200).describe('The company that runs the platform.'),
  homepage: HttpUrl,
  category: Category,
  status: PlatformStatus,
  summary: NonEmptyText(2000).describe('One paragraph, in the registry’s own words, on how the platform uses data for AI training.'),
  lastVerified: IsoDate.describe('When an editor last checked this record against its sources.'),
  settings: z.array(Setting).max(LIMITS.settings, `may have at most ${LIMITS.settings} settings`),
  regionRules: z.array(RegionRule).max(LIMITS.regionRules, `may have at most ${LIMITS.regionRules} region rules`),
  events: z.array(PolicyEvent).max(LIMITS.events, `may have at most ${LIMITS.events} events`),
  sources: z.array(Source).min(1).max(LIMITS.sources, `may have at most ${LIMITS.sources} sources`),
};

function checkReferences(p: z.infer<z.ZodObject<typeof platformFields>>, ctx: z.RefinementCtx) {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const unique = (ids: string[], path: string, what: string) => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) issue([path, i, 'id'], `duplicate ${what} id "${id}"`);
      seen.add(id);
    });
  };
  unique(
    p.sources.map((s) => s.id),
    'sources',
    'source',
  );
  unique(
    p.settings.map((s) => s.id),
    'settings',
    'setting',
  );
  unique(
    p.regionRules.map((r) => r.id),
    'regionRules',
    'region rule',
  );
  unique(
    p.events.map((e) => e.id),
    'events',
    'event',
  );

  const sourceIds = new Set(p.sources.map((s) => s.id));
  const settingIds = new Set(p.settings.map((s) => s.id));
  const cites = (refs: string[], path: (string | number)[]) =>
    refs.forEach((ref, i) => {
      if (!sourceIds.has(ref)) issue([...path, 'sources', i], `cites unknown source "${ref}"; add it to the platform's sources`);
    });
  const range = (from: string | null, until: string | null, path: (string | number)[]) => {
    if (from && until && until <= from)
      issue([...path, 'effectiveUntil'], `must be after effectiveFrom (${from}); the range is inverted or empty`);
  };
  // A period narrower than its setting is fine; one naming a type the setting does not apply to never applies.
  const scoped = (types: string[] | undefined, within: string[] | undefined, path: (string | number)[]) =>
    types?.forEach((t, i) => {
      if (within && !within.includes(t))
        issue([...path, 'accountTypes', i], `names "${t}", which the setting's own accountTypes (${within.join(', ')}) leave out`);
    });
  const names = (refs: string[], path: (string | number)[]) =>
    refs.forEach((ref, i) => {
      if (!settingIds.has(ref)) issue([...path, 'settingIds', i], `names unknown setting "${ref}"`);
    });

  p.settings.forEach((s, si) => {
    const at = ['settings', si];
    cites(s.sources, at);
    s.defaults.forEach((d, di) => {
      cites(d.sources, [...at, 'defaults', di]);
      range(d.effectiveFrom, d.effectiveUntil, [...at, 'defaults', di]);
      scoped(d.accountTypes, s.accountTypes, [...at, 'defaults', di]);
      // Periods for account scopes that can meet (both general, or naming a type in common) form one
      // timeline: in date order, never overlapping. A scoped period may sit beside a general one.
      const prev = s.defaults.slice(0, di).findLast((p) => accountScopesConflict(p.accountTypes, d.accountTypes));
      if (prev && (prev.effectiveUntil === null || d.effectiveFrom === null || d.effectiveFrom < prev.effectiveUntil)) {
        issue(
          [...at, 'defaults', di, 'effectiveFrom'],
          'default periods for the same account types must be in date order and must not overlap (the previous period needs an effectiveUntil on or before this effectiveFrom)',
        );
      }
    });
    const exceptionIds = new Set<string>();
    s.exceptions?.forEach((x, xi) => {
      cites(x.sources, [...at, 'exceptions', xi]);
      range(x.effectiveFrom, x.effectiveUntil, [...at, 'exceptions', xi]);
      if (exceptionIds.has(x.id)) issue([...at, 'exceptions', xi, 'id'], `duplicate exception id "${x.id}"`);
      exceptionIds.add(x.id);
    });
    const langs = new Set<string>();
    s.translations?.forEach((t, ti) => {
      const tat = [...at, 'translations', ti];
      cites(t.sources, tat);
      if (langs.has(t.lang)) issue([...tat, 'lang'], `more than one translation for "${t.lang}"`);
      langs.add(t.lang);
      t.sources.forEach((ref, i) => {
        const kind = p.sources.find((src) => src.id === ref)?.kind;
        if (kind && !(PrimaryTranslationKinds as readonly string[]).includes(kind))
          issue([...tat, 'sources', i], `must cite the platform's own localised page (kind "platform" or "terms_archive"), not "${kind}"`);
      });
      const tdevices = new Set<string>();
      t.paths.forEach((path, pi) => {
        if (tdevices.has(path.device)) issue([...tat, 'paths', pi, 'device'], `more than one path for device "${path.device}"`);
        tdevices.add(path.device);
        if (!s.paths.some((en) => en.device === path.device))
          issue([...tat, 'paths', pi, 'device'], `the setting has no English path for device "${path.device}" to localise`);
      });
    });
    const devices = new Set<string>();
    s.paths.forEach((path, pi) => {
      cites(path.sources, [...at, 'paths', pi]);
      if (devices.has(path.device)) issue([...at, 'paths', pi, 'device'], `more than one path for device "${path.device}"`);
      devices.add(path.device);
    });
  });
  p.regionRules.forEach((r, ri) => {
    const at = ['regionRules', ri];
    cites(r.sources, at);
    names(r.settingIds, at);
    range(r.effectiveFrom, r.effectiveUntil, at);
    if (r.treatment === 'excluded' && r.defaultState !== null) issue([...at, 'defaultState'], 'must be null when treatment is "excluded"');
    if (r.treatment === 'override' && r.defaultState === null && r.mechanism === null && r.optOutUrl === null) {
      issue([...at, 'treatment'], 'an "override" rule must set at least one of defaultState, mechanism or optOutUrl');
    }
  });
  p.events.forEach((e, ei) => {
    cites(e.sources, ['events', ei]);
    names(e.settingIds, ['events', ei]);
  });
}

/** A platform as editors write it and seed files hold it: every fact, no server-managed fields. */
export const PlatformDocument = z
  .strictObject(platformFields)
  .superRefine(checkReferences)
  .meta({ id: 'PlatformDocument', description: 'A platform’s full record as written by editors.' });
export type PlatformDocument = z.infer<typeof PlatformDocument>;

export const Revision = z
  .strictObject({
    version: z.int().describe('The registry version whose change set last changed this platform.'),
    recordedAt: z.string().max(40).describe('When that change set was recorded (RFC 3339, UTC).'),
  })
  .meta({ id: 'Revision', description: 'Server-managed: which change set produced this record. Ignored on writes.' });

export const AsOf = z
  .strictObject({
    version: z.int().describe('The registry version the answer was read at.'),
    at: IsoDate.nullable().describe('The day the answer applies to; null for the full record across all time.'),
  })
  .meta({ id: 'AsOf', description: 'Which registry version and which day a response describes.' });

export const PlatformRecord = z
  .strictObject({
    ...platformFields,
    revision: Revision,
    at: IsoDate.nullable().describe(
      'Server-managed: the day the record is narrowed to (`at`), or null for the full record. Ignored on writes.',
    ),
  })
  .meta({
    id: 'PlatformRecord',
    description: 'A platform’s full record. With `at`, default periods, region rules and events are narrowed to what applied on that day.',
  });
export type PlatformRecord = z.infer<typeof PlatformRecord>;

/**
 * A platform document as accepted by writes: exactly what `GET /v1/platforms/{slug}` returns, so a
 * read can be edited and written back. The server-managed `revision` and `at` are accepted and
 * ignored.
 */
export const PlatformInput = z
  .strictObject({ ...platformFields, revision: Revision.optional(), at: IsoDate.nullable().optional() })
  .superRefine(checkReferences)
  .transform(({ revision: _r, at: _a, ...doc }) => doc as PlatformDocument)
  .meta({
    id: 'PlatformInput',
    description: 'A platform’s full record as written by editors. `revision` and `at` (server-managed) may be present and are ignored.',
  });
