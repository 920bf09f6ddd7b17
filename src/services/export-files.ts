import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DATA_LICENSE } from './export-service.js';
import { yieldToEventLoop } from './platform-service.js';
import type { RegistryReader } from './reader.js';

/** Platforms written per slice of an export build; the build yields to the event loop after each. */
export const EXPORT_SLICE = 200;

export interface ExportFile {
  path: string;
  /** Size of the gzip file. */
  bytes: number;
}

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

  constructor(
    private readonly reader: RegistryReader,
    readonly dir: string,
    private readonly maxBytes: number,
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

  /** The built export of `version` (an existing registry version), building it first if needed. */
  async file(version: number): Promise<ExportFile> {
    const { path, recordedAt } = await this.pathOf(version);
    const existing = await stat(path).catch(() => undefined);
    if (existing) return { path, bytes: existing.size };
    let build = this.building.get(path);
    if (!build) {
      build = this.build(version, recordedAt, path).finally(() => this.building.delete(path));
      this.building.set(path, build);
    }
    return build;
  }

  private async build(version: number, recordedAt: string | null, path: string): Promise<ExportFile> {
    await mkdir(this.dir, { recursive: true });
    const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
    const gzip = createGzip();
    const written = pipeline(gzip, createWriteStream(temp, { mode: 0o600 }));
    try {
      const store = this.reader.store;
      // The same bytes as JSON.stringify({ version, recordedAt, license, platforms }): each stored
      // document is the JSON.stringify of the document, so it is copied as it is.
      let chunk = `{"version":${version},"recordedAt":${JSON.stringify(recordedAt)},"license":${JSON.stringify(DATA_LICENSE)},"platforms":{`;
      let after = '';
      let first = true;
      for (;;) {
        const rows = await store.documentsPage(version, after, EXPORT_SLICE);
        for (const row of rows) {
          chunk += `${first ? '' : ','}${JSON.stringify(row.slug)}:${row.document}`;
          first = false;
          after = row.slug;
        }
        if (!gzip.write(chunk)) await once(gzip, 'drain');
        chunk = '';
        if (rows.length < EXPORT_SLICE) break;
        await yieldToEventLoop();
      }
      gzip.end('}}');
      await written;
      await rename(temp, path);
    } catch (error) {
      gzip.destroy();
      await written.catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
    const bytes = (await stat(path)).size;
    await this.prune(path).catch(() => undefined);
    return { path, bytes };
  }

  /** Keeps the directory within its byte budget, removing the least recently built files first. */
  private async prune(keep: string): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => /^export-v\d+-[\w-]+\.json\.gz$/.test(n));
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
      if (f.path === keep) continue;
      await rm(f.path, { force: true });
      total -= f.bytes;
    }
  }
}
