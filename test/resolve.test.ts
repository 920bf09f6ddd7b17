import { describe, expect, it } from 'vitest';
import { inEffect, narrowToDate } from '../src/domain/effective.js';
import { withEvidence, withoutEvidence } from '../src/domain/evidence.js';
import { regionSpecificity } from '../src/domain/regions.js';
import { resolveOptOut } from '../src/domain/resolve.js';
import { PlatformDocument } from '../src/schemas/platform.js';

const src = {
  id: 's',
  url: 'https://example.com/help',
  title: 'Help',
  publisher: 'Example',
  kind: 'platform' as const,
  publishedDate: null,
  retrievedDate: '2026-11-23',
};

/** A small platform: on by default from 2024-06-01; the EEA excluded until 2025-01-01; Germany carved out from 2024-09-01. */
const doc = PlatformDocument.parse({
  slug: 'example',
  name: 'Example',
  owner: 'Example Inc.',
  homepage: 'https://example.com',
  category: 'social',
  status: 'active',
  summary: 'A made-up platform for resolution tests.',
  lastVerified: '2026-11-23',
  settings: [
    {
      id: 'gen',
      name: 'Generative AI',
      label: 'Use my data',
      description: 'Controls generative training.',
      dataCovered: ['public_posts'],
      purposes: ['train_own_generative_models'],
      mechanism: 'toggle',
      defaults: [{ state: 'opted_in', effectiveFrom: '2024-06-01', effectiveUntil: null, sources: ['s'] }],
      retroactive: false,
      coversAffiliates: null,
      deepLink: 'https://example.com/settings/ai',
      paths: [
        { device: 'web', steps: ['Settings', 'Privacy', 'Generative AI'], deepLink: null, notes: null, sources: ['s'] },
        { device: 'ios', steps: ['Profile', 'Settings', 'Generative AI'], deepLink: null, notes: null, sources: ['s'] },
      ],
      sources: ['s'],
    },
    {
      id: 'ranking',
      name: 'Ranking models',
      label: null,
      description: 'Non-generative models.',
      dataCovered: ['usage'],
      purposes: ['train_own_models'],
      mechanism: 'none',
      defaults: [{ state: 'no_choice', effectiveFrom: null, effectiveUntil: null, sources: ['s'] }],
      retroactive: null,
      coversAffiliates: null,
      deepLink: null,
      paths: [],
      sources: ['s'],
    },
  ],
  regionRules: [
    {
      id: 'eea-out',
      regions: ['EEA'],
      settingIds: ['gen'],
      treatment: 'excluded',
      defaultState: null,
      mechanism: null,
      optOutUrl: null,
      effectiveFrom: '2024-06-01',
      effectiveUntil: '2025-01-01',
      notes: null,
      sources: ['s'],
    },
    {
      id: 'de-form',
      regions: ['DE'],
      settingIds: ['gen'],
      treatment: 'override',
      defaultState: 'opted_in',
      mechanism: 'form',
      optOutUrl: 'https://example.com/object',
      effectiveFrom: '2024-09-01',
      effectiveUntil: null,
      notes: null,
      sources: ['s'],
    },
  ],
  events: [
    {
      id: 'launch',
      kind: 'setting_introduced',
      title: 'Launch',
      summary: 'The setting appeared.',
      announcedDate: '2024-05-20',
      effectiveDate: '2024-06-01',
      settingIds: ['gen'],
      regions: [],
      sources: ['s'],
    },
    {
      id: 'later',
      kind: 'policy_update',
      title: 'Later',
      summary: 'A later change.',
      announcedDate: null,
      effectiveDate: '2025-03-01',
      settingIds: [],
      regions: ['DE'],
      sources: ['s'],
    },
  ],
  sources: [src],
});

