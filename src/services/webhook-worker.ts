import type { FastifyBaseLogger } from 'fastify';
import { Webhook } from 'standardwebhooks';
import type { Store, WebhookAttemptResult, WebhookDeliveryRow } from '../db/repository.js';
import { type ChangeSetRecordedEvent, WEBHOOK_EVENT_TYPE } from '../schemas/webhooks.js';
import type { HistoryService } from './history-service.js';
import { signingSecrets } from './webhook-subscriptions.js';
import { parseTarget, postToTarget, resolveTarget, type TargetPolicy } from './webhook-target.js';

export interface WorkerOptions {
  policy: TargetPolicy;
  /** Base of the links in payloads, without a trailing slash. */
  publicUrl: string;
  timeoutMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  maxAttempts: number;
  pollMs: number;
  /** Deliveries in flight at once (each to a different endpoint). */
  concurrency?: number;
}

/**
 * Delay before attempt `attempt + 1` after `attempt` failed: exponential from `base`, capped, with
 * ±10 % jitter so endpoints that failed together do not retry together.
 */
export function retryDelay(attempt: number, base: number, cap: number, random = Math.random): number {
  const exponential = Math.min(cap, base * 2 ** Math.min(attempt - 1, 40));
  return Math.round(exponential * (0.9 + 0.2 * random()));
}

/**
 * Sends the outbox. Every tick claims due deliveries (the lowest pending version of each active
 * endpoint, see `Store.claimWebhookDeliveries`) and sends each one, signed per Standard Webhooks with
 * the row's message id, so a retry, a redelivery or a send after a crash carries the same
 * `webhook-id`. A claim is a lease: if this process dies mid-send, another tick (here after a
 * restart, or on another instance) claims the row again once the lease has passed.
 */
export class WebhookWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private ticking = false;
  private again = false;
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly concurrency: number;
  private readonly leaseMs: number;

  constructor(
    private readonly store: Store,
    private readonly history: HistoryService,
    private readonly options: WorkerOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    this.concurrency = options.concurrency ?? 8;
    // Longer than an attempt can take (DNS, connect, timeout, recording the result).
    this.leaseMs = options.timeoutMs * 2 + 30_000;
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  /** Stops claiming, aborts attempts in flight (recorded as due again, to be sent on the next start), and waits for them. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.abort.abort();
    await Promise.allSettled(this.inFlight.values());
  }

  /** Looks for due deliveries now (called after this process records a change set). */
  wake(): void {
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.ticking = true;
    this.tick()
      .catch((error: unknown) => this.log.error({ err: error }, 'webhooks: claiming deliveries failed'))
      .finally(() => {
        this.ticking = false;
        if (!this.running) return;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.timer = setTimeout(() => this.wake(), this.options.pollMs).unref();
      });
  }

  private async tick(): Promise<void> {
    const room = this.concurrency - this.inFlight.size;
    if (room <= 0) return;
    const now = Date.now();
    const claimed = await this.store.claimWebhookDeliveries(new Date(now).toISOString(), new Date(now + this.leaseMs).toISOString(), room);
    for (const delivery of claimed) {
      const sending = this.deliver(delivery)
        .catch((error: unknown) => this.log.error({ err: error, delivery: delivery.id }, 'webhooks: recording an attempt failed'))
        .finally(() => {
          this.inFlight.delete(delivery.id);
          // The endpoint's next version may be due now.
          this.wake();
        });
      this.inFlight.set(delivery.id, sending);
    }
  }

  /** The payload of a change set: built from immutable data, so every attempt sends the same bytes. */
  private async payload(version: number): Promise<string> {
    const change = await this.history.change(version);
    const base = this.options.publicUrl;
    const event: ChangeSetRecordedEvent = {
      type: WEBHOOK_EVENT_TYPE,
      timestamp: change.recordedAt,
      data: {
        change,
        links: {
          change: `${base}/v1/changes/${version}`,
          platforms: change.platforms.map((slug) => ({
            slug,
            href: `${base}/v1/platforms/${encodeURIComponent(slug)}?version=${version}`,
          })),
        },
      },
    };
    return JSON.stringify(event);
  }

  private async deliver(delivery: WebhookDeliveryRow): Promise<void> {
    const subscription = await this.store.webhookSubscription(delivery.subscriptionId);
    if (!subscription) return; // deleted meanwhile, with its deliveries
    const body = await this.payload(delivery.version);
    const at = new Date();
    let result: Omit<WebhookAttemptResult, 'status' | 'nextAttemptAt' | 'at'>;
    try {
      const url = parseTarget(subscription.url, this.options.policy);
      const pinned = await resolveTarget(url, this.options.policy);
      const signature = signingSecrets(subscription, at)
        .map((secret) => new Webhook(secret).sign(delivery.messageId, at, body))
        .join(' ');
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'ai-optout-registry-webhooks/1',
        'webhook-id': delivery.messageId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      };
      const response = await postToTarget(url, pinned, headers, body, this.options.timeoutMs, this.abort.signal);
      const ok = response.status >= 200 && response.status < 300;
      result = {
        responseStatus: response.status,
        responseBody: response.body,
        latencyMs: response.latencyMs,
        error: ok
          ? null
          : `the endpoint answered HTTP ${response.status}${response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : ''}`,
      };
    } catch (error) {
      const message = this.abort.signal.aborted ? 'interrupted by a shutdown of the server' : (error as Error).message;
      result = { responseStatus: null, responseBody: null, latencyMs: null, error: message.slice(0, 500) };
    }
    const done = new Date();
    let outcome: WebhookAttemptResult;
    if (this.abort.signal.aborted && result.responseStatus === null) {
      // Not the endpoint's fault: due again at once (on the next start), same webhook-id.
      outcome = { ...result, status: 'pending', at: done.toISOString(), nextAttemptAt: done.toISOString() };
    } else if (result.error === null) {
      outcome = { ...result, status: 'succeeded', at: done.toISOString(), nextAttemptAt: done.toISOString() };
    } else if (delivery.attempts >= this.options.maxAttempts) {
      outcome = {
        ...result,
        status: 'failed',
        at: done.toISOString(),
        nextAttemptAt: done.toISOString(),
        disableReason: `Delivery of version ${delivery.version} failed ${delivery.attempts} times, the last at ${done.toISOString()}: ${result.error}. Fix the endpoint, then resume it and redeliver.`,
      };
    } else {
      const delay = retryDelay(delivery.attempts, this.options.retryBaseMs, this.options.retryCapMs);
      outcome = { ...result, status: 'pending', at: done.toISOString(), nextAttemptAt: new Date(done.getTime() + delay).toISOString() };
    }
    const recorded = await this.store.write((tx) => tx.finishWebhookAttempt(delivery, outcome));
    // Never the URL's query or the secret: either may be a credential.
    const where = { subscription: subscription.id, delivery: delivery.id, version: delivery.version, attempt: delivery.attempts };
    if (!recorded) this.log.warn(where, 'webhooks: the claim lapsed before the attempt was recorded');
    else if (outcome.status === 'failed')
      this.log.warn({ ...where, error: result.error }, 'webhooks: delivery failed for good; endpoint disabled');
    else if (outcome.status === 'pending') this.log.info({ ...where, error: result.error }, 'webhooks: attempt failed; will retry');
  }
}
