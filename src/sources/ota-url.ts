/** An Open Terms Archive record as a source cites it. */
export interface OtaReference {
  repo: string;
  commit: string;
  /** "<Service>/<Document>.md"; null for `/commit/<sha>` links, which name only the commit. */
  path: string | null;
}

const SHA = /^[0-9a-f]{7,40}$/i;

function decodePath(segments: string[]): string | null {
  try {
    const path = segments.map((s) => decodeURIComponent(s)).join('/');
    return path.endsWith('.md') ? path : null;
  } catch {
    return null;
  }
}

/**
 * Recognises the three ways a version is linked:
 *   https://github.com/OpenTermsArchive/<repo>/blob/<commit>/<Service>/<Document>.md
 *   https://github.com/OpenTermsArchive/<repo>/commit/<commit>
 *   https://raw.githubusercontent.com/OpenTermsArchive/<repo>/<commit>/<Service>/<Document>.md
 * and returns null for anything else (including branch names in place of a commit, which do not
 * pin a version).
 */
export function parseOtaUrl(url: string): OtaReference | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const parts = parsed.pathname.split('/').filter((p) => p !== '');
  if (parts[0]?.toLowerCase() !== 'opentermsarchive') return null;
  const host = parsed.hostname.toLowerCase();
  const repo = parts[1];
  if (!repo) return null;
  if (host === 'github.com' || host === 'www.github.com') {
    const [, , kind, commit, ...rest] = parts;
    if (!commit || !SHA.test(commit)) return null;
    if (kind === 'commit' && rest.length === 0) return { repo, commit, path: null };
    if (kind === 'blob' || kind === 'raw') {
      const path = decodePath(rest);
      return path ? { repo, commit, path } : null;
    }
    return null;
  }
  if (host === 'raw.githubusercontent.com') {
    const [, , commit, ...rest] = parts;
    if (!commit || !SHA.test(commit)) return null;
    const path = decodePath(rest);
    return path ? { repo, commit, path } : null;
  }
  return null;
}

/** The repository name in a remote URL: "git@github.com:OpenTermsArchive/x-versions.git" → "x-versions". */
export function repoNameFromRemote(remote: string): string | null {
  const name = remote
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split(/[/:]/)
    .at(-1);
  return name ? name : null;
}
