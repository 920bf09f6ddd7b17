import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, expect } from 'vitest';
import type { z } from 'zod';
import { type BuildOptions, buildApp } from '../src/app.js';
import { type Config, testConfig } from '../src/config.js';
import { Problem } from '../src/schemas/responses.js';

const open: FastifyInstance[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((app) => app.close()));
});

/** A fresh app on its own in-memory database, seeded from seed/ unless told otherwise; closed after the test. */
export async function makeApp(overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp(testConfig({ DATABASE_PATH: ':memory:', ...overrides }), options);
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
