import type { Store } from '../db/repository.js';
import { CursorCodec } from './cursor.js';
import { EventService } from './event-service.js';
import { ExportService } from './export-service.js';
import { HistoryService } from './history-service.js';
import { KeyService } from './key-service.js';
import { PlatformService } from './platform-service.js';
import { RegistryReader } from './reader.js';
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
  /** Signs and checks list cursors; shared by every list, including the admin audit log. */
  cursors: CursorCodec;
}

export function createServices(store: Store, cursorSecret: string): Services {
  const reader = new RegistryReader(store);
  const cursors = new CursorCodec(cursorSecret);
  const history = new HistoryService(reader, cursors);
  return {
    reader,
    cursors,
    platforms: new PlatformService(reader, cursors),
    history,
    events: new EventService(reader, cursors),
    exports: new ExportService(reader, history),
    writes: new WriteService(store),
    keys: new KeyService(store),
  };
}
