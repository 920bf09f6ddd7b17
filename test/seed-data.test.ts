import { describe, expect, it } from 'vitest';
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
        ...doc.settings.flatMap((s) => [...s.sources, ...s.defaults.flatMap((d) => d.sources), ...s.paths.flatMap((p) => p.sources)]),
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
});
