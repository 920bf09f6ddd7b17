import fastJsonPatch from 'fast-json-patch';

/** An RFC 6902 JSON Patch: how a change set changed a platform's document, or the whole export. */
export type JsonPatch = fastJsonPatch.Operation[];

/**
 * RFC 6902 patch turning one platform document into another. A platform that did not exist is
 * added whole (one `add` at the root), so the prefixed patch applies to the export's object.
 */
export function diffDocuments(from: object | undefined, to: object | undefined): JsonPatch {
  if (!from && to) return [{ op: 'add', path: '', value: to }];
  if (from && !to) return [{ op: 'remove', path: '' }];
  return fastJsonPatch.compare(from ?? {}, to ?? {});
}

/** Prefixes a platform-level patch so it applies to the export's `platforms` object. */
export function prefixPatch(slug: string, patch: JsonPatch): JsonPatch {
  const base = `/${fastJsonPatch.escapePathComponent(slug)}`;
  return patch.map(
    (op) =>
      ({
        ...op,
        path: op.path === '' ? base : `${base}${op.path}`,
        ...('from' in op ? { from: `${base}${op.from}` } : {}),
      }) as fastJsonPatch.Operation,
  );
}
