import type { Store } from '../db/repository.js';
import { EventService } from './event-service.js';
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

/** `webhookTargets`: which webhook URLs are accepted (https and public addresses only, by default). */
export function createServices(store: Store, webhookTargets: TargetPolicy = { allowHttp: false, allowPrivate: false }): Services {
  const reader = new RegistryReader(store);
  const history = new HistoryService(reader);
  return {
    reader,
    platforms: new PlatformService(reader),
    history,
    events: new EventService(reader),
    exports: new ExportService(reader, history),
    writes: new WriteService(store),
    keys: new KeyService(store),
    webhooks: new WebhookSubscriptionService(store, webhookTargets),
  };
}
