import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { PlatformWriteResult } from '../src/schemas/admin.js';
import { PlatformRecord } from '../src/schemas/platform.js';
import { createKey, expectProblem, makeApp, parse } from './helpers.js';

type Json = Record<string, unknown>;

async function setup() {
  const app = await makeApp();
  const editor = await createKey(app, 'ed', 'editor');
  return { app, headers: { authorization: `Bearer ${editor}` } };
}

async function doc(app: FastifyInstance): Promise<Json> {
  return (await app.inject('/openapi.json')).json() as Json;
}

function operation(document: Json, path: string, method: string) {
  return (document.paths as Record<string, Record<string, Json>>)[path]![method] as {
    parameters: { name: string; in: string; required?: boolean; schema: Json }[];
    requestBody: { content: Record<string, { schema: Json; example?: unknown }> };
    responses: Record<string, { description: string }>;
  };
}

const patch = (app: FastifyInstance, headers: Record<string, string>, message: string | undefined, lastVerified = '2026-02-01') =>
  app.inject({
    method: 'PATCH',
    url: '/v1/admin/platforms/x',
    headers: {
      ...headers,
      'content-type': 'application/merge-patch+json',
      ...(message === undefined ? {} : { 'x-change-message': message }),
    },
    payload: { lastVerified },
  });

describe('X-Change-Message: required, 1 to 2000 characters once decoded', () => {
  it('the document says required, with the encoded limit (3 × 4 × 2000 bytes)', async () => {
    const { app } = await setup();
    for (const method of ['put', 'patch', 'delete']) {
      const header = operation(await doc(app), '/v1/admin/platforms/{slug}', method).parameters.find((p) => p.name === 'x-change-message');
      expect(header, method).toMatchObject({ in: 'header', required: true, schema: { type: 'string', minLength: 1, maxLength: 24000 } });
    }
  });

  it('is refused when missing, empty or longer than 2000 characters, in the API’s words', async () => {
    const { app, headers } = await setup();
    const missing = expectProblem(await patch(app, headers, undefined), 400);
    expect(missing.errors).toEqual([{ field: 'header.x-change-message', message: expect.stringMatching(/^is required: say why/) }]);
    expectProblem(await patch(app, headers, ''), 400);
    expectProblem(await patch(app, headers, 'a'.repeat(2001)), 400);
    expect((await patch(app, headers, 'a'.repeat(2000))).statusCode).toBe(201);
  });

  it('counts decoded characters: 2000 non-ASCII characters pass, 2001 do not', async () => {
    const { app, headers } = await setup();
    // 12,000 bytes encoded: the old 6000-byte limit cut such a message near 666 characters.
    const umlauts = encodeURIComponent('ü'.repeat(2000));
    const ok = await patch(app, headers, umlauts);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(parse(PlatformWriteResult, ok).change?.message).toBe('ü'.repeat(2000));
    const emoji = await patch(app, headers, encodeURIComponent('😀'.repeat(2000)), '2026-02-02');
    expect(emoji.statusCode, emoji.body).toBe(201);
    const tooLong = expectProblem(await patch(app, headers, encodeURIComponent('ü'.repeat(2001)), '2026-02-03'), 400);
    expect(tooLong.detail).toMatch(/2000 characters/);
  });
});

describe('PATCH /v1/admin/platforms/{slug} takes both media types it documents', () => {
  it('documents application/merge-patch+json and application/json, with an example', async () => {
    const { app } = await setup();
    const content = operation(await doc(app), '/v1/admin/platforms/{slug}', 'patch').requestBody.content;
    expect(Object.keys(content)).toEqual(['application/merge-patch+json', 'application/json']);
    const components = (await doc(app)).components as { schemas: Record<string, { examples?: unknown[] }> };
    expect(components.schemas.MergePatch?.examples?.length).toBeGreaterThan(0);
  });

  it('accepts both', async () => {
    const { app, headers } = await setup();
    for (const [type, day] of [
      ['application/merge-patch+json', '2026-03-01'],
      ['application/json', '2026-03-02'],
    ]) {
      const res = await app.inject({
        method: 'PATCH',
        url: '/v1/admin/platforms/x',
        headers: { ...headers, 'content-type': type!, 'x-change-message': 'verify' },
        payload: { lastVerified: day },
      });
      expect(res.statusCode, type).toBe(201);
      expect(parse(PlatformWriteResult, res).platform.lastVerified).toBe(day);
    }
  });
});

