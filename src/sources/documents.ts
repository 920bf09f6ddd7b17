import { z } from 'zod';
import { PlatformDocument } from '../schemas/platform.js';
import { loadSeedDocuments } from '../seed/files.js';

const Export = z.object({ platforms: z.record(z.string(), PlatformDocument) });

/**
 * The platform documents whose sources the CLIs watch: the seed files, or what a running registry
 * serves at `/v1/export` (so sources added through the API are watched too).
 */
export async function loadDocuments(from: string | undefined, userAgent: string): Promise<PlatformDocument[]> {
  if (!from) return loadSeedDocuments();
  const response = await fetch(from, {
    headers: { accept: 'application/json', 'user-agent': userAgent },
    signal: AbortSignal.timeout(120_000),
  });
  if (!response.ok) throw new Error(`${from} answered HTTP ${response.status}`);
  const parsed = Export.safeParse(await response.json());
  if (!parsed.success)
    throw new Error(`${from} is not a registry export: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return Object.values(parsed.data.platforms);
}
