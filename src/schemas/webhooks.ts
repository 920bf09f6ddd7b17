import { z } from 'zod';
import { ChangeEntry } from './changes.js';
import { AccountType, AccountTypes, EventKind, NonEmptyText, Slug, Version } from './common.js';
import { RegionCode } from './platform.js';
import { CursorParam, LimitParam } from './queries.js';
import { page } from './responses.js';

export const WEBHOOK_EVENT_TYPE = 'registry.change_set.recorded';

const MAX_FILTER_ITEMS = 100;

export const WebhookFilters = z
  .strictObject({
    platforms: z
      .array(Slug)
      .max(MAX_FILTER_ITEMS)
      .default([])
      .describe('Deliver only change sets that touch one of these platforms (slugs); empty: any platform.'),
    eventKinds: z
      .array(EventKind)
      .max(MAX_FILTER_ITEMS)
      .default([])
      .describe('Deliver only change sets that add or change a policy event of one of these kinds; empty: any change set.'),
    regions: z
      .array(RegionCode)
      .max(MAX_FILTER_ITEMS)
      .default([])
      .describe(
        'Deliver only change sets whose changed region rules or policy events name one of these regions (a country matches a group containing it, and the reverse); empty: any change set.',
      ),
    accountTypes: z
      .array(AccountType)
      .max(AccountTypes.length)
      .default([])
      .describe(
        'Deliver only change sets that change a fact applying to one of these account types: a setting, default period or region rule ' +
          'scoped to it, or one that applies to every kind of account (as do policy events); empty: any change set.',
      ),
  })
  .meta({ id: 'WebhookFilters', description: 'Which change sets an endpoint receives: each non-empty list must match.' });
export type WebhookFilters = z.infer<typeof WebhookFilters>;

const TargetUrl = z
  .string()
  .max(2048)
  .describe('Where deliveries are POSTed: an https URL whose host resolves to public addresses only.')
  .meta({ examples: ['https://hooks.example.org/registry'] });
const Description = NonEmptyText(500).describe('What the endpoint is for, for the people who run it.');

export const WebhookCreate = z
  .strictObject({ url: TargetUrl, description: Description, filters: WebhookFilters.optional() })
  .meta({ id: 'WebhookCreate', description: 'A new webhook endpoint.' });

export const WebhookUpdate = z
  .strictObject({ url: TargetUrl.optional(), description: Description.optional(), filters: WebhookFilters.optional() })
  .refine((v) => v.url !== undefined || v.description !== undefined || v.filters !== undefined, {
    message: 'give at least one of url, description, filters',
  })
  .meta({ id: 'WebhookUpdate', description: 'Fields of an endpoint to change; filters are replaced whole.' });

