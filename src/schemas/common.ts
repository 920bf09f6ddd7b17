import { z } from 'zod';
import { ACCOUNT_TYPE_CODES } from '../domain/account-types.js';
import { AIPREF_CATEGORIES, AIPREF_VOCABULARY, PURPOSE_AIPREF, PURPOSES } from '../domain/purposes.js';
import { PRIMARY_SOURCE_KINDS, SOURCE_KINDS } from '../domain/source-kinds.js';

/**
 * Messages in the API's own words for the issues zod words generically ("Invalid input: expected
 * string, received array"); a schema's own message, where it has one, still wins.
 */
z.config({
  customError: (issue) => {
    if (issue.code === 'invalid_type') {
      if (issue.input === undefined) return 'is required';
      if (Array.isArray(issue.input) && issue.expected !== 'array') return `must be a single ${issue.expected}, not a list`;
      return `must be ${issue.expected === 'object' || issue.expected === 'array' ? 'an' : 'a'} ${issue.expected}`;
    }
    if (issue.code === 'invalid_value' && issue.values.length > 0) {
      return issue.values.length <= 30
        ? `must be one of: ${issue.values.map(String).join(', ')}`
        : 'is not one of the accepted values (the problem’s `validValues` lists them)';
    }
    return undefined;
  },
});

/** A calendar date, `YYYY-MM-DD`, checked to be a real day (no 2024-02-30). */
export const IsoDate = z
  .string()
  .length(10, 'must be a date in the form YYYY-MM-DD')
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date in the form YYYY-MM-DD')
  .refine((value) => isRealDate(value), 'must be a real calendar date (YYYY-MM-DD)')
  .meta({ id: 'IsoDate', description: 'A calendar date, YYYY-MM-DD.', example: '2025-11-03' });
export type IsoDate = z.infer<typeof IsoDate>;

export function isRealDate(value: string): boolean {
  const [y, m, d] = value.split('-').map(Number);
  if (!y || !m || !d) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Lower-case identifiers used for platform slugs, setting ids, source ids and the like. */
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case letters, digits and single hyphens (e.g. "linkedin")');

export const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).max(2048);

export const NonEmptyText = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

/** Decimal digits without a sign or leading zeros: what an integer looks like in a path or a query string. */
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/**
 * An integer read from a path or query string. Only decimal digits count as a number, so `1e2`,
 * `0x10`, `1.0`, `01` or ` 7` are refused rather than read as something the client did not write;
 * a repeated parameter is told to come once. One message says what to send, whatever was wrong.
 */
export function decimalInteger(min: number, max: number, message: string) {
  return z.preprocess(
    (value) => (typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value),
    z
      .int({
        error: (issue) =>
          issue.input === undefined ? `is required: ${message}` : Array.isArray(issue.input) ? `must be given once: ${message}` : message,
      })
      .min(min, message)
      .max(max, message),
  );
}

/** Registry version: the integer bumped by every accepted change set. */
export const Version = decimalInteger(
  1,
  Number.MAX_SAFE_INTEGER,
  'must be a registry version: a positive integer in decimal digits (e.g. 7)',
);

export const Devices = ['web', 'ios', 'android', 'mobile_web', 'desktop_app'] as const;
export const Device = z.enum(Devices).meta({
  id: 'Device',
  description: 'The surface a person uses: web browser, iOS app, Android app, mobile browser or desktop app.',
});
export type Device = z.infer<typeof Device>;

export const DefaultStates = ['opted_in', 'opted_out', 'no_choice', 'not_applicable'] as const;
export const DefaultState = z.enum(DefaultStates).meta({
  id: 'DefaultState',
  description:
    "How a person's data is treated if they do nothing. `opted_in`: used for training unless they opt out. " +
    '`opted_out`: not used unless they opt in. `no_choice`: used and no control is offered. ' +
    '`not_applicable`: the platform says it does not use this data for this purpose.',
});
export type DefaultState = z.infer<typeof DefaultState>;

export const Mechanisms = ['toggle', 'form', 'email', 'account_deletion', 'none'] as const;
export const Mechanism = z.enum(Mechanisms).meta({
  id: 'Mechanism',
  description: 'How a person exercises the choice: a settings toggle, a web form, an email, deleting the account, or no way at all.',
});
export type Mechanism = z.infer<typeof Mechanism>;

export const Categories = [
  'social',
  'professional',
  'messaging',
  'ai-assistant',
  'creative',
  'forum',
  'productivity',
  'publishing',
  'education',
  'video',
  'search',
  'audio',
  'developer',
  'cloud-storage',
  'shopping',
  'dating',
  'browser',
  'email',
  'gaming',
  'fitness',
  'device',
  'marketing',
  'other',
] as const;
export const Category = z.enum(Categories).meta({ id: 'Category', description: 'What kind of platform this is.' });
export type Category = z.infer<typeof Category>;

export const DataCategories = [
  'public_posts',
  'profile',
  'private_messages',
  'ai_chats',
  'uploads',
  'voice',
  'usage',
  'creative_works',
  'code',
  'documents',
  'course_content',
  'email',
  'recordings',
] as const;
export const DataCategory = z.enum(DataCategories).meta({
  id: 'DataCategory',
  description: 'A kind of user data a setting covers.',
});

