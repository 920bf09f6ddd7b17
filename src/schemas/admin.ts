import { z } from 'zod';
import { ChangeEntry, MergePatch, Message } from './changes.js';
import { PlatformRecord, PolicyEvent } from './platform.js';
import { page } from './responses.js';

export const WriteHeaders = z.object({
  'x-change-message': z
    .string()
    .max(6000)
    .optional()
    .describe('Why the change is made (required for PUT, PATCH and DELETE on a platform). Percent-encode non-ASCII text.'),
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
