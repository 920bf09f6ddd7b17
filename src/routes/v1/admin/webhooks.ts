import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  DeliveryListQuery,
  DeliveryParams,
  Queued,
  ReplayRequest,
  WebhookCreate,
  WebhookCreated,
  WebhookDeliveryList,
  WebhookList,
  WebhookListQuery,
  WebhookParams,
  WebhookSecretRotated,
  WebhookSubscription,
  WebhookUpdate,
} from '../../../schemas/webhooks.js';
import { NOT_MODIFIED, ok, problems } from '../common.js';

const tags = ['Webhooks'];
const security = [{ apiKey: [] }];

/** Error responses, with what they mean for webhook endpoints. */
function errors(...statuses: number[]) {
  const out = problems(...statuses);
  if (out[404]) out[404] = { ...out[404], description: 'No webhook endpoint (or delivery) with that id.' };
  if (out[409]) out[409] = { ...out[409], description: 'The endpoint is disabled: resume it instead.' };
  if (out[422]) {
    out[422] = {
      ...out[422],
      description:
        'The target URL is refused (not https, or it resolves to a loopback, private, link-local or metadata address), or the range is too long; `errors` says which.',
    };
  }
  return out;
}
const READ = [400, 401, 403, 404, 429, 503];
const WRITE = [400, 401, 403, 404, 415, 422, 429, 503];

/** Nothing about webhooks may be cached on the way: responses can carry a signing secret. */
const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

