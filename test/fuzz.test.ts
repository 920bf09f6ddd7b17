import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Problem } from '../src/schemas/responses.js';
import { createKey, expectProblem, makeApp } from './helpers.js';

/**
 * Fuzzing derived from the OpenAPI document the app serves: every operation, every path, query and
 * header parameter and every body field gets wrong types, missing values, 100 kB strings, unicode
 * (emoji, RTL, NUL, lone surrogates), injection strings, impossible dates, absurd versions and forged
 * cursors. The invariants: no 5xx ever, every 4xx is RFC 9457 problem+json, and nothing a stranger or
 * an invalid write sends changes the registry (the export is byte-identical before and after).
 *
 * Runs are reproducible: every random choice comes from fast-check with SEED (printed; set FUZZ_SEED
 * to try another). A failure lists the requests that broke an invariant.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_251_123);
const HUGE = 100_000;
const TIMEOUT = 120_000;

// ---------------------------------------------------------------------------------------------
// The operations, from the app's own OpenAPI document.

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Location = 'path' | 'query' | 'header';

interface SpecParam {
  in: Location;
  name: string;
  required: boolean;
  schema: { enum?: unknown[]; default?: unknown };
}

interface SpecOperation {
  id: string;
  method: Method;
  /** OpenAPI path template, e.g. `/v1/platforms/{slug}`. */
  path: string;
  params: SpecParam[];
  hasBody: boolean;
  /** Every property name the request body schema declares, at any depth. */
  bodyFields: Set<string>;
  admin: boolean;
}

interface OpenApi {
  paths: Record<
    string,
    Record<string, { operationId: string; parameters?: SpecParam[]; requestBody?: { content: Record<string, { schema?: unknown }> } }>
  >;
  components?: { schemas?: Record<string, unknown> };
}

function resolveRef(spec: OpenApi, schema: unknown): unknown {
  const ref = (schema as { $ref?: unknown } | undefined)?.$ref;
  return typeof ref === 'string' ? spec.components?.schemas?.[ref.replace('#/components/schemas/', '')] : schema;
}

/** Property names in a JSON schema, through $ref, oneOf/anyOf/allOf, items and additionalProperties. */
function propertyNames(spec: OpenApi, schema: unknown, names = new Set<string>(), seen = new Set<unknown>()): Set<string> {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return names;
  seen.add(schema);
  const node = schema as Record<string, unknown>;
  if (typeof node.$ref === 'string') {
    propertyNames(spec, spec.components?.schemas?.[node.$ref.replace('#/components/schemas/', '')], names, seen);
  }
  for (const [name, child] of Object.entries((node.properties as Record<string, unknown> | undefined) ?? {})) {
    names.add(name);
    propertyNames(spec, child, names, seen);
  }
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const)
    for (const child of (node[key] as unknown[] | undefined) ?? []) propertyNames(spec, child, names, seen);
  propertyNames(spec, node.items, names, seen);
  propertyNames(spec, node.additionalProperties, names, seen);
  return names;
}

function operationsOf(app: FastifyInstance): SpecOperation[] {
  const spec = app.swagger() as unknown as OpenApi;
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      id: op.operationId,
      method: method.toUpperCase() as Method,
      path,
      // Parameter schemas with their $ref resolved, so enums are visible.
      params: (op.parameters ?? []).map((p) => ({ ...p, schema: resolveRef(spec, p.schema) as SpecParam['schema'] })),
      hasBody: op.requestBody !== undefined,
      bodyFields: propertyNames(spec, Object.values(op.requestBody?.content ?? {})[0]?.schema),
      admin: path.startsWith('/v1/admin'),
    })),
  );
}

// ---------------------------------------------------------------------------------------------
// Hostile values.

/** Text put in a URL exactly as given (malformed escapes and the like), not percent-encoded. */
class RawUrl {
  constructor(readonly text: string) {}
  toString() {
    return `raw(${this.text})`;
  }
}

/** JSON text spliced into a body as is: nesting too deep to stringify, numbers JSON.stringify cannot write. */
class RawJson {
  constructor(readonly text: string) {}
}

/** A query, path or header value: text (percent-encoded in URLs), raw URL text, or absent. */
type Slot = string | RawUrl | undefined;

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Values no date parameter may accept. */
const IMPOSSIBLE_DATE_LIST: readonly string[] = [
  '2024-02-30',
  '0000-00-00',
  '99999-01-01',
  '2024-1-1',
  '2024-13-01',
  '2023-02-29',
  '2024-02-29T00:00:00Z',
  '2024-02-29 ',
  '١٢٣٤-٠١-٠١',
  '-0001-01-01',
];

