/** What a source is; `schemas/common.ts` describes each kind for the API. */
export const SOURCE_KINDS = ['platform', 'regulator', 'court', 'terms_archive', 'press', 'other'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Kinds whose word is the platform's own, or an authority's: a fact citing one has primary evidence. */
export const PRIMARY_SOURCE_KINDS: readonly SourceKind[] = ['platform', 'regulator', 'court', 'terms_archive'];

/** Hosts of authorities the registry cites (data-protection and consumer regulators, parliaments). */
const REGULATOR_HOSTS =
  /(^|\.)(dataprotection\.ie|ico\.org\.uk|pcpd\.org\.hk|priv\.gc\.ca|gov\.br|edpb\.europa\.eu|ec\.europa\.eu|garanteprivacy\.it|cnil\.fr|ftc\.gov|aph\.gov\.au|oaic\.gov\.au|pipc\.go\.kr)$/;

const registrable = (host: string) =>
  host
    .replace(/^www\./, '')
    .split('.')
    .slice(-2)
    .join('.');

/**
 * A best guess at what a source is from its address, for records written before sources said so:
 * an Open Terms Archive record is a terms archive, a known authority a regulator, a page on the
 * platform's own domain the platform's, anything else press. Editors correct it where it is wrong.
 */
export function guessSourceKind(url: string, platformHomepage: string): SourceKind {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return 'other';
  }
  if (/(^|\.)github(usercontent)?\.com$/.test(host) && /\/OpenTermsArchive\//i.test(url)) return 'terms_archive';
  if (REGULATOR_HOSTS.test(host)) return 'regulator';
  try {
    if (registrable(host) === registrable(new URL(platformHomepage).hostname.toLowerCase())) return 'platform';
  } catch {
    // no usable homepage: fall through
  }
  return 'press';
}
