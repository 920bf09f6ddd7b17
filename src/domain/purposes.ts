/**
 * What a setting's data is used for, which of those uses decide the headline answer
 * (`trainingByDefault`), and how each maps to the IETF AI Preferences vocabulary. The rule is written
 * down for people in README "How the headline is decided".
 */
export const PURPOSES = [
  'train_own_generative_models',
  'train_group_generative_models',
  'train_own_models',
  'product_improvement',
  'share_with_affiliates',
  'license_to_third_parties',
  'third_party_crawling',
  'third_party_processing',
] as const;
export type PurposeCode = (typeof PURPOSES)[number];

/** The platform (or its corporate group) training generative models on the person's data: these decide the headline. */
export const OWN_TRAINING_PURPOSES: ReadonlySet<string> = new Set<PurposeCode>([
  'train_own_generative_models',
  'train_group_generative_models',
]);

/** Own training of other kinds: these decide the headline only on a platform with no setting for the above. */
export const OTHER_OWN_PURPOSES: ReadonlySet<string> = new Set<PurposeCode>(['train_own_models', 'product_improvement']);

/**
 * The settings that decide the headline: those for own or group generative training; failing any,
 * those for other own training. Sharing within the group, licensing, crawling and what third parties
 * the person chooses do never count: a setting with only those purposes keeps its own answer and
 * leaves the headline alone (a platform with nothing else has no headline answer: null).
 */
export function countingSettings<T extends { purposes: readonly string[] }>(settings: readonly T[]): T[] {
  const generative = settings.filter((s) => s.purposes.some((p) => OWN_TRAINING_PURPOSES.has(p)));
  return generative.length > 0 ? generative : settings.filter((s) => s.purposes.some((p) => OTHER_OWN_PURPOSES.has(p)));
}

/**
 * The revision of the IETF AI Preferences vocabulary the mapping below follows. Revision 07
 * (2026-08-19) defines two categories of use: `train-ai` (using an asset to change the learned
 * parameters of a model that generates synthetic content) and `search`.
 */
export const AIPREF_VOCABULARY = {
  draft: 'draft-ietf-aipref-vocab-07',
  date: '2026-08-19',
  url: 'https://datatracker.ietf.org/doc/draft-ietf-aipref-vocab/07/',
} as const;
export const AIPREF_CATEGORIES = ['train-ai', 'search'] as const;
export type AiPrefCategory = (typeof AIPREF_CATEGORIES)[number];

/**
 * The vocabulary's categories each purpose falls under. Only generative training is `train-ai`:
 * whoever trains (the platform, its group, a licensee, a crawler's operator). Models that do not
 * generate content (ranking, safety), "improving services" that may or may not train, sharing without
 * training and a third party's own processing fall under no category of revision 07, so they map to
 * none rather than to a guess. No purpose is `search`.
 */
export const PURPOSE_AIPREF: Record<PurposeCode, readonly AiPrefCategory[]> = {
  train_own_generative_models: ['train-ai'],
  train_group_generative_models: ['train-ai'],
  train_own_models: [],
  product_improvement: [],
  share_with_affiliates: [],
  license_to_third_parties: ['train-ai'],
  third_party_crawling: ['train-ai'],
  third_party_processing: [],
};

export function aiPrefCategoriesOf(purposes: readonly string[]): AiPrefCategory[] {
  const out = new Set<AiPrefCategory>();
  for (const p of purposes) for (const c of PURPOSE_AIPREF[p as PurposeCode] ?? []) out.add(c);
  return AIPREF_CATEGORIES.filter((c) => out.has(c));
}
