import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Feed } from 'feed';
import { z } from 'zod';
import type { ChangeEntry } from '../../schemas/changes.js';
import { SlugParams } from '../../schemas/queries.js';
import { cacheKey, problems } from './common.js';

const ATOM = 'application/atom+xml; charset=utf-8';
const FEED_SIZE = 50;

function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** An Atom 1.0 document with one entry per change set, newest first. */
function atom(request: FastifyRequest, title: string, selfPath: string, entries: ChangeEntry[]): string {
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
      description: `Platforms changed: ${entry.platforms.join(', ') || 'none'}. ${entry.patch.length} JSON Patch operation(s); the change set with its patch is at ${url}.`,
    });
  }
  return feed.atom1();
}

/** Feeds carry absolute links, so the cache key includes the origin the client used. */
function sendAtom(request: FastifyRequest, reply: FastifyReply, render: () => string) {
  return reply.sendCached(`atom|${origin(request)}|${cacheKey(request, request.server.registry)}`, false, ATOM, render);
}

const AtomResponse = { description: 'An Atom 1.0 feed.', content: { 'application/atom+xml': { schema: z.string() } } };

export const feedRoutes: FastifyPluginAsyncZod = async (app) => {
  const { registry } = app;

  app.get(
    '/changes.atom',
    {
      schema: {
        operationId: 'getChangesAtom',
        summary: 'Atom feed of change sets',
        description: `The latest ${FEED_SIZE} change sets, one entry per registry version.`,
        tags: ['Changes'],
        response: { 200: AtomResponse, ...problems(429, 503) },
      },
    },
    async (request, reply) =>
      sendAtom(request, reply, () => {
        const after = Math.max(0, registry.store.currentVersion() - FEED_SIZE);
        const entries = registry.changes({ after, limit: FEED_SIZE }).data.reverse();
        return atom(request, 'AI-training opt-out registry: changes', '/v1/changes.atom', entries);
      }),
  );

  app.get(
    '/platforms/:slug/changes.atom',
    {
      schema: {
        operationId: 'getPlatformChangesAtom',
        summary: 'Atom feed of one platform’s change sets',
        tags: ['Changes'],
        params: SlugParams,
        response: { 200: AtomResponse, ...problems(400, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const { slug } = request.params;
      // Resolve (and 404) before rendering, so an unknown slug is never cached.
      const history = registry.history(slug, { limit: FEED_SIZE });
      return sendAtom(request, reply, () =>
        atom(
          request,
          `AI-training opt-out registry: ${slug}`,
          `/v1/platforms/${slug}/changes.atom`,
          history.data.map((h) => registry.change(h.version)),
        ),
      );
    },
  );
};