describe('preconditions and problems', () => {
  it('PUT with If-None-Match: * creates only: 412 when the platform exists, 201 when it does not', async () => {
    const { app, headers } = await setup();
    const x = parse(PlatformRecord, await app.inject('/v1/platforms/x'));
    const put = (slug: string) =>
      app.inject({
        method: 'PUT',
        url: `/v1/admin/platforms/${slug}`,
        headers: { ...headers, 'if-none-match': '*', 'x-change-message': 'create only' },
        payload: { ...x, slug },
      });
    const exists = expectProblem(await put('x'), 412);
    expect(exists.code).toBe('precondition-failed');
    expect(exists.currentEtag).toEqual(expect.stringMatching(/^"x\./));
    const created = await put('x-clone');
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers.location).toMatch(/^\/v1\/changes\/\d+$/);
    expect((await app.inject('/v1/platforms/x-clone')).statusCode).toBe(200);
    expectProblem(await put('x-clone'), 412);
  });

  it('a change-set write answers with the ETag of the change set it created, the one GET /v1/changes/{version} sends', async () => {
    const { app, headers } = await setup();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/changes',
      headers,
      payload: { message: 'verify', operations: [{ op: 'patch', slug: 'x', patch: { lastVerified: '2026-06-01' } }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const location = String(res.headers.location);
    const read = await app.inject(location);
    expect(res.headers.etag).toBeDefined();
    expect(read.headers.etag).toBe(res.headers.etag);
    expect((await app.inject({ url: location, headers: { 'if-none-match': String(res.headers.etag) } })).statusCode).toBe(304);
  });

  it('every problem response says Cache-Control: no-store', async () => {
    const { app, headers } = await setup();
    for (const res of [
      await app.inject('/v1/platforms/nope'),
      await app.inject('/v1/changes/999'),
      await app.inject('/v1/platforms?limit=0'),
      await app.inject({ method: 'GET', url: '/v1/admin/audit' }),
      await patch(app, headers, undefined),
    ]) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.headers['cache-control'], res.body).toBe('no-store');
    }
  });

  it('each problem code has its own documented meaning (a reused Idempotency-Key is not "would leave a record invalid")', async () => {
    const { app } = await setup();
    const document = await doc(app);
    const put = operation(document, '/v1/admin/platforms/{slug}', 'put');
    expect(put.responses['422']?.description).toMatch(/`idempotency-key-reused`: this Idempotency-Key was already used/);
    expect(put.responses['422']?.description).toMatch(/`validation-failed`:/);
    expect(put.responses['404']?.description).toMatch(/`not-found`:.*`version-not-found`:/);
    const problem = (document.components as { schemas: Record<string, { properties: Record<string, { enum: string[] }> }> }).schemas
      .Problem!;
    expect(problem.properties.code!.enum).toEqual(expect.arrayContaining(['idempotency-key-reused', 'validation-failed', 'rate-limited']));
    expect((document.info as Json).contact).toMatchObject({ name: expect.any(String) });
  });
});

describe('input limits: every array and string a client sends is bounded, by the same zod schemas', () => {
  it('a setting with more than one path per device (6 paths) is a 400 naming the field', async () => {
    const { app, headers } = await setup();
    const x = parse(PlatformRecord, await app.inject('/v1/platforms/x'));
    const setting = x.settings[0]!;
    const path = setting.paths[0]!;
    const broken = {
      ...x,
      settings: [
        { ...setting, paths: ['web', 'ios', 'android', 'mobile_web', 'desktop_app', 'web'].map((device) => ({ ...path, device })) },
      ],
    };
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/admin/platforms/x',
      headers: { ...headers, 'x-change-message': 'too many paths' },
      payload: broken,
    });
    const problem = expectProblem(res, 400);
    expect(problem.errors).toContainEqual({ field: 'body.settings.0.paths', message: 'may have one path per device (5 at most)' });
  });

  it('the document bounds every array (maxItems) and string (maxLength, enum or pattern) in request bodies and parameters', async () => {
    const { app } = await setup();
    const document = await doc(app);
    const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
    const loose: string[] = [];
    const seen = new Set<string>();
    const visit = (node: unknown, where: string): void => {
      if (!node || typeof node !== 'object') return;
      const schema = node as Json;
      if (typeof schema.$ref === 'string') {
        const name = schema.$ref.split('/').pop()!;
        if (!seen.has(name)) {
          seen.add(name);
          visit(schemas[name], name);
        }
        return;
      }
      if (schema.type === 'array' && schema.maxItems === undefined) loose.push(`${where}: array without maxItems`);
      if (schema.type === 'string' && schema.maxLength === undefined && schema.enum === undefined && schema.const === undefined)
        loose.push(`${where}: string without maxLength`);
      for (const [key, value] of Object.entries(schema)) {
        if (key === 'properties') for (const [name, child] of Object.entries(value as Json)) visit(child, `${where}.${name}`);
        else if (Array.isArray(value)) for (const child of value) visit(child, where);
        else if (typeof value === 'object') visit(value, `${where}/${key}`);
      }
    };
    let inputs = 0;
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(item)) {
        const o = op as { parameters?: { name: string; schema: Json }[]; requestBody?: { content: Record<string, { schema: Json }> } };
        for (const p of o.parameters ?? []) {
          visit(p.schema, `${method} ${path} ${p.name}`);
          inputs++;
        }
        for (const media of Object.values(o.requestBody?.content ?? {})) {
          visit(media.schema, `${method} ${path} body`);
          inputs++;
        }
      }
    }
    expect(inputs).toBeGreaterThan(30);
    expect(seen.has('Setting') && seen.has('OptOutPath') && seen.has('ChangeSetRequest')).toBe(true);
    expect(loose).toEqual([]);
  });
});
