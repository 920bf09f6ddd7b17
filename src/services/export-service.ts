import { todayUtc } from '../domain/effective.js';
import type { PlatformDocument } from '../schemas/platform.js';
import type { HistoryService } from './history-service.js';
import type { RegistryReader } from './reader.js';

export const DATA_LICENSE = {
  name: 'Creative Commons Attribution 4.0 International',
  spdx: 'CC-BY-4.0',
  url: 'https://creativecommons.org/licenses/by/4.0/',
  attribution: 'AI-training opt-out registry contributors, with the sources cited in each record',
} as const;

/** Days between two ISO dates (b − a). */
function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** The whole registry as one document, and the registry's summary. */
export class ExportService {
  constructor(
    private readonly reader: RegistryReader,
    private readonly history: HistoryService,
  ) {}

  async exportAt(requested?: number) {
    const version = await this.reader.resolveVersion(requested);
    return {
      version,
      recordedAt: version > 0 ? ((await this.reader.store.changeSet(version))?.recordedAt ?? null) : null,
      license: DATA_LICENSE,
      platforms: await this.reader.documentsAt(version),
    };
  }

  async info() {
    const version = await this.reader.currentVersion();
    const docs = Object.values(await this.reader.documentsAt(version));
    const [lastChange] = version > 0 ? await this.history.summaries({ limit: 1 }) : [];
    const sum = (f: (d: PlatformDocument) => number) => docs.reduce((n, d) => n + f(d), 0);
    const today = todayUtc();
    const verifiedWithin = (days: number) => docs.filter((d) => daysBetween(d.lastVerified, today) <= days).length;
    return {
      version,
      platforms: {
        total: docs.length,
        active: docs.filter((d) => d.status === 'active').length,
        retired: docs.filter((d) => d.status === 'retired').length,
      },
      counts: {
        settings: sum((d) => d.settings.length),
        regionRules: sum((d) => d.regionRules.length),
        events: sum((d) => d.events.length),
        sources: sum((d) => d.sources.length),
      },
      freshness: {
        asOf: today,
        verifiedWithin30Days: verifiedWithin(30),
        verifiedWithin90Days: verifiedWithin(90),
        verifiedWithin365Days: verifiedWithin(365),
        oldestLastVerified: docs.map((d) => d.lastVerified).sort()[0] ?? null,
      },
      lastChange: lastChange ?? null,
      license: DATA_LICENSE,
    };
  }
}
