import { z } from 'zod';
import { badRequest } from '../errors.js';

/**
 * Cursors are opaque to clients. Each one pins the registry version its first page was read at, so
 * paging stays consistent while editors keep writing.
 */
const CursorPayload = z.object({ v: z.int().min(0), k: z.union([z.string(), z.int()]) });
export type Cursor = z.infer<typeof CursorPayload>;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = CursorPayload.safeParse(parsed);
  if (!result.success) {
    throw badRequest(
      'The cursor is not one this API issued. Pass the `nextCursor` of a previous page unchanged, or omit `cursor` to start from the first page.',
      [{ field: 'query.cursor', message: 'not a cursor issued by this API' }],
    );
  }
  return result.data;
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
