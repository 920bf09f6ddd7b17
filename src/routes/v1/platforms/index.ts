import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { contentLanguage, preferredLanguages } from '../../../domain/languages.js';
import { PlatformRecord } from '../../../schemas/platform.js';
import { DiffQuery, HistoryQuery, OptOutQuery, PlatformListQuery, PlatformQuery, SlugParams } from '../../../schemas/queries.js';
import { HistoryList, OptOutAnswer, PlatformDiff, PlatformList } from '../../../schemas/responses.js';
import { platformEtag } from '../../../services/platform-service.js';
import { cacheKey, headOf, isPinned, NOT_MODIFIED, ok, problems, READ_ERRORS } from '../common.js';

const tags = ['Platforms'];

export const platformRoutes: FastifyPluginAsyncZod = async (app) => {
  const { platforms, history } = app.services;

  app.get(
    '/',
    {
      config: { byUrl: true },
      schema: {
        operationId: 'listPlatforms',
        summary: 'List platforms',
        description:
          'Platforms in slug order, filtered. `region` and `at` set the context in which each item’s `trainingByDefault` and the `defaultState` filter are resolved.',
        tags,
        security: [],
        querystring: PlatformListQuery,
        response: { 200: ok(PlatformList), 304: NOT_MODIFIED, ...problems(...READ_ERRORS) },
      },
    },
    async (request, reply) => {
      const head = await headOf(app.services, request);
      return reply.sendCachedJson(cacheKey(request, head), isPinned(request.query) && request.query.at !== undefined, () =>
        platforms.list(request.query, head),
      );
    },
  );

  app.get(
    '/:slug',
    {
      config: { byUrl: true },
      schema: {
        operationId: 'getPlatform',
        summary: 'Get a platform’s full record',
        description:
          'Settings, opt-out paths per device, region rules, policy events and sources. With `at`, narrowed to what applied that day; with `version`, exactly as recorded then.',
        tags,
        security: [],
        params: SlugParams,
        querystring: PlatformQuery,
        response: { 200: ok(PlatformRecord), 304: NOT_MODIFIED, ...problems(...READ_ERRORS) },
      },
    },
    async (request, reply) => {
      const head = await headOf(app.services, request);
      return reply.sendCachedJson(
        cacheKey(request, head),
        isPinned(request.query),
        () => platforms.get(request.params.slug, request.query, head),
        { etag: (record) => platformEtag(record.slug, record.revision.version, record.at) },
      );
    },
  );

  app.get(
    '/:slug/opt-out',
    {
      schema: {
        operationId: 'resolveOptOut',
        summary: 'Is my data used for training, and how do I opt out?',
        description:
          'Resolves, for one person’s region, device and day, whether the platform uses their data for AI training by default (`trainingByDefault`), which settings apply, the steps for their device, the rule that decided it, and the sources. A rule naming the country beats a rule matching it through a group.',
        tags,
        security: [],
        params: SlugParams,
        querystring: OptOutQuery,
        response: { 200: ok(OptOutAnswer), 304: NOT_MODIFIED, ...problems(...READ_ERRORS) },
      },
    },
    async (request, reply) => {
      const head = await headOf(app.services, request);
      // The answer depends on Accept-Language (unless `lang` is given): its ranges are part of the key.
      const languages = preferredLanguages(request.headers['accept-language'], request.query.lang);
      reply.header('vary', 'Accept-Language');
      return reply.sendCachedJson(
        `${cacheKey(request, head)}|l${languages.join(',')}`,
        isPinned(request.query) && request.query.at !== undefined,
        () => platforms.optOut(request.params.slug, { ...request.query, languages }, head),
        { headers: (answer) => ({ 'content-language': contentLanguage(answer.lang) }) },
      );
    },
  );

  app.get(
    '/:slug/history',
    {
      config: { byUrl: true },
      schema: {
        operationId: 'getPlatformHistory',
        summary: 'Change sets that touched a platform',
        description: 'Newest first, each with who, when, why and the RFC 6902 patch of the platform’s document.',
        tags,
        security: [],
        params: SlugParams,
        querystring: HistoryQuery,
        response: { 200: ok(HistoryList), 304: NOT_MODIFIED, ...problems(...READ_ERRORS) },
      },
    },
    async (request, reply) => {
      const head = await headOf(app.services, request);
      return reply.sendCachedJson(cacheKey(request, head), isPinned(request.query), () =>
        history.history(request.params.slug, request.query, head),
      );
    },
  );

  app.get(
    '/:slug/diff',
    {
      config: { byUrl: true },
      schema: {
        operationId: 'diffPlatform',
        summary: 'Diff a platform between two registry versions',
        description:
          'The RFC 6902 JSON Patch that turns the platform’s document at `from` into its document at `to` (empty when it did not change). ' +
          'Both versions must exist; the answer never changes, so it is cached as immutable.',
        tags,
        security: [],
        params: SlugParams,
        querystring: DiffQuery,
        response: { 200: ok(PlatformDiff), 304: NOT_MODIFIED, ...problems(...READ_ERRORS) },
      },
    },
    async (request, reply) => {
      const head = await headOf(app.services, request);
      return reply.sendCachedJson(cacheKey(request, head), true, () =>
        history.diff(request.params.slug, request.query.from, request.query.to, head),
      );
    },
  );
};
