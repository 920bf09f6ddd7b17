import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { SlugParams } from '../../schemas/queries.js';
import type { ChangeSummary } from '../../services/history-service.js';
import { renderAtom } from './atom.js';
import { cacheKey, headOf, NOT_MODIFIED, problems } from './common.js';

const ATOM = 'application/atom+xml; charset=utf-8';
const FEED_SIZE = 50;

/** Links come from PUBLIC_URL, never from the request's Host: the feed is the same for every client. */
async function sendAtom(
  request: FastifyRequest,
  reply: FastifyReply,
  title: string,
  path: string,
  head: number,
  entries: () => Promise<ChangeSummary[]>,
) {
  const base = request.server.config.PUBLIC_URL;
  return reply.sendCached(`atom|${cacheKey(request, head)}`, false, ATOM, async () =>
    renderAtom({ self: `${base}${path}`, alternate: `${base}/v1/changes`, title, base, entries: await entries() }),
  );
}

/**
 * Generated fetch clients pick a body parser from the media type, and read `application/atom+xml` as a
 * Blob although the type they generate is `string`; the operations say how to get the text.
 */
const ATOM_CLIENTS =
  "The body is XML text: generated fetch clients should read it as text (openapi-fetch and @hey-api/client-fetch: `parseAs: 'text'`).";

const AtomResponse = {
  description: 'An Atom 1.0 feed (XML text).',
  content: {
    'application/atom+xml': {
      schema: z.string().max(10_000_000).meta({ contentMediaType: 'application/atom+xml' }),
    },
  },
};

export const feedRoutes: FastifyPluginAsyncZod = async (app) => {
  const { history, platforms } = app.services;

  app.get(
    '/changes.atom',
    {
      schema: {
        operationId: 'getChangesAtom',
        summary: 'Atom feed of change sets',
        description: `The latest ${FEED_SIZE} change sets, one entry per registry version. ${ATOM_CLIENTS}`,
        tags: ['Changes'],
        security: [],
        response: { 200: AtomResponse, 304: NOT_MODIFIED, ...problems(429, 503) },
      },
    },
    async (request, reply) => {
      const head = await headOf(app.services, request);
      return sendAtom(request, reply, 'AI-training opt-out registry: changes', '/v1/changes.atom', head, () =>
        history.summaries({ limit: FEED_SIZE }, head),
      );
    },
  );

  app.get(
    '/platforms/:slug/changes.atom',
    {
      schema: {
        operationId: 'getPlatformChangesAtom',
        summary: 'Atom feed of one platform’s change sets',
        description: `The latest ${FEED_SIZE} change sets that touched this platform, one entry per registry version. ${ATOM_CLIENTS}`,
        tags: ['Changes'],
        security: [],
        params: SlugParams,
        response: { 200: AtomResponse, 304: NOT_MODIFIED, ...problems(400, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const { slug } = request.params;
      const head = await headOf(app.services, request);
      // 404 before rendering, so an unknown slug is never cached.
      if ((await platforms.revisionVersion(slug, head)) === undefined) throw notFound(`There is no platform "${slug}".`);
      return sendAtom(request, reply, `AI-training opt-out registry: ${slug}`, `/v1/platforms/${slug}/changes.atom`, head, () =>
        history.summaries({ limit: FEED_SIZE, slug }, head),
      );
    },
  );
};
