/**
 * Kinds of account a platform may treat differently for AI training. Reference data, like the region
 * groups: extend the list here and every schema, the OpenAPI document and `GET /v1/account-types`
 * follow. Platforms name their plans differently; each record says in its notes which plans it maps
 * to which kind.
 */
export interface AccountTypeInfo {
  code: string;
  name: string;
  description: string;
}

export const ACCOUNT_TYPES = [
  {
    code: 'personal',
    name: 'Personal',
    description: 'An account a person holds for themself, free or paid (consumer plans such as Free, Plus, Premium or Pro for one person).',
  },
  {
    code: 'education',
    name: 'Education',
    description: 'An account provided by a school, university or other educational institution, or bought on an education plan.',
  },
  {
    code: 'business',
    name: 'Business',
    description:
      'An account on a team or business plan that an organisation buys and administers (e.g. Team, Business, multi-user Pro), ' +
      'without an enterprise agreement.',
  },
  {
    code: 'enterprise',
    name: 'Enterprise',
    description: 'An account under an enterprise plan or negotiated agreement, administered by the organisation.',
  },
  {
    code: 'government',
    name: 'Government',
    description: 'An account of a government body, on a government plan or under a public-sector agreement.',
  },
] as const satisfies readonly AccountTypeInfo[];

export type AccountTypeCode = (typeof ACCOUNT_TYPES)[number]['code'];
export const ACCOUNT_TYPE_CODES = ACCOUNT_TYPES.map((t) => t.code) as [AccountTypeCode, ...AccountTypeCode[]];

/** The account type a question carries when it names none. */
export const DEFAULT_ACCOUNT_TYPE: AccountTypeCode = 'personal';

/** Whether a fact scoped to `accountTypes` (absent: every type) applies to `type`. */
export function appliesToAccountType(accountTypes: readonly string[] | undefined, type: string): boolean {
  return accountTypes === undefined || accountTypes.includes(type);
}

/** Two scopes that can both apply to some account: both general, or both naming a type in common. */
export function accountScopesConflict(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.some((t) => b.includes(t));
}

/** The account types a record names anywhere (settings, default periods, region rules), in the list's order. */
export function accountTypesNamed(doc: {
  settings: readonly { accountTypes?: readonly string[]; defaults: readonly { accountTypes?: readonly string[] }[] }[];
  regionRules: readonly { accountTypes?: readonly string[] }[];
}): AccountTypeCode[] {
  const named = new Set<string>();
  for (const s of doc.settings) {
    for (const t of s.accountTypes ?? []) named.add(t);
    for (const d of s.defaults) for (const t of d.accountTypes ?? []) named.add(t);
  }
  for (const r of doc.regionRules) for (const t of r.accountTypes ?? []) named.add(t);
  return ACCOUNT_TYPE_CODES.filter((t) => named.has(t));
}
