import { z } from 'zod';

/** The cursor secret outside production: public (it is in the source), so it only keeps cursors well-formed. */
export const DEVELOPMENT_CURSOR_SECRET = 'development-only: set CURSOR_SECRET in production';

const Port = z.coerce.number().int().min(0).max(65535);
const MiB = 1_048_576;
/** A size in bytes, at least `min`. */
const Bytes = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

const ConfigSchema = z.object({
  PORT: Port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_PATH: z.string().min(1).default('./data/registry.sqlite'),
  /** `postgres://…`: run on PostgreSQL instead of the SQLite file at DATABASE_PATH. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// connection URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  /** Connections per instance in the PostgreSQL pool. */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Public reads a client may make per minute; 0 turns rate limiting off (the benchmark does). */
  RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(600),
  /** Admin requests a client may make per minute; 0 turns it off. */
  ADMIN_RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(60),
  /** Requests to /healthz and /readyz a client may make per minute, a budget of their own; 0 turns it off. */
  HEALTH_RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(300),
  /** Failed authentications a client may make per minute before it gets 429s; 0 turns it off. */
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(0).default(10),
  /**
   * How much V8 lets the old generation grow past the live heap before its next major collection,
   * in per cent (V8's --heap-growing-percent; see src/server.ts). 0 leaves V8's own heuristics,
   * which let a busy server's heap reach several times what is live.
   */
  HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(400).default(30),
  /** Event-loop delay (ms) above which the server sheds load with 503; 0 turns it off. */
  MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1000),
  /** Trust X-Forwarded-* from a proxy in front: `true`, `false`, a hop count, or a list of addresses. */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string => (v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
  /** Largest request body accepted, in bytes. */
  BODY_LIMIT: z.coerce.number().int().min(1024).default(1_048_576),
  /** Largest `POST /mcp` body in bytes: an MCP request is a few hundred bytes; more is refused with 413. */
  MCP_BODY_LIMIT: z.coerce.number().int().min(1024).max(1_048_576).default(65_536),
  /**
   * Timeouts of the HTTP server, so idle or slow clients cannot hold connections open for ever (a few
   * thousand silent sockets would otherwise exhaust file descriptors). Each is in milliseconds.
   * HEADERS_TIMEOUT_MS: time from connecting (or from the first byte of a request on a kept-alive
   * connection) until the request's headers are complete; a silent or slow client gets 408 and is
   * closed. At most 60 s, nginx's default client_header_timeout: a longer wait serves no real client
   * and lets a few thousand idle sockets hold the server's file descriptors.
   */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000, 'must be at most 60000 (60 s)').default(10_000),
  /** Time to receive a whole request, headers and body; 408 after it. At least HEADERS_TIMEOUT_MS. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  /**
   * How long a kept-alive connection may sit idle between requests; keep it above a load balancer's
   * idle timeout. One that sends bytes but no request (blank lines) is closed HEADERS_TIMEOUT_MS later.
   */
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(72_000),
  /** Inactivity on a socket (nothing read or written, e.g. a client that stopped reading a response) before it is closed. */
  CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  /** Largest request head (request line and headers) accepted, in bytes; a larger one gets 431. */
  MAX_HEADER_BYTES: z.coerce.number().int().min(1024).max(1_048_576).default(32_768),
  /** Days audit rows are kept; older ones are deleted hourly. */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).default(365),
  /** Hours a stored Idempotency-Key response is kept (a retry after that is a new request). */
  IDEMPOTENCY_RETENTION_HOURS: z.coerce.number().int().min(1).default(48),
  /** Where `npm run sources:check` and `sources:ota` write their findings, and `GET /v1/admin/review` reads them. */
  SOURCE_CHECKS_PATH: z.string().min(1).default('./data/source-checks.json'),
  /**
   * Where built exports (`GET /v1/export`, gzip, one file per registry version) are kept; default:
   * `exports/` beside the SQLite file, or under the system's temporary directory on PostgreSQL.
   */
  EXPORT_DIR: z.string().min(1).optional(),
  /** Bytes of built exports kept on disk; the oldest are removed beyond it. */
  EXPORT_CACHE_MAX_BYTES: Bytes(MiB, 512 * MiB),
  /**
   * Bytes of serialised responses an instance keeps (an LRU keyed by URL and registry version). 8 MiB
   * rather than 16: with a write every 20 ms (npm run soak) each write makes the cached entries of
   * the previous version dead weight, and the server peaked at 204–206 MiB RSS with 16 against
   * 193–194 MiB with 8 (two runs each), at the same read rate.
   */
  RESPONSE_CACHE_MAX_BYTES: Bytes(65_536, 8 * MiB),
  /**
   * Parsed platform documents an instance keeps (an LRU keyed by platform and version, for platform
   * records, opt-out answers and history), bounded by the bytes of their JSON text; the parsed objects
   * take about 1.3× that in the heap.
   */
  DOCUMENT_CACHE_MAX_BYTES: Bytes(0, 4 * MiB),
  /**
   * Parsed derived columns (list summaries and opt-out inputs, a few hundred bytes each, read by
   * lists) an instance keeps, bounded by their JSON text's bytes; parsed, about 1.4–1.8× that.
   */
  DERIVED_CACHE_MAX_BYTES: Bytes(0, 2 * MiB),
  /**
   * SQLite's page cache per connection (an instance has two: reads and writes); pages beyond it come
   * from the operating system's file cache. better-sqlite3's own default is 16 MiB.
   */
  SQLITE_CACHE_MAX_BYTES: Bytes(65_536, 4 * MiB),
  /** Export responses one instance sends at once; more get 503 with Retry-After. */
  EXPORT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(4),
  /**
   * Exports of past versions one instance builds or has waiting to be built (a build reads every
   * platform and compresses tens of megabytes at 10 000 platforms; builds run one at a time); a
   * request that needs another gets 503 with Retry-After. The current version's export is never
   * refused (one per write).
   */
  EXPORT_BUILD_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /**
   * The address clients reach this API at (scheme, host, optional path prefix), used for absolute links
   * such as those in the Atom feeds. Links are never built from request headers (Host,
   * X-Forwarded-Host): a client controls those, and a shared cache would keep what one of them sent.
   */
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL such as https://registry.example.org' })
    .refine((v) => !/[?#]/.test(v), 'must not have a query or fragment')
    .default('http://localhost:3000')
    .transform((v) => v.replace(/\/+$/, '')),
  /**
   * Signs list cursors, so a cursor works only for the list and filters that issued it. Every instance
   * behind one load balancer needs the same value (any random string of 32+ characters). Required when
   * NODE_ENV=production; elsewhere a fixed development value is used, with which anyone can forge cursors.
   */
  CURSOR_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').default(DEVELOPMENT_CURSOR_SECRET),
  NODE_ENV: z.string().optional(),
  /** Whether to load `seed/` into an empty registry on start. */
  SEED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Whether this process runs the webhook delivery worker. */
  WEBHOOK_WORKER: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Local testing only: accept http:// webhook targets (https is required otherwise). */
  WEBHOOK_ALLOW_HTTP: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Local testing only: deliver to loopback, private and link-local addresses (refused otherwise). */
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Milliseconds a delivery attempt may take, connection to last byte. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  /** First retry delay; each later one doubles, up to WEBHOOK_RETRY_CAP_MS, with ±10 % jitter. */
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(1).default(30_000),
  WEBHOOK_RETRY_CAP_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(4 * 3_600_000),
  /** Attempts before a delivery fails and its endpoint is disabled; 15 with the defaults spans about 24 h. */
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(15),
  /** How often the worker looks for due deliveries (it is also woken by this process's writes). */
  WEBHOOK_POLL_MS: z.coerce.number().int().min(1).default(1_000),
});

