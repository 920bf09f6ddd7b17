/** The licence of the registry's data, stated in the export and the registry summary. */
export const DATA_LICENSE = {
  name: 'Creative Commons Attribution 4.0 International',
  spdx: 'CC-BY-4.0',
  url: 'https://creativecommons.org/licenses/by/4.0/',
  attribution: 'AI-training opt-out registry contributors, with the sources cited in each record',
} as const;
