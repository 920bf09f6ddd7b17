import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, expect } from 'vitest';
import type { z } from 'zod';
import { type BuildOptions, buildApp } from '../src/app.js';
import { type Config, testConfig } from '../src/config.js';
import { SqliteStore } from '../src/db/sqlite-store.js';
import { withoutEvidence } from '../src/domain/evidence.js';
import type { Operation } from '../src/schemas/changes.js';
import type { PlatformDocument, PlatformRecord } from '../src/schemas/platform.js';
import { Problem } from '../src/schemas/responses.js';
import { KeyService } from '../src/services/key-service.js';
import type { WriteContext } from '../src/services/write-service.js';
import { freshDatabase } from './engine.js';

const open: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});

/**
 * A fresh app on its own database, seeded from seed/ unless told otherwise; closed after the test.
 * SQLite by default (a new file in a temporary directory: reads and writes use separate connections);
 * PostgreSQL when the suite runs with TEST_DATABASE_URL (a new database per test, see test/engine.ts).
 */
export async function makeApp(overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(testConfig({ ...(await freshDatabase()), ...overrides }), options);
  await app.ready();
  open.push(app);
  return app;
}

/** Parses a JSON response with the API's own zod schema (so shape drift fails the test). */
export function parse<T extends z.ZodType>(schema: T, res: LightMyRequestResponse): z.infer<T> {
  const result = schema.safeParse(res.json());
  if (!result.success) throw new Error(`response does not match its schema: ${JSON.stringify(result.error.issues.slice(0, 5))}`);
  return result.data;
}

/** Asserts an RFC 9457 problem response with the given status, and returns it. */
export function expectProblem(res: LightMyRequestResponse, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = parse(Problem, res);
  expect(problem.status).toBe(status);
  expect(problem.detail.length).toBeGreaterThan(10);
  expect(problem.type).toBe(`/problems/${problem.code}`);
  return problem;
}

/** A write context for tests that record change sets directly through the write service. */
export function testWriter(author = 'test'): WriteContext {
  return {
    author: { keyId: 0, name: author },
    requestId: `test-${crypto.randomUUID()}`,
    fingerprint: crypto.randomUUID(),
    request: { method: 'TEST', route: 'test', ip: null },
  };
}

/** Records a change set as `author` (default "test"), as an admin write would. */
export async function record(app: FastifyInstance, change: { author?: string; message: string; operations: Operation[] }) {
  return app.services.writes.recordChangeSet(testWriter(change.author), change.message, change.operations);
}

/** A new API key's secret, created through the key service. */
export async function createKey(app: FastifyInstance, name: string, role: 'editor' | 'admin'): Promise<string> {
  return (await app.services.keys.create(name, role)).key;
}

/** Creates (and migrates) the SQLite file at `path` if needed and adds an API key to it; for tests that start the server as a process. */
export async function keyInDatabase(path: string, name: string, role: 'editor' | 'admin' = 'editor'): Promise<string> {
  const store = new SqliteStore(path);
  try {
    return (await new KeyService(store).create(name, role)).key;
  } finally {
    await store.close();
  }
}

/** Creates and migrates an empty registry database file at `path`. */
export async function migratedDatabase(path: string): Promise<void> {
  await new SqliteStore(path).close();
}

/** The stored document behind a platform record: without `revision`, `at` and the derived `evidence` marks. */
export function documentOf(record: PlatformRecord): PlatformDocument {
  const { revision: _r, at: _a, ...doc } = record;
  return withoutEvidence(doc);
}
