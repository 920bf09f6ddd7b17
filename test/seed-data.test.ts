import { describe, expect, it } from 'vitest';
import { ACCOUNT_TYPE_CODES, accountTypesNamed } from '../src/domain/account-types.js';
import { evidenceOf, evidenceSummary } from '../src/domain/evidence.js';
import { resolveOptOut } from '../src/domain/resolve.js';
import { PRIMARY_SOURCE_KINDS } from '../src/domain/source-kinds.js';
import { isRealDate } from '../src/schemas/common.js';
import { PlatformDocument } from '../src/schemas/platform.js';
import { readSeedFiles } from '../src/seed/files.js';

const files = readSeedFiles();
const docs = files.flatMap((f) => (f.document ? [f.document] : []));
const today = new Date().toISOString().slice(0, 10);

/** Hosts that copy other sites' pages; the registry cites the original instead. */
const MIRROR_HOSTS = [/sipoch\.com$/, /\.pages\.dev$/, /proxy\./, /mirror/, /redlib\./, /guatda\.com$/, /oszar\.com$/];

describe('seed data', () => {
  it('every file is valid against the API schema and named after its slug', () => {
    const bad = files.filter((f) => !f.document).map((f) => `${f.file}: ${f.error ?? JSON.stringify(f.issues?.slice(0, 3))}`);
    expect(bad).toEqual([]);
  });

  it('cites original sources with real dates, none in the future', () => {
    for (const doc of docs) {
      expect(isRealDate(doc.lastVerified) && doc.lastVerified <= today, `${doc.slug} lastVerified`).toBe(true);
      for (const s of doc.sources) {
        const host = new URL(s.url).hostname;
        expect(
          MIRROR_HOSTS.some((m) => m.test(host)),
          `${doc.slug}/${s.id} cites a mirror: ${s.url}`,
        ).toBe(false);
        expect(s.retrievedDate <= today, `${doc.slug}/${s.id} retrievedDate`).toBe(true);
        if (s.publishedDate) expect(s.publishedDate <= s.retrievedDate, `${doc.slug}/${s.id} published after retrieved`).toBe(true);
      }
    }
  });

  it('cites every source it lists (no dead bibliography entries)', () => {
    for (const doc of docs) {
      const cited = new Set([
        ...doc.settings.flatMap((s) => [
          ...s.sources,
          ...s.defaults.flatMap((d) => d.sources),
          ...s.paths.flatMap((p) => p.sources),
          ...(s.exceptions ?? []).flatMap((x) => x.sources),
          ...(s.translations ?? []).flatMap((t) => t.sources),
        ]),
        ...doc.regionRules.flatMap((r) => r.sources),
        ...doc.events.flatMap((e) => e.sources),
      ]);
      const unused = doc.sources.filter((s) => !cited.has(s.id)).map((s) => s.id);
      expect(unused, `${doc.slug} lists sources no fact cites`).toEqual([]);
    }
  });

  it('the schema refuses a fact without a source, a malformed date, an inverted range or an unknown region', () => {
    const linkedin = docs.find((d) => d.slug === 'linkedin')!;
    const broken = structuredClone(linkedin) as unknown as {
      settings: { sources: string[] }[];
      events: { announcedDate: string; sources: string[] }[];
      regionRules: { effectiveUntil: string; regions: string[] }[];
    };
    broken.settings[0]!.sources = [];
    broken.events[0]!.announcedDate = '2024-13-01';
    broken.regionRules[0]!.effectiveUntil = '2000-01-01';
    broken.regionRules[1]!.regions = ['UK'];
    broken.events[1]!.sources = ['no-such-source'];
    const result = PlatformDocument.safeParse(broken);
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'settings.0.sources',
        'events.0.announcedDate',
        'regionRules.0.effectiveUntil',
        'regionRules.1.regions.0',
        'events.1.sources.0',
      ]),
    );
  });

  it('has LinkedIn’s timeline with its own dates', () => {
    const linkedin = docs.find((d) => d.slug === 'linkedin')!;
    const setting = linkedin.settings.find((s) => s.name === 'Data for Generative AI Improvement')!;
    expect(setting.label).toBe('Use my data for training content creation AI models');
    expect(setting.defaults[0]).toMatchObject({ state: 'opted_in', effectiveFrom: '2024-09-18' });
    expect(setting.paths.map((p) => p.device)).toContain('web');
    const rule = (regions: string[]) =>
      linkedin.regionRules.find((r) => regions.every((c) => r.regions.includes(c)) && r.treatment === 'excluded');
    expect(rule(['EEA', 'CH'])).toMatchObject({ effectiveFrom: '2024-09-18', effectiveUntil: '2025-11-03' });
    expect(rule(['GB'])?.effectiveUntil).toBe('2025-11-03');
    const effective = linkedin.events.map((e) => e.effectiveDate);
    expect(effective).toEqual(expect.arrayContaining(['2024-09-18', '2024-11-20', '2025-11-03']));
  });

  it('has at least 50 platforms, every source says what kind it is, and placeholder titles are gone', () => {
    expect(docs.length).toBeGreaterThanOrEqual(50);
    const sources = docs.flatMap((d) => d.sources.map((s) => ({ slug: d.slug, ...s })));
    expect(sources.length).toBeGreaterThan(400);
    expect(sources.filter((s) => /not captured|placeholder|untitled/i.test(s.title)).map((s) => `${s.slug}/${s.id}`)).toEqual([]);
    // Open Terms Archive records are cited as terms archives, at an exact version of a document.
    const ota = sources.filter((s) => /github\.com\/OpenTermsArchive\//.test(s.url));
    expect(ota.length).toBeGreaterThan(50);
    for (const s of ota) {
      expect(s.kind, `${s.slug}/${s.id}`).toBe('terms_archive');
      expect(s.url, `${s.slug}/${s.id}`).toMatch(/\/blob\/[0-9a-f]{40}\//);
    }
  });

  it('rests most facts on primary sources, and marks the rest', () => {
    const summary = docs.map(evidenceSummary).reduce((a, b) => ({
      facts: a.facts + b.facts,
      primary: a.primary + b.primary,
      secondary: a.secondary + b.secondary,
      unconfirmed: a.unconfirmed + b.unconfirmed,
    }));
    expect(summary.facts).toBe(summary.primary + summary.secondary + summary.unconfirmed);
    expect(summary.primary / summary.facts).toBeGreaterThan(0.6);
  });

  it('rests no headline fact on press alone: every default period and region rule is primary or marked unconfirmed', () => {
    const pressOnly: string[] = [];
    for (const doc of docs) {
      const byId = new Map(doc.sources.map((s) => [s.id, s]));
      for (const s of doc.settings)
        s.defaults.forEach((d, i) => {
          if (evidenceOf(d, byId) === 'secondary') pressOnly.push(`${doc.slug}/${s.id}/defaults/${i}`);
        });
      for (const r of doc.regionRules) if (evidenceOf(r, byId) === 'secondary') pressOnly.push(`${doc.slug}/regionRules/${r.id}`);
    }
    expect(pressOnly).toEqual([]);
  });

  it('says in the summary when the headline answer is not confirmed by the platform', () => {
    const silent: string[] = [];
    for (const doc of docs) {
      for (const accountType of ACCOUNT_TYPE_CODES) {
        const answer = resolveOptOut(doc, { region: null, device: null, at: today, accountType });
        if (answer.trainingByDefault === null || answer.evidence === 'primary') continue;
        if (!/not confirmed by the platform/i.test(doc.summary)) silent.push(`${doc.slug} (${accountType}: ${answer.evidence})`);
      }
    }
    expect(silent).toEqual([]);
  });

  it('reports at least 70 % of sources as primary, and names account types where records differ by them', () => {
    const sources = docs.flatMap((d) => d.sources);
    const primary = sources.filter((s) => PRIMARY_SOURCE_KINDS.includes(s.kind)).length;
    expect(primary / sources.length).toBeGreaterThanOrEqual(0.7);
    expect(docs.length).toBeGreaterThanOrEqual(90);
    expect(docs.filter((d) => accountTypesNamed(d).length > 0).length).toBeGreaterThanOrEqual(10);
  });

  // Corrections found by the 2026 audits, each pinned so a later edit cannot silently undo it.
  const platform = (slug: string) => {
    const doc = docs.find((d) => d.slug === slug);
    if (!doc) throw new Error(`no seed record for ${slug}`);
    return doc;
  };

  it('WhatsApp: Advanced Chat Privacy is a control, dated 2025-04-23 (so "no setting turns this off" is gone)', () => {
    const acp = platform('whatsapp').settings.find((s) => s.name === 'Advanced Chat Privacy');
    expect(acp).toBeDefined();
    expect(acp?.mechanism).toBe('toggle');
    expect(acp?.defaults[0]?.effectiveFrom).toBe('2025-04-23');
    expect(platform('whatsapp').summary).not.toMatch(/no WhatsApp setting turns this off/i);
  });

  it('X: the control is "Grok & Third-party Collaborators" with a deep link, and the EEA has region rules', () => {
    const x = platform('x');
    const grok = x.settings.find((s) => s.name === 'Grok & Third-party Collaborators');
    expect(grok?.deepLink).toMatch(/^https:\/\/x\.com\/settings\//);
    const eea = x.regionRules.filter((r) => r.regions.includes('EEA'));
    expect(eea.map((r) => r.effectiveFrom)).toEqual(expect.arrayContaining(['2024-08-08', '2025-04-24']));
    // 2026: the terms of 2026-01-15 and regulator actions against Grok are recorded.
    const dates = x.events.map((e) => e.effectiveDate ?? e.announcedDate);
    expect(dates.some((d) => d?.startsWith('2026-'))).toBe(true);
    expect(x.events.filter((e) => e.kind === 'regulator_action').length).toBeGreaterThanOrEqual(3);
  });

  it('ChatGPT: Team renamed Business on 2025-08-29, the NYT preservation order, and the Garante’s actions', () => {
    const chatgpt = platform('chatgpt');
    const byId = (id: string) => chatgpt.events.find((e) => e.id === id);
    expect(byId('2025-08-29-team-renamed-business')?.effectiveDate).toBe('2025-08-29');
    expect(byId('2025-05-13-nyt-preservation-order')?.effectiveDate).toBe('2025-05-13');
    expect(byId('2025-09-26-preservation-ends')?.effectiveDate).toBe('2025-09-26');
    expect(chatgpt.events.filter((e) => e.kind === 'regulator_action').map((e) => e.id)).toEqual(
      expect.arrayContaining(['2023-03-30-garante-limitation', '2024-12-20-garante-fine']),
    );
    expect(chatgpt.regionRules.find((r) => r.regions.includes('IT'))).toMatchObject({
      effectiveFrom: '2023-03-31',
      effectiveUntil: '2023-04-28',
    });
  });

  it('Threads: the UK pause and resumption (2024-06-14 to 2024-09-13) is a region rule', () => {
    const gb = platform('threads').regionRules.filter((r) => r.regions.includes('GB'));
    expect(gb.find((r) => r.treatment === 'excluded' && r.effectiveFrom === '2024-06-14')?.effectiveUntil).toBe('2024-09-13');
  });

  it('Substack: the reported rename rests on one report and is marked unconfirmed, not stated as fact', () => {
    const reported = platform('substack').events.find((e) => e.id === '2026-opt-out-label-reported');
    expect(reported?.unconfirmed).toBeDefined();
  });

  it('Microsoft Copilot: the markets Microsoft excludes from training are region rules', () => {
    const excluded = platform('microsoft-copilot')
      .regionRules.filter((r) => r.treatment === 'excluded')
      .flatMap((r) => r.regions);
    expect(excluded).toEqual(expect.arrayContaining(['BR', 'CN', 'IL', 'NG', 'KR', 'VN']));
  });
});
