import { z } from 'zod';
import { ChangeEntry, MergePatch, Message } from './changes.js';
import { PlatformRecord, PolicyEvent } from './platform.js';
import { page } from './responses.js';

/** Characters a change message may have (counted after percent-decoding, in Unicode code points). */
export const MESSAGE_MAX = 2000;
/** Each character is at most 4 UTF-8 bytes, each byte at most 3 characters percent-encoded. */
export const MESSAGE_HEADER_MAX = 3 * 4 * MESSAGE_MAX;

export const WriteHeaders = z.object({
  'x-change-message': z
    .string({ error: `is required: say why the change is made (1 to ${MESSAGE_MAX} characters, percent-encoded)` })
    .min(1, `must say why the change is made (1 to ${MESSAGE_MAX} characters, percent-encoded)`)
    .max(MESSAGE_HEADER_MAX, `must be at most ${MESSAGE_MAX} characters once percent-decoded`)
    .describe(
      `Why the change is made, kept forever in the change feed: 1 to ${MESSAGE_MAX} characters once decoded. ` +
        'Percent-encode it (e.g. `encodeURIComponent`), so any text survives HTTP headers; the encoded header may be up to ' +
        `${MESSAGE_HEADER_MAX} bytes (${MESSAGE_MAX} characters of 4 UTF-8 bytes each).`,
    )
    .meta({ example: 'Re-verified%20against%20the%20help%20page' }),
  'if-match': z
    .string()
    .max(1000)
    .optional()
    .describe('The platform’s ETag from GET /v1/platforms/{slug} (or `*`): 412 if it changed since.'),
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Any unique string; a retry with the same key and body returns the first response and records nothing twice.'),
});

export const WriteResult = z
  .object({
    changed: z.boolean().describe('False when the write changed nothing (no new version).'),
    version: z.int().describe('The registry version after the write.'),
    change: ChangeEntry.nullable().describe('The change set recorded, or null when nothing changed.'),
  })
  .meta({ id: 'WriteResult', description: 'What a write recorded.' });

export const PlatformWriteResult = WriteResult.extend({
  platform: PlatformRecord.describe('The platform as it is after the write.'),
}).meta({ id: 'PlatformWriteResult', description: 'What a write to one platform recorded, and the platform after it.' });

export const EventWriteRequest = z
  .strictObject({
    message: Message,
    event: PolicyEvent,
    patch: MergePatch.optional().describe('Changes the event brings, in the same change set.'),
  })
  .meta({ id: 'EventWriteRequest', description: 'A policy event to record, with the changes it brings.' });

export const RevertRequest = z.strictObject({ message: Message }).meta({ id: 'RevertRequest' });

export const AuditEntry = z
  .object({
    id: z.int(),
    at: z.string().describe('When the request was answered; for an aggregated row, the start of its minute.'),
    keyId: z.int().nullable().describe('Id of the key used; null when none was valid.'),
    keyName: z.string().nullable().describe('Name of the key used; null when none was valid.'),
    method: z.string(),
    route: z.string(),
    status: z.int(),
    outcome: z.enum(['accepted', 'refused', 'failed']),
    version: z.int().nullable().describe('Registry version the request created, if any.'),
    requestId: z.string(),
    ip: z.string().nullable(),
    count: z
      .int()
      .describe(
        'Requests this row stands for: 1, or for requests refused without a valid key, how many came from this client for this route and status in that minute.',
      ),
  })
  .meta({
    id: 'AuditEntry',
    description: 'One admin request, accepted or refused (or, for refusals without a valid key, one client’s minute of them).',
  });
export const AuditList = page(AuditEntry, 'AuditList', 'Admin requests, newest first.');
