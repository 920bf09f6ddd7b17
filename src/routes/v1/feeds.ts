import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Feed } from 'feed';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { SlugParams } from '../../schemas/queries.js';
import type { ChangeSummary } from '../../services/history-service.js';
import { cacheKey, problems } from './common.js';

const ATOM = 'application/atom+xml; charset=utf-8';
const FEED_SIZE = 50;

function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** An Atom 1.0 document with one entry per change set, newest first. */
function atom(request: FastifyRequest, title: string, selfPath: string, entries: ChangeSummary[]): string {
  const base = origin(request);
  const feed = new Feed({
    id: `${base}${selfPath}`,
    title,
    link: `${base}/v1/changes`,
    updated: new Date(entries[0]?.recordedAt ?? 0),
    generator: 'ai-optout-registry',
    feedLinks: { atom: `${base}${selfPath}` },
    copyright: 'Data: CC BY 4.0, AI-training opt-out registry contributors',
  });
  for (const entry of entries) {
    const url = `${base}/v1/changes/${entry.version}`;
    feed.addItem({
      id: url,
      link: url,
      title: `v${entry.version}: ${entry.message}`,
      date: new Date(entry.recordedAt),
      author: [{ name: entry.author }],
      description: `Platforms changed: ${entry.platforms.join(', ') || 'none'}. The change set, with its RFC 6902 patch, is at ${url}.`,
    });
  }
  return feed.atom1();
}

/** Feeds carry absolute links, so the cache key includes the origin the client used. */
async function sendAtom(request: FastifyRequest, reply: FastifyReply, render: () => Promise<string>) {
  return reply.sendCached(`atom|${origin(request)}|${await cacheKey(request, request.server.services)}`, false, ATOM, render);
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
        response: { 200: AtomResponse, ...problems(429, 503) },
      },
    },
    async (request, reply) =>
      sendAtom(request, reply, async () =>
        atom(request, 'AI-training opt-out registry: changes', '/v1/changes.atom', await history.summaries({ limit: FEED_SIZE })),
      ),
  );

  app.get(
    '/platforms/:slug/changes.atom',
    {
      schema: {
        operationId: 'getPlatformChangesAtom',
        summary: 'Atom feed of one platform’s change sets',
        description: `The latest ${FEED_SIZE} change sets that touched this platform, one entry per registry version. ${ATOM_CLIENTS}`,
        tags: ['Changes'],
        params: SlugParams,
        response: { 200: AtomResponse, ...problems(400, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const { slug } = request.params;
      // 404 before rendering, so an unknown slug is never cached.
      if ((await platforms.revisionVersion(slug)) === undefined) throw notFound(`There is no platform "${slug}".`);
      return sendAtom(request, reply, async () =>
        atom(
          request,
          `AI-training opt-out registry: ${slug}`,
          `/v1/platforms/${slug}/changes.atom`,
          await history.summaries({ limit: FEED_SIZE, slug }),
        ),
      );
    },
  );
};