const NASTY: readonly string[] = [
  // empty, blank, huge
  '',
  ' ',
  '\t',
  'A'.repeat(HUGE),
  '🙂'.repeat(HUGE / 4),
  'é'.repeat(HUGE),
  // unicode
  '🙂',
  '👩‍👩‍👧‍👦',
  '\u202eevil\u202c',
  'مرحبا',
  'שלום',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\ufeff',
  '\uffff',
  'İ',
  'ß',
  'ＬＩＮＫＥＤＩＮ',
  // injection
  "' OR 1=1 --",
  '1; DROP TABLE change_sets; --',
  '" OR ""="',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '<script>alert(1)</script>',
  '%00',
  '%2e%2e%2f',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, meant literally
  '${7*7}',
  '{{7*7}}',
  '$(id)',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '*',
  '%',
  '&x=1',
  '=',
  '#',
  '?',
  '/',
  '\\',
  // dates
  ...IMPOSSIBLE_DATE_LIST,
  // versions and numbers
  '-1',
  '0',
  '-0',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '1e308',
  '1e309',
  '-1e308',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '0b1',
  '1.5',
  '1.0',
  ' 1',
  '1 ',
  '+1',
  '00001',
  '1_000',
  '١',
  // cursors: random base64, base64 of junk JSON, huge
  'AAAA',
  '====',
  b64('{}'),
  b64('null'),
  b64('[]'),
  b64('{"v":-1,"k":"a"}'),
  b64('{"v":1e308,"k":"a"}'),
  b64('{"v":1.5,"k":"a"}'),
  b64('{"v":1,"k":{}}'),
  b64('{"v":1,"k":"\u0000"}'),
  b64('{"v":99999999,"k":"zzz"}'),
  b64('{"v":1,"k":-5}'),
  b64('{"v":1,"k":1e308}'),
  b64('{"v":1,"k":9007199254740993}'),
  b64(`{"v":1,"k":"${'z'.repeat(400)}"}`),
  b64('{"v":1,"k":"a"'),
  b64('{"__proto__":{"v":1},"k":"a"}'),
  b64('x'.repeat(HUGE)),
];

const RAW_URL: readonly RawUrl[] = ['%', '%zz', '%00', '%E0%A4%A', '%ED%A0%80', '%C0%AE%C0%AE%2F', '..%2F..%2F', 'a+b', '%2B1', '1%20'].map(
  (t) => new RawUrl(t),
);

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));

const stringArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  fc.string({ unit: codeUnit, maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc
    .tuple(fc.integer({ min: -1, max: 100_000 }), fc.integer({ min: -1, max: 14 }), fc.integer({ min: -1, max: 40 }), fc.boolean())
    .map(([y, m, d, pad]) =>
      pad ? `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}` : `${y}-${m}-${d}`,
    ),
  fc.base64String({ maxLength: 60 }),
  fc.jsonValue({ maxDepth: 2 }).map((v) => b64(JSON.stringify(v) ?? 'null')),
  fc
    .tuple(fc.constantFrom('linkedin', 'DE', '1', '2024-10-01', 'ios'), fc.constantFrom(...NASTY.filter((s) => s.length < 100)))
    .map(([a, b]) => a + b),
);

/** A URL slot: a hostile string, or raw URL text now and then. */
const slotArb: fc.Arbitrary<Slot> = fc.oneof({ weight: 12, arbitrary: stringArb }, { weight: 1, arbitrary: fc.constantFrom(...RAW_URL) });

const RAW_JSON: readonly RawJson[] = [
  deepObject(40),
  deepObject(5_000),
  deepArray(100_000),
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '0.1e-400',
  '"\\ud800"',
  '"\\u0000"',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  `[${Array.from({ length: 10_000 }, () => '0').join(',')}]`,
].map((t) => new RawJson(t));

/** A body field value: wrong types, hostile strings, absurd numbers, deep or odd JSON. */
const jsonArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: stringArb },
  fc.constantFrom(0, -1, 1.5, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom([], {}),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.constantFrom(...RAW_JSON),
);

/** Whole bodies that are not what the operation reads: not JSON, wrong JSON, prototype pollution, too large. */
const RAW_BODIES: readonly (string | Buffer)[] = [
  '',
  ' ',
  'not json',
  '{',
  '}',
  'null',
  '[]',
  '"x"',
  '1',
  'true',
  '{"a":1,"a":2}',
  '{"message":"x","operations":[]}garbage',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '\ufeff{}',
  '{"message":"\u0000"}',
  deepArray(500_000),
  'x'.repeat(1_100_000),
  Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
  Buffer.from('{"message":"x"}', 'utf16le'),
  Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
];

const CONTENT_TYPES: readonly string[] = [
  'application/json',
  'application/merge-patch+json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/jsonx',
  '*/*',
  'json',
  ';',
  'application/json; =',
];

/** Values no date parameter may accept, and none of the integer parameters (versions, limits). */
const IMPOSSIBLE_DATES = new Set(IMPOSSIBLE_DATE_LIST);
const IMPOSSIBLE_VERSIONS = new Set([
  '-1',
  '0',
  '-0',
  '9007199254740992',
  '9007199254740993',
  '1e308',
  '1e309',
  '-1e308',
  'NaN',
  'Infinity',
  '-Infinity',
  '1.5',
  '1_000',
  'true',
  'null',
  '',
]);

type Expectation = (status: number) => string | undefined;
const anyStatus: Expectation = () => undefined;
const badRequest: Expectation = (status) => (status === 400 ? undefined : `expected 400, got ${status}`);

/** Where the answer to a hostile value is certain from the OpenAPI document: 400. Otherwise any non-5xx will do. */
function expectationFor(param: SpecParam, value: Slot): Expectation {
  if (typeof value !== 'string' || (param.in === 'path' && value === '')) return anyStatus;
  if (param.schema.enum && !param.schema.enum.includes(value)) return badRequest;
  if (['at', 'since', 'until'].includes(param.name) && IMPOSSIBLE_DATES.has(value)) return badRequest;
  if (['version', 'from', 'to', 'limit'].includes(param.name) && IMPOSSIBLE_VERSIONS.has(value)) return badRequest;
  return anyStatus;
}

// ---------------------------------------------------------------------------------------------
// Building and checking requests.