export const Purposes = PURPOSES;
export const Purpose = z.enum(Purposes).meta({
  id: 'Purpose',
  description:
    'What the data is used for. Own training, which decides the headline `trainingByDefault`: ' +
    '`train_own_generative_models` (the platform trains its own generative models), `train_group_generative_models` ' +
    '(companies of its corporate group train theirs), and, only on a platform with neither, `train_own_models` (other models: ' +
    'ranking, recommendations, safety) and `product_improvement` (general improvement that includes model training). ' +
    'Uses by others, shown as their own items and never deciding the headline: `share_with_affiliates` (shared within the ' +
    'corporate group without being trained on under this setting), `license_to_third_parties` (licensed or sold to companies ' +
    'outside the group for their AI), `third_party_crawling` (third-party AI crawlers allowed to collect it), ' +
    '`third_party_processing` (what a third party the person chooses to send data to, such as a third-party bot or an app ' +
    'integration, does with it). ' +
    `In the IETF AI Preferences vocabulary (${AIPREF_VOCABULARY.draft}, ${AIPREF_VOCABULARY.date}): ` +
    Object.entries(PURPOSE_AIPREF)
      .map(
        ([purpose, categories]) => `\`${purpose}\` → ${categories.length ? categories.map((c) => `\`${c}\``).join(', ') : 'no category'}`,
      )
      .join('; ') +
    '.',
});
export type Purpose = z.infer<typeof Purpose>;

export const AiPrefCategory = z.enum(AIPREF_CATEGORIES).meta({
  id: 'AiPrefCategory',
  description:
    `A category of use of the IETF AI Preferences vocabulary, ${AIPREF_VOCABULARY.draft} (${AIPREF_VOCABULARY.date}, ` +
    `${AIPREF_VOCABULARY.url}): \`train-ai\`, using data to change the learned parameters of a model that generates content; ` +
    '`search`, use in an application that selects content and links to where it is. Derived from a setting’s purposes ' +
    '(see `Purpose`), so tools that speak that vocabulary can map the registry’s answers to their terms.',
});
export type AiPrefCategory = z.infer<typeof AiPrefCategory>;

export const AccountTypes = ACCOUNT_TYPE_CODES;
export const AccountType = z.enum(ACCOUNT_TYPE_CODES).meta({
  id: 'AccountType',
  description:
    'The kind of account a person uses (`GET /v1/account-types` describes each): `personal` (their own, free or paid), ' +
    '`education` (from a school or university, or an education plan), `business` (a team or business plan run by an ' +
    'organisation), `enterprise` (an enterprise agreement), `government` (a government body or plan).',
});
export type AccountType = z.infer<typeof AccountType>;

export const ControlledBy = z.enum(['user', 'admin']).meta({
  id: 'ControlledBy',
  description:
    'Who can change a setting: `user`, the person themself; `admin`, only the administrator of the organisation that ' +
    'provides the account (a member, employee or student cannot change it).',
});
export type ControlledBy = z.infer<typeof ControlledBy>;

export const ExceptionActions = [
  'rated_response',
  'sent_feedback',
  'shared_publicly',
  'flagged_for_safety',
  'collected_before_opt_out',
  'joined_programme',
  'other',
] as const;
export const ExceptionAction = z.enum(ExceptionActions).meta({
  id: 'ExceptionAction',
  description:
    'What makes data count for training although the person opted out: `rated_response` (they rated a reply, e.g. thumbs ' +
    'up or down), `sent_feedback` (they sent feedback or a bug report), `shared_publicly` (they shared or published the ' +
    'content, e.g. a public chat link), `flagged_for_safety` (the content was flagged for safety or abuse review), ' +
    '`collected_before_opt_out` (it was used before they opted out), `joined_programme` (they joined a programme such as ' +
    'a beta or research panel), `other`.',
});
export type ExceptionAction = z.infer<typeof ExceptionAction>;

/**
 * A BCP 47 language tag as localised labels are kept: a language with an optional region (ISO 3166 or
 * UN M.49, `pt-BR`, `es-419`) or script (`zh-Hant`), in its canonical case. Only what the registry holds needs to be
 * parsed here; requests are matched against these tags by `domain/languages.ts`.
 */
export const LanguageTag = z
  .string()
  .max(11)
  .regex(/^[a-z]{2,3}(?:-(?:[A-Z]{2}|[0-9]{3}|[A-Z][a-z]{3}))?$/, 'must be a BCP 47 language tag such as "de", "fr", "pt-BR" or "es-419"')
  .refine((tag) => tag.split('-')[0] !== 'en', 'English is the record itself; translations are for other languages')
  .meta({ id: 'LanguageTag', description: 'A BCP 47 language tag, e.g. `de`, `fr`, `pt-BR`.', example: 'de' });

export const EventKinds = [
  'policy_update',
  'setting_introduced',
  'setting_changed',
  'default_changed',
  'region_added',
  'region_removed',
  'paused',
  'resumed',
  'regulator_action',
  'legal_action',
  'data_deal',
  'announcement',
  'clarification',
] as const;
export const EventKind = z.enum(EventKinds).meta({ id: 'EventKind', description: 'What kind of change a policy event is.' });
export type EventKind = z.infer<typeof EventKind>;

export const PlatformStatus = z.enum(['active', 'retired']).meta({
  id: 'PlatformStatus',
  description: '`retired` is a tombstone: the platform stays in history and its slug is never reused.',
});

export const SourceKinds = SOURCE_KINDS;
export const SourceKind = z.enum(SourceKinds).meta({
  id: 'SourceKind',
  description:
    'What a source is. `platform`: the platform’s own pages, policies or announcements. `regulator`: a data-protection or other ' +
    'authority. `court`: a judgment, order or filing. `terms_archive`: an archived version of the platform’s own document ' +
    '(e.g. an Open Terms Archive record). `press`: news or commentary. `other`: anything else (guides, blogs, aggregators).',
});
export type SourceKind = z.infer<typeof SourceKind>;

export const PrimarySourceKinds = PRIMARY_SOURCE_KINDS;
