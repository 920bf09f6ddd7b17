import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { PlatformDocument } from '../schemas/platform.js';
import { aiParagraphs, compareParagraphs, keywordPattern } from './ai-paragraphs.js';
import { citedUrls } from './cited.js';
import { type OtaReference, parseOtaUrl, repoNameFromRemote } from './ota-url.js';
import type { OtaFinding, OtaVersion } from './schemas.js';

const run = promisify(execFile);

/** Runs git in a clone (bare or not) with an argument array: no shell, so paths and refs are never interpreted. */
async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', dir, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

async function gitOrNull(dir: string, args: string[]): Promise<string | null> {
  try {
    return await git(dir, args);
  } catch {
    return null;
  }
}

/** The clone's repository name, from its `origin` remote; null when it has none. */
export async function cloneRepoName(dir: string): Promise<string | null> {
  const remote = await gitOrNull(dir, ['config', '--get', 'remote.origin.url']);
  return remote ? repoNameFromRemote(remote) : null;
}

export interface OtaOptions {
  /** The clone's repository name; read from its `origin` remote when absent. */
  repoName?: string;
  /** The ref whose history counts as "newer"; the clone's HEAD by default. */
  ref?: string;
  keywords?: readonly string[];
  now?: () => Date;
}

export interface OtaScan {
  repo: string;
  findings: OtaFinding[];
  /** Open Terms Archive sources in other repositories than this clone. */
  otherRepos: { url: string; repo: string }[];
}

interface Context {
  dir: string;
  ref: string;
  pattern: RegExp;
  checkedAt: string;
}

async function documentAt(ctx: Context, commit: string, path: string): Promise<string | null> {
  return gitOrNull(ctx.dir, ['show', `${commit}:${path}`]);
}

async function newerVersions(ctx: Context, cited: string, path: string): Promise<OtaVersion[]> {
  const log = await git(ctx.dir, ['log', '--reverse', '--format=%H%x1f%cI%x1f%s%x1e', `${cited}..${ctx.ref}`, '--', path]);
  const citedParagraphs = aiParagraphs((await documentAt(ctx, cited, path)) ?? '', ctx.pattern);
  let previous = citedParagraphs;
  const versions: OtaVersion[] = [];
  for (const record of log.split('\x1e')) {
    const [commit, date, subject] = record.trim().split('\x1f');
    if (!commit || !date) continue;
    const text = await documentAt(ctx, commit, path);
    const paragraphs = aiParagraphs(text ?? '', ctx.pattern);
    const sinceCited = compareParagraphs(citedParagraphs, paragraphs);
    versions.push({
      commit,
      date: new Date(date).toISOString(),
      subject: subject ?? '',
      documentRemoved: text === null,
      aiChanged: sinceCited.changed,
      aiChangedFromPrevious: compareParagraphs(previous, paragraphs).changed,
      aiParagraphsAdded: sinceCited.added,
      aiParagraphsRemoved: sinceCited.removed,
    });
    previous = paragraphs;
  }
  return versions;
}

async function findingsFor(ctx: Context, url: string, ref: OtaReference): Promise<OtaFinding[]> {
  const base = { sourceUrl: url, repo: ref.repo, checkedAt: ctx.checkedAt, newerVersions: [] };
  const commit = (await gitOrNull(ctx.dir, ['rev-parse', '--verify', '--quiet', `${ref.commit}^{commit}`]))?.trim();
  if (!commit) {
    return [
      { ...base, citedCommit: ref.commit, path: ref.path, error: `commit ${ref.commit} is not in the clone (fetch it, or unshallow)` },
    ];
  }
  // A /commit/ link names no document: take the documents that commit recorded.
  const paths = ref.path
    ? [ref.path]
    : (await git(ctx.dir, ['show', '--name-only', '--format=', commit])).split('\n').filter((p) => p.endsWith('.md'));
  if (paths.length === 0) return [{ ...base, citedCommit: commit, path: null, error: `commit ${commit} records no document` }];
  const findings: OtaFinding[] = [];
  for (const path of paths) {
    if ((await documentAt(ctx, commit, path)) === null) {
      findings.push({ ...base, citedCommit: commit, path, error: `${path} does not exist at ${commit}` });
      continue;
    }
    findings.push({ ...base, citedCommit: commit, path, error: null, newerVersions: await newerVersions(ctx, commit, path) });
  }
  return findings;
}

/**
 * For every source that cites a version in this clone's Open Terms Archive repository, lists the
 * newer versions of the same document and whether their AI-related paragraphs differ.
 */
export async function scanOtaClone(documents: readonly PlatformDocument[], dir: string, options: OtaOptions = {}): Promise<OtaScan> {
  if ((await gitOrNull(dir, ['rev-parse', '--git-dir'])) === null) throw new Error(`${dir} is not a git repository`);
  const repo = options.repoName ?? (await cloneRepoName(dir));
  if (!repo) throw new Error(`cannot tell which repository ${dir} is (no origin remote); name it with --repo-name`);
  const ctx: Context = {
    dir,
    ref: options.ref ?? 'HEAD',
    pattern: keywordPattern(options.keywords),
    checkedAt: (options.now?.() ?? new Date()).toISOString(),
  };
  const findings: OtaFinding[] = [];
  const otherRepos: { url: string; repo: string }[] = [];
  for (const url of citedUrls(documents)) {
    const ref = parseOtaUrl(url);
    if (!ref) continue;
    if (ref.repo.toLowerCase() !== repo.toLowerCase()) {
      otherRepos.push({ url, repo: ref.repo });
      continue;
    }
    findings.push(...(await findingsFor(ctx, url, ref)));
  }
  return { repo, findings, otherRepos };
}
