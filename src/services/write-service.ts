import { createHash } from 'node:crypto';
import type { AdminStore } from '../db/admin-store.js';
import type { Locate } from '../domain/change-sets.js';
import { badRequest, ProblemError } from '../errors.js';
import { etagOf } from '../plugins/caching.js';
import type { Operation } from '../schemas/changes.js';
import type { RecordResult, RegistryService } from './registry-service.js';

export interface WriteContext {
  author: string;
  requestId: string;
  idempotencyKey?: string;
  /** Identifies the request for idempotency: method, path and body. */
  fingerprint: string;
}

export interface WriteResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** Parses `If-Match` (RFC 9110): `*` or a list of strong entity tags. */
export function parseIfMatch(header: string | undefined): '*' | string[] | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return '*';
  const tags = header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tags.length === 0 || tags.some((t) => !/^(W\/)?"[^"]*"$/.test(t))) {
    throw badRequest('If-Match must be `*` or a list of quoted entity tags, e.g. If-Match: "abc".', [
      { field: 'header.if-match', message: 'not a list of entity tags' },
    ]);
  }
  return tags;
}

/** Decodes the change message header (percent-encoded so that any text survives HTTP headers). */
export function changeMessage(header: string | undefined): string {
  let message: string | undefined;
  try {
    message = header === undefined ? undefined : decodeURIComponent(header).trim();
  } catch {
    message = undefined;
  }
  if (!message || message.length > 2000) {
    throw badRequest('Say why: send the change message in the X-Change-Message header (1 to 2000 characters, percent-encoded).', [
      {
        field: 'header.x-change-message',
        message: header === undefined ? 'is required' : 'must be 1 to 2000 characters of valid percent-encoded text',
      },
    ]);
  }
  return message;
}

/**
 * Runs admin writes: each in one transaction with its idempotency record, so a retried request with
 * the same Idempotency-Key either finds the first response or finds nothing was written.
 */
export class WriteService {
  constructor(
    readonly registry: RegistryService,
    private readonly admin: AdminStore,
  ) {}

  /** The strong ETag GET /v1/platforms/{slug} serves for the platform's current record. */
  platformEtag(slug: string): string | undefined {
    if (this.registry.platformRevisionVersion(slug) === undefined) return undefined;
    return etagOf(JSON.stringify(this.registry.getPlatform(slug, {})));
  }

  /** 412 unless the platform's current ETag is among those in If-Match (strong comparison). */
  checkIfMatch(slug: string, ifMatch: '*' | string[] | undefined): void {
    if (ifMatch === undefined) return;
    const current = this.platformEtag(slug);
    const ok = current !== undefined && (ifMatch === '*' || ifMatch.includes(current));
    if (!ok) {
      throw new ProblemError(
        412,
        'precondition-failed',
        current === undefined
          ? `If-Match was given but there is no platform "${slug}" yet. Omit If-Match to create it.`
          : `"${slug}" changed since the version your If-Match names (its ETag is now ${current}). GET it again, reapply your change, and retry.`,
        { extensions: { currentEtag: current ?? null } },
      );
    }
  }

  execute(ctx: WriteContext, run: () => WriteResponse): WriteResponse & { replayed: boolean } {
    return this.registry.store.transaction(() => {
      const hash = createHash('sha256').update(ctx.fingerprint).digest('hex');
      if (ctx.idempotencyKey) {
        const previous = this.admin.findIdempotent(ctx.author, ctx.idempotencyKey);
        if (previous) {
          if (previous.requestHash !== hash) {
            throw new ProblemError(
              422,
              'idempotency-key-reused',
              'This Idempotency-Key was already used for a different request. Use a new key for a new request.',
            );
          }
          const stored = JSON.parse(previous.response) as { body: unknown; headers: Record<string, string> };
          return { status: previous.status, body: stored.body, headers: stored.headers, replayed: true };
        }
      }
      const response = run();
      if (ctx.idempotencyKey) {
        this.admin.saveIdempotent({
          keyName: ctx.author,
          idempotencyKey: ctx.idempotencyKey,
          requestHash: hash,
          status: response.status,
          response: JSON.stringify({ body: response.body, headers: response.headers }),
          createdAt: new Date().toISOString(),
        });
      }
      return { ...response, replayed: false };
    });
  }

  /** Records operations as one change set and shapes the response. */
  record(ctx: WriteContext, message: string, operations: Operation[], locate?: Locate): { result: RecordResult; response: WriteResponse } {
    const result = this.registry.recordChangeSet({ author: ctx.author, message, operations, requestId: ctx.requestId, locate });
    return { result, response: this.respond(result) };
  }

  respond(result: RecordResult, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): WriteResponse {
    return {
      status: result.changed ? 201 : 200,
      body: {
        changed: result.changed,
        version: result.version,
        change: result.changed ? this.registry.change(result.version) : null,
        ...extra,
      },
      headers: result.changed ? { location: `/v1/changes/${result.version}`, ...headers } : headers,
    };
  }
}
