import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRow, Role, Store } from '../db/repository.js';

const KEY_PREFIX = 'oor';

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export class KeyNameTaken extends Error {
  override readonly name = 'KeyNameTaken';
}

/**
 * API keys. A key is `oor_<id>_<secret>`: the id finds the row, only a SHA-256 of the 256-bit secret
 * is stored, and hashes are compared in constant time. Names are unique forever, even after a key is
 * revoked, so the audit log and idempotency records never confuse two keys.
 */
export class KeyService {
  constructor(private readonly store: Store) {}

  async create(name: string, role: Role, now = new Date()): Promise<{ key: string; row: ApiKeyRow }> {
    const prefix = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const row = await this.store.write(async (tx) => {
      await tx.lockHead();
      if (await tx.keyNamed(name)) throw new KeyNameTaken(`a key named "${name}" exists or existed; key names are never reused`);
      return tx.createKey({ name, role, prefix, hash: hashSecret(secret), createdAt: now.toISOString() });
    });
    return { key: `${KEY_PREFIX}_${prefix}_${secret}`, row };
  }

  list(): Promise<ApiKeyRow[]> {
    return this.store.listKeys();
  }

  /** Revokes the active key with this name; returns how many were revoked. */
  revoke(name: string, now = new Date()): Promise<number> {
    return this.store.write(async (tx) => {
      await tx.lockHead();
      return tx.revokeKey(name, now.toISOString());
    });
  }

  /** The id part of a well-formed key, used to count failed guesses per key id. */
  static keyId(token: string): string | undefined {
    return /^oor_([0-9a-f]{12})_/.exec(token)?.[1];
  }

  /** The active key a bearer token belongs to, or undefined (unknown, malformed, wrong secret or revoked). */
  async verify(token: string): Promise<ApiKeyRow | undefined> {
    const match = /^oor_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(token);
    // Hash even when malformed or unknown so timing does not reveal which check failed.
    const presented = Buffer.from(hashSecret(match?.[2] ?? token), 'hex');
    const row = match ? await this.store.keyByPrefix(match[1]!) : undefined;
    const stored = Buffer.from(row?.hash ?? hashSecret('no such key'), 'hex');
    const equal = timingSafeEqual(presented, stored);
    return row && equal && row.revokedAt === null ? row : undefined;
  }
}
