import { z } from 'zod';
import { PROBLEM_CODE_LIST, PROBLEM_CODES } from '../errors.js';
import { ChangeEntry, JsonPatchOperation } from './changes.js';
import {
  AccountType,
  AiPrefCategory,
  Category,
  ControlledBy,
  DataCategory,
  DefaultState,
  Device,
  IsoDate,
  Mechanism,
  PlatformStatus,
  Purpose,
} from './common.js';
import { AsOf, Evidence, OptOutException, OptOutPath, PlatformDocument, PolicyEvent, RegionRule, Revision, Source } from './platform.js';

export const Problem = z
  .object({
    type: z.string().describe('A URI reference naming the kind of problem (`/problems/<code>`).'),
    title: z.string(),
    status: z.int(),
    detail: z.string().describe('What went wrong and what to do about it.'),
    instance: z.string().describe('The request path, with the request id as a fragment.'),
    code: z
      .enum(PROBLEM_CODE_LIST)
      .describe(
        `Stable machine-readable code, the last segment of \`type\`. ${PROBLEM_CODE_LIST.map((c) => `\`${c}\`: ${PROBLEM_CODES[c].meaning}`).join(' ')}`,
      ),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('Every field to fix, for 400 and 422.'),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'An RFC 9457 problem details object (`application/problem+json`).' });

/** `{ data, nextCursor }`, the shape of every list. */
export const page = <T extends z.ZodType, A extends z.ZodType = typeof AsOf>(item: T, id: string, description: string, asOf?: A) =>
  z
    .object({
      data: z.array(item),
      nextCursor: z.string().nullable().describe('Pass as `cursor` to get the next page; null on the last page.'),
      asOf: (asOf ?? AsOf) as A,
    })
    .meta({ id, description });

const accountTypesNamed = z
  .array(AccountType)
  .nullable()
  .describe('The account types the deciding fact names; null when it applies to every kind of account.');

export const Decision = z
  .object({
    kind: z.enum(['region_rule', 'setting_default', 'unknown']),
    regionRuleId: z.string().nullable(),
    matchedBy: z.enum(['country', 'group']).nullable().describe('Whether the rule named the region itself or a group containing it.'),
    accountTypes: accountTypesNamed,
    explanation: z.string(),
  })
  .meta({
    id: 'Decision',
    description:
      'What decided the answer: a region rule, the setting’s own default (a period for the account type asked about beats a ' +
      'general one), or nothing known.',
  });

export const PlatformSummary = z
  .object({
    slug: z.string(),
    name: z.string(),
    owner: z.string(),
    homepage: z.string(),
    category: Category,
    status: PlatformStatus,
    lastVerified: IsoDate,
    trainingByDefault: z
      .boolean()
      .nullable()
      .describe('Whether data is used for training by default on `at`, for `accountType` (and `region`, when given); null when unknown.'),
    evidence: Evidence.nullable().describe(
      'The weakest evidence among the facts that decided `trainingByDefault` (for `region` and `accountType`, on `at`); null when nothing did.',
    ),
    decidedBy: Decision.omit({ explanation: true })
      .extend({ settingId: z.string().nullable() })
      .nullable()
      .describe('The setting and the rule that decided `trainingByDefault`; `GET …/opt-out` explains it in words.'),
    defaultStates: z.array(DefaultState).describe('Distinct default states of its settings on `at` (for `region` and `accountType`).'),
    accountTypes: z
      .array(AccountType)
      .describe(
        'Account types the record treats differently from the rest (named by a setting, default period or region rule); empty when it treats every kind alike.',
      ),
    devices: z.array(Device).describe('Devices with documented opt-out steps.'),
    settingCount: z.int(),
    revision: Revision,
  })
  .meta({ id: 'PlatformSummary', description: 'A platform in a list.' });

export const ListAsOf = AsOf.extend({
  at: IsoDate.describe('The day the items’ answers were resolved for (today, UTC, when `at` was not given).'),
  region: z.string().nullable().describe('The region the answers were resolved for; null when none was given.'),
  accountType: AccountType.describe('The account type the answers were resolved for (`personal` when none was given).'),
}).meta({ id: 'ListAsOf', description: 'Which registry version, day, region and account type a list’s answers describe.' });

export const PlatformList = page(PlatformSummary, 'PlatformList', 'A page of platforms.', ListAsOf);

export const ResolvedException = OptOutException.extend({ evidence: Evidence }).meta({
  id: 'ResolvedException',
  description: 'Something that makes data count for training although the person opted out, in force on the day asked about.',
});

export const ResolvedSetting = z
  .object({
    id: z.string(),
    lang: z
      .string()
      .describe(
        'The language `name`, `label` and the steps are in: the answer’s `lang` when the platform’s own help page in that language was copied for this setting (a label or a device’s steps it lacks stay in English), else `en`.',
      ),
    name: z.string(),
    label: z.string().nullable(),
    purposes: z.array(Purpose),
    aiPrefCategories: z
      .array(AiPrefCategory)
      .describe('The IETF AI Preferences categories its purposes fall under (see `AiPrefCategory`); empty when none does.'),
    dataCovered: z.array(DataCategory),
    accountTypes: z.array(AccountType).nullable().describe('The account types the setting exists for; null when it exists for every kind.'),
    controlledBy: ControlledBy.describe('Who can change the setting for the account type asked about.'),
    excluded: z.boolean().describe('True when a region rule leaves people there out of this use altogether.'),
    defaultState: DefaultState.nullable(),
    trainingByDefault: z.boolean().nullable(),
    mechanism: Mechanism,
    optOutUrl: z.string().nullable().describe('Where to opt out: the region’s form if a rule names one, else the setting’s deep link.'),
    retroactive: z.boolean().nullable(),
    coversAffiliates: z.boolean().nullable(),
    exceptions: z
      .array(ResolvedException)
      .describe('What still counts for training after opting out (rating a reply, sending feedback, …); empty when none is known.'),
    paths: z
      .array(OptOutPath)
      .describe('Steps for the requested device (all devices when none was given), each with the evidence of its steps.'),
    availableDevices: z.array(Device),
    decidedBy: Decision,
    countsTowardAnswer: z
      .boolean()
      .describe(
        'Whether this setting decides the headline `trainingByDefault`: true for settings about the platform (or its group) ' +
          'training on the person’s data; false for sharing, licensing, crawling and third parties’ own processing, which keep ' +
          'their own answer here.',
      ),
    evidence: Evidence.nullable().describe(
      'The evidence of the fact that decided this setting’s answer (its default period, or the region rule); null when nothing did. Each path carries the evidence of its own steps.',
    ),
    sources: z.array(z.string()),
  })
  .meta({ id: 'ResolvedSetting', description: 'One setting as it applies to the person asking.' });

export const OptOutAnswer = z
  .object({
    platform: z.object({ slug: z.string(), name: z.string(), status: PlatformStatus, lastVerified: IsoDate }),
    region: z.string().nullable(),
    device: Device.nullable(),
    accountType: AccountType.describe('The account type the answer is for (`personal` when none was asked for).'),
    lang: z
      .string()
      .describe(
        'The language labels and steps are given in where the platform publishes them (BCP 47), chosen from `lang` or Accept-Language; `en` when none of the requested languages is available. Descriptions are always the registry’s own English. Also sent as Content-Language.',
      ),
    at: IsoDate,
    trainingByDefault: z
      .boolean()
      .nullable()
      .describe(
        'Does this platform, or its corporate group, train AI models on this person’s data unless they act? Decided only by ' +
          'the settings about the platform’s or its group’s own training (purposes `train_own_generative_models`, ' +
          '`train_group_generative_models`; on a platform with neither, `train_own_models` and `product_improvement`): true if ' +
          'any of them trains by default, null if none does but one is unknown. Settings about sharing, licensing, crawlers or ' +
          'third parties never decide it (see `countsTowardAnswer`).',
      ),
    evidence: Evidence.nullable().describe(
      'How well the answer is backed: the weakest evidence among the facts that decided it (the default periods or region rules of the settings that count). `secondary` means press reports only; `unconfirmed` that an editor could not confirm a fact. Null when nothing decided it. The steps carry their own evidence, per path.',
    ),
    decidedBy: Decision.extend({ settingId: z.string().nullable() }).nullable(),
    rule: RegionRule.nullable().describe('The region rule that decided the answer, if one did.'),
    settings: z.array(ResolvedSetting),
    sources: z.array(Source),
    asOf: AsOf,
  })
  .meta({ id: 'OptOutAnswer', description: 'The resolved answer for one person: region, device, account type and day.' });

export const HistoryEntry = z
  .object({
    version: z.int(),
    recordedAt: z.string(),
    author: z.string(),
    message: z.string(),
    op: z.enum(['create', 'update', 'retire']),
    patch: z.array(JsonPatchOperation).describe('RFC 6902 patch of this platform’s document from its previous revision.'),
  })
  .meta({ id: 'HistoryEntry', description: 'A change set as it touched one platform.' });
export const HistoryList = page(HistoryEntry, 'HistoryList', 'Change sets that touched a platform, newest first.');

export const PlatformDiff = z
  .object({
    slug: z.string(),
    from: z.int(),
    to: z.int(),
    patch: z
      .array(JsonPatchOperation)
      .describe('RFC 6902 patch from the platform at `from` to the platform at `to` (`{}` where it did not exist).'),
  })
  .meta({ id: 'PlatformDiff', description: 'How one platform’s record changed between two registry versions.' });

export const TimelineEvent = PolicyEvent.extend({
  platform: z.string().describe('Slug of the platform.'),
  date: IsoDate.nullable().describe('The event’s date on the timeline: effective date, else announced date.'),
  sourceDetails: z.array(Source).describe('The sources the event cites.'),
}).meta({ id: 'TimelineEvent', description: 'A policy event on the cross-platform timeline.' });
export const EventList = page(TimelineEvent, 'EventList', 'Policy events across platforms, newest first.');

export const ChangeList = page(ChangeEntry, 'ChangeList', 'Change sets in version order.');

export const RegionGroupOut = z
  .object({
    code: z.string(),
    name: z.string(),
    members: z.array(z.string()),
    notes: z.string(),
    source: z.object({ url: z.string(), title: z.string(), publisher: z.string(), retrievedDate: z.string() }),
  })
  .meta({ id: 'RegionGroup' });
export const Regions = z
  .object({
    groups: z.array(RegionGroupOut),
    countries: z.array(z.object({ code: z.string(), name: z.string() })).describe('ISO 3166-1 alpha-2 countries.'),
  })
  .meta({ id: 'Regions', description: 'Region groups with their members, and the countries a region may name.' });

export const RegistryInfo = z
  .object({
    version: z.int().describe('The current registry version.'),
    platforms: z.object({ total: z.int(), active: z.int(), retired: z.int() }),
    counts: z.object({ settings: z.int(), regionRules: z.int(), events: z.int(), sources: z.int() }),
    freshness: z
      .object({
        asOf: IsoDate.describe('The day (UTC) the counts below were taken.'),
        verifiedWithin30Days: z.int(),
        verifiedWithin90Days: z.int(),
        verifiedWithin365Days: z.int(),
        oldestLastVerified: IsoDate.nullable().describe('The oldest `lastVerified` among the platforms; null when there are none.'),
      })
      .describe('How recently the platforms were checked against their sources: how many were verified within 30, 90 and 365 days.'),
    lastChange: ChangeEntry.omit({ patch: true }).nullable(),
    license: z.object({ name: z.string(), spdx: z.string(), url: z.string(), attribution: z.string() }),
  })
  .meta({ id: 'RegistryInfo', description: 'The registry at a glance.' });

export const ExportDocument = z
  .object({
    version: z.int(),
    recordedAt: z.string().nullable().describe('When that version was recorded (RFC 3339, UTC); null for version 0.'),
    license: RegistryInfo.shape.license,
    platforms: z
      .record(z.string(), PlatformDocument)
      .describe('Every platform at that version, keyed by slug; the change feed’s patches apply to this object.'),
  })
  .meta({ id: 'Export', description: 'The whole registry at one version.' });

export const Health = z.object({ status: z.literal('ok'), version: z.int() }).meta({
  id: 'Health',
  description: 'The instance is up and can read the registry, at this registry version.',
  examples: [{ status: 'ok', version: 42 }],
});

export const AccountTypeList = z
  .object({
    data: z.array(z.object({ code: AccountType, name: z.string(), description: z.string() })),
  })
  .meta({
    id: 'AccountTypeList',
    description:
      'The kinds of account facts may be scoped to, and the `accountType` of a question. Platforms name their plans differently; each record says which of its plans is which kind.',
  });

export const PurposeList = z
  .object({
    data: z.array(
      z.object({
        code: Purpose,
        decidesHeadline: z
          .enum(['yes', 'fallback', 'no'])
          .describe(
            '`yes`: settings with this purpose decide `trainingByDefault`; `fallback`: only on a platform with no `yes` setting; `no`: never (shown as its own item).',
          ),
        aiPrefCategories: z.array(AiPrefCategory),
      }),
    ),
    aiPrefVocabulary: z
      .object({ draft: z.string(), date: IsoDate, url: z.string() })
      .describe('The revision of the IETF AI Preferences vocabulary the `aiPrefCategories` follow.'),
  })
  .meta({
    id: 'PurposeList',
    description: 'What data may be used for, how each purpose counts toward the headline, and its AI Preferences categories.',
  });
