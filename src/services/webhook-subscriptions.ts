import { randomBytes, randomUUID } from 'node:crypto';
import type { NewWebhookDelivery, RegistryReads, Store, UnitOfWork, WebhookDeliveryRow, WebhookSubscriptionRow } from '../db/repository.js';
import { type ChangeFacets, changeFacets, type DocumentChange, matchesFilters } from '../domain/webhook-filters.js';
import { notFound, ProblemError, unprocessable } from '../errors.js';
import type { PlatformDocument } from '../schemas/platform.js';
import type { WebhookDelivery, WebhookFilters, WebhookSubscription } from '../schemas/webhooks.js';
import { parseTarget, resolveTarget, type TargetPolicy, TargetRefused } from './webhook-target.js';

/** How long a rotated-out secret keeps signing, so receivers can switch without missing a delivery. */
export const PREVIOUS_SECRET_MS = 24 * 3_600_000;
/** Change sets one replay may queue; a longer range is replayed in parts. */
export const MAX_REPLAY = 1000;

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
const newMessageId = () => `msg_${randomUUID().replaceAll('-', '')}`;

/** The secrets a delivery at `now` is signed with: the current one, and the previous one during its grace period. */
export function signingSecrets(row: WebhookSubscriptionRow, now: Date): string[] {
  const previousValid = row.previousSecret && row.previousSecretExpiresAt && row.previousSecretExpiresAt > now.toISOString();
  return previousValid ? [row.secret, row.previousSecret!] : [row.secret];
}

function filtersOf(row: WebhookSubscriptionRow): WebhookFilters {
  return {
    platforms: JSON.parse(row.platforms) as string[],
    eventKinds: JSON.parse(row.eventKinds) as WebhookFilters['eventKinds'],
    regions: JSON.parse(row.regions) as string[],
    accountTypes: JSON.parse(row.accountTypes) as WebhookFilters['accountTypes'],
  };
}

/** The endpoint as the API shows it: never its secrets. */
export function subscriptionView(row: WebhookSubscriptionRow): WebhookSubscription {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    filters: filtersOf(row),
    status: row.status,
    disabledReason: row.disabledReason,
    createdVersion: row.createdVersion,
    previousSecretExpiresAt: row.previousSecret ? row.previousSecretExpiresAt : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function deliveryView(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    version: row.version,
    webhookId: row.messageId,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null,
    lastAttemptAt: row.lastAttemptAt,
    responseStatus: row.responseStatus,
    responseBody: row.responseBody,
    latencyMs: row.latencyMs,
    error: row.error,
    createdAt: row.createdAt,
  };
}

/**
 * The outbox insert, in the change set's own transaction: one delivery for every endpoint whose
 * filters match, so the delivery commits (or rolls back) with the change. Paused endpoints get
 * theirs too (held until resumed); disabled ones do not.
 */
export async function enqueueDeliveries(tx: UnitOfWork, version: number, facets: ChangeFacets): Promise<number> {
  const now = new Date().toISOString();
  const rows: NewWebhookDelivery[] = [];
  for (const sub of await tx.webhookSubscriptions()) {
    if (sub.status === 'disabled' || !matchesFilters(filtersOf(sub), facets)) continue;
    rows.push({ subscriptionId: sub.id, version, messageId: newMessageId(), nextAttemptAt: now, createdAt: now });
  }
  await tx.insertWebhookDeliveries(rows);
  return rows.length;
}

/** What a recorded change set touched, read back from its revisions (for replays). */
async function recordedFacets(reads: RegistryReads, version: number): Promise<ChangeFacets> {
  const changes: DocumentChange[] = [];
  for (const { slug } of await reads.patchesBetween(version - 1, version)) {
    const after = await reads.revisionAt(slug, version);
    const before = await reads.revisionAt(slug, version - 1);
    changes.push({
      slug,
      after: JSON.parse(after!.document) as PlatformDocument,
      before: before ? (JSON.parse(before.document) as PlatformDocument) : undefined,
    });
  }
  return changeFacets(changes);
}

/** Webhook endpoints (admin API): each change is its own short write transaction. */
export class WebhookSubscriptionService {
  constructor(
    private readonly store: Store,
    private readonly policy: TargetPolicy,
  ) {}

  /** 422 naming `body.url` unless the URL is acceptable and resolves to allowed addresses only. */
  private async checkUrl(raw: string): Promise<string> {
    try {
      const url = parseTarget(raw, this.policy);
      await resolveTarget(url, this.policy);
      return url.toString();
    } catch (error) {
      if (!(error instanceof TargetRefused)) throw error;
      throw unprocessable(`The webhook URL is refused: it ${error.message}.`, [{ field: 'body.url', message: error.message }]);
    }
  }

  private async existing(reads: RegistryReads, id: number): Promise<WebhookSubscriptionRow> {
    const row = await reads.webhookSubscription(id);
    if (!row) throw notFound(`There is no webhook endpoint ${id}. GET /v1/admin/webhooks lists them.`);
    return row;
  }

