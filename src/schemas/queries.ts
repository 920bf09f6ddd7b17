import { z } from 'zod';
import { allRegionCodes } from '../domain/regions.js';
import { AccountType, Category, DefaultState, Device, decimalInteger, EventKind, IsoDate, Slug, Version } from './common.js';

export const VersionParam = Version.optional()
  .describe('Read the registry exactly as recorded at this version (404 if it does not exist yet). Responses pinned this way never change.')
  .meta({ example: 1 });
export const AtParam = IsoDate.optional()
  .describe('Answer for this day (YYYY-MM-DD): what was in effect then.')
  .meta({ examples: ['2024-10-01'] });
export const LimitParam = decimalInteger(1, 200, 'must be a page size from 1 to 200 in decimal digits (e.g. 50)')
  .default(50)
  .describe('Page size, 1 to 200.')
  .meta({ example: 20 });
export const CursorParam = z
  .string()
  .min(1)
  .max(512)
  .optional()
  .describe('Opaque: the `nextCursor` of the previous page, passed back unchanged. Omit it for the first page.');

const REGION_MESSAGE = 'must be an ISO 3166-1 alpha-2 country code (e.g. DE, GB) or a region group (EU, EEA); GET /v1/regions lists them';
/** Region codes are matched without regard to case (`de` is DE); the document lists them upper-case. */
export const RegionParam = z
  .preprocess(
    (value) => (typeof value === 'string' && /^[a-z]+$/i.test(value) ? value.toUpperCase() : value),
    z.enum(allRegionCodes() as [string, ...string[]], {
      error: (issue) => (Array.isArray(issue.input) ? `must be given once: ${REGION_MESSAGE}` : REGION_MESSAGE),
    }),
  )
  .describe('The person’s country (ISO 3166-1 alpha-2, e.g. DE) or a region group (EU, EEA); case-insensitive.');

export const AccountTypeParam = AccountType.default('personal')
  .describe(
    'The kind of account the person uses: `personal` (the default), `education`, `business`, `enterprise` or `government` ' +
      '(`GET /v1/account-types` describes each). Facts that name this account type beat general ones; settings that exist only for other kinds are left out.',
  )
  .meta({ examples: ['enterprise'] });

export const LangParam = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as "de", "fr" or "pt-BR"')
  .optional()
  .describe(
    'The language for labels and steps (BCP 47, e.g. `de`, `pt-BR`); overrides Accept-Language. Labels are the platform’s own, copied from its localised help page; English is the fallback.',
  )
  .meta({ examples: ['de'] });

export const SlugParams = z.strictObject({ slug: Slug.describe('The platform’s slug, e.g. `linkedin`.').meta({ examples: ['linkedin'] }) });

export const PlatformListQuery = z.strictObject({
  category: Category.optional()
    .describe('Only platforms of this category.')
    .meta({ examples: ['social'] }),
  status: z.enum(['active', 'retired']).optional().describe('Only active platforms, or only retired ones.'),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('Text that must occur in the slug, name, owner or a setting’s name (case-insensitive).')
    .meta({ examples: ['linked'] }),
  region: RegionParam.optional()
    .describe('Resolve defaults for people in this country or region group (affects `defaultState` and each item’s `trainingByDefault`).')
    .meta({ example: 'GB' }), // not `examples`: zod drops those from transforming schemas' input side
  device: Device.optional()
    .describe('Only platforms with documented opt-out steps for this device.')
    .meta({ examples: ['android'] }),
  accountType: AccountTypeParam,
  defaultState: DefaultState.optional()
    .describe('Only platforms with a setting whose default (for `region` and `accountType`, on `at`) is this.')
    .meta({ examples: ['opted_in'] }),
  verifiedBefore: IsoDate.optional()
    .describe('Only platforms whose record was last checked against its sources before this day (records due for review).')
    .meta({ example: '2026-06-01' }),
  at: AtParam,
  version: VersionParam,
  limit: LimitParam,
  cursor: CursorParam,
});

export const PlatformQuery = z.strictObject({ at: AtParam, version: VersionParam });

export const OptOutQuery = z.strictObject({
  region: RegionParam.optional()
    .describe('The person’s country (ISO 3166-1 alpha-2) or a region group. Without it, no region rule is applied.')
    .meta({ example: 'DE' }),
  device: Device.optional()
    .describe('The device to give steps for. Without it, steps for every device are returned.')
    .meta({ examples: ['ios'] }),
  accountType: AccountTypeParam,
  lang: LangParam,
  at: AtParam.describe('The day to answer for; today (UTC) when omitted.'),
  version: VersionParam,
});

export const HistoryQuery = z.strictObject({ version: VersionParam, limit: LimitParam, cursor: CursorParam });

export const DiffQuery = z.strictObject({
  from: Version.describe('Registry version to diff from.').meta({ example: 1 }),
  to: Version.describe('Registry version to diff to.').meta({ example: 2 }),
});

export const EventsQuery = z.strictObject({
  platform: Slug.optional()
    .describe('Only events of this platform.')
    .meta({ examples: ['linkedin'] }),
  kind: EventKind.optional()
    .describe('Only events of this kind.')
    .meta({ examples: ['regulator_action'] }),
  since: IsoDate.optional()
    .describe('Only events dated on or after this day.')
    .meta({ examples: ['2024-09-01'] }),
  until: IsoDate.optional()
    .describe('Only events dated on or before this day.')
    .meta({ examples: ['2025-12-31'] }),
  version: VersionParam,
  limit: LimitParam,
  cursor: CursorParam,
});

export const ChangesQuery = z.strictObject({
  after: decimalInteger(0, Number.MAX_SAFE_INTEGER, 'must be a registry version: an integer ≥ 0 in decimal digits (0: from the start)')
    .optional()
    .describe('Start after this registry version (0 or absent: from the start). For following pages pass `cursor` instead.')
    .meta({ example: 0 }),
  limit: LimitParam,
  cursor: CursorParam,
});

export const ChangeParams = z.strictObject({ version: Version.describe('The registry version.').meta({ example: 1 }) });
export const ExportQuery = z.strictObject({ version: VersionParam });
