import { describe, expect, it } from 'vitest';
import { pickLanguage, preferredLanguages } from '../src/domain/languages.js';
import type { PlatformDocument } from '../src/schemas/platform.js';
import { OptOutAnswer } from '../src/schemas/responses.js';
import { expectProblem, makeApp, parse, record } from './helpers.js';

describe('language negotiation', () => {
  it('reads Accept-Language by weight, and `lang` overrides it', () => {
    expect(preferredLanguages('fr;q=0.5, de-AT, de;q=0.9, en;q=0.1, es;q=0', undefined)).toEqual(['de-AT', 'de', 'fr', 'en']);
    expect(preferredLanguages('fr', 'pt-BR')).toEqual(['pt-BR']);
    expect(preferredLanguages(undefined, undefined)).toEqual([]);
  });

  it('picks an exact or more specific tag, then the same language in another region, and stops at English', () => {
    const available = ['de', 'pt-BR', 'es-419'];
    expect(pickLanguage(['de-AT'], available)).toBe('de');
    expect(pickLanguage(['pt'], available)).toBe('pt-BR');
    expect(pickLanguage(['pt-PT'], available)).toBe('pt-BR');
    expect(pickLanguage(['ES-es'], available)).toBe('es-419');
    expect(pickLanguage(['fr', 'de'], available)).toBe('de');
    expect(pickLanguage(['en', 'de'], available)).toBeNull();
    expect(pickLanguage(['fr'], available)).toBeNull();
    expect(pickLanguage([], available)).toBeNull();
  });
});

const help = (id: string, lang: string) => ({
  id,
  url: `https://social.example/help/ai?hl=${lang}`,
  title: `Help (${lang})`,
  publisher: 'Example Social',
  kind: 'platform' as const,
  publishedDate: null,
  retrievedDate: '2026-12-01',
});

const social: PlatformDocument = {
  slug: 'example-social',
  name: 'Example Social',
  owner: 'Example Inc.',
  homepage: 'https://social.example',
  category: 'social',
  status: 'active',
  summary: 'A made-up platform with localised help pages.',
  lastVerified: '2026-12-01',
  settings: [
    {
      id: 'ai-training',
      name: 'Data for AI',
      label: 'Use my posts to train AI',
      description: 'Whether posts train the platform’s models.',
      dataCovered: ['public_posts'],
      purposes: ['train_own_generative_models'],
      mechanism: 'toggle',
      defaults: [{ state: 'opted_in', effectiveFrom: null, effectiveUntil: null, sources: ['help-en'] }],
      retroactive: false,
      coversAffiliates: null,
      deepLink: null,
      paths: [
        { device: 'web', steps: ['Settings', 'Privacy', 'Data for AI'], deepLink: null, notes: 'Switch it off.', sources: ['help-en'] },
        { device: 'ios', steps: ['Profile', 'Settings', 'Data for AI'], deepLink: null, notes: null, sources: ['help-en'] },
      ],
      sources: ['help-en'],
      translations: [
        {
          lang: 'de',
          name: 'Daten für KI',
          label: 'Meine Beiträge zum Trainieren von KI verwenden',
          paths: [{ device: 'web', steps: ['Einstellungen', 'Datenschutz', 'Daten für KI'], notes: null }],
          sources: ['help-de'],
        },
        { lang: 'pt-BR', name: 'Dados para IA', label: null, paths: [], sources: ['help-pt'] },
      ],
    },
  ],
  regionRules: [],
  events: [],
  sources: [help('help-en', 'en'), help('help-de', 'de'), help('help-pt', 'pt-BR')],
};

describe('localised labels and steps over HTTP', () => {
  it('serves the platform’s own German labels for Accept-Language: de-AT, says so in Content-Language, and falls back to English per field', async () => {
    const app = await makeApp({ SEED: false });
    await record(app, { message: 'Add the example', operations: [{ op: 'put', slug: social.slug, platform: social }] });
    const url = '/v1/platforms/example-social/opt-out';

    const german = await app.inject({ url, headers: { 'accept-language': 'de-AT,de;q=0.9,en;q=0.5' } });
    expect(german.headers['content-language']).toBe('de, en');
    expect(String(german.headers.vary)).toMatch(/Accept-Language/);
    const de = parse(OptOutAnswer, german);
    expect(de.lang).toBe('de');
    const setting = de.settings[0]!;
    expect([setting.lang, setting.name, setting.label]).toEqual(['de', 'Daten für KI', 'Meine Beiträge zum Trainieren von KI verwenden']);
    expect(setting.paths.find((p) => p.device === 'web')?.steps).toEqual(['Einstellungen', 'Datenschutz', 'Daten für KI']);
    // The page's English notes stay when the German page gives none; iOS has no German steps: English.
    expect(setting.paths.find((p) => p.device === 'web')?.notes).toBe('Switch it off.');
    expect(setting.paths.find((p) => p.device === 'ios')?.steps).toEqual(['Profile', 'Settings', 'Data for AI']);
    // The German page is cited with the answer.
    expect(de.sources.map((s) => s.id)).toContain('help-de');
    expect(setting.sources).toContain('help-de');

    // The cached German answer is never served to someone who asked for English, and the reverse.
    const english = await app.inject({ url, headers: { 'accept-language': 'en-GB' } });
    expect(english.headers['content-language']).toBe('en');
    expect(parse(OptOutAnswer, english).settings[0]?.name).toBe('Data for AI');
    const again = await app.inject({ url, headers: { 'accept-language': 'de' } });
    expect(parse(OptOutAnswer, again).settings[0]?.name).toBe('Daten für KI');

    // `lang` overrides the header; `pt` finds pt-BR; a label the page lacks stays English.
    const pt = parse(OptOutAnswer, await app.inject({ url: `${url}?lang=pt`, headers: { 'accept-language': 'de' } }));
    expect([pt.lang, pt.settings[0]?.name, pt.settings[0]?.label]).toEqual(['pt-BR', 'Dados para IA', 'Use my posts to train AI']);
    // A language the platform does not publish: English, said so.
    const fr = await app.inject({ url: `${url}?lang=fr` });
    expect([parse(OptOutAnswer, fr).lang, fr.headers['content-language']]).toEqual(['en', 'en']);

    const bad = expectProblem(await app.inject(`${url}?lang=${encodeURIComponent('de_DE!')}`), 400);
    expect(bad.errors?.[0]).toEqual({ field: 'query.lang', message: 'must be a BCP 47 language tag such as "de", "fr" or "pt-BR"' });

    const page = await app.inject({ url: '/?platform=example-social', headers: { 'accept-language': 'de' } });
    expect(page.headers['content-language']).toBe('de, en');
    expect(page.body).toContain('<h3 id="setting-ai-training" lang="de">Daten für KI</h3>');
  });
});
