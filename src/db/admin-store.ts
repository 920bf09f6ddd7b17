import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { apiKeys, auditLog, idempotencyKeys } from './schema.js';

export type Role = 'editor' | 'admin';
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

const KEY_PREFIX = 'oor';

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * API keys, idempotency records and the audit log. A key is `oor_<id>_<secret>`: the id finds the
 * row, only a SHA-256 of the 256-bit secret is stored, and hashes are compared in constant time.
 */
export class AdminStore {
  constructor(private readonly db: Db) {}

  createKey(name: string, role: Role, now = new Date()): { key: string; row: ApiKeyRow } {
    const prefix = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const row = this.db
      .insert(apiKeys)
      .values({ name, role, prefix, hash: hashSecret(secret), createdAt: now.toISOString() })
      .returning()
      .get();
    return { key: `${KEY_PREFIX}_${prefix}_${secret}`, row };
  }

  listKeys(): ApiKeyRow[] {
    return this.db.select().from(apiKeys).orderBy(apiKeys.id).all();
  }

  activeKeyNamed(name: string): ApiKeyRow | undefined {
    return this.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt)))
      .get();
  }

  /** Revokes every active key with this name; returns how many. */
  revokeKey(name: string, now = new Date()): number {
    return this.db
      .update(apiKeys)
      .set({ revokedAt: now.toISOString() })
      .where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt)))
      .run().changes;
  }

  /** The active key a bearer token belongs to, or undefined (unknown, malformed, wrong secret or revoked). */
  verify(token: string): ApiKeyRow | undefined {
    const match = /^oor_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
    // Hash even when malformed or unknown so timing does not reveal which check failed.
    const presented = Buffer.from(hashSecret(match?.[2] ?? token), 'hex');
    const row = match ? this.db.select().from(apiKeys).where(eq(apiKeys.prefix, match[1]!)).get() : undefined;
    const stored = Buffer.from(row?.hash ?? hashSecret('no such key'), 'hex');
    const equal = timingSafeEqual(presented, stored);
    return row && equal && row.revokedAt === null ? row : undefined;
  }

  findIdempotent(keyName: string, idempotencyKey: string): IdempotencyRow | undefined {
    return this.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.keyName, keyName), eq(idempotencyKeys.idempotencyKey, idempotencyKey)))
      .get();
  }

  saveIdempotent(row: IdempotencyRow): void {
    this.db.insert(idempotencyKeys).values(row).run();
  }

  audit(row: Omit<AuditRow, 'id'>): void {
    this.db.insert(auditLog).values(row).run();
  }

  /** Audit entries newest first, before the id `beforeId`. */
  auditPage(beforeId: number, limit: number): AuditRow[] {
    return this.db.select().from(auditLog).where(lt(auditLog.id, beforeId)).orderBy(desc(auditLog.id)).limit(limit).all();
  }

  auditCount(): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(auditLog).get()?.n ?? 0;
  }
}
