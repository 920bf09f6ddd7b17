import countries from 'i18n-iso-countries';
import en from 'i18n-iso-countries/langs/en.json' with { type: 'json' };

countries.registerLocale(en);

export interface RegionGroup {
  code: string;
  name: string;
  members: string[];
  notes: string;
  source: { url: string; title: string; publisher: string; retrievedDate: string };
}

/**
 * Region groups that platforms' rules refer to. Membership is reference data, kept here with its
 * source; a country rule always beats a group rule when both apply.
 */
const EU_MEMBERS = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
];

export const REGION_GROUPS: readonly RegionGroup[] = [
  {
    code: 'EU',
    name: 'European Union',
    members: EU_MEMBERS,
    notes: 'The 27 member states since the United Kingdom left on 2020-01-31.',
    source: {
      url: 'https://european-union.europa.eu/principles-countries-history/eu-countries_en',
      title: 'EU countries',
      publisher: 'European Union',
      retrievedDate: '2026-11-23',
    },
  },
  {
    code: 'EEA',
    name: 'European Economic Area',
    members: [...EU_MEMBERS, 'IS', 'LI', 'NO'],
    notes: 'The EU member states plus Iceland, Liechtenstein and Norway. Switzerland (CH) is not a member.',
    source: {
      url: 'https://www.efta.int/eea',
      title: 'The European Economic Area',
      publisher: 'European Free Trade Association',
      retrievedDate: '2026-11-23',
    },
  },
];

const groupByCode = new Map(REGION_GROUPS.map((g) => [g.code, g]));
const countryCodes = new Set(Object.keys(countries.getAlpha2Codes()));

export function isCountryCode(code: string): boolean {
  return countryCodes.has(code);
}

export function isRegionCode(code: string): boolean {
  return countryCodes.has(code) || groupByCode.has(code);
}

export function regionGroup(code: string): RegionGroup | undefined {
  return groupByCode.get(code);
}

export function countryName(code: string): string | undefined {
  return countries.getName(code, 'en') ?? undefined;
}

export function allCountryCodes(): string[] {
  return [...countryCodes].sort();
}

export function allRegionCodes(): string[] {
  return [...REGION_GROUPS.map((g) => g.code), ...allCountryCodes()];
}

/**
 * How specifically a rule's region list matches the region asked about: 2 when it is named,
 * 1 when it is matched through a group, 0 when it does not apply. Used to let a country rule beat a
 * group rule.
 */
export function regionSpecificity(ruleRegions: readonly string[], region: string): 0 | 1 | 2 {
  const asked = groupByCode.get(region);
  let best: 0 | 1 | 2 = 0;
  for (const code of ruleRegions) {
    if (code === region) return 2;
    const group = groupByCode.get(code);
    if (!group) continue;
    // A person's country matches a group it belongs to; a group asked for (e.g. EU) matches any
    // group that contains all of its members (e.g. EEA).
    if (asked ? asked.members.every((m) => group.members.includes(m)) : group.members.includes(region)) best = 1;
  }
  return best;
}