describe('effective dates', () => {
  it('treats effectiveFrom as inclusive and effectiveUntil as exclusive', () => {
    const range = { effectiveFrom: '2024-06-01', effectiveUntil: '2025-01-01' };
    expect(inEffect(range, '2024-05-31')).toBe(false);
    expect(inEffect(range, '2024-06-01')).toBe(true);
    expect(inEffect(range, '2024-12-31')).toBe(true);
    expect(inEffect(range, '2025-01-01')).toBe(false);
    expect(inEffect({ effectiveFrom: null, effectiveUntil: null }, '1999-01-01')).toBe(true);
  });

  it('narrows a record to a day', () => {
    const early = narrowToDate(doc, '2024-01-01');
    expect(early.settings.map((s) => s.id)).toEqual(['ranking']);
    expect(early.regionRules).toEqual([]);
    expect(early.events).toEqual([]);
    const mid = narrowToDate(doc, '2024-10-01');
    expect(mid.regionRules.map((r) => r.id)).toEqual(['eea-out', 'de-form']);
    expect(mid.events.map((e) => e.id)).toEqual(['launch']);
    expect(PlatformDocument.safeParse(mid).success).toBe(true);
  });
});

describe('region matching', () => {
  it('scores a named country above a group, and groups by containment', () => {
    expect(regionSpecificity(['DE'], 'DE')).toBe(2);
    expect(regionSpecificity(['EEA'], 'DE')).toBe(1);
    expect(regionSpecificity(['EEA'], 'CH')).toBe(0);
    expect(regionSpecificity(['EU'], 'NO')).toBe(0);
    expect(regionSpecificity(['EEA'], 'EU')).toBe(1);
    expect(regionSpecificity(['EU'], 'EEA')).toBe(0);
    expect(regionSpecificity(['EEA', 'CH'], 'CH')).toBe(2);
  });
});

describe('resolveOptOut', () => {
  it('applies a group rule to its members', () => {
    const r = resolveOptOut(doc, { region: 'FR', device: null, at: '2024-10-01' });
    expect(r.trainingByDefault).toBe(false);
    expect(r.decidedBy).toMatchObject({ kind: 'region_rule', regionRuleId: 'eea-out', matchedBy: 'group', settingId: 'gen' });
    expect(r.rule?.id).toBe('eea-out');
  });

  it('lets a country rule beat a group rule', () => {
    const r = resolveOptOut(doc, { region: 'DE', device: 'ios', at: '2024-10-01' });
    expect(r.trainingByDefault).toBe(true);
    expect(r.decidedBy).toMatchObject({ regionRuleId: 'de-form', matchedBy: 'country' });
    const gen = r.settings.find((s) => s.id === 'gen')!;
    expect(gen.mechanism).toBe('form');
    expect(gen.optOutUrl).toBe('https://example.com/object');
    expect(gen.paths.map((p) => p.device)).toEqual(['ios']);
    expect(gen.availableDevices).toEqual(['web', 'ios']);
  });

  it('falls back to the setting default once a rule has ended, and outside any rule', () => {
    const fr = resolveOptOut(doc, { region: 'FR', device: null, at: '2025-02-01' });
    expect(fr.trainingByDefault).toBe(true);
    expect(fr.decidedBy?.kind).toBe('setting_default');
    const us = resolveOptOut(doc, { region: 'US', device: null, at: '2024-10-01' });
    expect(us.trainingByDefault).toBe(true);
    expect(us.rule).toBeNull();
  });

  it('decides the headline from generative settings only when the platform has them', () => {
    // Before the generative setting existed only the ranking models apply, and they train with no choice.
    const early = resolveOptOut(doc, { region: 'FR', device: null, at: '2024-01-01' });
    expect(early.settings.map((s) => s.id)).toEqual(['ranking']);
    expect(early.trainingByDefault).toBe(true);
    // In the EEA exclusion the ranking models still run, but the headline follows the generative setting.
    const excluded = resolveOptOut(doc, { region: 'FR', device: null, at: '2024-10-01' });
    expect(excluded.settings.find((s) => s.id === 'ranking')?.trainingByDefault).toBe(true);
    expect(excluded.settings.find((s) => s.id === 'ranking')?.countsTowardAnswer).toBe(false);
    expect(excluded.trainingByDefault).toBe(false);
  });

  it('answers null when the default is unknown', () => {
    const unknown = PlatformDocument.parse({
      ...doc,
      settings: [{ ...doc.settings[0]!, defaults: [] }],
      regionRules: [],
      events: [],
    });
    const r = resolveOptOut(unknown, { region: 'US', device: null, at: '2024-10-01' });
    expect(r.trainingByDefault).toBeNull();
    expect(r.decidedBy?.kind).toBe('unknown');
  });

  it('keeps a setting in a gap between its default periods, with its default unknown (never "not trained")', () => {
    const gapped = PlatformDocument.parse({
      ...doc,
      settings: [
        {
          ...doc.settings[0]!,
          defaults: [
            { state: 'opted_in', effectiveFrom: '2024-01-01', effectiveUntil: '2024-03-01', sources: ['s'] },
            { state: 'opted_in', effectiveFrom: '2024-06-01', effectiveUntil: null, sources: ['s'] },
          ],
        },
        doc.settings[1]!,
      ],
      regionRules: [],
      events: [],
    });
    const inGap = resolveOptOut(gapped, { region: 'US', device: null, at: '2024-04-15' });
    expect(inGap.settings.map((s) => s.id)).toContain('gen');
    expect(inGap.settings.find((s) => s.id === 'gen')?.defaultState).toBeNull();
    // The ranking models train with no choice, but the generative setting decides the headline: unknown, not true or false.
    expect(inGap.trainingByDefault).toBeNull();
    expect(inGap.decidedBy?.settingId).toBe('gen');
    // Before its first period it did not exist yet.
    const before = resolveOptOut(gapped, { region: 'US', device: null, at: '2023-06-01' });
    expect(before.settings.map((s) => s.id)).toEqual(['ranking']);
  });
});

