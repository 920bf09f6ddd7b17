import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import { DATA_LICENSE } from '../domain/license.js';
import { ProblemError } from '../errors.js';
import { yieldToEventLoop } from './platform-service.js';
import type { RegistryReader } from './reader.js';

/** Retry-After of a request refused because past-version builds are at their cap: about one build at 10 000 platforms. */
const PAST_BUILD_RETRY_SECONDS = 2;

/** Platforms written per slice of an export build; the build yields to the event loop after each. */
export const EXPORT_SLICE = 200;

export interface ExportFile {
  /** The gzip file; the brotli one is beside it (`brPath`). */
  path: string;
  /** Size of the gzip file. */
  bytes: number;
  brPath: string;
  brBytes: number;
}

/**
 * Brotli at quality 5: within a few percent of the default's size on JSON at a small fraction of its
 * CPU, which matters when an export of tens of megabytes is built while the instance serves reads.
 */
const BROTLI_QUALITY = 5;
/**
 * A 256 KB brotli window (2^18) rather than the default 4 MB (2^22), whose ring buffer is twice the
 * window: four concurrent encoders took 23 MB more RSS at the default and 5 MB at 2^18, for a file
 * about 4 % larger on the benchmark's 2.7 MB export (a document is a few KB, so 256 KB still
 * reaches the neighbours it repeats).
 */
const BROTLI_WINDOW_BITS = 18;
/**
 * Text goes to the encoders in pieces of about this many characters, one Buffer for both: a whole
 * slice as one string (hundreds of KB) went to V8's large-object space and was converted to UTF-8
 * once per encoder.
 */
const PIECE_CHARS = 64 * 1024;
/**
 * Export builds run one at a time (others wait their turn; several requests for one version share
 * its build). A build is CPU work on both the event loop and the thread pool, so on this 2-core
 * machine four at once finished 153 builds only about a third sooner than one at a time, while the
 * platform GETs beside them took 2.3 ms at p50 instead of 0.95 ms and the server ended at 226–245 MB
 * RSS instead of 203–210 MB (10 000 revisions, 6 clients exporting random versions).
 */
const MAX_BUILDS = 1;

/**
 * `GET /v1/export` bodies, built once per registry version into a gzip file and served from it.
 *
 * At 10 000 platforms an export is tens of megabytes: serialising it in one piece blocked the event
 * loop for half a second, and keeping it in memory cost that much again per version. A version's
 * export never changes, so it is built at most once per instance (concurrent requests share the
 * build), from the stored document texts (never parsed), a slice of EXPORT_SLICE platforms at a
 * time with a yield between slices; gzip runs on libuv's thread pool. Several instances may each
 * build their own copy (they can share the directory: files are renamed into place whole).
 */
export class ExportFiles {
  private readonly building = new Map<string, Promise<ExportFile>>();
  /** Builds running, and those waiting for one of the MAX_BUILDS places. */
  private running = 0;
  private readonly queued: (() => void)[] = [];

  /** Builds under way of versions that were not the current one when asked for. */
  private pastBuilds = 0;

  constructor(
    private readonly reader: RegistryReader,
    readonly dir: string,
    private readonly maxBytes: number,
    /**
     * Builds of past versions running or waiting. A build takes a core for about a second at 10 000
     * platforms (reading, gzip and brotli), and builds run one at a time (MAX_BUILDS). Past versions
     * are what a client can ask for without end, so their builds are capped and the excess gets 503
     * + Retry-After at once rather than a place in a queue no one can bound; the current version's
     * export is never refused (once per write), so such a client cannot keep anyone from it.
     */
    private readonly maxPastBuilds = 1,
  ) {}

  /**
   * The file of a version is named by the version and its change set's identity, so a database
   * restored from a backup (whose later versions are written again, differently) or another
   * database sharing the directory never serves another registry's bytes.
   */
  private async pathOf(version: number): Promise<{ path: string; recordedAt: string | null }> {
    const cs = version > 0 ? await this.reader.store.changeSet(version) : undefined;
    const identity = cs ? `${cs.version}|${cs.recordedAt}|${cs.author}|${cs.requestId ?? ''}|${cs.message}` : 'empty';
    const tag = createHash('sha256').update(identity).digest('base64url').slice(0, 16);
    return { path: join(this.dir, `export-v${version}-${tag}.json.gz`), recordedAt: cs?.recordedAt ?? null };
  }

