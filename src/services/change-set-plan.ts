import mergePatch from 'json-merge-patch';
import { diffDocuments, type JsonPatch } from '../domain/change-sets.js';
import { withoutEvidence } from '../domain/evidence.js';
import { xmlUnsafeStrings } from '../domain/xml-text.js';
import { type FieldError, notFound, ProblemError, unprocessable } from '../errors.js';
import type { Operation } from '../schemas/changes.js';
import { PlatformDocument } from '../schemas/platform.js';

/*
 * Planning a change set: the write service's first step, inside its transaction. A service, not
 * domain logic: it validates each resulting document with the API's zod schema and refuses with the
 * API's problems (404, 409, 412, 422), so it stands above the schemas.
 */

export interface CurrentPlatform {
  document: PlatformDocument;
  /** Registry version of the revision in force. */
  version: number;
}

export interface PlannedRevision {
  slug: string;
  op: 'create' | 'update' | 'retire';
  document: PlatformDocument;
  patch: JsonPatch;
}

function zodErrors(error: { issues: { path: PropertyKey[]; message: string }[] }, prefix: string, note = ''): FieldError[] {
  return error.issues.map((i) => ({ field: [prefix, ...i.path.map(String)].filter(Boolean).join('.'), message: `${note}${i.message}` }));
}

/**
 * Where in the request an operation's fields are, for error messages: `body.operations.2` in a
 * change set; `body` for the single-operation convenience routes.
 */
export type Locate = (index: number, part: 'platform' | 'patch') => string;
export const inChangeSet: Locate = (index, part) => `body.operations.${index}.${part}`;
export const inBody: Locate = () => 'body';

/**
 * Plans the revisions a change set makes. Operations apply in order; several on one platform fold
 * into one revision. Throws a ProblemError (and plans nothing) when any operation is stale (412),
 * names a platform that does not exist (404), or leaves a document invalid (422, every field named).
 */
export function planChangeSet(
  operations: Operation[],
  current: (slug: string) => CurrentPlatform | undefined,
  locate: Locate = inChangeSet,
): PlannedRevision[] {
  const before = new Map<string, CurrentPlatform | undefined>();
  const working = new Map<string, PlatformDocument>();
  const errors: FieldError[] = [];

  operations.forEach((operation, index) => {
    if (!before.has(operation.slug)) before.set(operation.slug, current(operation.slug));
    const original = before.get(operation.slug);
    if (operation.ifVersion !== undefined && (original?.version ?? 0) !== operation.ifVersion) {
      throw new ProblemError(
        412,
        'precondition-failed',
        `Operation ${index} expected "${operation.slug}" at version ${operation.ifVersion}, but its current revision is from version ${original?.version ?? 0}. Read it again and reapply your change.`,
        { extensions: { slug: operation.slug, currentVersion: original?.version ?? 0 } },
      );
    }
    const existing = working.get(operation.slug) ?? original?.document;
    let next: unknown;
    switch (operation.op) {
      case 'put':
        if (operation.platform.slug !== operation.slug) {
          errors.push({
            field: `${locate(index, 'platform')}.slug`,
            message: `must equal the slug being written ("${operation.slug}"); slugs never change`,
          });
          return;
        }
        next = operation.platform;
        break;
      case 'patch':
      case 'addEvent': {
        if (!existing)
          throw notFound(
            `Operation ${index}: there is no platform "${operation.slug}" to ${operation.op === 'patch' ? 'patch' : 'add an event to'}; create it with a put first.`,
          );
        next = operation.patch ? mergePatch.apply(structuredClone(existing), operation.patch) : structuredClone(existing);
        if (operation.op === 'addEvent' && next && typeof next === 'object') {
          const doc = next as PlatformDocument;
          doc.events = [...(Array.isArray(doc.events) ? doc.events : []), operation.event];
        }
        if ((next as { slug?: unknown })?.slug !== operation.slug) {
          errors.push({ field: `${locate(index, 'patch')}.slug`, message: 'a platform’s slug never changes' });
          return;
        }
        break;
      }
      case 'retire':
        if (!existing) throw notFound(`Operation ${index}: there is no platform "${operation.slug}" to retire.`);
        if (existing.status === 'retired') {
          throw new ProblemError(409, 'conflict', `Operation ${index}: "${operation.slug}" is already retired.`);
        }
        next = { ...existing, status: 'retired' };
        break;
    }
    // Bringing back a tombstone must be deliberate: only a write that names the revision it read.
    if (
      original?.document.status === 'retired' &&
      (next as { status?: unknown })?.status === 'active' &&
      operation.ifVersion === undefined
    ) {
      throw new ProblemError(
        409,
        'conflict',
        `Operation ${index}: "${operation.slug}" is retired (since version ${original.version}); this write would make it active again. ` +
          `To revive it, say so: send If-Match with its current ETag (from GET /v1/platforms/${operation.slug}) on PUT or PATCH, or "ifVersion": ${original.version} in a change set.`,
        { extensions: { slug: operation.slug, currentVersion: original.version } },
      );
    }
    const parsed = PlatformDocument.safeParse(next);
    if (!parsed.success) {
      errors.push(
        ...(operation.op === 'put'
          ? zodErrors(parsed.error, locate(index, 'platform'))
          : zodErrors(
              parsed.error,
              locate(index, 'patch'),
              `once the ${{ retire: 'retirement', patch: 'merge patch', addEvent: 'event and its patch' }[operation.op]} is applied, the record's field `,
            )),
      );
      return;
    }
    // JSON carries any character, but pages and feeds built from records may be XML: refuse what XML cannot carry.
    const unsafe = xmlUnsafeStrings(parsed.data);
    if (unsafe.length > 0) {
      const at = locate(index, operation.op === 'put' ? 'platform' : 'patch');
      errors.push(
        ...unsafe.map((u) => ({ field: [at, ...u.path].join('.'), message: `must not contain control characters (found ${u.problem})` })),
      );
      return;
    }
    // Derived fields a client sent back (a GET body edited and PUT) are recomputed on read, never stored.
    working.set(operation.slug, withoutEvidence(parsed.data));
  });

  if (errors.length > 0) {
    throw unprocessable(`The change set was not applied: ${errors.length} problem(s) in its operations. Nothing was written.`, errors);
  }

  const planned: PlannedRevision[] = [];
  for (const [slug, document] of working) {
    const original = before.get(slug)?.document;
    const patch = diffDocuments(original, document);
    if (patch.length === 0) continue;
    const op = !original ? 'create' : document.status === 'retired' && original.status !== 'retired' ? 'retire' : 'update';
    planned.push({ slug, op, document, patch });
  }
  return planned.sort((a, b) => (a.slug < b.slug ? -1 : 1));
}
