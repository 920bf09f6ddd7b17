/**
 * Words that mark a paragraph of a terms document as being about AI. Matched case-insensitively
 * and only as whole words (a letter or digit on either side breaks the match), so "said",
 * "maintain" and "modelling" do not count.
 */
export const AI_KEYWORDS: readonly string[] = [
  'artificial intelligence',
  'ai',
  'a\\.i\\.',
  'genai',
  'generative',
  'machine[-\\s]learning',
  'deep[-\\s]learning',
  'neural networks?',
  'train',
  'trains',
  'trained',
  'training',
  'models?',
  'llms?',
  'large language models?',
  'foundation models?',
  'grok',
  'meta ai',
  'gemini',
  'copilot',
  'chatgpt',
];

export function keywordPattern(keywords: readonly string[] = AI_KEYWORDS): RegExp {
  // \b is ASCII-only; these lookarounds keep "entraînement"-style neighbours from splitting words.
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${keywords.join('|')})(?![\\p{L}\\p{N}])`, 'iu');
}

/** The paragraphs (blank-line separated blocks) that mention AI, whitespace-normalised so re-wrapping is not a change. */
export function aiParagraphs(markdown: string, pattern: RegExp = keywordPattern()): string[] {
  return markdown
    .split(/\r?\n[ \t]*\r?\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '' && pattern.test(p));
}

export interface ParagraphDiff {
  changed: boolean;
  added: number;
  removed: number;
}

export function compareParagraphs(before: readonly string[], after: readonly string[]): ParagraphDiff {
  const had = new Set(before);
  const has = new Set(after);
  const added = after.filter((p) => !had.has(p)).length;
  const removed = before.filter((p) => !has.has(p)).length;
  // Reordering counts too: the same sentences in another order can bind differently.
  const changed = before.length !== after.length || before.some((p, i) => p !== after[i]);
  return { changed, added, removed };
}