interface FuzzRequest {
  op: string;
  method: Method;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** What was fuzzed, for failure reports. */
  note: string;
}

/** Percent-encodes text for a URL; a lone surrogate becomes the (invalid) UTF-8 bytes of its code point. */
function encodeLoose(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    let out = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp >= 0xd800 && cp <= 0xdfff) {
        out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      } else out += encodeURIComponent(ch);
    }
    return out;
  }
}

const encodeSlot = (slot: Slot) => (slot instanceof RawUrl ? slot.text : encodeLoose(slot ?? ''));

/** Header values travel as text; HTTP cannot carry CR or LF in them at all. */
const headerText = (slot: Slot) => (slot instanceof RawUrl ? slot.text : (slot ?? '')).replace(/[\r\n]/g, ' ');

function buildUrl(op: SpecOperation, values: Map<string, Slot | Slot[]>, extraQuery: [string, Slot][] = []): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = values.get(`path:${name}`);
    return encodeSlot(Array.isArray(v) ? v[0] : v);
  });
  const query: string[] = [];
  for (const p of op.params.filter((x) => x.in === 'query')) {
    const v = values.get(`query:${p.name}`);
    for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined) query.push(`${p.name}=${encodeSlot(one)}`);
  }
  for (const [name, v] of extraQuery) query.push(`${encodeLoose(name)}=${encodeSlot(v)}`);
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}

function headersOf(op: SpecOperation, values: Map<string, Slot | Slot[]>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const p of op.params.filter((x) => x.in === 'header')) {
    const v = values.get(`header:${p.name}`);
    const one = Array.isArray(v) ? v[0] : v;
    if (one !== undefined) headers[p.name] = headerText(one);
  }
  return headers;
}

/** JSON text of a body, with RawJson values spliced in verbatim. */
function serialize(body: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(body, (_key, value: unknown) => {
    if (value instanceof RawJson) {
      raws.push(value.text);
      return `@@raw${raws.length - 1}@@`;
    }
    return value;
  });
  return raws.reduce((out, raw, i) => out.replace(`"@@raw${i}@@"`, () => raw), text ?? '');
}

type PathSeg = string | number;

/**
 * Every field of a body (and the body itself). Of an array's elements, one of each shape (set of
 * keys) stands for the rest: every setting looks alike, but each kind of change-set operation differs.
 */
function fieldPaths(value: unknown, prefix: PathSeg[] = []): PathSeg[][] {
  const out: PathSeg[][] = prefix.length === 0 ? [[]] : [];
  let children: [PathSeg, unknown][] = [];
  if (Array.isArray(value)) {
    const shapes = new Set<string>();
    value.forEach((element, index) => {
      const shape = element && typeof element === 'object' ? Object.keys(element).sort().join() : typeof element;
      if (!shapes.has(shape)) children.push([index, element]);
      shapes.add(shape);
    });
  } else if (value && typeof value === 'object') children = Object.entries(value);
  for (const [key, child] of children) {
    out.push([...prefix, key], ...fieldPaths(child, [...prefix, key]));
  }
  return out;
}

const MISSING = Symbol('missing');

/** A copy of `body` with the field at `path` set to `value`, or removed when `value` is MISSING. */
function mutate(body: unknown, path: PathSeg[], value: unknown): unknown {
  if (path.length === 0) return value === MISSING ? undefined : value;
  const copy = structuredClone(body) as Record<PathSeg, unknown>;
  let node = copy;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<PathSeg, unknown>;
  const last = path[path.length - 1]!;
  if (value === MISSING) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

interface Tally {
  requests: number;
  statuses: Map<number, number>;
  failures: string[];
  /** Operation id → requests sent, to prove every operation was exercised. */
  perOperation: Map<string, number>;
}

const newTally = (): Tally => ({ requests: 0, statuses: new Map(), failures: [], perOperation: new Map() });

const describeRequest = (r: FuzzRequest) =>
  `${r.method} ${r.url.slice(0, 160)}${r.url.length > 160 ? `… (${r.url.length} chars)` : ''} [${r.note}] headers=${JSON.stringify(
    Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.length > 60 ? `${v.slice(0, 60)}… (${v.length})` : v])),
  )}`;

/** Why a response breaks the contract, or undefined when it keeps it. */
function contractViolation(res: LightMyRequestResponse): string | undefined {
  if (res.statusCode >= 500) return `${res.statusCode}: ${res.body.slice(0, 300)}`;
  if (res.statusCode < 400) return undefined;
  if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) {
    return `${res.statusCode} is ${res.headers['content-type']}, not problem+json: ${res.body.slice(0, 200)}`;
  }
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return `${res.statusCode} problem body is not JSON`;
  }
  const problem = Problem.safeParse(body);
  if (!problem.success) return `${res.statusCode} problem does not match its schema: ${JSON.stringify(problem.error.issues[0])}`;
  const p = problem.data;
  if (p.status !== res.statusCode) return `problem status ${p.status} ≠ HTTP ${res.statusCode}`;
  if (p.type !== `/problems/${p.code}` || !p.title || p.detail.length < 10 || !p.instance.includes('#')) {
    return `${res.statusCode} problem lacks type/title/detail/instance: ${res.body.slice(0, 200)}`;
  }
  return undefined;
}

