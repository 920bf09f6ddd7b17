import { z } from 'zod';
import { IsoDate, Slug } from '../schemas/common.js';

/**
 * Schemas of what the source watchers record and report. Only `ReviewItem` carries an OpenAPI id:
 * it is the one meant to be served (`GET /v1/admin/review`); the others are stored, not served, and
 * ids in zod's global registry must stay unique.
 */

export const CheckOutcomes = ['ok', 'dead', 'moved', 'changed', 'robots_disallowed'] as const;
export const CheckOutcome = z
  .enum(CheckOutcomes)
  .describe(
    '`dead`: 4xx/5xx or a network error. `moved`: redirected to another URL. `changed`: the normalised text differs from the ' +
      'previous check. `robots_disallowed`: robots.txt forbids us, so the page was not fetched. `ok`: none of these.',
  );
export type CheckOutcome = z.infer<typeof CheckOutcome>;

export const NetworkErrorKinds = ['timeout', 'dns', 'refused', 'tls', 'reset', 'redirect_loop', 'too_many_redirects', 'other'] as const;
export const NetworkErrorKind = z.enum(NetworkErrorKinds);
export type NetworkErrorKind = z.infer<typeof NetworkErrorKind>;

export const RedirectHop = z.strictObject({
  url: z.string(),
  status: z.int(),
  location: z.string().nullable(),
});
export type RedirectHop = z.infer<typeof RedirectHop>;

const Timestamp = z.string().describe('RFC 3339, UTC.');

export const SourceCheckResult = z.strictObject({
  url: z.string().describe('The cited URL, exactly as the platform documents spell it.'),
  checkedAt: Timestamp,
  outcome: CheckOutcome,
  httpStatus: z.int().nullable().describe('Status of the last response; null when none came (network error, robots).'),
  error: z.strictObject({ kind: NetworkErrorKind, message: z.string() }).nullable(),
  finalUrl: z.string().nullable().describe('Where the redirects ended; null when nothing was fetched.'),
  redirected: z.boolean(),
  hops: z.array(RedirectHop).describe('Each redirect response, in order.'),
  contentHash: z.string().nullable().describe('sha256 of the normalised text of this check; null when no page came back.'),
  lastContentHash: z
    .string()
    .nullable()
    .describe('The newest hash ever seen for this URL, carried over dead spells so a page that comes back unchanged is not "changed".'),
  firstSeenAt: Timestamp.describe('The first check of this URL.'),
  changedAt: Timestamp.nullable().describe('The check at which the hash last changed; null while it never has.'),
});
export type SourceCheckResult = z.infer<typeof SourceCheckResult>;

export const OtaVersion = z.strictObject({
  commit: z.string(),
  date: Timestamp.describe('Commit date of the version (when Open Terms Archive recorded it).'),
  subject: z.string(),
  documentRemoved: z.boolean().describe('The commit deleted the document.'),
  aiChanged: z.boolean().describe('Its AI-related paragraphs differ from those of the cited version.'),
  aiChangedFromPrevious: z.boolean().describe('Its AI-related paragraphs differ from those of the version before it.'),
  aiParagraphsAdded: z.int().describe('AI-related paragraphs in this version that the cited version lacks.'),
  aiParagraphsRemoved: z.int().describe('AI-related paragraphs of the cited version that this version lacks.'),
});
export type OtaVersion = z.infer<typeof OtaVersion>;

export const OtaFinding = z.strictObject({
  sourceUrl: z.string(),
  repo: z.string().describe('The Open Terms Archive versions repository, e.g. "genai-eu-versions".'),
  citedCommit: z.string(),
  path: z.string().nullable().describe('The document in the repository ("<Service>/<Document>.md"); null when it could not be found.'),
  checkedAt: Timestamp,
  error: z.string().nullable().describe('Why the versions could not be listed (e.g. the cited commit is not in the clone).'),
  newerVersions: z.array(OtaVersion).describe('Versions of the same document after the cited one, oldest first.'),
});
export type OtaFinding = z.infer<typeof OtaFinding>;

export const ReviewReasons = ['dead_source', 'moved_source', 'changed_source', 'newer_terms_version', 'stale_verification'] as const;
export const ReviewReason = z
  .enum(ReviewReasons)
  .describe(
    'Most urgent first. `dead_source`: a cited page is gone. `moved_source`: it redirects elsewhere. `changed_source`: its text ' +
      'changed after the record was last verified. `newer_terms_version`: Open Terms Archive holds a newer version of a cited ' +
      'document. `stale_verification`: nobody has verified the record for longer than the limit.',
  );
export type ReviewReason = z.infer<typeof ReviewReason>;

export const ReviewSource = z.strictObject({
  id: Slug,
  url: z.string(),
  detail: z.string().describe('What was seen, e.g. "HTTP 404", "→ https://…", "3 newer versions, AI paragraphs changed".'),
});
export type ReviewSource = z.infer<typeof ReviewSource>;

export const ReviewItem = z
  .strictObject({
    slug: Slug,
    name: z.string(),
    lastVerified: IsoDate,
    urgency: ReviewReason.describe('The most urgent of `reasons`; the list is sorted by it.'),
    reasons: z
      .array(
        z.strictObject({
          reason: ReviewReason,
          sources: z.array(ReviewSource).describe('The sources concerned; empty for `stale_verification`.'),
        }),
      )
      .min(1)
      .describe('Every reason the record needs a look, most urgent first.'),
  })
  .meta({
    id: 'ReviewItem',
    description: 'A platform record an editor should look at, with why and which of its sources are concerned.',
  });
export type ReviewItem = z.infer<typeof ReviewItem>;
