import { guessSourceKind } from '../domain/source-kinds.js';
import type { SourceKind } from '../schemas/common.js';
import type { WriteService } from '../services/write-service.js';
import { loadSeedDocuments, readSeedFiles, SEED_DIR } from './files.js';

/**
 * Loads `seed/` into an empty registry as one change set, through the same planning as admin writes.
 * Returns the version created, or null when the registry already had data (checked under the write
 * lock, so two instances starting at once seed once).
 */
export async function seedIfEmpty(writes: WriteService, dir = SEED_DIR): Promise<number | null> {
  // A read first: an instance starting on a registry that has data reads no seed file (reading and
  // validating the 90 files took about 120 ms of every start). `seed` checks again under the lock.
  if (!(await writes.isEmpty())) return null;
  const documents = loadSeedDocuments(dir);
  return writes.seed(documents, `Initial load of ${documents.length} platforms from seed/`);
}

/**
 * Registries written before sources carried a `kind` are brought up to the schema in one change set
 * (with a message saying so), so their records read and write again: each source gets the kind of
 * the seed source with the same URL when there is one, else a guess from its address (an archived
 * terms record, a regulator, the platform's own domain, else press), for editors to correct.
 */
export async function migrateSourceKinds(writes: WriteService, dir = SEED_DIR): Promise<number | null> {
  // The seed's kinds are read only if a flagged document needs them, not at every start.
  let known: Map<string, SourceKind> | undefined;
  const kindOf = (url: string) => {
    if (!known) {
      known = new Map();
      for (const file of readSeedFiles(dir)) for (const s of file.document?.sources ?? []) known.set(s.url, s.kind);
    }
    return known.get(url);
  };
  return writes.migrateDocuments(
    'Data migration: every source says what it is (platform, regulator, court, terms_archive, press or other), taken from the seed where it cites the same URL, else guessed from its address; editors correct the guesses.',
    (doc) => {
      if (doc.sources.every((s) => s.kind !== undefined)) return undefined;
      return {
        ...doc,
        sources: doc.sources.map((s) => (s.kind !== undefined ? s : { ...s, kind: kindOf(s.url) ?? guessSourceKind(s.url, doc.homepage) })),
      };
    },
  );
}