/** The request for `op` with these parameter values (URL and headers built from them). */
function requestFor(op: SpecOperation, values: Map<string, Slot | Slot[]>, note: string, extra: Partial<FuzzRequest> = {}): FuzzRequest {
  return { op: op.id, method: op.method, url: buildUrl(op, values), headers: headersOf(op, values), note, ...extra };
}

async function send(app: FastifyInstance, tally: Tally, request: FuzzRequest, expect: Expectation) {
  const res = await app.inject({ method: request.method, url: request.url, headers: request.headers, payload: request.payload });
  tally.requests++;
  tally.statuses.set(res.statusCode, (tally.statuses.get(res.statusCode) ?? 0) + 1);
  tally.perOperation.set(request.op, (tally.perOperation.get(request.op) ?? 0) + 1);
  const violation = contractViolation(res) ?? expect(res.statusCode);
  if (violation && tally.failures.length < 25) tally.failures.push(`${violation}\n    ← ${describeRequest(request)}`);
}

function report(phase: string, tally: Tally, started: number) {
  const statuses = [...tally.statuses.entries()]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  console.log(
    `[fuzz seed ${SEED}] ${phase}: ${tally.requests} requests in ${((performance.now() - started) / 1000).toFixed(1)} s; statuses ${statuses}`,
  );
  expect(tally.failures, `seed ${SEED}: requests that broke the contract`).toEqual([]);
}

/** What must not change: the export served over HTTP, the export computed from the tables, and row counts. */
async function registryState(app: FastifyInstance) {
  const counts = await app.store.rowCounts();
  return {
    httpExport: (await app.inject('/v1/export')).body,
    storedExport: JSON.stringify(await app.services.exports.exportAt()),
    rows: ['changeSets', 'platforms', 'platformRevisions', 'idempotencyKeys', 'apiKeys'].map((t) => `${t}=${counts[t]}`).join(' '),
  };
}

// ---------------------------------------------------------------------------------------------
// Baselines: a plausible value for each parameter, so one slot at a time can be made hostile.

interface Setup {
  app: FastifyInstance;
  ops: SpecOperation[];
  editorKey: string;
  revokedKey: string;
  baseline: (op: SpecOperation, param: SpecParam) => Slot;
  linkedin: Record<string, unknown>;
}

async function setup(): Promise<Setup> {
  // Load shedding off: generating thousands of samples blocks the event loop, and a shed 503 is not what is fuzzed here.
  const app = await makeApp({ MAX_EVENT_LOOP_DELAY_MS: 0 });
  const ops = operationsOf(app);
  const editorKey = await createKey(app, 'fuzz-editor', 'editor');
  const revokedKey = await createKey(app, 'fuzz-revoked', 'editor');
  await app.services.keys.revoke('fuzz-revoked');
  const cursorOf = async (url: string) => ((await app.inject(url)).json() as { nextCursor: string | null }).nextCursor ?? undefined;
  const platformsCursor = await cursorOf('/v1/platforms?limit=2');
  const eventsCursor = await cursorOf('/v1/events?limit=2');
  expect(platformsCursor).toBeTypeOf('string');
  expect(eventsCursor).toBeTypeOf('string');
  const byName: Record<string, string | undefined> = {
    slug: 'linkedin',
    version: '1',
    at: '2024-10-01',
    region: 'DE',
    device: 'ios',
    category: 'social',
    status: 'active',
    q: 'link',
    defaultState: 'opted_in',
    limit: '5',
    from: '1',
    to: '1',
    platform: 'linkedin',
    kind: 'policy_update',
    since: '2024-01-01',
    until: '2025-12-31',
    after: '0',
    'idempotency-key': 'fuzz-idempotency-key',
    'x-change-message': 'Fuzzing',
    'if-match': '"stale-etag"',
  };
  const baseline = (op: SpecOperation, param: SpecParam): Slot => {
    if (param.name === 'cursor') return op.id === 'listEvents' ? eventsCursor : platformsCursor;
    // A revert of an existing version would be a real write; this one does not exist.
    if (op.id === 'revertChangeSet' && param.name === 'version') return '999999';
    const known = byName[param.name];
    if (known !== undefined) return known;
    const fromSchema = param.schema.enum?.[0] ?? param.schema.default;
    return fromSchema === undefined ? undefined : String(fromSchema);
  };
  const linkedin = (await app.inject('/v1/platforms/linkedin')).json() as Record<string, unknown>;
  // The baseline must carry every optional field the schema declares, so each one gets fuzzed.
  (linkedin.events as Record<string, unknown>[])[0]!.unconfirmed = 'Fuzz baseline: an editor’s note.';
  const setting = (linkedin.settings as Record<string, unknown>[])[0]!;
  const cited = (setting.sources as string[])[0]!;
  const platformSource = (linkedin.sources as { id: string; kind: string }[]).find((src) => src.kind === 'platform')!.id;
  Object.assign(setting, {
    accountTypes: ['personal', 'business'],
    controlledBy: 'user',
    exceptions: [
      {
        id: 'fuzz',
        action: 'sent_feedback',
        description: 'Fuzz baseline.',
        dataCovered: [],
        effectiveFrom: null,
        effectiveUntil: null,
        sources: [cited],
      },
    ],
    translations: [{ lang: 'de', name: 'Name', label: null, paths: [], sources: [platformSource] }],
  });
  return { app, ops, editorKey, revokedKey, baseline, linkedin };
}

function baselineValues(s: Setup, op: SpecOperation): Map<string, Slot | Slot[]> {
  return new Map(op.params.map((p) => [`${p.in}:${p.name}`, s.baseline(op, p)]));
}

