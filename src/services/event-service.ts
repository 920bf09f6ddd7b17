import { z } from 'zod';
import { eventDate } from '../domain/effective.js';
import { withEvidence } from '../domain/evidence.js';
import { notFound } from '../errors.js';
import type { EventKind } from '../schemas/common.js';
import type { PlatformDocument } from '../schemas/platform.js';
import type { CursorCodec, CursorScope } from './cursor.js';
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
  constructor(
    private readonly reader: RegistryReader,
    private readonly cursors: CursorCodec,
  ) {}

  async events(query: EventsQuery) {
    const { platform, kind, since, until } = query;
    const scope: CursorScope = { endpoint: 'GET /v1/events', filters: { platform, kind, since, until } };
    const cursor = this.cursors.decode(query.cursor, scope, z.int().min(1), query.version);
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
    const offset = cursor?.k ?? 0;
    const data = all.slice(offset, offset + query.limit);
    return {
      data,
      nextCursor: offset + query.limit < all.length ? this.cursors.encode(scope, { v: version, k: offset + query.limit }) : null,
      asOf: { version, at: null },
    };
  }
}
