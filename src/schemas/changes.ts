import { z } from 'zod';
import { xmlUnsafeCharacter } from '../domain/xml-text.js';
import { NonEmptyText, Slug } from './common.js';
import { PlatformInput, PolicyEvent } from './platform.js';

/** Nesting a merge patch may have; a platform document is 6 levels deep, and deeper JSON would only exhaust the stack later. */
const MAX_PATCH_DEPTH = 32;

/** Whether no object or array in `value` is nested more than `max` levels deep (iterative: deep input must not overflow here). */
function withinDepth(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [node, depth] = next;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return false;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

export const MergePatch = z
  .record(z.string().max(64, 'is not a field of a platform record'), z.unknown())
  .refine((patch) => withinDepth(patch, MAX_PATCH_DEPTH), {
    message: `must not be nested more than ${MAX_PATCH_DEPTH} levels deep (a platform record is far shallower)`,
  })
  .meta({
    id: 'MergePatch',
    description:
      'An RFC 7396 JSON Merge Patch of a platform document: members replace, `null` removes, objects merge; arrays are replaced whole.',
    examples: [{ lastVerified: '2026-01-15', summary: 'LinkedIn uses public posts and profile data to train its generative AI models.' }],
  });

const ifVersion = z
  .int()
  .min(0)
  .optional()
  .describe(
    'Apply only if the platform’s current revision was written at this registry version (0: only if it does not exist yet); otherwise 412.',
  );

export const PutOperation = z
  .strictObject({ op: z.literal('put'), slug: Slug, platform: PlatformInput, ifVersion })
  .meta({ id: 'PutOperation', description: 'Create a platform or replace its whole record.' });
export const PatchOperation = z
  .strictObject({ op: z.literal('patch'), slug: Slug, patch: MergePatch, ifVersion })
  .meta({ id: 'PatchOperation', description: 'Change part of a platform’s record with a JSON Merge Patch.' });
export const RetireOperation = z
  .strictObject({ op: z.literal('retire'), slug: Slug, ifVersion })
  .meta({ id: 'RetireOperation', description: 'Retire a platform: it stays in history as a tombstone; its slug is never reused.' });
export const AddEventOperation = z
  .strictObject({
    op: z.literal('addEvent'),
    slug: Slug,
    event: PolicyEvent,
    patch: MergePatch.optional().describe('The changes the event brings to the platform’s record, applied in the same change set.'),
    ifVersion,
  })
  .meta({ id: 'AddEventOperation', description: 'Record a policy event, together with the changes it brings.' });

export const Operation = z
  .discriminatedUnion('op', [PutOperation, PatchOperation, RetireOperation, AddEventOperation])
  .meta({ id: 'Operation' });
export type Operation = z.infer<typeof Operation>;

export const Message = NonEmptyText(2000)
  .refine((text) => xmlUnsafeCharacter(text) === undefined, {
    error: (issue) =>
      `must not contain control characters XML cannot carry (found ${xmlUnsafeCharacter(String(issue.input))}); the message is republished in the Atom feeds`,
  })
  .describe('Why the change is made; kept forever in the change feed.');

export const ChangeSetRequest = z
  .strictObject({ message: Message, operations: z.array(Operation).min(1).max(200) })
  .meta({ id: 'ChangeSetRequest', description: 'An atomic change set: all operations apply, or none do.' });
export type ChangeSetRequest = z.infer<typeof ChangeSetRequest>;

export const JsonPatchOperation = z
  .object({
    op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
    path: z.string(),
    from: z.string().optional(),
    value: z.unknown().optional(),
  })
  .meta({ id: 'JsonPatchOperation', description: 'One RFC 6902 JSON Patch operation.' });

export const ChangeEntry = z
  .object({
    version: z.int().describe('The registry version this change set created.'),
    recordedAt: z.string().describe('When it was recorded (RFC 3339, UTC).'),
    author: z.string().describe('Name of the API key that wrote it (`seed` for the initial load).'),
    message: z.string(),
    revertOf: z.int().nullable().describe('The version this change set undid, if it is a revert.'),
    platforms: z.array(z.string()).describe('Slugs of the platforms it changed.'),
    patch: z
      .array(JsonPatchOperation)
      .describe('RFC 6902 patch from the previous version, against the export’s `platforms` object (keyed by slug).'),
  })
  .meta({ id: 'ChangeEntry', description: 'One change set: one registry version.' });
export type ChangeEntry = z.infer<typeof ChangeEntry>;
