import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVELOPMENT_CURSOR_SECRET } from '../config.js';
import type { Store } from '../db/repository.js';
import { CursorCodec } from './cursor.js';
import { EventService } from './event-service.js';
import { ExportFiles } from './export-files.js';
import { ExportService } from './export-service.js';
import { HistoryService } from './history-service.js';
import { KeyService } from './key-service.js';
import { PlatformService } from './platform-service.js';
import { type ReaderCaches, RegistryReader } from './reader.js';
import { WebhookSubscriptionService } from './webhook-subscriptions.js';
import type { TargetPolicy } from './webhook-target.js';
import { WriteService } from './write-service.js';

/** The use cases routes call; none of them knows which engine the store runs on. */
export interface Services {
  reader: RegistryReader;
  platforms: PlatformService;
  history: HistoryService;
  events: EventService;
  exports: ExportService;
  writes: WriteService;
  keys: KeyService;
  webhooks: WebhookSubscriptionService;
  /** Signs and checks list cursors; shared by every list, including the admin audit log. */
  cursors: CursorCodec;
}

export interface ServiceOptions {
  /** Which webhook URLs are accepted (https and public addresses only, by default). */
  webhookTargets?: TargetPolicy;
  /** Where built exports are kept (default: a directory under the system's temporary directory). */
  exportDir?: string;
  /** Bytes of built exports kept there (default 512 MiB). */
  exportCacheBytes?: number;
  /** Exports of past versions built at once (default 1); see ExportFiles. */
  exportBuilds?: number;
  /** Signs list cursors; every instance behind one load balancer needs the same (see CURSOR_SECRET). */
  cursorSecret?: string;
  /** Bytes of parsed documents and derived columns kept in memory (DOCUMENT_CACHE_MAX_BYTES, DERIVED_CACHE_MAX_BYTES). */
  caches?: ReaderCaches;
}

export function createServices(store: Store, options: ServiceOptions = {}): Services {
  const reader = new RegistryReader(store, options.caches);
  const cursors = new CursorCodec(options.cursorSecret ?? DEVELOPMENT_CURSOR_SECRET);
  const history = new HistoryService(reader, cursors);
  const files = new ExportFiles(
    reader,
    options.exportDir ?? join(tmpdir(), `optout-exports-${process.pid}`),
    options.exportCacheBytes ?? 512 * 1_048_576,
    options.exportBuilds ?? 1,
  );
  return {
    reader,
    cursors,
    platforms: new PlatformService(reader, cursors),
    history,
    events: new EventService(reader, cursors),
    exports: new ExportService(reader, history, files),
    writes: new WriteService(store),
    keys: new KeyService(store),
    webhooks: new WebhookSubscriptionService(store, options.webhookTargets ?? { allowHttp: false, allowPrivate: false }),
  };
}