/** A seed per label, so each parameter or field gets its own reproducible sample. */
function seedFor(label: string): number {
  let salt = 0;
  for (const ch of label) salt = (salt * 31 + ch.charCodeAt(0)) | 0;
  return SEED ^ salt;
}

/** The fixed hostile values plus `extra` generated ones. */
function valuesFor(label: string, extra: number): Slot[] {
  return [...NASTY, ...RAW_URL, ...fc.sample(stringArb, { seed: seedFor(label), numRuns: extra })];
}

// ---------------------------------------------------------------------------------------------

describe(`fuzzing every operation of the OpenAPI document (seed ${SEED})`, () => {
  it(
    'public reads answer hostile parameters without a 5xx, with problem+json, and change nothing',
    async () => {
      const s = await setup();
      const { app, ops } = s;
      const reads = ops.filter((op) => !op.admin);
      expect(reads.length).toBeGreaterThanOrEqual(15);
      const before = await registryState(app);
      const tally = newTally();
      const started = performance.now();

      // 1. Systematic: each parameter of each operation takes every hostile value, the rest stay plausible.
      let mustBe400 = 0;
      for (const op of reads) {
        for (const param of op.params) {
          for (const value of valuesFor(`${op.id}:${param.name}`, 20)) {
            if (expectationFor(param, value) === badRequest) mustBe400++;
            const values = baselineValues(s, op);
            values.set(`${param.in}:${param.name}`, value);
            await send(app, tally, requestFor(op, values, `${param.name}=${String(value).slice(0, 40)}`), expectationFor(param, value));
          }
          // Missing (even when required), and repeated.
          for (const value of [undefined, [s.baseline(op, param), s.baseline(op, param)], ['1', '2']] as (Slot | Slot[])[]) {
            const values = baselineValues(s, op);
            values.set(`${param.in}:${param.name}`, value);
            await send(app, tally, requestFor(op, values, `${param.name} missing/repeated`), anyStatus);
          }
        }
      }

      // 2. Random combinations: every parameter omitted, plausible or hostile at once, unknown parameters, odd conditional headers.
      const combination = fc.constantFrom(...reads).chain((op) =>
        fc.record({
          op: fc.constant(op),
          slots: fc.tuple(...op.params.map(() => fc.oneof(fc.constant<'omit'>('omit'), fc.constant<'valid'>('valid'), slotArb))),
          extra: fc.array(
            fc.tuple(
              stringArb.filter((n) => n.length < 50),
              slotArb,
            ),
            { maxLength: 2 },
          ),
          ifNoneMatch: fc.option(stringArb, { nil: undefined }),
        }),
      );
      for (const c of fc.sample(combination, { seed: SEED, numRuns: 4_000 })) {
        const values = new Map<string, Slot | Slot[]>();
        c.op.params.forEach((p, i) => {
          const slot = c.slots[i];
          values.set(`${p.in}:${p.name}`, slot === 'omit' ? undefined : slot === 'valid' ? s.baseline(c.op, p) : slot);
        });
        const headers = headersOf(c.op, values);
        if (c.ifNoneMatch !== undefined) headers['if-none-match'] = headerText(c.ifNoneMatch);
        await send(
          app,
          tally,
          { op: c.op.id, method: c.op.method, url: buildUrl(c.op, values, c.extra), headers, note: 'combination' },
          anyStatus,
        );
      }

      report('public reads', tally, started);
      console.log(
        `[fuzz seed ${SEED}] public reads: ${mustBe400} hostile enum, date, version and limit values were required to get exactly 400`,
      );
      expect(mustBe400).toBeGreaterThan(500);
      for (const op of reads) expect(tally.perOperation.get(op.id) ?? 0, op.id).toBeGreaterThan(0);
      expect(tally.requests).toBeGreaterThanOrEqual(6_000);
      expect(await registryState(app)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    'admin routes refuse every request without a valid key with 401 problem+json, whatever else it carries',
    async () => {
      const s = await setup();
      const { app, ops, editorKey, revokedKey } = s;
      const admin = ops.filter((op) => op.admin);
      expect(admin.map((op) => op.id).sort()).toEqual(
        [
          'listAudit',
          'listReview',
          'patchPlatform',
          'putPlatform',
          'recordChangeSet',
          'recordPolicyEvent',
          'retirePlatform',
          'revertChangeSet',
          ...['createWebhook', 'listWebhooks', 'getWebhook', 'updateWebhook', 'deleteWebhook', 'pauseWebhook', 'resumeWebhook'],
          ...['rotateWebhookSecret', 'listWebhookDeliveries', 'redeliverWebhook', 'replayWebhooks'],
        ].sort(),
      );
      const before = await registryState(app);
      const tally = newTally();
      const started = performance.now();
      // A last character other than the real one, so the forged key is never accidentally right.
      const flipped = editorKey.slice(0, -1) + (editorKey.endsWith('A') ? 'B' : 'A');
      const badAuth: (string | undefined)[] = [
        undefined,
        '',
        'Bearer',
        'Bearer ',
        'Bearer x',
        'bearer x',
        'Basic dXNlcjpwYXNz',
        `Token ${editorKey}`,
        editorKey,
        `Bearer ${editorKey}x`,
        `Bearer ${editorKey.slice(0, -1)}`,
        `Bearer ${flipped}`,
        `Bearer ${editorKey.toUpperCase()}`,
        `Bearer ${editorKey} extra`,
        `Bearer ${revokedKey}`,
        `Bearer oor_000000000000_${'A'.repeat(43)}`,
        `Bearer ${'x'.repeat(HUGE)}`,
        ...NASTY.map((n) => `Bearer ${n}`),
      ];

      /** 401 whenever the path routes; a path that cannot route (undecodable, too long, empty) may get another 4xx. */
      const routable = (values: Map<string, Slot | Slot[]>, op: SpecOperation) =>
        op.params
          .filter((p) => p.in === 'path')
          .every((p) => {
            const v = values.get(`path:${p.name}`);
            if (typeof v !== 'string' || v === '' || v === '.' || v === '..') return false;
            try {
              return encodeURIComponent(v).length <= 200;
            } catch {
              return false; // a lone surrogate cannot be decoded
            }
          });
      const expect401 = (values: Map<string, Slot | Slot[]>, op: SpecOperation) => (status: number) => {
        if (routable(values, op)) return status === 401 ? undefined : `expected 401, got ${status}`;
        return status >= 400 && status < 500 ? undefined : `expected a 4xx, got ${status}`;
      };
      const bodyFor = (op: SpecOperation) =>
        op.hasBody
          ? serialize({ message: 'x', operations: [{ op: 'retire', slug: 'linkedin' }], event: {}, patch: { name: 'Pwned' } })
          : undefined;

      // 1. Each bad credential on each operation, with a body that would be a real write if it were let through.
      for (const op of admin) {
        for (const authorization of badAuth) {
          const values = baselineValues(s, op);
          const headers = {
            ...headersOf(op, values),
            'content-type': 'application/json',
            ...(authorization === undefined ? {} : { authorization: headerText(authorization) }),
          };
          await send(
            app,
            tally,
            requestFor(op, values, `auth=${String(authorization).slice(0, 40)}`, { headers, payload: bodyFor(op) }),
            expect401(values, op),
          );
        }
      }

      // 2. Random: hostile parameters, headers, content types and bodies, with a bad credential.
      const combination = fc.record({
        op: fc.constantFrom(...admin),
        auth: fc.constantFrom(...badAuth),
        slots: fc.array(fc.oneof(fc.constant<'valid'>('valid'), slotArb), { minLength: 6, maxLength: 6 }),
        contentType: fc.option(fc.oneof(fc.constantFrom(...CONTENT_TYPES), stringArb), { nil: undefined }),
        body: fc.oneof(
          fc.constantFrom(...RAW_BODIES),
          jsonArb.map((v) => serialize(v)),
        ),
      });
      for (const c of fc.sample(combination, { seed: SEED, numRuns: 2_500 })) {
        const values = baselineValues(s, c.op);
        c.op.params.forEach((p, i) => {
          const slot = c.slots[i % c.slots.length];
          if (slot !== 'valid') values.set(`${p.in}:${p.name}`, slot);
        });
        const headers: Record<string, string> = { ...headersOf(c.op, values) };
        if (c.auth !== undefined) headers.authorization = headerText(c.auth);
        if (c.contentType !== undefined) headers['content-type'] = headerText(c.contentType);
        await send(
          app,
          tally,
          {
            op: c.op.id,
            method: c.op.method,
            url: buildUrl(c.op, values),
            headers,
            payload: c.op.method === 'GET' ? undefined : c.body,
            note: 'combination',
          },
          expect401(values, c.op),
        );
      }

      report('admin without a valid key', tally, started);
      for (const op of admin) expect(tally.perOperation.get(op.id) ?? 0, op.id).toBeGreaterThan(0);
      // Not all: the router answers some hostile paths (undecodable, or a `/` in an id) before auth, with 400 or 404.
      expect(tally.statuses.get(401) ?? 0).toBeGreaterThan(tally.requests * 0.85);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await registryState(app)).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    'admin writes with a valid editor key but invalid bodies or headers are refused with 4xx problem+json and change nothing',
    async () => {
      const s = await setup();
      const { app, ops, editorKey, linkedin } = s;
      // The review list is a read an editor may make: its parameters are checked in test/admin.test.ts.
      const admin = new Map(ops.filter((op) => op.admin && op.id !== 'listReview').map((op) => [op.id, op]));
      const before = await registryState(app);
      const tally = newTally();
      const started = performance.now();

      const firstEvent = (linkedin.events as Record<string, unknown>[])[0]!;
      const event = { ...firstEvent, id: 'zz-fuzz-event' };
      const firstSetting = (linkedin.settings as unknown[])[0];
      /** A merge-patch member no platform record may have: the planner always refuses it (422). */
      const SENTINEL = 'zz-fuzz-sentinel';
      /** An operation that always fails planning, so a change set carrying it writes nothing. */
      const SENTINEL_OP = { op: 'patch', slug: 'linkedin', patch: { [SENTINEL]: true } };

      /** A plausible body per write operation; each field in turn is made hostile. */
      const bodies: Record<string, unknown> = {
        recordChangeSet: {
          message: 'Fuzzing',
          operations: [
            { op: 'patch', slug: 'linkedin', patch: { lastVerified: '2026-01-01', name: 'LinkedIn' }, ifVersion: 1 },
            { op: 'put', slug: 'linkedin', platform: linkedin },
            { op: 'retire', slug: 'x' },
            { op: 'addEvent', slug: 'linkedin', event, patch: { lastVerified: '2026-01-02' } },
          ],
        },
        putPlatform: linkedin,
        patchPlatform: { lastVerified: '2026-01-01', name: 'LinkedIn', settings: [firstSetting] },
        recordPolicyEvent: { message: 'Fuzzing', event, patch: { lastVerified: '2026-01-01' } },
        revertChangeSet: { message: 'Fuzzing' },
        // Webhook routes need the admin role: with this editor key every request is a 403.
        createWebhook: {
          url: 'https://hooks.example.org/in',
          description: 'Fuzzing',
          filters: { platforms: ['linkedin'], eventKinds: ['paused'], regions: ['DE'], accountTypes: ['education'] },
        },
        updateWebhook: {
          url: 'https://hooks.example.org/in',
          description: 'Fuzzing',
          filters: { platforms: ['linkedin'], eventKinds: ['paused'], regions: ['DE'], accountTypes: ['education'] },
        },
        replayWebhooks: { sinceVersion: 1, untilVersion: 2 },
      };

      /**
       * Makes sure a request cannot succeed, whatever slot was fuzzed, with a defect found *after* that
       * slot is checked where possible (so hostile bodies still reach the change-set planner):
       * a sentinel member in merge patches, a slug mismatch in a PUT, a stale If-Match, no change
       * message, a revert of a version that does not exist.
       */
      const withDefects = (opId: string, fuzzed: string, values: Map<string, Slot | Slot[]>, body: unknown): unknown => {
        const set = (key: string, v: Slot) => {
          if (key !== fuzzed) values.set(key, v);
        };
        switch (opId) {
          case 'recordChangeSet':
            if (isPlainObject(body) && Array.isArray(body.operations)) return { ...body, operations: [...body.operations, SENTINEL_OP] };
            return body;
          case 'putPlatform':
            set('header:if-match', '"stale-etag"');
            return isPlainObject(body) && fuzzed !== 'body.slug' ? { ...body, slug: 'zz-defect' } : body;
          case 'patchPlatform':
            if (isPlainObject(body)) return { ...body, [SENTINEL]: true };
            set('header:if-match', '"stale-etag"');
            return body;
          case 'recordPolicyEvent':
            if (isPlainObject(body) && isPlainObject(body.patch)) return { ...body, patch: { ...body.patch, [SENTINEL]: true } };
            set('header:if-match', '"stale-etag"');
            return body;
          case 'retirePlatform':
            // Two header defects (stale If-Match, no change message): fuzzing one of them leaves the other.
            set('header:if-match', '"stale-etag"');
            if (fuzzed !== 'header:x-change-message') values.set('header:x-change-message', undefined);
            return body;
          case 'revertChangeSet':
            if (fuzzed === 'path:version') return { message: '' };
            values.set('path:version', '999999');
            return body;
          default:
            return body;
        }
      };

      const refused = (status: number) =>
        status >= 400 && status < 500 && status !== 401 ? undefined : `expected a 4xx other than 401, got ${status}`;
      let sent = 0;
      /** A request with `fuzzed` (a parameter, a body field, the content type or the raw body) made hostile, and the defects. */
      const request = (
        op: SpecOperation,
        fuzzed: string,
        body: unknown,
        note: string,
        opts: { value?: Slot; contentType?: string; raw?: string | Buffer } = {},
      ): FuzzRequest => {
        const values = baselineValues(s, op);
        if (/^(path|query|header):/.test(fuzzed)) values.set(fuzzed, opts.value);
        const finalBody = withDefects(op.id, fuzzed, values, body);
        const payload = opts.raw ?? (op.hasBody && finalBody !== undefined ? serialize(finalBody) : undefined);
        const headers: Record<string, string> = { ...headersOf(op, values), authorization: `Bearer ${editorKey}` };
        // PATCH bodies alternate between the two media types it accepts.
        const type =
          opts.contentType ?? (op.id === 'patchPlatform' && sent++ % 2 === 0 ? 'application/merge-patch+json' : 'application/json');
        if (payload !== undefined) headers['content-type'] = type;
        return { op: op.id, method: op.method, url: buildUrl(op, values), headers, payload, note };
      };

      // Sanity: with no slot fuzzed, each baseline request is refused because of its defects alone.
      for (const op of admin.values()) {
        await send(app, tally, request(op, 'none', bodies[op.id], 'baseline with defects'), refused);
      }

      // 1. Every body field of every write: missing, or each of a reproducible sample of hostile values.
      for (const [opId, body] of Object.entries(bodies)) {
        const op = admin.get(opId)!;
        // The baseline bodies must reach every field the OpenAPI document declares for the operation.
        const fuzzedFields = new Set(fieldPaths(body).flatMap((path) => path.filter((seg): seg is string => typeof seg === 'string')));
        expect(
          [...op.bodyFields].filter((name) => !fuzzedFields.has(name)),
          `${opId}: body fields never fuzzed`,
        ).toEqual([]);
        for (const path of fieldPaths(body)) {
          const label = `body.${path.join('.')}`;
          const hostile = [MISSING, ...fc.sample(jsonArb, { seed: seedFor(label), numRuns: 10 })];
          for (const value of hostile) {
            const note = `${label}=${value === MISSING ? 'missing' : serialize(value).slice(0, 40)}`;
            await send(app, tally, request(op, label, mutate(body, path, value), note), refused);
          }
        }
      }

      // 2. Every path and header parameter of every admin operation: missing, or each hostile value.
      for (const op of admin.values()) {
        for (const param of op.params) {
          const key = `${param.in}:${param.name}`;
          for (const value of [undefined, ...valuesFor(`editor:${op.id}:${param.name}`, 10)]) {
            await send(app, tally, request(op, key, bodies[op.id], `${param.name}=${String(value).slice(0, 40)}`, { value }), refused);
          }
        }
      }

      // 3. Content types and raw bodies that are not JSON, not UTF-8, too deep, too large or polluting.
      for (const op of admin.values()) {
        if (op.method === 'GET') continue;
        for (const contentType of [...CONTENT_TYPES, ...fc.sample(stringArb, { seed: SEED, numRuns: 10 })]) {
          const note = `content-type=${contentType.slice(0, 40)}`;
          await send(app, tally, request(op, 'content-type', bodies[op.id], note, { contentType: headerText(contentType) }), refused);
        }
        for (const raw of RAW_BODIES) {
          const note = `raw body ${String(raw).slice(0, 30)}`;
          await send(app, tally, request(op, 'raw-body', bodies[op.id], note, { contentType: 'application/json', raw }), refused);
        }
      }

      report('admin with an editor key and invalid input', tally, started);
      for (const op of admin.values()) expect(tally.perOperation.get(op.id) ?? 0, op.id).toBeGreaterThan(0);
      expect(Object.keys(bodies).sort()).toEqual(
        [...admin.values()]
          .filter((op) => op.hasBody)
          .map((op) => op.id)
          .sort(),
      );
      expect(tally.requests).toBeGreaterThanOrEqual(3_000);
      expect(tally.statuses.get(422) ?? 0, 'hostile merge patches reach the planner').toBeGreaterThan(100);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(await registryState(app)).toEqual(before);
    },
    TIMEOUT,
  );

  // Found by this fuzzer: the load-shedding handler sent its 503 but let the request carry on, so a
  // body the parser then refused turned the 503 into a 415 (with the 503's body), and a shed write
  // could still run. It now throws, which ends the request at once.
  it('a request shed under load gets a 503 problem with Retry-After and goes no further', async () => {
    const app = await makeApp({ MAX_EVENT_LOOP_DELAY_MS: 50 });
    const key = await createKey(app, 'shed', 'editor');
    const before = await registryState(app);
    const until = Date.now() + 1_200;
    while (Date.now() < until) {
      // Block the event loop so the next delay sample is far over the limit.
    }
    // The sampler runs on a timer: on a loaded machine its next sample may come late, so wait for it.
    const isUnderPressure = (app as unknown as { isUnderPressure(): boolean }).isUnderPressure.bind(app);
    for (let waited = 0; !isUnderPressure() && waited < 3_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(isUnderPressure(), 'the blocked event loop was not noticed').toBe(true);
    const headers = { authorization: `Bearer ${key}`, 'x-change-message': 'Shed%20me' };
    for (const [type, payload] of [
      ['text/plain', 'not json'],
      ['application/merge-patch+json', '{"name":"Shed"}'],
    ] as const) {
      const res = await app.inject({
        method: 'PATCH',
        url: '/v1/admin/platforms/linkedin',
        headers: { ...headers, 'content-type': type },
        payload,
      });
      expect(res.statusCode, type).toBe(503);
      expect(res.headers['retry-after']).toBe('10');
      expect(Problem.parse(res.json()).status).toBe(503);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await registryState(app)).toEqual(before);
  });

  // Found by this fuzzer: a merge patch nested a few thousand levels deep overflowed the stack
  // (JSON.stringify of the idempotency fingerprint, then the merge itself) and answered 500.
  it('a merge patch nested deeper than any platform record is refused with 400, not a stack overflow', async () => {
    const app = await makeApp();
    const key = await createKey(app, 'deep', 'editor');
    const before = await registryState(app);
    const headers = { authorization: `Bearer ${key}`, 'x-change-message': 'Deep' };
    for (const depth of [33, 5_000, 100_000]) {
      const deep = deepObject(depth);
      const patch = await app.inject({
        method: 'PATCH',
        url: '/v1/admin/platforms/linkedin',
        headers: { ...headers, 'content-type': 'application/merge-patch+json' },
        payload: `{"summary":${deep}}`,
      });
      expect(expectProblem(patch, 400).errors).toEqual([{ field: 'body', message: expect.stringMatching(/nested more than 32 levels/) }]);
      const changeSet = await app.inject({
        method: 'POST',
        url: '/v1/admin/changes',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: `{"message":"Deep","operations":[{"op":"patch","slug":"linkedin","patch":{"summary":${deep}}}]}`,
      });
      expect(expectProblem(changeSet, 400).errors?.map((e) => e.field)).toContain('body.operations.0.patch');
    }
    // Nesting a record really has (settings → paths → steps) is still a normal validation question.
    const shallow = await app.inject({
      method: 'PATCH',
      url: '/v1/admin/platforms/linkedin',
      headers: { ...headers, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ settings: [{ paths: [{ steps: [{ not: 'a string' }] }] }] }),
    });
    expectProblem(shallow, 422);
    expect(await registryState(app)).toEqual(before);
  });

  // fastify's router answers these before any hook runs; app.ts routes them to problem+json.
  it('answers an undecodable or over-long path with problem+json', async () => {
    const app = await makeApp();
    for (const url of ['/v1/platforms/%ED%A0%80', '/v1/platforms/%zz', `/v1/platforms/${'a'.repeat(201)}`]) {
      const res = await app.inject(url);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});
