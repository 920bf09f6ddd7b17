import { z } from 'zod';
import { compareEvents, type EventItem } from '../domain/summaries.js';
import { notFound } from '../errors.js';
import type { EventKind } from '../schemas/common.js';
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

/**
 * The policy timeline across platforms, read from the timeline rows written with each revision
 * (`platform_events`), so a page costs about `offset + limit` rows however many platforms there are.
 */
export class EventService {
  constructor(
    private readonly reader: RegistryReader,
    private readonly cursors: CursorCodec,
  ) {}

  /** `head`: the current version as the request read it (`RegistryReader.resolve`). */
  async events(query: EventsQuery, head?: number) {
    const { platform, kind, since, until } = query;
    const scope: CursorScope = { endpoint: 'GET /v1/events', filters: { platform, kind, since, until } };
    const cursor = this.cursors.decode(query.cursor, scope, z.int().min(1), query.version);
    const version = await this.reader.resolveVersion(cursor?.v ?? query.version, head);
    if (query.platform && !(await this.reader.store.revisionAt(query.platform, version))) {
      throw notFound(`There is no platform "${query.platform}" at version ${version}.`);
    }
    const offset = cursor?.k ?? 0;
    const wanted = offset + query.limit + 1;
    const filter = { version, slug: query.platform, kind: query.kind, since: query.since, until: query.until };
    const rows = await this.reader.store.timeline({ ...filter, limit: wanted });
    // The store orders by date only. Entries sharing the date at the page's far edge may belong on
    // either side of it once platform and id break the tie, so that whole date is read and the
    // order finished here, exactly as the timeline defines it (compareEvents).
    let candidates = rows;
    if (rows.length === wanted) {
      const edge = rows[wanted - 1]!.sortDate;
      candidates = [...rows.filter((r) => r.sortDate > edge), ...(await this.reader.store.timeline({ ...filter, sortDate: edge }))];
    }
    const all = candidates.map((r) => JSON.parse(r.body) as EventItem).sort(compareEvents);
    return {
      data: all.slice(offset, offset + query.limit),
      nextCursor: rows.length === wanted ? this.cursors.encode(scope, { v: version, k: offset + query.limit }) : null,
      asOf: { version, at: null },
    };
  }
}
