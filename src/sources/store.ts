import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { OtaFinding, SourceCheckResult } from './schemas.js';

/**
 * Where source checks and Open Terms Archive findings live between runs. The CLIs use the JSON file
 * below; a database implementation can replace it without the checkers noticing.
 */
export interface SourceCheckStore {
  /** The latest stored result for each of these URLs that has one. */
  previous(urls: readonly string[]): Promise<Map<string, SourceCheckResult>>;
  /** Replaces the stored result of each URL given; other URLs keep theirs. */
  save(results: readonly SourceCheckResult[]): Promise<void>;
}

export interface OtaFindingStore {
  /** Every stored finding. */
  otaFindings(): Promise<OtaFinding[]>;
  /** Replaces the findings of each source URL given; other URLs keep theirs. */
  saveOtaFindings(findings: readonly OtaFinding[]): Promise<void>;
}

export const DEFAULT_STORE_PATH = './data/source-checks.json';

const StoreFile = z.strictObject({
  checks: z.record(z.string(), SourceCheckResult).default({}),
  ota: z.record(z.string(), z.array(OtaFinding)).default({}),
});
type StoreFile = z.infer<typeof StoreFile>;

/**
 * One JSON file holding both: `checks` keyed by URL, `ota` keyed by source URL. Each save reads the
 * file afresh, merges and replaces it atomically (temp file, fsync, rename), so a crash never
 * leaves half a file and a run of the other CLI in between is not lost.
 */
export class JsonFileSourceStore implements SourceCheckStore, OtaFindingStore {
  constructor(readonly path: string = DEFAULT_STORE_PATH) {}

  async #read(): Promise<StoreFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { checks: {}, ota: {} };
      throw error;
    }
    // A file that does not parse is history we would overwrite; stop instead.
    const parsed = StoreFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.path} is not a source-check file: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  async #write(data: StoreFile): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const file = await open(temp, 'w');
    try {
      await file.writeFile(`${JSON.stringify(data, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async previous(urls: readonly string[]): Promise<Map<string, SourceCheckResult>> {
    const { checks } = await this.#read();
    return new Map(urls.flatMap((u) => (checks[u] ? [[u, checks[u]] as const] : [])));
  }

  async save(results: readonly SourceCheckResult[]): Promise<void> {
    const data = await this.#read();
    for (const r of results) data.checks[r.url] = r;
    await this.#write(data);
  }

  async otaFindings(): Promise<OtaFinding[]> {
    return Object.values((await this.#read()).ota).flat();
  }

  async saveOtaFindings(findings: readonly OtaFinding[]): Promise<void> {
    const data = await this.#read();
    const bySource = new Map<string, OtaFinding[]>();
    for (const f of findings) bySource.set(f.sourceUrl, [...(bySource.get(f.sourceUrl) ?? []), f]);
    for (const [url, list] of bySource) data.ota[url] = list;
    await this.#write(data);
  }
}
