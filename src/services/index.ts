import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../db/repository.js';
import { EventService } from './event-service.js';
import { ExportFiles } from './export-files.js';
import { ExportService } from './export-service.js';
import { HistoryService } from './history-service.js';
import { KeyService } from './key-service.js';
import { PlatformService } from './platform-service.js';
import { RegistryReader } from './reader.js';
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
}

export interface ServiceOptions {
  /** Which webhook URLs are accepted (https and public addresses only, by default). */
  webhookTargets?: TargetPolicy;
  /** Where built exports are kept (default: a directory under the system's temporary directory). */
  exportDir?: string;
  /** Bytes of built exports kept there (default 512 MiB). */
  exportCacheBytes?: number;
}

export function createServices(store: Store, options: ServiceOptions = {}): Services {
  const reader = new RegistryReader(store);
  const history = new HistoryService(reader);
  const files = new ExportFiles(
    reader,
    options.exportDir ?? join(tmpdir(), `optout-exports-${process.pid}`),
    options.exportCacheBytes ?? 512 * 1_048_576,
  );
  return {
    reader,
    platforms: new PlatformService(reader),
    history,
    events: new EventService(reader),
    exports: new ExportService(reader, history, files),
    writes: new WriteService(store),
    keys: new KeyService(store),
    webhooks: new WebhookSubscriptionService(store, options.webhookTargets ?? { allowHttp: false, allowPrivate: false }),
  };
}
