import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { EventList, HistoryList, PlatformList } from '../src/schemas/responses.js';
import { CursorCodec } from '../src/services/cursor.js';
import { expectProblem, makeApp, parse, record } from './helpers.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

async function nextCursor(app: FastifyInstance, url: string): Promise<string> {
  const body = (await app.inject(url)).json() as { nextCursor: string | null };
  expect(body.nextCursor, url).toEqual(expect.any(String));
  return body.nextCursor!;
}

/** Every item of a list, page by page (bounded). */
async function allPages(app: FastifyInstance, url: string) {
  const slugs: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const res: LightMyRequestResponse = await app.inject(`${url}${cursor ? `&cursor=${cursor}` : ''}`);
    const body = parse(PlatformList, res);
    slugs.push(...body.data.map((p) => p.slug));
    cursor = body.nextCursor;
    if (!cursor) return slugs;
  }
  throw new Error('more than 100 pages');
}

describe('cursors', () => {
  it('page through a filtered list completely, once each', async () => {
    const app = await makeApp({ CURSOR_SECRET: SECRET });
    const whole = parse(PlatformList, await app.inject('/v1/platforms?category=social&limit=100')).data.map((p) => p.slug);
    expect(whole.length).toBeGreaterThan(3);
    expect(await allPages(app, '/v1/platforms?category=social&limit=2')).toEqual(whole);
  });

  it('refuse a cursor on another endpoint, naming the list it belongs to', async () => {
    const app = await makeApp({ CURSOR_SECRET: SECRET });
    const listCursor = await nextCursor(app, '/v1/platforms?limit=1');
    const onHistory = expectProblem(await app.inject(`/v1/platforms/linkedin/history?cursor=${listCursor}`), 400);
    expect(onHistory.detail).toContain('GET /v1/platforms');
    expect(onHistory.errors?.map((e) => e.field)).toEqual(['query.cursor']);
    expectProblem(await app.inject(`/v1/events?cursor=${listCursor}`), 400);
    // Another platform's history is another list.
    await record(app, { message: 'one', operations: [{ op: 'patch', slug: 'linkedin', patch: { name: 'L1' } }] });
    const historyCursor = await nextCursor(app, '/v1/platforms/linkedin/history?limit=1');
    expect((await app.inject(`/v1/platforms/linkedin/history?limit=1&cursor=${historyCursor}`)).statusCode).toBe(200);
    expect(expectProblem(await app.inject(`/v1/platforms/x/history?cursor=${historyCursor}`), 400).detail).toContain('linkedin');
  });

  it('refuse a cursor with other filters than the page that issued it', async () => {
    const app = await makeApp({ CURSOR_SECRET: SECRET });
    const social = await nextCursor(app, '/v1/platforms?category=social&limit=1');
    for (const url of [
      `/v1/platforms?category=ai-assistant&limit=1&cursor=${social}`,
      `/v1/platforms?limit=1&cursor=${social}`,
      `/v1/platforms?category=social&q=a&limit=1&cursor=${social}`,
    ]) {
      const problem = expectProblem(await app.inject(url), 400);
      expect(problem.detail).toMatch(/other filters/);
    }
    // The same filters, in another order, with another limit, are the same list.
    expect((await app.inject(`/v1/platforms?limit=3&category=social&cursor=${social}`)).statusCode).toBe(200);
    const events = await nextCursor(app, '/v1/events?platform=linkedin&limit=1');
    expectProblem(await app.inject(`/v1/events?platform=x&limit=1&cursor=${events}`), 400);
  });

  it('refuse tampered or forged positions: an edited cursor, a negative events offset', async () => {
    const app = await makeApp({ CURSOR_SECRET: SECRET });
    const events = await nextCursor(app, '/v1/events?limit=2');
    const [payload] = events.split('.');
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), k: -3 })).toString(
      'base64url',
    );
    const forgedWithoutSecret = `${edited}.${events.split('.')[1]}`;
    // Even signed with the right secret, a position the list never issues is refused.
    const scope = { endpoint: 'GET /v1/events', filters: {} };
    const signedNegative = new CursorCodec(SECRET).encode(scope, { v: 1, k: -3 });
    const otherSecret = new CursorCodec('another-secret-that-is-long-enough-0123456789').encode(scope, { v: 1, k: 2 });
    for (const cursor of [forgedWithoutSecret, signedNegative, otherSecret, 'e30', `${payload}.`, `${events}.x`]) {
      const problem = expectProblem(await app.inject(`/v1/events?limit=2&cursor=${encodeURIComponent(cursor)}`), 400);
      expect(problem.errors?.map((e) => e.field)).toEqual(['query.cursor']);
    }
    // The untouched cursor goes on.
    expect(parse(EventList, await app.inject(`/v1/events?limit=2&cursor=${events}`)).data.length).toBe(2);
  });

  it('refuse a `version` that disagrees with the cursor instead of answering at the cursor’s version', async () => {
    const app = await makeApp({ CURSOR_SECRET: SECRET });
    await record(app, { message: 'one', operations: [{ op: 'patch', slug: 'linkedin', patch: { name: 'L1' } }] });
    await record(app, { message: 'two', operations: [{ op: 'patch', slug: 'linkedin', patch: { name: 'L2' } }] });
    const history = await nextCursor(app, '/v1/platforms/linkedin/history?limit=1&version=3');
    const problem = expectProblem(await app.inject(`/v1/platforms/linkedin/history?limit=1&version=2&cursor=${history}`), 400);
    expect(problem.errors?.map((e) => e.field)).toEqual(['query.version']);
    expect(parse(HistoryList, await app.inject(`/v1/platforms/linkedin/history?limit=1&version=3&cursor=${history}`)).data).toHaveLength(1);
    const events = await nextCursor(app, '/v1/events?limit=1&version=3');
    expectProblem(await app.inject(`/v1/events?limit=1&version=1&cursor=${events}`), 400);
    const list = await nextCursor(app, '/v1/platforms?limit=1&version=2');
    expectProblem(await app.inject(`/v1/platforms?limit=1&version=3&cursor=${list}`), 400);
  });

  it('are accepted by every instance sharing CURSOR_SECRET, and CURSOR_SECRET is required in production', async () => {
    const a = await makeApp({ CURSOR_SECRET: SECRET });
    const b = await makeApp({ CURSOR_SECRET: SECRET });
    const c = await makeApp({ CURSOR_SECRET: 'yet-another-secret-that-is-long-enough-012345' });
    const cursor = await nextCursor(a, '/v1/platforms?limit=2');
    expect((await b.inject(`/v1/platforms?limit=2&cursor=${cursor}`)).statusCode).toBe(200);
    expectProblem(await c.inject(`/v1/platforms?limit=2&cursor=${cursor}`), 400);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CURSOR_SECRET: is required when NODE_ENV=production/);
    expect(() => loadConfig({ CURSOR_SECRET: 'short' })).toThrow(/CURSOR_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', CURSOR_SECRET: SECRET }).CURSOR_SECRET).toBe(SECRET);
  });
});