  /**
   * The built export of `version` (an existing registry version), building it first if needed.
   * `current`: whether it is the registry's current version (see `maxPastBuilds`).
   */
  async file(version: number, current: boolean): Promise<ExportFile> {
    const { path, recordedAt } = await this.pathOf(version);
    const brPath = brotliPathOf(path);
    // The brotli file is renamed into place first, so a gzip file means both are there.
    const [existing, existingBr] = await Promise.all([stat(path).catch(() => undefined), stat(brPath).catch(() => undefined)]);
    if (existing && existingBr) return { path, bytes: existing.size, brPath, brBytes: existingBr.size };
    let build = this.building.get(path);
    if (!build) {
      if (!current && this.pastBuilds >= this.maxPastBuilds) {
        throw new ProblemError(
          503,
          'service-unavailable',
          `The export of version ${version} is not built yet and this instance is building another past version's export (${this.maxPastBuilds} at a time); retry in a few seconds, or ask for the current version (GET /v1/export without a version).`,
          { headers: { 'retry-after': String(PAST_BUILD_RETRY_SECONDS) } },
        );
      }
      if (!current) this.pastBuilds++;
      // Past versions' builds are refused beyond their cap above; every build then waits its turn
      // (MAX_BUILDS), so the current version's waits for at most the builds ahead of it.
      build = this.limited(() => this.build(version, recordedAt, path)).finally(() => {
        this.building.delete(path);
        if (!current) this.pastBuilds--;
      });
      this.building.set(path, build);
    }
    return build;
  }

  /** Runs `work` when fewer than MAX_BUILDS builds are running (first come, first served). */
  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= MAX_BUILDS) await new Promise<void>((start) => this.queued.push(start));
    else this.running++;
    try {
      return await work();
    } finally {
      // A waiting build takes over the place; otherwise it is freed.
      const next = this.queued.shift();
      if (next) next();
      else this.running--;
    }
  }

  private async build(version: number, recordedAt: string | null, path: string): Promise<ExportFile> {
    await mkdir(this.dir, { recursive: true });
    const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
    const brPath = brotliPathOf(path);
    const brTemp = `${brPath}.${process.pid}.${Date.now()}.tmp`;
    const gzip = createGzip();
    const brotli = createBrotliCompress({
      params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_LGWIN]: BROTLI_WINDOW_BITS },
    });
    const written = Promise.all([
      pipeline(gzip, createWriteStream(temp, { mode: 0o600 })),
      pipeline(brotli, createWriteStream(brTemp, { mode: 0o600 })),
    ]);
    // Both codings are made from the same pieces; a piece waits for whichever encoder is behind.
    const write = async (text: string) => {
      const bytes = Buffer.from(text);
      const gzipReady = gzip.write(bytes);
      const brotliReady = brotli.write(bytes);
      await Promise.all([gzipReady ? undefined : once(gzip, 'drain'), brotliReady ? undefined : once(brotli, 'drain')]);
    };
    try {
      const store = this.reader.store;
      // The same bytes as JSON.stringify({ version, recordedAt, license, platforms }): each stored
      // document is the JSON.stringify of the document, so it is copied as it is.
      let chunk = `{"version":${version},"recordedAt":${JSON.stringify(recordedAt)},"license":${JSON.stringify(DATA_LICENSE)},"platforms":{`;
      let after = '';
      let first = true;
      // The current version's documents come through the current revisions' index (see DrizzleRegistry.inForce).
      const recent = version === (await store.currentVersion());
      for (;;) {
        const rows = await store.documentsPage(version, after, EXPORT_SLICE, recent);
        for (const row of rows) {
          chunk += `${first ? '' : ','}${JSON.stringify(row.slug)}:${row.document}`;
          first = false;
          after = row.slug;
          if (chunk.length >= PIECE_CHARS) {
            await write(chunk);
            chunk = '';
          }
        }
        if (rows.length < EXPORT_SLICE) break;
        await yieldToEventLoop();
      }
      await write(`${chunk}}}`);
      gzip.end();
      brotli.end();
      await written;
      await rename(brTemp, brPath);
      await rename(temp, path);
    } catch (error) {
      gzip.destroy();
      brotli.destroy();
      await written.catch(() => undefined);
      await Promise.all([rm(temp, { force: true }), rm(brTemp, { force: true })]);
      throw error;
    }
    const [bytes, brBytes] = await Promise.all([stat(path).then((s) => s.size), stat(brPath).then((s) => s.size)]);
    await this.prune(path).catch(() => undefined);
    return { path, bytes, brPath, brBytes };
  }

  /** Keeps the directory within its byte budget, removing the least recently built files first. */
  private async prune(keep: string): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => /^export-v\d+-[\w-]+\.json\.(gz|br)$/.test(n));
    const files = await Promise.all(
      names.map(async (name) => {
        const path = join(this.dir, name);
        const s = await stat(path).catch(() => undefined);
        return { path, bytes: s?.size ?? 0, mtime: s?.mtimeMs ?? 0 };
      }),
    );
    let total = files.reduce((n, f) => n + f.bytes, 0);
    for (const f of files.sort((a, b) => a.mtime - b.mtime)) {
      if (total <= this.maxBytes) break;
      if (f.path === keep || f.path === brotliPathOf(keep)) continue;
      await rm(f.path, { force: true });
      total -= f.bytes;
    }
  }
}

/** The brotli file beside a gzip export file. */
function brotliPathOf(gzipPath: string): string {
  return gzipPath.replace(/\.gz$/, '.br');
}