const CheckedConfig = ConfigSchema.superRefine((c, ctx) => {
  if (c.NODE_ENV === 'production' && c.CURSOR_SECRET === DEVELOPMENT_CURSOR_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['CURSOR_SECRET'],
      message: 'is required when NODE_ENV=production (the same value on every instance)',
    });
  }
  // Node refuses a headers timeout longer than the request timeout, and it would be meaningless.
  if (c.HEADERS_TIMEOUT_MS > c.REQUEST_TIMEOUT_MS) {
    ctx.addIssue({ code: 'custom', path: ['HEADERS_TIMEOUT_MS'], message: `must not exceed REQUEST_TIMEOUT_MS (${c.REQUEST_TIMEOUT_MS})` });
  }
});

export type Config = z.infer<typeof ConfigSchema>;

/** Parses the environment once; a bad variable stops start-up with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = CheckedConfig.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new Error(`Invalid configuration in the environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/**
 * Tests: quiet, no rate limits, and no load shedding (a busy CI machine's lag, or the synchronous seeding
 * of a fresh database, would otherwise turn random requests into 503s); tests of those set them.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({}),
    LOG_LEVEL: 'silent',
    MAX_EVENT_LOOP_DELAY_MS: 0,
    RATE_LIMIT_MAX: 0,
    ADMIN_RATE_LIMIT_MAX: 0,
    HEALTH_RATE_LIMIT_MAX: 0,
    AUTH_FAILURE_LIMIT: 0,
    WEBHOOK_WORKER: false,
    ...overrides,
  };
}
