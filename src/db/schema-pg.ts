import { check, index, integer, pgTable, primaryKey, serial, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * PostgreSQL tables: the same as `schema.ts` (SQLite), column for column, so one repository runs
 * on either; keep the two files in step. Only `registry_head` is PostgreSQL's own (see below).
 *
 * One row per accepted write. `version` is the global registry version the change set created;
 * nothing in the registry is ever updated or deleted, so any version can be read back exactly.
 */
export const changeSets = pgTable('change_sets', {
  version: integer('version').primaryKey(),
  recordedAt: text('recorded_at').notNull(),
  author: text('author').notNull(),
  message: text('message').notNull(),
  revertOf: integer('revert_of'),
  requestId: text('request_id'),
});

/** Slugs ever used, with the version that created them: a slug is never reused. */
export const platforms = pgTable('platforms', {
  slug: text('slug').primaryKey(),
  createdVersion: integer('created_version').notNull(),
});

/**
 * Every revision of every platform, insert-only. The document is the full canonical JSON; a few
 * columns are copied out of it so list filters need not parse it. `patch` is the RFC 6902 patch
 * from the previous revision's document (from `{}` for the first one).
 */
export const platformRevisions = pgTable(
  'platform_revisions',
  {
    id: serial('id').primaryKey(),
    slug: text('slug').notNull(),
    version: integer('version').notNull(),
    op: text('op', { enum: ['create', 'update', 'retire'] }).notNull(),
    status: text('status', { enum: ['active', 'retired'] }).notNull(),
    category: text('category').notNull(),
    searchText: text('search_text').notNull(),
    document: text('document').notNull(),
    patch: text('patch').notNull(),
  },
  (t) => [
    // The as-of lookup: latest revision of a slug at or before a version is one index seek.
    uniqueIndex('platform_revisions_slug_version').on(t.slug, t.version),
    // The change feed and history: revisions written by one change set.
    index('platform_revisions_version').on(t.version),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: ['editor', 'admin'] }).notNull(),
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull(),
    createdAt: text('created_at').notNull(),
    revokedAt: text('revoked_at'),
  },
  // A name is never reused, even after revocation, so the audit log and idempotency records stay unambiguous.
  (t) => [uniqueIndex('api_keys_prefix').on(t.prefix), uniqueIndex('api_keys_name_unique').on(t.name)],
);

/** Responses to writes sent with an Idempotency-Key, scoped to the API key's id (names could be confused). */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    keyId: integer('key_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status').notNull(),
    response: text('response').notNull(),
    createdAt: text('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.idempotencyKey] }), index('idempotency_keys_created_at').on(t.createdAt)],
);

/**
 * Admin requests. An accepted write's row commits with its change set; refused requests without a
 * valid key are aggregated per client and minute (`count`), so a flood costs one row a minute.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: serial('id').primaryKey(),
    at: text('at').notNull(),
    keyId: integer('key_id'),
    keyName: text('key_name'),
    method: text('method').notNull(),
    route: text('route').notNull(),
    status: integer('status').notNull(),
    outcome: text('outcome').notNull(),
    version: integer('version'),
    requestId: text('request_id').notNull(),
    ip: text('ip'),
    count: integer('count').notNull().default(1),
  },
  (t) => [index('audit_log_at').on(t.at)],
);

/**
 * The current registry version, one row. A write transaction locks it (`SELECT … FOR UPDATE`) before
 * anything else, so writers on every instance are serialised and versions stay contiguous (a
 * sequence would leave gaps on rollback).
 */
export const registryHead = pgTable(
  'registry_head',
  {
    id: integer('id').primaryKey(),
    version: integer('version').notNull(),
  },
  (t) => [check('registry_head_one_row', sql`${t.id} = 1`)],
);
