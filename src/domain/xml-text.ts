/**
 * Characters XML 1.0 cannot carry, not even escaped (§2.2 Char): C0 controls other than tab, line feed
 * and carriage return, lone surrogates, U+FFFE and U+FFFF. Text the registry republishes as XML (the
 * Atom feeds) must not contain them, or every feed that includes it stops parsing.
 */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NOT_XML_GLOBAL = new RegExp(NOT_XML.source, 'gu');

/** The first character XML cannot carry, described for an error message (e.g. `U+001B at position 3`); undefined when none. */
export function xmlUnsafeCharacter(text: string): string | undefined {
  const match = NOT_XML.exec(text);
  if (!match) return undefined;
  const code = match[0].codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${match.index}`;
}

/** Replaces what XML cannot carry with U+FFFD, for text stored before it was refused at write time. */
export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_GLOBAL, '\uFFFD');
}

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return xmlSafe(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Every string in a validated document (its member names are fixed by the schema) that XML cannot carry, with its path. */
export function xmlUnsafeStrings(value: unknown, path: string[] = []): { path: string[]; problem: string }[] {
  if (typeof value === 'string') {
    const problem = xmlUnsafeCharacter(value);
    return problem ? [{ path, problem }] : [];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => xmlUnsafeStrings(child, [...path, key]));
}