/** A setting with everything the resolution needs; tests override what they look at. */
function setting(id: string, purposes: string[], defaults: unknown[], extra: Record<string, unknown> = {}) {
  return {
    id,
    name: id,
    label: null,
    description: `The ${id} setting.`,
    dataCovered: ['ai_chats'],
    purposes,
    mechanism: 'toggle',
    defaults,
    retroactive: null,
    coversAffiliates: null,
    deepLink: null,
    paths: [],
    sources: ['s'],
    ...extra,
  };
}
const period = (state: string | null, extra: Record<string, unknown> = {}) => ({
  state,
  effectiveFrom: null,
  effectiveUntil: null,
  sources: ['s'],
  ...extra,
});
const platform = (settings: unknown[], regionRules: unknown[] = []) =>
  PlatformDocument.parse({ ...doc, settings, regionRules, events: [] });

describe('the headline means what a person means', () => {
  it('is never flipped by sharing within the group, licensing, crawlers or third parties the person chooses', () => {
    const p = platform([
      setting('own', ['train_own_generative_models'], [period('opted_out')]),
      setting('affiliates', ['share_with_affiliates'], [period('opted_in')]),
      setting('licence', ['license_to_third_parties'], [period('no_choice')]),
      setting('crawlers', ['third_party_crawling'], [period('opted_in')]),
      setting('bots', ['third_party_processing'], [period('no_choice')]),
    ]);
    const r = resolveOptOut(p, { region: null, device: null, at: '2026-01-01' });
    expect(r.trainingByDefault).toBe(false);
    expect(r.decidedBy?.settingId).toBe('own');
    // The others keep their own answers, shown as items that do not count.
    const others = r.settings.filter((s) => s.id !== 'own');
    expect(others.map((s) => [s.id, s.trainingByDefault, s.countsTowardAnswer])).toEqual([
      ['affiliates', true, false],
      ['licence', true, false],
      ['crawlers', true, false],
      ['bots', true, false],
    ]);
  });

  it('counts the group’s own training like the platform’s', () => {
    const p = platform([
      setting('own', ['train_own_generative_models'], [period('opted_out')]),
      setting('group', ['train_group_generative_models'], [period('opted_in')]),
    ]);
    const r = resolveOptOut(p, { region: null, device: null, at: '2026-01-01' });
    expect(r.trainingByDefault).toBe(true);
    expect(r.decidedBy?.settingId).toBe('group');
  });

  it('is unknown on a platform whose only settings are about others: never decided by them', () => {
    const p = platform([setting('licence', ['license_to_third_parties'], [period('opted_in')])]);
    const r = resolveOptOut(p, { region: null, device: null, at: '2026-01-01' });
    expect(r.trainingByDefault).toBeNull();
    expect(r.decidedBy).toBeNull();
    expect(r.settings[0]?.trainingByDefault).toBe(true);
  });

  it('maps purposes to the AI Preferences categories: generative training by anyone is train-ai, the rest none', () => {
    const p = platform([
      setting('own', ['train_own_generative_models'], [period('opted_in')]),
      setting('ranking', ['train_own_models', 'product_improvement'], [period('no_choice')]),
      setting('crawlers', ['third_party_crawling', 'share_with_affiliates'], [period('opted_in')]),
    ]);
    const r = resolveOptOut(p, { region: null, device: null, at: '2026-01-01' });
    expect(r.settings.map((s) => [s.id, s.aiPrefCategories])).toEqual([
      ['own', ['train-ai']],
      ['ranking', []],
      ['crawlers', ['train-ai']],
    ]);
  });
});

