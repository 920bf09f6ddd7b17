import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { xmlUnsafeCharacter } from '../../../domain/xml-text.js';
import { badRequest } from '../../../errors.js';
import { AuditList, EventWriteRequest, PlatformWriteResult, RevertRequest, WriteHeaders, WriteResult } from '../../../schemas/admin.js';
import type { Operation } from '../../../schemas/changes.js';
import { ChangeSetRequest, MergePatch } from '../../../schemas/changes.js';
import { PlatformInput } from '../../../schemas/platform.js';
import { ChangeParams, CursorParam, LimitParam, SlugParams } from '../../../schemas/queries.js';
import { inBody } from '../../../services/change-set-plan.js';
import { changeMessage, type Preconditions, parseIfMatch, type WriteContext, type WriteOutcome } from '../../../services/write-service.js';
import { NOT_MODIFIED, ok, problems } from '../common.js';
import { auditPlugin } from './audit.js';
import { reviewRoutes } from './review.js';
import { webhookRoutes } from './webhooks.js';

const tags = ['Admin'];
const security = [{ apiKey: [] }];
const WRITE_ERRORS = [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 503] as const;

function context(request: FastifyRequest, body: unknown): WriteContext {
  const headers = request.headers;
  const principal = request.principal!;
  return {
    author: { keyId: principal.keyId, name: principal.name },
    requestId: request.id,
    request: { method: request.method, route: request.routeOptions.url ?? request.url, ip: request.ip ?? null },
    idempotencyKey: headers['idempotency-key'] as string | undefined,
    fingerprint: JSON.stringify([
      request.method,
      request.url,
      headers['if-match'] ?? null,
      headers['if-none-match'] ?? null,
      headers['x-change-message'] ?? null,
      body ?? null,
    ]),
  };
}

/**
 * The X-Change-Message header, decoded; refused when it holds characters XML cannot carry, since every
 * message is republished in the Atom feeds (and one such character would make them unparseable).
 */
function headerMessage(request: FastifyRequest): string {
  const message = changeMessage(request.headers['x-change-message'] as string | undefined);
  const unsafe = xmlUnsafeCharacter(message);
  if (unsafe) {
    throw badRequest(
      'The change message contains a control character that XML (and so the Atom feeds) cannot carry. Remove it and retry.',
      [{ field: 'header.x-change-message', message: `must not contain control characters (found ${unsafe})` }],
    );
  }
  return message;
}

