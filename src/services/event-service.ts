import { z } from 'zod';
import type { EventItem } from '../domain/summaries.js';
import { timelineRange } from '../domain/timeline.js';
import { badRequest, notFound } from '../errors.js';
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
 * A page's position: the timeline key of the previous page's last entry. Cursors issued before
 * keys existed carried an offset (a number); they are told to start again, not refused as forged.
 */
const Position = z.union([z.string().min(1), z.int().min(1)]);

/**
 * The policy timeline across platforms, read from the timeline rows written with each revision
 * (`platform_events`) in timeline order, a page at a time from where the previous one ended (keyset
 * pagination on the timeline key, see domain/timeline.ts): a page costs `limit` rows of an index
 * range, however many platforms there are and however deep in the feed it is.
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
    const cursor = this.cursors.decode(query.cursor, scope, Position, query.version);
    if (typeof cursor?.k === 'number') {
      throw badRequest(
        'This cursor was issued by an earlier release of the API, which paged the timeline differently. Omit `cursor` to start again from the first page (with the same `version` to page through the same registry version).',
        [{ field: 'query.cursor', message: 'was issued by an earlier release; start from the first page' }],
      );
    }
    const version = await this.reader.resolveVersion(cursor?.v ?? query.version, head);
    if (platform && !(await this.reader.store.revisionAt(platform, version))) {
      throw notFound(`There is no platform "${platform}" at version ${version}.`);
    }
    const rows = await this.reader.store.timeline({
      version,
      slug: platform,
      kind,
      ...timelineRange(since, until),
      after: cursor?.k,
      // One more than the page: whether there is a next page.
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    return {
      data: page.map((r) => JSON.parse(r.body) as EventItem),
      nextCursor: rows.length > query.limit ? this.cursors.encode(scope, { v: version, k: page[page.length - 1]!.timelineKey }) : null,
      asOf: { version, at: null },
    };
  }
}
