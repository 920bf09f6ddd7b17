import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from '../errors.js';

/**
 * Cursors are opaque to clients and signed by the server. Each one pins the registry version its first
 * page was read at (so paging stays consistent while editors keep writing) and is bound to the list that
 * issued it: the endpoint (with its path parameters) and every filter. A cursor therefore cannot continue
 * another list, skip filters, or carry a position the server never issued (a negative offset, another
 * platform's history). Instances sharing CURSOR_SECRET accept each other's cursors.
 */
export interface CursorScope {
  /** The list, e.g. `GET /v1/platforms/{slug}/history` with its slug; shown in errors. */
  endpoint: string;
  /** Every parameter that selects or orders the list's items (not `limit` or `cursor`); undefined ones are ignored. */
  filters: Record<string, unknown>;
}

export interface Cursor<K> {
  /** The registry version the first page was read at. */
  v: number;
  /** Where the next page starts, in the list's own terms. */
  k: K;
}

const Payload = z.strictObject({ e: z.string(), f: z.string(), v: z.int().min(0), k: z.unknown() });
const SIGNATURE_BYTES = 16;

const notIssued = () =>
  badRequest(
    'The cursor is not one this API issued (or it was issued with another CURSOR_SECRET). Pass the `nextCursor` of a previous page unchanged, or omit `cursor` to start from the first page.',
    [{ field: 'query.cursor', message: 'not a cursor issued by this API' }],
  );

/** Filters in a canonical form, so the same filters always hash the same. */
function filtersOf(filters: Record<string, unknown>): string {
  const defined = Object.entries(filters)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(defined)).digest('base64url').slice(0, 16);
}

const describeFilters = (filters: Record<string, unknown>) =>
  Object.entries(filters)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${value}`)
    .join('&') || 'no filters';

export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHash('sha256').update(`ai-optout-registry cursor\n${secret}`).digest();
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, SIGNATURE_BYTES).toString('base64url');
  }

  encode<K>(scope: CursorScope, cursor: Cursor<K>): string {
    const payload = Buffer.from(JSON.stringify({ e: scope.endpoint, f: filtersOf(scope.filters), v: cursor.v, k: cursor.k })).toString(
      'base64url',
    );
    return `${payload}.${this.sign(payload)}`;
  }

  /**
   * The cursor's position, checked to be one this server issued for this endpoint and these filters; a
   * 400 problem saying what to do otherwise. `version` is the request's `version` parameter, which must
   * agree with the version the cursor pins.
   */
  decode<K>(raw: string | undefined, scope: CursorScope, position: z.ZodType<K>, version?: number): Cursor<K> | undefined {
    if (raw === undefined) return undefined;
    const [payload = '', signature = '', ...rest] = raw.split('.');
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (rest.length > 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) throw notIssued();
    let parsed: z.infer<typeof Payload>;
    try {
      parsed = Payload.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      throw notIssued();
    }
    if (parsed.e !== scope.endpoint) {
      throw badRequest(
        `This cursor continues another list (${parsed.e}), not ${scope.endpoint}. A cursor only continues the list whose page returned it: pass it there, or omit \`cursor\` to start this list from its first page.`,
        [{ field: 'query.cursor', message: `was issued by ${parsed.e}` }],
      );
    }
    if (parsed.f !== filtersOf(scope.filters)) {
      throw badRequest(
        `This cursor was issued for ${scope.endpoint} with other filters than this request's (${describeFilters(scope.filters)}). Repeat the first page's filters unchanged with its cursor, or omit \`cursor\` to start over with the new filters.`,
        [{ field: 'query.cursor', message: 'was issued for other filters' }],
      );
    }
    if (version !== undefined && version !== parsed.v) {
      throw badRequest(
        `The cursor pages through version ${parsed.v}, but \`version\` asks for ${version}. Send the same \`version\` as the first page (or none), or omit \`cursor\` to page through version ${version} from the start.`,
        [{ field: 'query.version', message: `disagrees with the cursor, which is for version ${parsed.v}` }],
      );
    }
    const k = position.safeParse(parsed.k);
    // A signed cursor with a position this list never issues means a bug or a leaked secret: refuse it.
    if (!k.success) throw notIssued();
    return { v: parsed.v, k: k.data };
  }
}

/**
 * The change feed's cursor is the last version of the previous page in decimal (so a client that
 * still passes it as `after`, as the feed once documented, keeps working); clients treat it as opaque.
 */
export function changeFeedStart(query: { after?: number; cursor?: string }): number {
  if (query.cursor === undefined) return query.after ?? 0;
  const fields = [];
  if (query.after !== undefined) fields.push({ field: 'query.after', message: 'cannot be combined with cursor; send one of them' });
  if (!/^(0|[1-9][0-9]{0,15})$/.test(query.cursor) || !Number.isSafeInteger(Number(query.cursor)))
    fields.push({ field: 'query.cursor', message: 'not a cursor issued by this API' });
  if (fields.length > 0) {
    throw badRequest(
      'Pass the `nextCursor` of a previous page unchanged as `cursor` (without `after`), or `after` alone to start after a version.',
      fields,
    );
  }
  return Number(query.cursor);
}
