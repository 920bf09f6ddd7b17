import type { RegistryService } from '../services/registry-service.js';
import { loadSeedDocuments, SEED_DIR } from './files.js';

/**
 * Loads `seed/` into an empty registry as one change set, through the same path as admin writes.
 * Returns the version created, or null when the registry already had data.
 */
export function seedIfEmpty(service: RegistryService, dir = SEED_DIR): number | null {
  if (service.store.currentVersion() > 0) return null;
  const documents = loadSeedDocuments(dir);
  if (documents.length === 0) return null;
  const result = service.recordChangeSet({
    author: 'seed',
    message: `Initial load of ${documents.length} platforms from seed/`,
    operations: documents.map((platform) => ({ op: 'put' as const, slug: platform.slug, platform })),
  });
  return result.version;
}
