import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { todayUtc } from '../../../domain/effective.js';
import { AsOf } from '../../../schemas/platform.js';
import { citedUrls } from '../../../sources/cited.js';
import { reviewList } from '../../../sources/review.js';
import { ReviewItem } from '../../../sources/schemas.js';
import { JsonFileSourceStore } from '../../../sources/store.js';
import { NOT_MODIFIED, ok, problems } from '../common.js';

export const ReviewList = z
  .object({
    data: z.array(ReviewItem),
    nextCursor: z.string().nullable().describe('Always null: the whole list fits one page.'),
    asOf: AsOf,
  })
  .meta({ id: 'ReviewList', description: 'Platform records that need an editor’s look, most urgent first.' });

const ReviewQuery = z.strictObject({
  staleAfterDays: z
    .string()
    .max(4, 'must be a whole number of days from 1 to 9999, written in decimal digits')
    .regex(/^[1-9][0-9]{0,3}$/, 'must be a whole number of days from 1 to 9999, written in decimal digits')
    .optional()
    .transform((days) => (days === undefined ? 180 : Number(days)))
    .describe('A record last verified longer ago than this many days needs a look even when its sources look fine (default 180).'),
});

/**
 * The editor's review list: records with dead, moved or changed sources (from `npm run sources:check`),
 * newer Open Terms Archive versions of cited documents (from `npm run sources:ota`), or an old
 * `lastVerified`. The checkers write their findings to SOURCE_CHECKS_PATH; this reads them.
 */
export const reviewRoutes: FastifyPluginAsyncZod = async (app) => {
  const findings = new JsonFileSourceStore(app.config.SOURCE_CHECKS_PATH);
  app.get(
    '/review',
    {
      onRequest: app.requireRole('editor'),
      schema: {
        operationId: 'listReview',
        summary: 'Records that need a look',
        description:
          'Platforms with dead, moved or changed sources, newer archived versions of the documents they cite, or a verification older than `staleAfterDays`, most urgent first. ' +
          'Fed by `npm run sources:check` and `npm run sources:ota`; a record without findings appears only when its verification is old.',
        tags: ['Admin'],
        security: [{ apiKey: [] }],
        querystring: ReviewQuery,
        response: { 200: ok(ReviewList), 304: NOT_MODIFIED, ...problems(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const version = await app.services.reader.currentVersion();
      const documents = Object.values(await app.services.reader.documentsAt(version));
      const today = todayUtc();
      const [checks, ota] = await Promise.all([findings.previous(citedUrls(documents)), findings.otaFindings()]);
      const data = reviewList(documents, { checks: [...checks.values()], ota }, today, { staleAfterDays: request.query.staleAfterDays });
      return reply.header('cache-control', 'no-store').send({ data, nextCursor: null, asOf: { version, at: today } });
    },
  );
};