describe('account types', () => {
  /** Consumers on by default; work and school accounts off and admin-controlled; a government-only setting; an enterprise rule in the EEA. */
  const p = platform(
    [
      setting(
        'train',
        ['train_own_generative_models'],
        [
          period('opted_in', { effectiveFrom: '2025-01-01' }),
          period('opted_out', { accountTypes: ['business', 'enterprise', 'education'], controlledBy: 'admin' }),
        ],
        {
          exceptions: [
            {
              id: 'thumbs',
              action: 'rated_response',
              description: 'A rated reply is used anyway.',
              dataCovered: ['ai_chats'],
              effectiveFrom: '2025-06-01',
              effectiveUntil: null,
              sources: ['s'],
            },
          ],
        },
      ),
      setting('gov-only', ['train_own_generative_models'], [period('not_applicable')], { accountTypes: ['government'] }),
    ],
    [
      {
        id: 'eea-enterprise',
        regions: ['EEA'],
        settingIds: ['train'],
        treatment: 'excluded',
        defaultState: null,
        mechanism: null,
        optOutUrl: null,
        effectiveFrom: null,
        effectiveUntil: null,
        accountTypes: ['enterprise'],
        notes: null,
        sources: ['s'],
      },
    ],
  );
  const ask = (
    accountType: 'personal' | 'education' | 'business' | 'enterprise' | 'government',
    region: string | null = null,
    at = '2026-01-01',
  ) => resolveOptOut(p, { region, device: null, at, accountType });

  it('asks about a personal account by default and says which period applied', () => {
    const r = resolveOptOut(p, { region: null, device: null, at: '2026-01-01' });
    expect(r.accountType).toBe('personal');
    expect(r.trainingByDefault).toBe(true);
    expect(r.decidedBy).toMatchObject({ kind: 'setting_default', accountTypes: null, settingId: 'train' });
    expect(r.settings.map((s) => s.id)).toEqual(['train']);
    expect(r.settings[0]?.controlledBy).toBe('user');
  });

  it('lets a period naming the account type beat the general one, with who controls it', () => {
    for (const type of ['business', 'enterprise', 'education'] as const) {
      const r = ask(type);
      expect(r.trainingByDefault, type).toBe(false);
      expect(r.decidedBy?.accountTypes, type).toEqual(['business', 'enterprise', 'education']);
      expect(r.decidedBy?.explanation, type).toContain(`a ${type} account`);
      expect(r.settings[0]?.controlledBy, type).toBe('admin');
    }
    // Before the consumer period began, a school account's scoped period already applied; a personal one's default is unknown.
    expect(ask('education', null, '2024-06-01').trainingByDefault).toBe(false);
    expect(ask('personal', null, '2024-06-01').trainingByDefault).toBeNull();
  });

  it('shows a setting only to the account types it exists for', () => {
    expect(ask('government').settings.map((s) => s.id)).toEqual(['train', 'gov-only']);
    expect(ask('personal').settings.map((s) => s.id)).toEqual(['train']);
    // A government account falls under the general period of "train" (on), so the headline is true.
    expect(ask('government').trainingByDefault).toBe(true);
  });

  it('applies a region rule scoped to an account type only to that type', () => {
    const enterprise = ask('enterprise', 'DE');
    expect(enterprise.decidedBy).toMatchObject({ kind: 'region_rule', regionRuleId: 'eea-enterprise', accountTypes: ['enterprise'] });
    expect(enterprise.settings[0]?.excluded).toBe(true);
    const personal = ask('personal', 'DE');
    expect(personal.decidedBy?.kind).toBe('setting_default');
    expect(personal.trainingByDefault).toBe(true);
  });

  it('returns what still counts after an opt-out, in force on the day, with its evidence and sources', () => {
    const r = ask('personal');
    expect(r.settings[0]?.exceptions).toEqual([expect.objectContaining({ id: 'thumbs', action: 'rated_response', evidence: 'primary' })]);
    expect(ask('personal', null, '2025-03-01').settings[0]?.exceptions).toEqual([]);
  });

  it('shows the setting written for the account type as deciding when several agree', () => {
    const both = platform([
      setting('api', ['train_own_generative_models'], [period('opted_out')]),
      setting('workspace', ['train_own_generative_models'], [period('not_applicable')], {
        accountTypes: ['enterprise'],
        controlledBy: 'admin',
      }),
    ]);
    const r = resolveOptOut(both, { region: null, device: null, at: '2026-01-01', accountType: 'enterprise' });
    expect(r.trainingByDefault).toBe(false);
    expect(r.decidedBy?.settingId).toBe('workspace');
    expect(resolveOptOut(both, { region: null, device: null, at: '2026-01-01' }).decidedBy?.settingId).toBe('api');
  });

  it('refuses overlapping periods for the same account types, and a period naming a type its setting leaves out', () => {
    const overlapping = PlatformDocument.safeParse({
      ...doc,
      settings: [
        setting(
          'x',
          ['train_own_generative_models'],
          [period('opted_in', { accountTypes: ['business'] }), period('opted_out', { accountTypes: ['business', 'enterprise'] })],
        ),
      ],
      regionRules: [],
      events: [],
    });
    expect(overlapping.success).toBe(false);
    expect(overlapping.error?.issues[0]?.message).toContain('must not overlap');
    const outside = PlatformDocument.safeParse({
      ...doc,
      settings: [
        setting('x', ['train_own_generative_models'], [period('opted_in', { accountTypes: ['personal'] })], {
          accountTypes: ['education'],
        }),
      ],
      regionRules: [],
      events: [],
    });
    expect(outside.success).toBe(false);
    expect(outside.error?.issues[0]?.message).toContain('leave out');
  });
});

