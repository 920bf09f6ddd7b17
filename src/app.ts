import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import { openStore } from './db/open.js';
import type { Store } from './db/repository.js';
import { authPlugin } from './plugins/auth.js';
import { cachingPlugin } from './plugins/caching.js';
import { closeKeptAliveConnectionsThatSendNoRequest, connectionsCheckingInterval } from './plugins/connections.js';
import { clientErrorHandler, errorsPlugin, sendProblem } from './plugins/errors.js';
import { securityPlugin } from './plugins/security.js';
import { swaggerPlugin } from './plugins/swagger.js';
import { healthRoutes } from './routes/health.js';
import { mcpRoutes } from './routes/mcp.js';
import { adminRoutes } from './routes/v1/admin/index.js';
import { changeRoutes } from './routes/v1/changes/index.js';
import { eventRoutes } from './routes/v1/events/index.js';
import { exportRoutes } from './routes/v1/export/index.js';
import { feedRoutes } from './routes/v1/feeds.js';
import { platformRoutes } from './routes/v1/platforms/index.js';
import { regionRoutes } from './routes/v1/regions/index.js';
import { registryRoutes } from './routes/v1/registry/index.js';
import { vocabularyRoutes } from './routes/v1/vocabulary/index.js';
import { webRoutes } from './routes/web/index.js';
import { migrateSourceKinds, seedIfEmpty } from './seed/load.js';
import { createServices, type Services } from './services/index.js';
import { WebhookWorker } from './services/webhook-worker.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    store: Store;
    services: Services;
  }
}

export interface BuildOptions {
  /** Seed directory to load into an empty registry (default `seed/platforms`); false to skip. */
  seedDir?: string | false;
  /** Where logs go (default stdout); tests capture them to check what is logged. */
  logStream?: NodeJS.WritableStream;
}

/** EXPORT_DIR, or `exports/` beside the SQLite file, or a directory per database under the temporary directory. */
function exportDirOf(config: Config): string {
  if (config.EXPORT_DIR) return config.EXPORT_DIR;
  if (config.DATABASE_URL || config.DATABASE_PATH === ':memory:') {
    const id = createHash('sha256')
      .update(config.DATABASE_URL ?? `memory-${process.pid}`)
      .digest('hex')
      .slice(0, 16);
    return join(tmpdir(), `optout-exports-${id}`);
  }
  return join(dirname(config.DATABASE_PATH), 'exports');
}

/** Builds the app (plugins and routes) on the configured database, without listening. */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      config.LOG_LEVEL === 'silent'
        ? false
        : {
            level: config.LOG_LEVEL,
            // Keys must never reach a log, even if a serializer starts including headers.
            redact: ['req.headers.authorization', 'headers.authorization', 'authorization'],
            // …and a key pasted into a URL by mistake is masked too.
            serializers: {
              req: (request: { method: string; url: string; ip?: string }) => ({
                method: request.method,
                url: request.url.replace(/oor_[0-9a-f]{12}_[\w-]+/g, 'oor_[redacted]'),
                remoteAddress: request.ip,
              }),
            },
            ...(options.logStream ? { stream: options.logStream } : {}),
          },
    bodyLimit: config.BODY_LIMIT,
    // Deliberate timeouts: node's defaults leave a socket that stops mid-response open for ever (no
    // socket timeout) and check header and request timeouts only every 30 s. See plugins/connections.ts.
    connectionTimeout: config.CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: connectionsCheckingInterval(config.HEADERS_TIMEOUT_MS),
      maxHeaderSize: config.MAX_HEADER_BYTES,
    },
    clientErrorHandler,
    // A hop count is accepted by fastify at run time though its types only name boolean and string.
    trustProxy: config.TRUST_PROXY as boolean | string,
    genReqId: () => crypto.randomUUID(),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // The router answers undecodable or over-long paths before any hook runs: keep them problem+json.
    frameworkErrors: (error, request, reply) =>
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? sendProblem(request, reply, 414, 'bad-request', 'A path segment is longer than this API accepts (200 characters).')
        : sendProblem(request, reply, 400, 'bad-request', 'The URL could not be decoded: check its percent-encoding.'),
  });
  closeKeptAliveConnectionsThatSendNoRequest(app.server, {
    headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: config.KEEP_ALIVE_TIMEOUT_MS,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const store = await openStore(config);
  const webhookTargets = { allowHttp: config.WEBHOOK_ALLOW_HTTP, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE };
  const services = createServices(store, {
    webhookTargets,
    exportDir: exportDirOf(config),
    exportCacheBytes: config.EXPORT_CACHE_MAX_BYTES,
    exportBuilds: config.EXPORT_BUILD_CONCURRENCY,
    cursorSecret: config.CURSOR_SECRET,
    caches: { documentBytes: config.DOCUMENT_CACHE_MAX_BYTES, derivedBytes: config.DERIVED_CACHE_MAX_BYTES },
  });
  try {
    const filled = await services.writes.backfillDerived();
    if (filled > 0) app.log.info({ revisions: filled }, 'derived list and timeline data for revisions written before they existed');
    if (config.SEED && options.seedDir !== false) {
      const version = await seedIfEmpty(services.writes, options.seedDir);
      if (version !== null) app.log.info({ version, engine: store.engine }, 'seeded an empty registry');
    }
    const migrated = await migrateSourceKinds(services.writes);
    if (migrated !== null) app.log.info({ version: migrated }, 'recorded the source-kind data migration');
  } catch (error) {
    await store.close();
    throw error;
  }
  app.decorate('config', config);
  app.decorate('store', store);
  app.decorate('services', services);
  const worker = config.WEBHOOK_WORKER
    ? new WebhookWorker(
        store,
        services.history,
        {
          policy: webhookTargets,
          publicUrl: config.PUBLIC_URL,
          timeoutMs: config.WEBHOOK_TIMEOUT_MS,
          retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
          retryCapMs: config.WEBHOOK_RETRY_CAP_MS,
          maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
          pollMs: config.WEBHOOK_POLL_MS,
        },
        app.log,
      )
    : undefined;
  if (worker) {
    services.writes.onChangeSet(() => worker.wake());
    app.addHook('onReady', async () => worker.start());
  }
  // The worker stops (its attempts recorded) before the store it records them in closes.
  app.addHook('onClose', async () => {
    await worker?.stop();
    await store.close();
  });

  await app.register(errorsPlugin);
  await app.register(securityPlugin, { config });
  await app.register(cachingPlugin, { maxBytes: config.RESPONSE_CACHE_MAX_BYTES, head: () => services.reader.currentVersion() });
  await app.register(swaggerPlugin);
  await app.register(authPlugin, { keys: services.keys, failureLimit: config.AUTH_FAILURE_LIMIT });

  await app.register(healthRoutes);
  await app.register(webRoutes);
  await app.register(mcpRoutes, { bodyLimit: config.MCP_BODY_LIMIT });
  await app.register(
    async (v1) => {
      await v1.register(platformRoutes, { prefix: '/platforms' });
      await v1.register(eventRoutes, { prefix: '/events' });
      await v1.register(regionRoutes, { prefix: '/regions' });
      await v1.register(vocabularyRoutes);
      await v1.register(changeRoutes, { prefix: '/changes' });
      await v1.register(exportRoutes, { prefix: '/export' });
      await v1.register(registryRoutes, { prefix: '/registry' });
      await v1.register(feedRoutes);
      await v1.register(adminRoutes, { prefix: '/admin' });
    },
    { prefix: '/v1' },
  );
  return app;
}
