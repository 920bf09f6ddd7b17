import { createHash } from 'node:crypto';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * The words a reader sees, so that markup-only edits (classes, wrappers, inline scripts with
 * nonces, tracking snippets) do not count as a change of the page: scripts, styles and tags go,
 * entities are decoded, whitespace collapses and case folds.
 */
export function normaliseHtml(html: string): string {
  return normaliseText(
    decodeEntities(
      html
        .replace(/<!--[\s\S]*?-->/g, ' ')
        .replace(/<(script|style|template|svg)\b[\s\S]*?<\/\1\s*>/gi, ' ')
        .replace(/<[^>]*>/g, ' '),
    ),
  );
}

export function normaliseText(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

/** Hash of what the page says: normalised text for HTML and plain text, the bytes themselves for anything else (PDFs). */
export function contentHash(body: Buffer, contentType: string | null): string {
  const type = (contentType ?? '').toLowerCase();
  const isMarkup = /html|xml/.test(type);
  const isText = isMarkup || type.startsWith('text/') || type.includes('json');
  const hash = createHash('sha256');
  if (!isText && type !== '') hash.update(body);
  else {
    const text = body.toString('utf8');
    // An unlabelled body is treated as HTML: stripping tags from plain text changes nothing.
    hash.update(isMarkup || type === '' ? normaliseHtml(text) : normaliseText(text));
  }
  return hash.digest('hex');
}