export const WebhookSubscription = z
  .object({
    id: z.int(),
    url: z.string(),
    description: z.string(),
    filters: WebhookFilters,
    status: z
      .enum(['active', 'paused', 'disabled'])
      .describe(
        '`active`: deliveries go out. `paused`: change sets are queued but held until resumed. `disabled`: the server stopped it after persistent failure (see `disabledReason`); nothing is queued until resumed.',
      ),
    disabledReason: z.string().nullable().describe('Why the server disabled it; null unless disabled.'),
    createdVersion: z.int().describe('The registry version when it was created: later change sets are delivered.'),
    previousSecretExpiresAt: z
      .string()
      .nullable()
      .describe('Until when deliveries are also signed with the secret before the last rotation; null when none.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookSubscription', description: 'A webhook endpoint. Its signing secret is shown only when created or rotated.' });
export type WebhookSubscription = z.infer<typeof WebhookSubscription>;

const Secret = z.string().describe('The signing secret (`whsec_…`), for the `standardwebhooks` Webhook class. Shown only now: store it.');

export const WebhookCreated = z
  .object({ subscription: WebhookSubscription, secret: Secret })
  .meta({ id: 'WebhookCreated', description: 'The endpoint created, and its signing secret (shown once).' });

export const WebhookSecretRotated = z
  .object({ subscription: WebhookSubscription, secret: Secret })
  .meta({ id: 'WebhookSecretRotated', description: 'The new signing secret (shown once); the old one keeps signing for 24 hours.' });

export const WebhookList = page(WebhookSubscription, 'WebhookList', 'Webhook endpoints, oldest first.');

export const WebhookDelivery = z
  .object({
    id: z.int(),
    version: z.int().describe('The change set delivered.'),
    webhookId: z.string().describe('The `webhook-id` header, the same on every attempt and redelivery.'),
    status: z.enum(['pending', 'succeeded', 'failed']).describe('`failed`: every attempt failed (the endpoint was disabled).'),
    attempts: z.int().describe('Attempts made so far.'),
    nextAttemptAt: z.string().nullable().describe('When the next attempt is due; null unless pending.'),
    lastAttemptAt: z.string().nullable(),
    responseStatus: z.int().nullable().describe('HTTP status of the last attempt; null when it got no response.'),
    responseBody: z.string().nullable().describe('The start of the last response body (at most 1 KB).'),
    latencyMs: z.int().nullable().describe('How long the last attempt took to get its response.'),
    error: z.string().nullable().describe('Why the last attempt failed, when it did.'),
    createdAt: z.string(),
  })
  .meta({ id: 'WebhookDelivery', description: 'One change set’s delivery to one endpoint, with its last attempt.' });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryList = page(WebhookDelivery, 'WebhookDeliveryList', 'Deliveries to an endpoint, newest version first.');

export const WebhookParams = z.strictObject({ id: z.coerce.number().int().min(1).max(2_147_483_647).describe('The endpoint’s id.') });
export const DeliveryParams = WebhookParams.extend({
  deliveryId: z.coerce.number().int().min(1).max(2_147_483_647).describe('The delivery’s id.'),
});
export const WebhookListQuery = z.strictObject({ limit: LimitParam, cursor: CursorParam });
export const DeliveryListQuery = z.strictObject({
  status: z.enum(['pending', 'succeeded', 'failed']).optional().describe('Only deliveries in this state.'),
  limit: LimitParam,
  cursor: CursorParam,
});

export const ReplayRequest = z
  .strictObject({
    sinceVersion: z.int().min(0).describe('Queue every matching change set after this version.'),
    untilVersion: Version.optional().describe('…up to and including this one (default: the current version).'),
  })
  .meta({ id: 'ReplayRequest', description: 'Which change sets to deliver again.' });

export const Queued = z
  .object({ queued: z.int().describe('Deliveries queued.') })
  .meta({ id: 'WebhookQueued', description: 'How many deliveries were queued.' });

/** The body of every delivery (`webhook-id`, `webhook-timestamp` and `webhook-signature` headers per Standard Webhooks). */
export const ChangeSetRecordedEvent = z
  .object({
    type: z.literal(WEBHOOK_EVENT_TYPE).describe('The event type; the only one so far.'),
    timestamp: z.string().describe('When the change set was recorded (RFC 3339, UTC).'),
    data: z.object({
      change: ChangeEntry,
      links: z.object({
        change: z.string().describe('The change set in the change feed.'),
        platforms: z
          .array(z.object({ slug: z.string(), href: z.string().describe('The platform’s record at this version (immutable).') }))
          .describe('Each platform the change set touched.'),
      }),
    }),
  })
  .meta({
    id: 'ChangeSetRecordedEvent',
    description:
      'Sent once per change set matching an endpoint’s filters, in version order per endpoint, at least once (retries carry the same `webhook-id`: deduplicate on it).',
  });
export type ChangeSetRecordedEvent = z.infer<typeof ChangeSetRecordedEvent>;

const deliveryHeader = (name: string, description: string, example: string) => ({
  name,
  in: 'header' as const,
  required: true,
  description,
  schema: { type: 'string' as const },
  example,
});

/**
 * What the registry POSTs to subscribed endpoints, as OpenAPI 3.1's top-level `webhooks` (given to
 * @fastify/swagger as is): the body is the schema above, the headers are Standard Webhooks'.
 */
export const WEBHOOKS_OPENAPI = {
  [WEBHOOK_EVENT_TYPE]: {
    post: {
      operationId: 'changeSetRecordedWebhook',
      summary: 'A change set was recorded',
      description:
        'Sent to every endpoint whose filters match, once per change set, in version order per endpoint, at least once: a retry (exponential backoff for about 24 h), a redelivery or a replay carries the same `webhook-id`, so deduplicate on it. ' +
        'Verify the signature with the `standardwebhooks` package and the endpoint’s secret before trusting the body. Answer 2xx within 10 s; anything else (redirects included) is retried.',
      tags: ['Webhooks'],
      security: [],
      parameters: [
        deliveryHeader('webhook-id', 'The message id: the same on every attempt.', 'msg_2b3c4d5e6f708192a3b4c5d6e7f80912'),
        deliveryHeader('webhook-timestamp', 'When this attempt was signed, in Unix seconds.', '1767225600'),
        deliveryHeader(
          'webhook-signature',
          'Space-separated `v1,<base64 HMAC-SHA256>` signatures of `id.timestamp.body`: two during the 24 hours after a secret rotation.',
          'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
        ),
      ],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ChangeSetRecordedEvent' } } },
      },
      responses: {
        '200': { description: 'Any 2xx acknowledges the delivery.' },
        '400': { description: 'Any other answer, or none within 10 s, fails the attempt: it is retried with the same `webhook-id`.' },
      },
    },
  },
};
