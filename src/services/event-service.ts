import { eventDate } from '../domain/effective.js';
import { withEvidence } from '../domain/evidence.js';
import { notFound } from '../errors.js';
import type { EventKind } from '../schemas/common.js';
import type { PlatformDocument } from '../schemas/platform.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { RegistryReader } from './reader.js';

export interface EventsQuery {
  version?: number;
  platform?: string;
  kind?: EventKind;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

/** The policy timeline across platforms. */
export class EventService {
  constructor(private readonly reader: RegistryReader) {}

  async events(query: EventsQuery) {
    const cursor = decodeCursor(query.cursor);
    const version = await this.reader.resolveVersion(cursor?.v ?? query.version);
    let docs: PlatformDocument[];
    if (query.platform) {
      const rev = await this.reader.store.revisionAt(query.platform, version);
      if (!rev) throw notFound(`There is no platform "${query.platform}" at version ${version}.`);
      docs = [this.reader.document(rev)];
    } else {
      docs = Object.values(await this.reader.documentsAt(version));
    }
    const all = docs
      .flatMap((doc) =>
        withEvidence(doc).events.map((e) => ({
          ...e,
          platform: doc.slug,
          date: eventDate(e),
          sourceDetails: doc.sources.filter((s) => e.sources.includes(s.id)),
        })),
      )
      .filter(
        (e) =>
          (!query.kind || e.kind === query.kind) &&
          (!query.since || (e.date !== null && e.date >= query.since)) &&
          (!query.until || (e.date !== null && e.date <= query.until)),
      )
      .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '') || a.platform.localeCompare(b.platform) || a.id.localeCompare(b.id));
    const offset = cursor ? Number(cursor.k) : 0;
    const data = all.slice(offset, offset + query.limit);
    return {
      data,
      nextCursor: offset + query.limit < all.length ? encodeCursor({ v: version, k: offset + query.limit }) : null,
      asOf: { version, at: null },
    };
  }
}
