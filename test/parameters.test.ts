import { describe, expect, it } from 'vitest';
import { ChangeList } from '../src/schemas/responses.js';
import { expectProblem, makeApp, parse, record } from './helpers.js';

describe('path and query parameters say exactly what they accept', () => {
  it('integers are decimal digits only: no exponent, hex, fraction or leading zero', async () => {
    const app = await makeApp();
    for (const url of [
      '/v1/platforms?limit=1e2',
      '/v1/platforms?limit=0x10',
      '/v1/platforms?limit=+5',
      '/v1/platforms?limit=%205',
      '/v1/platforms/linkedin?version=1.0',
      '/v1/changes/01',
      '/v1/changes/1e0',
      '/v1/changes?after=0x1',
      '/v1/platforms/linkedin/diff?from=1&to=1.0',
    ]) {
      const problem = expectProblem(await app.inject(url), 400);
      expect(problem.errors, url).toHaveLength(1);
      expect(problem.errors?.[0]?.message, url).toMatch(/decimal digits/);
    }
    expect((await app.inject('/v1/platforms?limit=100')).statusCode).toBe(200);
    expect((await app.inject('/v1/changes/1')).statusCode).toBe(200);
    expect((await app.inject('/v1/changes?after=0')).statusCode).toBe(200);
  });

  it('a value out of range is reported once, in the API’s words', async () => {
    const app = await makeApp();
    for (const limit of ['1000', '99999999999999999999', '0']) {
      const problem = expectProblem(await app.inject(`/v1/platforms?limit=${limit}`), 400);
      expect(problem.errors).toEqual([{ field: 'query.limit', message: 'must be a page size from 1 to 200 in decimal digits (e.g. 50)' }]);
    }
    const missing = expectProblem(await app.inject('/v1/platforms/linkedin/diff?from=1'), 400);
    expect(missing.errors).toEqual([{ field: 'query.to', message: expect.stringMatching(/^is required: must be a registry version/) }]);
  });

  it('a repeated parameter is told to come once, not given zod’s "expected string, received array"', async () => {
    const app = await makeApp();
    for (const [url, field] of [
      ['/v1/platforms/linkedin/opt-out?region=DE&region=FR', 'query.region'],
      ['/v1/platforms?q=a&q=b', 'query.q'],
      ['/v1/platforms?limit=5&limit=6', 'query.limit'],
      ['/v1/events?platform=x&platform=linkedin', 'query.platform'],
    ] as const) {
      const problem = expectProblem(await app.inject(url), 400);
      expect(
        problem.errors?.map((e) => e.field),
        url,
      ).toEqual([field]);
      expect(problem.errors?.[0]?.message, url).toMatch(/once/);
      expect(problem.detail, url).not.toMatch(/received|Invalid input/);
    }
  });

  it('an unknown category is a 400 listing the categories, like an unknown device or region', async () => {
    const app = await makeApp();
    const problem = expectProblem(await app.inject('/v1/platforms?category=nope'), 400);
    expect(problem.errors?.[0]).toEqual({
      field: 'query.category',
      message: expect.stringContaining('must be one of: social, professional'),
    });
    expect((problem.validValues as Record<string, string[]>)['query.category']).toEqual(expect.arrayContaining(['social', 'ai-assistant']));
    const region = expectProblem(await app.inject('/v1/platforms?region=ZZ'), 400);
    expect((region.validValues as Record<string, string[]>)['query.region']).toEqual(expect.arrayContaining(['DE', 'EU']));
    // Codes are matched without regard to case; the document lists them upper-case.
    expect((await app.inject('/v1/platforms/linkedin/opt-out?region=de')).statusCode).toBe(200);
  });

  it('/v1/changes pages with `cursor` like every other list, and `after` still works', async () => {
    const app = await makeApp();
    for (let i = 0; i < 3; i++) {
      await record(app, { message: `re-verify ${i}`, operations: [{ op: 'patch', slug: 'x', patch: { lastVerified: `2026-01-1${i}` } }] });
    }
    const versions: number[] = [];
    let url = '/v1/changes?limit=2';
    for (let pages = 0; pages < 10; pages++) {
      const page = parse(ChangeList, await app.inject(url));
      versions.push(...page.data.map((c) => c.version));
      if (page.nextCursor === null) break;
      url = `/v1/changes?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`;
    }
    expect(versions).toEqual([1, 2, 3, 4]);
    expect(parse(ChangeList, await app.inject('/v1/changes?after=2')).data.map((c) => c.version)).toEqual([3, 4]);
    const both = expectProblem(await app.inject('/v1/changes?after=1&cursor=2'), 400);
    expect(both.errors?.map((e) => e.field)).toEqual(['query.after']);
    const forged = expectProblem(await app.inject('/v1/changes?cursor=eyJ2IjoxfQ'), 400);
    expect(forged.errors?.map((e) => e.field)).toEqual(['query.cursor']);
  });
});
