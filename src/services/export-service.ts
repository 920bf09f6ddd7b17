import { todayUtc } from '../domain/effective.js';
import { DATA_LICENSE } from '../domain/license.js';
import type { ListSummary } from '../domain/summaries.js';
import type { ExportFiles } from './export-files.js';
import type { HistoryService } from './history-service.js';
import { yieldToEventLoop } from './platform-service.js';
import type { RegistryReader } from './reader.js';

/** Platforms read per slice of the registry summary. */
const INFO_SLICE = 500;

/** Days between two ISO dates (b − a). */
function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** The whole registry as one document, and the registry's summary. */
export class ExportService {
  constructor(
    private readonly reader: RegistryReader,
    private readonly history: HistoryService,
    private readonly files: ExportFiles,
  ) {}

  /** The export as a value, from parsed documents: for tests and small registries (routes serve `file`). */
  async exportAt(requested?: number) {
    const version = await this.reader.resolveVersion(requested);
    return {
      version,
      recordedAt: version > 0 ? ((await this.reader.store.changeSet(version))?.recordedAt ?? null) : null,
      license: DATA_LICENSE,
      platforms: await this.reader.documentsAt(version),
    };
  }

  /**
   * The built export file of a version (the current one when omitted); see ExportFiles. A caller
   * that has resolved the version already (the route: `requested` and whether it was the current
   * one) is taken at its word, not read again: the build then counts as the current version's
   * (never refused) even if a write has moved the head since; a second read used to make such a
   * request a past version's build, refused beyond the cap.
   */
  async file(requested?: number, current?: boolean) {
    const resolved =
      requested !== undefined && current !== undefined ? { version: requested, current } : await this.reader.resolve(requested);
    return { version: resolved.version, ...(await this.files.file(resolved.version, resolved.current)) };
  }

  /**
   * The registry's summary, from each platform's derived columns (never its document), read
   * INFO_SLICE platforms at a time with a yield between slices.
   */
  async info(head?: number) {
    const version = head ?? (await this.reader.currentVersion());
    const [lastChange] = version > 0 ? await this.history.summaries({ limit: 1 }, version) : [];
    const today = todayUtc();
    const platforms = { total: 0, active: 0, retired: 0 };
    const counts = { settings: 0, regionRules: 0, events: 0, sources: 0 };
    const verified = { d30: 0, d90: 0, d365: 0 };
    let oldest: string | null = null;
    for (let after = ''; ; await yieldToEventLoop()) {
      const rows = await this.reader.store.listSummaries({ version, afterSlug: after, limit: INFO_SLICE, recent: true });
      for (const row of rows) {
        after = row.slug;
        const summary = JSON.parse(row.summary) as ListSummary;
        platforms.total++;
        platforms[row.status]++;
        counts.settings += summary.settingCount;
        counts.regionRules += summary.regionRuleCount;
        counts.events += summary.eventCount;
        counts.sources += summary.sourceCount;
        const age = daysBetween(row.lastVerified, today);
        if (age <= 30) verified.d30++;
        if (age <= 90) verified.d90++;
        if (age <= 365) verified.d365++;
        if (oldest === null || row.lastVerified < oldest) oldest = row.lastVerified;
      }
      if (rows.length < INFO_SLICE) break;
    }
    return {
      version,
      platforms,
      counts,
      freshness: {
        asOf: today,
        verifiedWithin30Days: verified.d30,
        verifiedWithin90Days: verified.d90,
        verifiedWithin365Days: verified.d365,
        oldestLastVerified: oldest,
      },
      lastChange: lastChange ?? null,
      license: DATA_LICENSE,
    };
  }
}
