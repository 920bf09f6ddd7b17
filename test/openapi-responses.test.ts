import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createKey, makeApp } from './helpers.js';

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type Json = Record<string, unknown>;
interface HeaderObject {
  required?: boolean;
  schema: Json;
}
interface ResponseObject {
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, { schema: Json }>;
}
interface OperationObject {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
interface Document {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, Json>; headers: Record<string, HeaderObject> };
}

/**
 * Checks real responses against the OpenAPI document the server publishes (not the zod schemas it
 * was generated from): the status must be documented for the operation, the body must validate
 * against that status's media type schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses), and every
 * declared header must be present when required and valid when present.
 */
class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  /** operationId → statuses seen. */
  readonly seen = new Map<string, Set<string>>();

  constructor(readonly doc: Document) {
    addFormats(this.ajv);
    // One schema holds the components, so `#/components/...` references resolve through it.
    this.ajv.addSchema({ $id: 'openapi', components: this.rebase(doc.components) });
  }

  private rebase<T>(node: T): T {
    return JSON.parse(JSON.stringify(node).replaceAll('"#/components/', '"openapi#/components/')) as T;
  }

  private validator(id: string, schema: Json): ValidateFunction {
    let v = this.compiled.get(id);
    if (!v) {
      v = this.ajv.compile(this.rebase(schema));
      this.compiled.set(id, v);
    }
    return v;
  }

  operation(method: string, url: string): [string, OperationObject] {
    const path = url.split('?')[0]!;
    for (const [template, item] of Object.entries(this.doc.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const op = item[method.toLowerCase()];
      if (op && pattern.test(path)) return [template, op];
    }
    throw new Error(`${method} ${path} is not in the document`);
  }

  check(method: string, url: string, res: LightMyRequestResponse): string[] {
    const [template, op] = this.operation(method, url);
    const status = String(res.statusCode);
    const where = `${op.operationId} ${status} (${method} ${url})`;
    const statuses = this.seen.get(op.operationId) ?? new Set<string>();
    statuses.add(status);
    this.seen.set(op.operationId, statuses);
    const response = op.responses[status];
    if (!response) return [`${where}: status not documented`];
    const faults: string[] = [];
    const type = String(res.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    if (response.content) {
      const media = response.content[type];
      if (!media) faults.push(`${where}: content type "${type}" not documented (${Object.keys(response.content).join(', ')})`);
      else {
        const body = type.endsWith('json') ? res.json() : res.body;
        const validate = this.validator(`${template} ${method} ${status} ${type}`, media.schema);
        if (!validate(body)) faults.push(`${where}: body ${this.ajv.errorsText(validate.errors)}`);
      }
    } else if (res.body !== '') faults.push(`${where}: a body where none is documented`);
    for (const [name, ref] of Object.entries(response.headers ?? {})) {
      const header = this.doc.components.headers[ref.$ref.split('/').pop()!]!;
      const raw = res.headers[name.toLowerCase()];
      if (raw === undefined) {
        if (header.required) faults.push(`${where}: required header ${name} missing`);
        continue;
      }
      const value = header.schema.type === 'integer' && /^\d+$/.test(String(raw)) ? Number(raw) : String(raw);
      const validate = this.validator(ref.$ref, header.schema);
      if (!validate(value)) faults.push(`${where}: header ${name}: ${JSON.stringify(raw)} ${this.ajv.errorsText(validate.errors)}`);
    }
    return faults;
  }
}

async function exercise(app: FastifyInstance, checker: ContractChecker, requests: InjectOptions[], faults: string[]) {
  const responses: LightMyRequestResponse[] = [];
  for (const request of requests) {
    const res = await app.inject(request);
    faults.push(...checker.check(request.method ?? 'GET', String(request.url), res));
    responses.push(res);
  }
  return responses;
}

describe('real responses match the published OpenAPI document (bodies and declared headers)', () => {
  it('every operation’s 2xx, 304 and 4xx responses, reads and writes', { timeout: 120_000 }, async () => {
    // Webhook targets on loopback over http are allowed here (local testing); nothing is delivered (no worker).
    const app = await makeApp({ MAX_EVENT_LOOP_DELAY_MS: 0, WEBHOOK_ALLOW_HTTP: true, WEBHOOK_ALLOW_PRIVATE: true });
    const checker = new ContractChecker((await app.inject('/openapi.json')).json() as Document);
    const editor = { authorization: `Bearer ${await createKey(app, 'ed', 'editor')}` };
    const admin = { authorization: `Bearer ${await createKey(app, 'root', 'admin')}` };
    const merge = { ...editor, 'content-type': 'application/merge-patch+json' };
    const faults: string[] = [];
    const x = (await app.inject('/v1/platforms/x')).json() as Json;
    const event = {
      id: 'contract-test',
      kind: 'clarification',
      title: 'A clarification',
      summary: 'The platform clarified its help page.',
      announcedDate: '2026-01-02',
      effectiveDate: null,
      settingIds: [],
      regions: [],
      sources: [(x.sources as { id: string }[])[0]!.id],
    };

    const reads: InjectOptions[] = [
      { url: '/healthz' },
      { url: '/readyz' },
      { url: '/v1/platforms?region=DE&limit=3' },
      { url: '/v1/platforms?category=nope' },
      { url: '/v1/platforms?version=999' },
      { url: '/v1/platforms/linkedin' },
      { url: '/v1/platforms/linkedin?version=1&at=2024-10-01' },
      { url: '/v1/platforms/no-such' },
      { url: '/v1/platforms/linkedin/opt-out?region=DE&device=ios' },
      { url: '/v1/platforms/linkedin/opt-out?region=DE&accountType=enterprise' },
      { url: '/v1/platforms/linkedin/opt-out?region=ZZ' },
      { url: '/v1/platforms/linkedin/opt-out?accountType=student' },
      { url: '/v1/platforms?accountType=education&limit=2' },
      { url: '/v1/platforms/linkedin/history' },
      { url: '/v1/platforms/linkedin/history?limit=0' },
      { url: '/v1/platforms/linkedin/diff?from=1&to=1' },
      { url: '/v1/platforms/linkedin/diff?from=1' },
      { url: '/v1/events?platform=linkedin&limit=2' },
      { url: '/v1/events?kind=nope' },
      { url: '/v1/regions' },
      { url: '/v1/account-types' },
      {
        method: 'POST',
        url: '/mcp',
        headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
        payload: {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
        },
      },
      {
        method: 'POST',
        url: '/mcp',
        headers: {
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
          'mcp-protocol-version': '2025-06-18',
        },
        payload: { jsonrpc: '2.0', method: 'notifications/initialized' },
      },
      { method: 'POST', url: '/mcp', headers: { accept: 'application/json' }, payload: { jsonrpc: '2.0', id: 1, method: 'ping' } },
      { method: 'POST', url: '/mcp', headers: { accept: 'application/json, text/event-stream' }, payload: { hello: 'world' } },
      { url: '/v1/purposes' },
      { url: '/v1/changes?limit=1' },
      { url: '/v1/changes?after=1.0' },
      { url: '/v1/changes/1' },
      { url: '/v1/changes/99' },
      { url: '/v1/export' },
      { url: '/v1/export?version=99' },
      { url: '/v1/registry' },
      { url: '/v1/changes.atom' },
      { url: '/v1/platforms/linkedin/changes.atom' },
      { url: '/v1/platforms/no-such/changes.atom' },
      { url: '/v1/admin/audit', headers: admin },
      { url: '/v1/admin/audit' },
      { url: '/v1/admin/audit', headers: editor },
      { url: '/v1/admin/audit?limit=x', headers: admin },
    ];
    const firstReads = await exercise(app, checker, reads, faults);
    // Revalidation: every read again with the ETag it got.
    await exercise(
      app,
      checker,
      reads.flatMap((r, i) => {
        const etag = firstReads[i]!.headers.etag;
        return firstReads[i]!.statusCode === 200 && etag ? [{ ...r, headers: { ...r.headers, 'if-none-match': String(etag) } }] : [];
      }),
      faults,
    );

    const writes: InjectOptions[] = [
      {
        method: 'PATCH',
        url: '/v1/admin/platforms/x',
        headers: { ...merge, 'x-change-message': 'verify' },
        payload: { lastVerified: '2026-05-01' },
      },
      {
        method: 'PATCH',
        url: '/v1/admin/platforms/x',
        headers: { ...merge, 'x-change-message': 'verify' },
        payload: { lastVerified: '2026-05-01' },
      },
      { method: 'PATCH', url: '/v1/admin/platforms/x', headers: merge, payload: { lastVerified: '2026-05-02' } },
      {
        method: 'PATCH',
        url: '/v1/admin/platforms/x',
        headers: { ...editor, 'content-type': 'text/csv', 'x-change-message': 'm' },
        payload: 'a,b',
      },
      { method: 'PATCH', url: '/v1/admin/platforms/x', headers: { ...merge, 'x-change-message': 'm' }, payload: { category: 'nope' } },
      {
        method: 'PATCH',
        url: '/v1/admin/platforms/x',
        headers: { ...merge, 'x-change-message': 'm', 'if-match': '"x.1.r1"' },
        payload: {},
      },
      { method: 'PATCH', url: '/v1/admin/platforms/nope', headers: { ...merge, 'x-change-message': 'm' }, payload: { name: 'N' } },
      { method: 'PATCH', url: '/v1/admin/platforms/x', headers: { 'content-type': 'application/json' }, payload: {} },
      {
        method: 'PUT',
        url: '/v1/admin/platforms/x-copy',
        headers: { ...editor, 'x-change-message': 'copy' },
        payload: { ...x, slug: 'x-copy' },
      },
      {
        method: 'PUT',
        url: '/v1/admin/platforms/x-copy',
        headers: { ...editor, 'x-change-message': 'copy' },
        payload: { ...x, slug: 'x-copy' },
      },
      {
        method: 'PUT',
        url: '/v1/admin/platforms/x-copy',
        headers: { ...editor, 'x-change-message': 'copy', 'if-none-match': '*' },
        payload: { ...x, slug: 'x-copy' },
      },
      {
        method: 'PUT',
        url: '/v1/admin/platforms/x-big',
        headers: { ...editor, 'content-type': 'application/json', 'x-change-message': 'big' },
        payload: `"${'x'.repeat(2_000_000)}"`,
      },
      {
        method: 'POST',
        url: '/v1/admin/platforms/x/events',
        headers: { ...editor, 'idempotency-key': 'event-1' },
        payload: { message: 'An event', event },
      },
      {
        method: 'POST',
        url: '/v1/admin/platforms/x/events',
        headers: { ...editor, 'idempotency-key': 'event-1' },
        payload: { message: 'An event', event },
      },
      {
        method: 'POST',
        url: '/v1/admin/platforms/x/events',
        headers: { ...editor, 'idempotency-key': 'event-1' },
        payload: { message: 'Another body', event },
      },
      {
        method: 'POST',
        url: '/v1/admin/changes',
        headers: editor,
        payload: { message: 'both', operations: [{ op: 'patch', slug: 'x', patch: { lastVerified: '2026-05-03' } }] },
      },
      {
        method: 'POST',
        url: '/v1/admin/changes',
        headers: editor,
        payload: { message: 'same', operations: [{ op: 'patch', slug: 'x', patch: { lastVerified: '2026-05-03' } }] },
      },
      { method: 'POST', url: '/v1/admin/changes', headers: editor, payload: { message: 'none', operations: [] } },
      {
        method: 'POST',
        url: '/v1/admin/changes',
        headers: admin,
        payload: { message: 'x', operations: [{ op: 'retire', slug: 'x', ifVersion: 1 }] },
      },
      { method: 'DELETE', url: '/v1/admin/platforms/x-copy', headers: { ...editor, 'x-change-message': 'retire' } },
      { method: 'DELETE', url: '/v1/admin/platforms/x-copy', headers: { ...editor, 'x-change-message': 'retire' } },
      { method: 'POST', url: '/v1/admin/changes/999/revert', headers: editor, payload: { message: 'undo' } },
    ];
    await exercise(app, checker, writes, faults);
    const version = ((await app.inject('/v1/registry')).json() as { version: number }).version;
    await exercise(
      app,
      checker,
      [
        { method: 'POST', url: `/v1/admin/changes/${version}/revert`, headers: editor, payload: { message: 'undo the retirement' } },
        { method: 'POST', url: '/v1/admin/changes/1/revert', headers: editor, payload: { message: 'undo the seed' } },
      ],
      faults,
    );
    // The review list and the webhook endpoints (admin), with a 2xx and a 4xx each.
    const json = { ...admin, 'content-type': 'application/json' };
    await exercise(
      app,
      checker,
      [
        { url: '/v1/admin/review', headers: editor },
        { url: '/v1/admin/review?staleAfterDays=0x10', headers: editor },
        {
          method: 'POST',
          url: '/v1/admin/webhooks',
          headers: json,
          payload: { url: 'http://127.0.0.1:9/hook', description: 'contract test' },
        },
        { method: 'POST', url: '/v1/admin/webhooks', headers: json, payload: { url: 'ftp://example.org/x', description: 'bad' } },
        { method: 'POST', url: '/v1/admin/webhooks', headers: editor, payload: { url: 'http://127.0.0.1:9/hook', description: 'x' } },
      ],
      faults,
    );
    const hookId = ((await app.inject({ url: '/v1/admin/webhooks', headers: admin })).json() as { data: { id: number }[] }).data[0]!.id;
    await exercise(
      app,
      checker,
      [{ method: 'POST', url: `/v1/admin/webhooks/${hookId}/replay`, headers: json, payload: { sinceVersion: 0 } }],
      faults,
    );
    const deliveries = (await app.inject({ url: `/v1/admin/webhooks/${hookId}/deliveries`, headers: admin })).json() as {
      data: { id: number }[];
    };
    const deliveryId = deliveries.data[0]?.id ?? 1;
    await exercise(
      app,
      checker,
      [
        { url: '/v1/admin/webhooks', headers: admin },
        { url: '/v1/admin/webhooks?limit=0', headers: admin },
        { url: `/v1/admin/webhooks/${hookId}`, headers: admin },
        { url: '/v1/admin/webhooks/999999', headers: admin },
        { method: 'PATCH', url: `/v1/admin/webhooks/${hookId}`, headers: json, payload: { description: 'renamed' } },
        { method: 'PATCH', url: `/v1/admin/webhooks/${hookId}`, headers: json, payload: { nope: 1 } },
        { method: 'POST', url: `/v1/admin/webhooks/${hookId}/pause`, headers: admin },
        { method: 'POST', url: '/v1/admin/webhooks/999999/pause', headers: admin },
        { method: 'POST', url: `/v1/admin/webhooks/${hookId}/resume`, headers: admin },
        { method: 'POST', url: '/v1/admin/webhooks/999999/resume', headers: admin },
        { method: 'POST', url: `/v1/admin/webhooks/${hookId}/rotate-secret`, headers: admin },
        { method: 'POST', url: '/v1/admin/webhooks/999999/rotate-secret', headers: admin },
        { url: `/v1/admin/webhooks/${hookId}/deliveries`, headers: admin },
        { url: `/v1/admin/webhooks/${hookId}/deliveries?status=nope`, headers: admin },
        { method: 'POST', url: `/v1/admin/webhooks/${hookId}/deliveries/${deliveryId}/redeliver`, headers: admin },
        { method: 'POST', url: `/v1/admin/webhooks/${hookId}/deliveries/999999/redeliver`, headers: admin },
        { method: 'POST', url: `/v1/admin/webhooks/${hookId}/replay`, headers: json, payload: {} },
        { method: 'DELETE', url: `/v1/admin/webhooks/${hookId}`, headers: admin },
        { method: 'DELETE', url: `/v1/admin/webhooks/${hookId}`, headers: admin },
      ],
      faults,
    );
    expect(faults).toEqual([]);

    // Every operation was seen with a 2xx and a 4xx (the operations with no parameters get theirs below).
    const operations = Object.values(checker.doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const missing = operations.filter((id) => ![...(checker.seen.get(id) ?? [])].some((s) => s.startsWith('2')));
    expect(missing).toEqual([]);
    const statuses = new Set([...checker.seen.values()].flatMap((s) => [...s]));
    for (const status of ['200', '201', '304', '400', '401', '403', '404', '409', '412', '413', '415', '422'])
      expect(statuses, status).toContain(status);
  });

  it('429 from every operation carries Retry-After and the rate-limit headers it declares', { timeout: 60_000 }, async () => {
    const app = await makeApp({ RATE_LIMIT_MAX: 1, ADMIN_RATE_LIMIT_MAX: 1, HEALTH_RATE_LIMIT_MAX: 1, MAX_EVENT_LOOP_DELAY_MS: 0 });
    const checker = new ContractChecker((await app.inject('/openapi.json')).json() as Document);
    const admin = { authorization: `Bearer ${await createKey(app, 'root', 'admin')}` };
    const faults: string[] = [];
    const limited: string[] = [];
    for (const [template, item] of Object.entries(checker.doc.paths)) {
      for (const method of Object.keys(item)) {
        const url = template.replace('{slug}', 'linkedin').replace('{version}', '1').replace('{id}', '1').replace('{deliveryId}', '1');
        // Each operation from its own address: the budget is per client and route group.
        const remoteAddress = `127.0.${limited.length + 1}.1`;
        for (let i = 0; i < 3; i++) {
          const headers = template.startsWith('/v1/admin') ? admin : {};
          const res = await app.inject({ method: method.toUpperCase() as 'GET', url, remoteAddress, headers });
          faults.push(...checker.check(method, url, res));
          if (res.statusCode === 429) {
            expect(res.headers['x-ratelimit-limit'], url).toBe('1');
            limited.push(`${method} ${template}`);
            break;
          }
        }
      }
    }
    expect(faults).toEqual([]);
    const all = Object.entries(checker.doc.paths).flatMap(([template, item]) => Object.keys(item).map((m) => `${m} ${template}`));
    expect(all.filter((op) => !limited.includes(op))).toEqual([]);
  });

  it('the checker is not blind: a body, a header or a status the document does not allow is reported', async () => {
    const app = await makeApp({ MAX_EVENT_LOOP_DELAY_MS: 0 });
    const checker = new ContractChecker((await app.inject('/openapi.json')).json() as Document);
    const res = await app.inject('/v1/registry');
    const tampered = (changes: Partial<LightMyRequestResponse>) => ({ ...res, ...changes }) as LightMyRequestResponse;
    const withBody = (body: unknown) => tampered({ json: () => body, body: JSON.stringify(body) } as Partial<LightMyRequestResponse>);
    expect(checker.check('GET', '/v1/registry', res)).toEqual([]);
    expect(checker.check('GET', '/v1/registry', withBody({ ...(res.json() as Json), version: 'seven' })).join()).toMatch(/version/);
    expect(checker.check('GET', '/v1/registry', tampered({ headers: { ...res.headers, etag: undefined } })).join()).toMatch(/ETag missing/);
    expect(checker.check('GET', '/v1/registry', tampered({ headers: { ...res.headers, 'cache-control': 'private' } })).join()).toMatch(
      /Cache-Control/,
    );
    expect(checker.check('GET', '/v1/registry', tampered({ statusCode: 418 })).join()).toMatch(/not documented/);
  });
});
