import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformDocument } from '../src/schemas/platform.js';
import { aiParagraphs, keywordPattern } from '../src/sources/ai-paragraphs.js';
import { scanOtaClone } from '../src/sources/ota.js';
import { parseOtaUrl } from '../src/sources/ota-url.js';
import { JsonFileSourceStore } from '../src/sources/store.js';

const REPO = 'acme-versions';
const POLICY = 'Acme/Privacy Policy.md';
const TERMS = 'Acme/Terms of Service.md';

const intro = 'Acme said it keeps your data safe.';
const aiOld = 'We may use your posts to train our artificial intelligence models.';
const aiNew = 'We use your posts and photos to train generative AI models unless you opt out.';
const contact = 'Write to privacy@acme.test with questions.';

let root: string;
let work: string;
let bare: string;
const shas: Record<string, string> = {};

function git(dir: string, args: string[], date?: string): string {
  const env = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'OTA bot',
    GIT_AUTHOR_EMAIL: 'bot@ota.test',
    GIT_COMMITTER_NAME: 'OTA bot',
    GIT_COMMITTER_EMAIL: 'bot@ota.test',
    ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
  };
  return execFileSync('git', ['-C', dir, ...args], { env, encoding: 'utf8' }).trim();
}

function record(name: string, file: string, text: string, date: string, subject: string) {
  writeFileSync(join(work, file), text);
  git(work, ['add', '--', file]);
  git(work, ['commit', '--quiet', '--no-gpg-sign', '-m', subject], date);
  shas[name] = git(work, ['rev-parse', 'HEAD']);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sources-ota-'));
  work = join(root, 'work');
  bare = join(root, 'bare.git');
  mkdirSync(join(work, 'Acme'), { recursive: true });
  git(work, ['init', '--quiet', '--initial-branch=main']);
  git(work, ['remote', 'add', 'origin', `https://github.com/OpenTermsArchive/${REPO}.git`]);
  record('v1', POLICY, `# Privacy\n\n${intro}\n\n${aiOld}\n\n${contact}\n`, '2025-01-01T10:00:00Z', 'Record the first version');
  record('terms1', TERMS, '# Terms\n\nBe nice.\n', '2025-01-15T10:00:00Z', 'Record the terms');
  // Only a non-AI paragraph changes; the AI paragraph is merely re-wrapped.
  record(
    'v2',
    POLICY,
    `# Privacy\n\nAcme said it keeps your data safe and will maintain it.\n\nWe may use your posts to train our\nartificial intelligence models.\n\n${contact}\n`,
    '2025-02-01T10:00:00Z',
    'Record changes: contact wording',
  );
  record('terms2', TERMS, '# Terms\n\nBe kind.\n', '2025-02-15T10:00:00Z', 'Record terms changes');
  record('v3', POLICY, `# Privacy\n\n${intro}\n\n${aiNew}\n\n${contact}\n`, '2025-03-01T10:00:00Z', 'Record changes: AI training');
  record('v4', POLICY, `# Privacy\n\n${intro}\n\n${aiNew}\n\nWrite to dpo@acme.test.\n`, '2025-04-01T10:00:00Z', 'Record changes: DPO');
  execFileSync('git', ['clone', '--quiet', '--bare', work, bare]);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function platform(urls: string[]): PlatformDocument {
  return {
    slug: 'acme',
    name: 'Acme',
    lastVerified: '2025-01-10',
    sources: urls.map((url, i) => ({ id: `s${i}`, url })),
  } as PlatformDocument;
}

const blob = (sha: string, path: string) =>
  `https://github.com/OpenTermsArchive/${REPO}/blob/${sha}/${path.split('/').map(encodeURIComponent).join('/')}`;

describe('Open Terms Archive versions', () => {
  it('lists the newer versions of a cited document, oldest first, and flags those whose AI paragraphs differ', async () => {
    const url = blob(shas.v1!, POLICY);
    const scan = await scanOtaClone([platform([url])], work, { now: () => new Date('2026-01-01T00:00:00Z') });
    expect(scan.repo).toBe(REPO);
    expect(scan.findings).toHaveLength(1);
    const finding = scan.findings[0]!;
    expect(finding).toMatchObject({ sourceUrl: url, repo: REPO, citedCommit: shas.v1, path: POLICY, error: null });
    expect(
      finding.newerVersions.map((v) => ({
        commit: v.commit,
        date: v.date,
        subject: v.subject,
        ai: v.aiChanged,
        step: v.aiChangedFromPrevious,
      })),
    ).toEqual([
      { commit: shas.v2, date: '2025-02-01T10:00:00.000Z', subject: 'Record changes: contact wording', ai: false, step: false },
      { commit: shas.v3, date: '2025-03-01T10:00:00.000Z', subject: 'Record changes: AI training', ai: true, step: true },
      { commit: shas.v4, date: '2025-04-01T10:00:00.000Z', subject: 'Record changes: DPO', ai: true, step: false },
    ]);
    expect(finding.newerVersions[1]).toMatchObject({ aiParagraphsAdded: 1, aiParagraphsRemoved: 1, documentRemoved: false });
  });

  it('reads /commit/ and raw.githubusercontent.com links, from a bare clone named with repoName', async () => {
    const commitUrl = `https://github.com/OpenTermsArchive/${REPO}/commit/${shas.v3}`;
    const rawUrl = `https://raw.githubusercontent.com/OpenTermsArchive/${REPO}/${shas.terms1}/Acme/Terms%20of%20Service.md`;
    const scan = await scanOtaClone([platform([commitUrl, rawUrl])], bare, { repoName: REPO });
    expect(scan.findings.map((f) => [f.path, f.error, f.newerVersions.map((v) => [v.commit, v.aiChanged])])).toEqual([
      [POLICY, null, [[shas.v4, false]]],
      [TERMS, null, [[shas.terms2, false]]],
    ]);
  });

  it('skips other repositories and reports a cited commit missing from the clone', async () => {
    const other = 'https://github.com/OpenTermsArchive/other-versions/blob/0123456789abcdef0123456789abcdef01234567/X/Y.md';
    const missing = blob('0123456789abcdef0123456789abcdef01234567', POLICY);
    const scan = await scanOtaClone([platform([other, missing, 'https://acme.test/privacy'])], work);
    expect(scan.otherRepos).toEqual([{ url: other, repo: 'other-versions' }]);
    expect(scan.findings).toHaveLength(1);
    expect(scan.findings[0]?.error).toMatch(/not in the clone/);
    expect((await scanOtaClone([platform([blob(shas.v1!, POLICY)])], work, { repoName: 'another-versions' })).findings).toEqual([]);
  });

  it('saves findings through the store, replacing a source URL’s old findings only', async () => {
    const store = new JsonFileSourceStore(join(root, 'store', 'checks.json'));
    const url = blob(shas.v1!, POLICY);
    const first = await scanOtaClone([platform([url])], work);
    await store.saveOtaFindings(first.findings);
    await store.saveOtaFindings([{ ...first.findings[0]!, sourceUrl: 'https://x.test/other' }]);
    await store.saveOtaFindings(first.findings);
    const saved = await store.otaFindings();
    expect(saved.map((f) => f.sourceUrl).sort()).toEqual(['https://x.test/other', url].sort());
    expect(saved.find((f) => f.sourceUrl === url)?.newerVersions).toHaveLength(3);
  });

  it('the CLI rejects a missing clone argument with exit code 1', async () => {
    const run = promisify(execFile);
    const failure = await run('npx', ['tsx', 'src/cli/sources-ota.ts'], { cwd: process.cwd() }).catch((e) => e);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/usage: npm run sources:ota/);
  });
});