function send(request: FastifyRequest, reply: FastifyReply, out: WriteOutcome) {
  request.writtenVersion = out.version;
  request.auditedInTransaction = out.version !== null;
  if (out.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(out.status).headers(out.headers).send(out.body);
}

export const adminRoutes: FastifyPluginAsyncZod = async (app) => {
  const { writes } = app.services;
  const editor = app.requireRole('editor');
  await app.register(auditPlugin);
  await app.register(reviewRoutes);

  // Bodies are JSON; PATCH bodies are JSON Merge Patch documents (RFC 7396). Anything else is a 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  // Endpoints for webhooks: inside this plugin, so the same auth and audit apply.
  await app.register(webhookRoutes, { prefix: '/webhooks' });

  /** A single-platform write: preconditions checked and the operation recorded in one transaction; answers with the platform after it. */
  const platformWrite = async (request: FastifyRequest, reply: FastifyReply, slug: string, message: string, operation: Operation) => {
    const preconditions: Preconditions = {
      ifMatch: parseIfMatch(request.headers['if-match'] as string | undefined),
      ifNoneMatchAny: (request.headers['if-none-match'] as string | undefined)?.trim() === '*',
    };
    const ctx = context(request, request.body);
    return send(request, reply, await writes.writePlatform(ctx, slug, message, preconditions, operation, inBody));
  };

  app.post(
    '/changes',
    {
      onRequest: editor,
      schema: {
        operationId: 'recordChangeSet',
        summary: 'Record an atomic change set',
        description:
          'Applies every operation (put, patch, retire, addEvent) as one change set, one new registry version, in one transaction: all apply or none do. ' +
          'Each operation may carry `ifVersion` (412 if the platform moved on). The message is in the body.',
        tags,
        security,
        headers: WriteHeaders.omit({ 'x-change-message': true, 'if-match': true }),
        body: ChangeSetRequest,
        response: { 200: ok(WriteResult), 201: ok(WriteResult), ...problems(...WRITE_ERRORS) },
      },
    },
    async (request, reply) => {
      const ctx = context(request, request.body);
      return send(request, reply, await writes.recordChangeSet(ctx, request.body.message, request.body.operations));
    },
  );

  app.put(
    '/platforms/:slug',
    {
      onRequest: editor,
      schema: {
        operationId: 'putPlatform',
        summary: 'Create or replace a platform',
        description:
          'The body is the platform record exactly as GET /v1/platforms/{slug} returns it (server-managed `revision` and `at` are ignored), so GET → edit → PUT round-trips. ' +
          'Give the reason in the X-Change-Message header; send If-Match with the ETag you read to avoid overwriting someone else’s change.',
        tags,
        security,
        params: SlugParams,
        headers: WriteHeaders.extend({
          'if-none-match': z
            .literal('*', { error: 'must be `*` (create only), or left out' })
            .optional()
            .describe('`*`: create the platform only if it does not exist yet; 412 if it does.'),
        }),
        body: PlatformInput,
        response: { 200: ok(PlatformWriteResult), 201: ok(PlatformWriteResult), ...problems(...WRITE_ERRORS) },
      },
    },
    async (request, reply) =>
      platformWrite(request, reply, request.params.slug, headerMessage(request), {
        op: 'put',
        slug: request.params.slug,
        platform: request.body,
      }),
  );

  app.patch(
    '/platforms/:slug',
    {
      onRequest: editor,
      schema: {
        operationId: 'patchPlatform',
        summary: 'Change part of a platform (JSON Merge Patch)',
        description:
          'Send an RFC 7396 JSON Merge Patch as `application/merge-patch+json` (its registered media type) or as `application/json` ' +
          '(the same document, for clients that cannot set another type); arrays are replaced whole and `null` removes a member. ' +
          'The result is validated like a PUT. Give the reason in the X-Change-Message header.',
        tags,
        security,
        params: SlugParams,
        headers: WriteHeaders,
        consumes: ['application/merge-patch+json', 'application/json'],
        body: MergePatch,
        response: { 200: ok(PlatformWriteResult), 201: ok(PlatformWriteResult), ...problems(...WRITE_ERRORS) },
      },
    },
    async (request, reply) =>
      platformWrite(request, reply, request.params.slug, headerMessage(request), {
        op: 'patch',
        slug: request.params.slug,
        patch: request.body,
      }),
  );

  app.delete(
    '/platforms/:slug',
    {
      onRequest: editor,
      schema: {
        operationId: 'retirePlatform',
        summary: 'Retire a platform',
        description:
          'Marks it retired: it stays in history and in every earlier version; its slug is never reused. Give the reason in X-Change-Message.',
        tags,
        security,
        params: SlugParams,
        headers: WriteHeaders,
        response: { 201: ok(PlatformWriteResult), ...problems(...WRITE_ERRORS) },
      },
    },
    async (request, reply) =>
      platformWrite(request, reply, request.params.slug, headerMessage(request), {
        op: 'retire',
        slug: request.params.slug,
      }),
  );

  app.post(
    '/platforms/:slug/events',
    {
      onRequest: editor,
      schema: {
        operationId: 'recordPolicyEvent',
        summary: 'Record a policy event with the changes it brings',
        description:
          'Adds the event and applies `patch` (JSON Merge Patch) to the platform in the same change set. The message is in the body.',
        tags,
        security,
        params: SlugParams,
        headers: WriteHeaders.omit({ 'x-change-message': true }),
        body: EventWriteRequest,
        response: { 201: ok(PlatformWriteResult), ...problems(...WRITE_ERRORS) },
      },
    },
    async (request, reply) =>
      platformWrite(request, reply, request.params.slug, request.body.message, {
        op: 'addEvent',
        slug: request.params.slug,
        event: request.body.event,
        patch: request.body.patch,
      }),
  );

  app.post(
    '/changes/:version/revert',
    {
      onRequest: editor,
      schema: {
        operationId: 'revertChangeSet',
        summary: 'Revert a change set',
        description:
          'Records a new version that puts every platform the change set touched back as it was before it (a platform it created is retired). ' +
          '409 when a later change set touched the same platforms: revert that first.',
        tags,
        security,
        params: ChangeParams,
        headers: WriteHeaders.omit({ 'x-change-message': true, 'if-match': true }),
        body: RevertRequest,
        response: { 201: ok(WriteResult), ...problems(...WRITE_ERRORS) },
      },
    },
    async (request, reply) => {
      const ctx = context(request, request.body);
      return send(request, reply, await writes.revert(ctx, request.params.version, request.body.message));
    },
  );

  app.get(
    '/audit',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        operationId: 'listAudit',
        summary: 'The admin audit log',
        description:
          'Every admin request, accepted or refused, newest first: time, key name, route, status, outcome, resulting version, request id. Keys never appear.',
        tags,
        security,
        querystring: z.strictObject({ limit: LimitParam, cursor: CursorParam }),
        response: { 200: ok(AuditList), 304: NOT_MODIFIED, ...problems(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const scope = { endpoint: 'GET /v1/admin/audit', filters: {} };
      const cursor = app.services.cursors.decode(request.query.cursor, scope, z.int().min(1));
      await app.flushAudit();
      const rows = await app.store.auditPage(cursor?.k ?? Number.MAX_SAFE_INTEGER, request.query.limit + 1);
      const data = rows.slice(0, request.query.limit) as z.infer<typeof AuditList>['data'];
      const last = data[data.length - 1];
      return reply.header('cache-control', 'no-store').send({
        data,
        nextCursor: rows.length > request.query.limit && last ? app.services.cursors.encode(scope, { v: 0, k: last.id }) : null,
        asOf: { version: await app.services.reader.currentVersion(), at: null },
      });
    },
  );
};