/** Webhook endpoints (admin role), under /v1/admin/webhooks; registered by the admin routes, so auth and audit apply. */
export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const admin = app.requireRole('admin');
  const { webhooks } = app.services;
  const asOf = async () => ({ version: await app.services.reader.currentVersion(), at: null });

  app.post(
    '/',
    {
      onRequest: admin,
      schema: {
        operationId: 'createWebhook',
        summary: 'Create a webhook endpoint',
        description:
          'Registers a URL that receives every change set matching `filters` (POST, JSON, signed per Standard Webhooks; see the `webhooks` section). ' +
          'The URL must be https and resolve to public addresses only. The answer carries the signing secret: it is shown only this once.',
        tags,
        security,
        body: WebhookCreate,
        response: { 201: ok(WebhookCreated), ...errors(...WRITE.filter((s) => s !== 404)) },
      },
    },
    async (request, reply) => {
      const created = await webhooks.create(request.body);
      return noStore(reply).code(201).header('location', `/v1/admin/webhooks/${created.subscription.id}`).send(created);
    },
  );

  app.get(
    '/',
    {
      onRequest: admin,
      schema: {
        operationId: 'listWebhooks',
        summary: 'List webhook endpoints',
        description: 'Every endpoint, oldest first, with its filters and status (never its secret).',
        tags,
        security,
        querystring: WebhookListQuery,
        response: { 200: ok(WebhookList), 304: NOT_MODIFIED, ...errors(400, 401, 403, 429, 503) },
      },
    },
    async (request, reply) => {
      const scope = { endpoint: 'GET /v1/admin/webhooks', filters: {} };
      const cursor = app.services.cursors.decode(request.query.cursor, scope, z.int().min(0));
      const rows = await webhooks.list(cursor?.k ?? 0, request.query.limit + 1);
      const data = rows.slice(0, request.query.limit);
      const last = data.at(-1);
      const nextCursor = rows.length > request.query.limit && last ? app.services.cursors.encode(scope, { v: 0, k: last.id }) : null;
      return noStore(reply).send({ data, nextCursor, asOf: await asOf() });
    },
  );

  app.get(
    '/:id',
    {
      onRequest: admin,
      schema: {
        operationId: 'getWebhook',
        summary: 'One webhook endpoint',
        description: 'Its URL, filters, status (and why it was disabled, if it was); never its secret.',
        tags,
        security,
        params: WebhookParams,
        response: { 200: ok(WebhookSubscription), 304: NOT_MODIFIED, ...errors(...READ) },
      },
    },
    async (request, reply) => noStore(reply).send(await webhooks.get(request.params.id)),
  );

  app.patch(
    '/:id',
    {
      onRequest: admin,
      schema: {
        operationId: 'updateWebhook',
        summary: 'Change a webhook endpoint',
        description:
          'Changes its URL, description or filters (filters are replaced whole). Deliveries already queued keep going to the endpoint.',
        tags,
        security,
        params: WebhookParams,
        body: WebhookUpdate,
        response: { 200: ok(WebhookSubscription), ...errors(...WRITE) },
      },
    },
    async (request, reply) => noStore(reply).send(await webhooks.update(request.params.id, request.body)),
  );

  app.delete(
    '/:id',
    {
      onRequest: admin,
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Delete a webhook endpoint',
        description: 'Deletes it with its delivery log; nothing more is sent to it.',
        tags,
        security,
        params: WebhookParams,
        response: { 204: z.null().describe('Deleted.'), ...errors(...READ) },
      },
    },
    async (request, reply) => {
      await webhooks.delete(request.params.id);
      return noStore(reply).code(204).send();
    },
  );

  for (const [action, status] of [
    ['pause', 'paused'],
    ['resume', 'active'],
  ] as const) {
    app.post(
      `/:id/${action}`,
      {
        onRequest: admin,
        schema: {
          operationId: `${action}Webhook`,
          summary: action === 'pause' ? 'Pause a webhook endpoint' : 'Resume a webhook endpoint',
          description:
            action === 'pause'
              ? 'Holds deliveries: matching change sets are still queued, and go out in order once the endpoint is resumed.'
              : 'Sends again to a paused endpoint, or to one the server disabled after persistent failure (its queued deliveries go out in order; a failed delivery is sent again only when redelivered).',
          tags,
          security,
          params: WebhookParams,
          response: { 200: ok(WebhookSubscription), ...errors(...(action === 'pause' ? [...READ, 409] : READ)) },
        },
      },
      async (request, reply) => noStore(reply).send(await webhooks.setStatus(request.params.id, status)),
    );
  }

  app.post(
    '/:id/rotate-secret',
    {
      onRequest: admin,
      schema: {
        operationId: 'rotateWebhookSecret',
        summary: 'Rotate a webhook endpoint’s signing secret',
        description:
          'Issues a new secret, shown only in this answer. For 24 hours deliveries carry two signatures, one per secret, so the receiver can switch at its own pace.',
        tags,
        security,
        params: WebhookParams,
        response: { 200: ok(WebhookSecretRotated), ...errors(...READ) },
      },
    },
    async (request, reply) => noStore(reply).send(await webhooks.rotateSecret(request.params.id)),
  );

  app.get(
    '/:id/deliveries',
    {
      onRequest: admin,
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: 'The delivery log of a webhook endpoint',
        description:
          'One entry per change set sent (or to be sent) to the endpoint, newest version first: status, attempts, the last response’s status, latency and first 1 KB, and when the next attempt is due.',
        tags,
        security,
        params: WebhookParams,
        querystring: DeliveryListQuery,
        response: { 200: ok(WebhookDeliveryList), 304: NOT_MODIFIED, ...errors(...READ) },
      },
    },
    async (request, reply) => {
      const { status, limit } = request.query;
      const scope = { endpoint: `GET /v1/admin/webhooks/${request.params.id}/deliveries`, filters: { status } };
      const cursor = app.services.cursors.decode(request.query.cursor, scope, z.int().min(1));
      const rows = await webhooks.deliveries(request.params.id, cursor?.k ?? Number.MAX_SAFE_INTEGER, limit + 1, status);
      const data = rows.slice(0, limit);
      const last = data.at(-1);
      const nextCursor = rows.length > limit && last ? app.services.cursors.encode(scope, { v: 0, k: last.version }) : null;
      return noStore(reply).send({ data, nextCursor, asOf: await asOf() });
    },
  );

  app.post(
    '/:id/deliveries/:deliveryId/redeliver',
    {
      onRequest: admin,
      schema: {
        operationId: 'redeliverWebhook',
        summary: 'Send one delivery again',
        description: 'Queues the delivery again, due now, with the same `webhook-id`; it goes out before the endpoint’s later versions.',
        tags,
        security,
        params: DeliveryParams,
        response: { 202: ok(Queued), ...errors(...READ) },
      },
    },
    async (request, reply) =>
      noStore(reply)
        .code(202)
        .send({ queued: await webhooks.redeliver(request.params.id, request.params.deliveryId) }),
  );

  app.post(
    '/:id/replay',
    {
      onRequest: admin,
      schema: {
        operationId: 'replayWebhooks',
        summary: 'Send every change set since a version again',
        description:
          'Queues every change set after `sinceVersion` (up to `untilVersion`, at most 1000) that matches the endpoint’s filters, in version order. ' +
          'A change set delivered before keeps its `webhook-id`, so receivers can recognise it.',
        tags,
        security,
        params: WebhookParams,
        body: ReplayRequest,
        response: { 202: ok(Queued), ...errors(...WRITE) },
      },
    },
    async (request, reply) =>
      noStore(reply)
        .code(202)
        .send({ queued: await webhooks.replay(request.params.id, request.body.sinceVersion, request.body.untilVersion) }),
  );
};
