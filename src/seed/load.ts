import type { WriteService } from '../services/write-service.js';
import { loadSeedDocuments, SEED_DIR } from './files.js';

/**
 * Loads `seed/` into an empty registry as one change set, through the same planning as admin writes.
 * Returns the version created, or null when the registry already had data (checked under the write
 * lock, so two instances starting at once seed once).
 */
export async function seedIfEmpty(writes: WriteService, dir = SEED_DIR): Promise<number | null> {
  const documents = loadSeedDocuments(dir);
  return writes.seed(documents, `Initial load of ${documents.length} platforms from seed/`);
}
