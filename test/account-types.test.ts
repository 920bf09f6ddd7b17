import { describe, expect, it } from 'vitest';
import { ACCOUNT_TYPE_CODES } from '../src/domain/account-types.js';
import { AIPREF_VOCABULARY } from '../src/domain/purposes.js';
import type { PlatformDocument } from '../src/schemas/platform.js';
import { AccountTypeList, OptOutAnswer, PlatformList, PurposeList } from '../src/schemas/responses.js';
import { expectProblem, makeApp, parse, record } from './helpers.js';

const source = {
  id: 'help',
  url: 'https://assistant.example/help/training',
  title: 'How your chats are used',
  publisher: 'Example Assistant',
  kind: 'platform' as const,
  publishedDate: null,
  retrievedDate: '2026-12-01',
};

/** An assistant trained on personal accounts' chats unless they opt out; work and school accounts are off and admin-controlled. */
const assistant: PlatformDocument = {
  slug: 'example-assistant',
  name: 'Example Assistant',
  owner: 'Example AI',
  homepage: 'https://assistant.example',
  category: 'ai-assistant',
  status: 'active',
  summary: 'A made-up assistant for account-type tests.',
  lastVerified: '2026-12-01',
  settings: [
    {
      id: 'improve-the-model',
      name: 'Improve the model',
      label: 'Improve the model for everyone',
      description: 'Whether chats train the models.',
      dataCovered: ['ai_chats'],
      purposes: ['train_own_generative_models'],
      mechanism: 'toggle',
      defaults: [
        { state: 'opted_in', effectiveFrom: '2024-01-01', effectiveUntil: null, sources: ['help'] },
        {
          state: 'opted_out',
          effectiveFrom: null,
          effectiveUntil: null,
          accountTypes: ['business', 'enterprise', 'education'],
          controlledBy: 'admin',
          sources: ['help'],
        },
      ],
      retroactive: false,
      coversAffiliates: null,
      deepLink: null,
      paths: [{ device: 'web', steps: ['Settings', 'Data controls'], deepLink: null, notes: null, sources: ['help'] }],
      sources: ['help'],
      exceptions: [
        {
          id: 'feedback',
          action: 'sent_feedback',
          description: 'A conversation sent with feedback may be used anyway.',
          dataCovered: ['ai_chats'],
          effectiveFrom: null,
          effectiveUntil: null,
          sources: ['help'],
        },
      ],
    },
    {
      id: 'third-party-apps',
      name: 'Apps you connect',
      label: null,
      description: 'What connected third-party apps do with data sent to them.',
      dataCovered: ['ai_chats'],
      purposes: ['third_party_processing'],
      mechanism: 'none',
      defaults: [{ state: 'no_choice', effectiveFrom: null, effectiveUntil: null, sources: ['help'] }],
      retroactive: null,
      coversAffiliates: null,
      deepLink: null,
      paths: [],
      sources: ['help'],
    },
  ],
  regionRules: [],
  events: [],
  sources: [source],
};

async function appWithAssistant() {
  const app = await makeApp({ SEED: false });
  await record(app, { message: 'Add the example assistant', operations: [{ op: 'put', slug: assistant.slug, platform: assistant }] });
  return app;
}

describe('account types over HTTP', () => {
  it('answers for a personal account by default and for the account type asked, saying which rule applied', async () => {
    const app = await appWithAssistant();
    const personal = parse(OptOutAnswer, await app.inject('/v1/platforms/example-assistant/opt-out?at=2026-06-01'));
    expect(personal.accountType).toBe('personal');
    expect(personal.trainingByDefault).toBe(true);
    expect(personal.decidedBy).toMatchObject({ settingId: 'improve-the-model', accountTypes: null });
    // The third-party setting keeps its own answer and does not flip the headline.
    const apps = personal.settings.find((s) => s.id === 'third-party-apps');
    expect(apps).toMatchObject({ trainingByDefault: true, countsTowardAnswer: false, aiPrefCategories: [] });
    expect(personal.settings[0]).toMatchObject({ controlledBy: 'user', aiPrefCategories: ['train-ai'] });
    expect(personal.settings[0]?.exceptions.map((x) => [x.id, x.action, x.evidence])).toEqual([['feedback', 'sent_feedback', 'primary']]);

    const school = parse(OptOutAnswer, await app.inject('/v1/platforms/example-assistant/opt-out?at=2026-06-01&accountType=education'));
    expect(school.accountType).toBe('education');
    expect(school.trainingByDefault).toBe(false);
    expect(school.decidedBy).toMatchObject({ kind: 'setting_default', accountTypes: ['business', 'enterprise', 'education'] });
    expect(school.settings[0]?.controlledBy).toBe('admin');
  });

  it('resolves the list for an account type, says which one, and filters by the default it resolves', async () => {
    const app = await appWithAssistant();
    const list = parse(PlatformList, await app.inject('/v1/platforms?accountType=enterprise&at=2026-06-01'));
    expect(list.asOf).toMatchObject({ accountType: 'enterprise', region: null, at: '2026-06-01' });
    expect(list.data[0]).toMatchObject({
      slug: 'example-assistant',
      trainingByDefault: false,
      // In the order of /v1/account-types.
      accountTypes: ['education', 'business', 'enterprise'],
      decidedBy: { settingId: 'improve-the-model', accountTypes: ['business', 'enterprise', 'education'] },
    });
    const personal = parse(PlatformList, await app.inject('/v1/platforms?at=2026-06-01&defaultState=opted_out'));
    expect(personal.asOf.accountType).toBe('personal');
    expect(personal.data).toEqual([]);
    const enterprise = parse(PlatformList, await app.inject('/v1/platforms?at=2026-06-01&defaultState=opted_out&accountType=enterprise'));
    expect(enterprise.data.map((p) => p.slug)).toEqual(['example-assistant']);
  });

  it('refuses an unknown account type with a 400 naming the accepted ones, and lists them at /v1/account-types', async () => {
    const app = await appWithAssistant();
    const problem = expectProblem(await app.inject('/v1/platforms/example-assistant/opt-out?accountType=student'), 400);
    expect(problem.errors).toEqual([{ field: 'query.accountType', message: `must be one of: ${ACCOUNT_TYPE_CODES.join(', ')}` }]);
    const types = parse(AccountTypeList, await app.inject('/v1/account-types'));
    expect(types.data.map((t) => t.code)).toEqual([...ACCOUNT_TYPE_CODES]);
    const purposes = parse(PurposeList, await app.inject('/v1/purposes'));
    expect(purposes.aiPrefVocabulary.draft).toBe(AIPREF_VOCABULARY.draft);
    expect(purposes.data.filter((p) => p.decidesHeadline === 'yes').map((p) => p.code)).toEqual([
      'train_own_generative_models',
      'train_group_generative_models',
    ]);
  });

  it('the page asks for the kind of account and shows what still counts after an opt-out', async () => {
    const app = await appWithAssistant();
    const page = await app.inject('/?platform=example-assistant&account=business');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<option value="business" selected>Business</option>');
    expect(page.body).toContain('Only your organisation’s administrator can change this setting');
    expect(page.body).toContain('Still used after you opt out');
    expect(page.body).toContain('data-exception="feedback"');
    const bad = await app.inject('/?platform=example-assistant&account=student');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Pick the kind of account you use');
  });
});