describe('evidence', () => {
  const press = { ...src, id: 'news', url: 'https://news.example.com/story', kind: 'press' as const };
  const withSources = (overrides: Record<string, unknown>) =>
    PlatformDocument.parse({ ...doc, sources: [src, press], regionRules: [], events: [], ...overrides });

  it('derives primary, secondary and unconfirmed from the cited sources and the editor’s note', () => {
    const gen = doc.settings[0]!;
    const pressOnly = withSources({
      settings: [{ ...gen, defaults: [{ ...gen.defaults[0]!, sources: ['news'] }] }, doc.settings[1]!],
    });
    const a = resolveOptOut(pressOnly, { region: 'US', device: 'web', at: '2024-10-01' });
    // The default rests on press only: so does the answer.
    expect(a.settings.find((s) => s.id === 'gen')?.evidence).toBe('secondary');
    expect(a.evidence).toBe('secondary');
    const both = withSources({
      settings: [{ ...gen, defaults: [{ ...gen.defaults[0]!, sources: ['news', 's'] }] }, doc.settings[1]!],
    });
    expect(resolveOptOut(both, { region: 'US', device: 'web', at: '2024-10-01' }).evidence).toBe('primary');
    const noted = withSources({
      settings: [{ ...gen, paths: [{ ...gen.paths[0]!, unconfirmed: 'Menu label not seen on a platform page.' }] }, doc.settings[1]!],
    });
    // Steps do not decide whether data is used: the answer keeps its evidence, and the path carries its own.
    const withNote = resolveOptOut(noted, { region: 'US', device: 'web', at: '2024-10-01' });
    expect(withNote.evidence).toBe('primary');
    expect(withNote.settings.find((s) => s.id === 'gen')?.paths.map((p) => p.evidence)).toEqual(['unconfirmed']);
    // Asked for iOS, the web path's note is not part of the answer at all.
    expect(resolveOptOut(noted, { region: 'US', device: 'ios', at: '2024-10-01' }).evidence).toBe('primary');
  });

  it('marks every fact of a record and strips the marks before storing', () => {
    const marked = withEvidence(withSources({}));
    expect(marked.settings[0]?.defaults[0]?.evidence).toBe('primary');
    expect(marked.settings[0]?.paths.every((p) => p.evidence === 'primary')).toBe(true);
    expect(marked.settings[0]?.paths.length).toBeGreaterThan(0);
    expect(JSON.stringify(withoutEvidence(marked))).not.toContain('evidence');
  });
});
