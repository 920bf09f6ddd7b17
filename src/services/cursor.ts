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