describe('AI paragraphs and Open Terms Archive links', () => {
  it('matches keywords as whole words, case-insensitively', () => {
    const p = keywordPattern();
    for (const yes of ['Meta AI answers', 'the ai features', 'Grok may', 'large language models', 'machine-learning', 'we TRAIN', 'LLMs'])
      expect(p.test(yes), yes).toBe(true);
    for (const no of ['Acme said so', 'we maintain it', 'modelling agency', 'trainee programme', 'retraining', 'email'])
      expect(p.test(no), no).toBe(false);
    expect(aiParagraphs(`${intro}\n\n${aiOld}\n\n${contact}`)).toEqual([aiOld]);
  });

  it('parses blob, commit and raw links and refuses branch names and other hosts', () => {
    const sha = '17fbb6d6b0a91487d4a5a873f713a2b113f3f683';
    expect(parseOtaUrl(`https://github.com/OpenTermsArchive/contrib-versions/blob/${sha}/Discord/Privacy%20Policy.md`)).toEqual({
      repo: 'contrib-versions',
      commit: sha,
      path: 'Discord/Privacy Policy.md',
    });
    expect(parseOtaUrl(`https://github.com/OpenTermsArchive/pga-versions/commit/${sha}`)).toEqual({
      repo: 'pga-versions',
      commit: sha,
      path: null,
    });
    expect(parseOtaUrl(`https://raw.githubusercontent.com/OpenTermsArchive/x-versions/${sha}/A/B.md`)).toEqual({
      repo: 'x-versions',
      commit: sha,
      path: 'A/B.md',
    });
    expect(parseOtaUrl('https://github.com/OpenTermsArchive/x-versions/blob/main/A/B.md')).toBeNull();
    expect(parseOtaUrl(`https://github.com/someone/x-versions/blob/${sha}/A/B.md`)).toBeNull();
    expect(parseOtaUrl('https://example.com/OpenTermsArchive/x/commit/abcdef1')).toBeNull();
  });
});
