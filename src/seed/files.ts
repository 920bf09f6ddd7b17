import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { SEED_PLATFORMS_DIR } from '../paths.js';
import { PlatformDocument } from '../schemas/platform.js';

export const SEED_DIR = SEED_PLATFORMS_DIR;

export interface SeedFile {
  file: string;
  document?: PlatformDocument;
  issues?: z.core.$ZodIssue[];
  error?: string;
}

/** Reads and validates every `seed/platforms/*.json` with the same schema the API uses for writes. */
export function readSeedFiles(dir = SEED_DIR): SeedFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      } catch (e) {
        return { file, error: `not valid JSON: ${(e as Error).message}` };
      }
      const parsed = PlatformDocument.safeParse(raw);
      if (!parsed.success) return { file, issues: parsed.error.issues };
      if (`${parsed.data.slug}.json` !== file) return { file, error: `file name must be "${parsed.data.slug}.json" (the slug)` };
      return { file, document: parsed.data };
    });
}

/** All seed documents, or an error that names every bad file and field. */
export function loadSeedDocuments(dir = SEED_DIR): PlatformDocument[] {
  const files = readSeedFiles(dir);
  const bad = files.filter((f) => !f.document);
  if (bad.length > 0) {
    const lines = bad.flatMap((f) =>
      f.error ? [`${f.file}: ${f.error}`] : (f.issues ?? []).map((i) => `${f.file}: ${i.path.join('.') || '(root)'}: ${i.message}`),
    );
    throw new Error(`seed data is invalid:\n${lines.join('\n')}`);
  }
  return files.map((f) => f.document as PlatformDocument);
}