  async create(input: { url: string; description: string; filters?: WebhookFilters }) {
    const url = await this.checkUrl(input.url);
    const secret = newSecret();
    const filters = input.filters ?? { platforms: [], eventKinds: [], regions: [], accountTypes: [] };
    const row = await this.store.write(async (tx) => {
      // Under the head lock, so exactly the change sets after `createdVersion` see this endpoint.
      const head = await tx.lockHead();
      const now = new Date().toISOString();
      return tx.createWebhookSubscription({
        url,
        description: input.description,
        platforms: JSON.stringify(filters.platforms),
        eventKinds: JSON.stringify(filters.eventKinds),
        regions: JSON.stringify(filters.regions),
        accountTypes: JSON.stringify(filters.accountTypes),
        secret,
        previousSecret: null,
        previousSecretExpiresAt: null,
        status: 'active',
        disabledReason: null,
        createdVersion: head,
        createdAt: now,
        updatedAt: now,
      });
    });
    return { subscription: subscriptionView(row), secret };
  }

  async list(afterId: number, limit: number) {
    return (await this.store.webhookSubscriptions(afterId, limit)).map(subscriptionView);
  }

  async get(id: number) {
    return subscriptionView(await this.existing(this.store, id));
  }

  async update(id: number, input: { url?: string; description?: string; filters?: WebhookFilters }) {
    const url = input.url === undefined ? undefined : await this.checkUrl(input.url);
    const row = await this.store.write(async (tx) => {
      await tx.lockHead();
      await this.existing(tx, id);
      return tx.updateWebhookSubscription(id, {
        ...(url !== undefined ? { url } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.filters
          ? {
              platforms: JSON.stringify(input.filters.platforms),
              eventKinds: JSON.stringify(input.filters.eventKinds),
              regions: JSON.stringify(input.filters.regions),
              accountTypes: JSON.stringify(input.filters.accountTypes),
            }
          : {}),
        updatedAt: new Date().toISOString(),
      });
    });
    return subscriptionView(row!);
  }

  /** Pauses, or resumes (an endpoint the server disabled, too: its held deliveries go out again). */
  async setStatus(id: number, status: 'active' | 'paused') {
    const row = await this.store.write(async (tx) => {
      await tx.lockHead();
      const current = await this.existing(tx, id);
      if (status === 'paused' && current.status === 'disabled') {
        throw new ProblemError(409, 'conflict', `Webhook endpoint ${id} is disabled (${current.disabledReason}); resume it instead.`);
      }
      return tx.updateWebhookSubscription(id, { status, disabledReason: null, updatedAt: new Date().toISOString() });
    });
    return subscriptionView(row!);
  }

  async delete(id: number) {
    const deleted = await this.store.write(async (tx) => {
      await tx.lockHead();
      return tx.deleteWebhookSubscription(id);
    });
    if (deleted === 0) throw notFound(`There is no webhook endpoint ${id}.`);
  }

  /** A new secret; the previous one keeps signing (beside it) for PREVIOUS_SECRET_MS. */
  async rotateSecret(id: number) {
    const secret = newSecret();
    const row = await this.store.write(async (tx) => {
      await tx.lockHead();
      const current = await this.existing(tx, id);
      const now = Date.now();
      return tx.updateWebhookSubscription(id, {
        secret,
        previousSecret: current.secret,
        previousSecretExpiresAt: new Date(now + PREVIOUS_SECRET_MS).toISOString(),
        updatedAt: new Date(now).toISOString(),
      });
    });
    return { subscription: subscriptionView(row!), secret };
  }

  async deliveries(id: number, beforeVersion: number, limit: number, status?: WebhookDelivery['status']) {
    await this.existing(this.store, id);
    return (await this.store.webhookDeliveries(id, beforeVersion, limit, status)).map(deliveryView);
  }

  /** Queues one delivery again, due now, with its webhook-id. */
  async redeliver(id: number, deliveryId: number): Promise<number> {
    return this.store.write(async (tx) => {
      await tx.lockHead();
      await this.existing(tx, id);
      const delivery = await tx.webhookDelivery(id, deliveryId);
      if (!delivery) throw notFound(`Webhook endpoint ${id} has no delivery ${deliveryId}.`);
      return tx.requeueWebhookDeliveries(id, [delivery.version], new Date().toISOString());
    });
  }

  /**
   * Queues every change set in (since, until] that matches the endpoint's filters: deliveries that
   * exist go out again with their webhook-id, missing ones are created. Versions go out in order.
   */
  async replay(id: number, since: number, until?: number): Promise<number> {
    return this.store.write(async (tx) => {
      const head = await tx.lockHead();
      const sub = await this.existing(tx, id);
      const last = Math.min(until ?? head, head);
      if (last - since > MAX_REPLAY) {
        throw unprocessable(`A replay covers at most ${MAX_REPLAY} change sets; set untilVersion to at most ${since + MAX_REPLAY}.`, [
          { field: 'body.untilVersion', message: `must be at most ${since + MAX_REPLAY}` },
        ]);
      }
      const filters = filtersOf(sub);
      const now = new Date().toISOString();
      const matching: number[] = [];
      for (let version = since + 1; version <= last; version++) {
        if (matchesFilters(filters, await recordedFacets(tx, version))) matching.push(version);
      }
      const requeued = await tx.requeueWebhookDeliveries(id, matching, now);
      const existing = new Set((await tx.webhookDeliveries(id, last + 1, MAX_REPLAY + 1)).map((d) => d.version));
      const missing = matching.filter((v) => !existing.has(v));
      await tx.insertWebhookDeliveries(
        missing.map((version) => ({ subscriptionId: id, version, messageId: newMessageId(), nextAttemptAt: now, createdAt: now })),
      );
      return requeued + missing.length;
    });
  }
}
