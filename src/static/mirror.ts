import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { Agent, get } from 'node:http';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Services } from '../services/index.js';

/**
 * The read API written out as files, so that any static host or CDN can serve the registry without
 * this server: the bytes of each file are what the server sent for one request, fetched over HTTP
 * from the server itself (the same serialisers, the same bytes) and streamed to disk, so no response
 * is held in memory whole however large the registry.
 *
 * Layout: a resource at path P is the file `P/index.json` (a static host serves it at `P/`, and most
 * redirect `P` there), except paths that end in an extension (`/openapi.json`, `….atom`). List pages
 * after the first are `P/_page/N/index.json` (no slug or version can contain `_`). Under
 * `/v1/versions/{n}/` is what version n wrote: the record of each platform it changed, as
 * `GET /v1/platforms/{slug}?version=n` returns it; with `/v1/changes/{n}` (the change set) these never
 * change, so a later export into the same directory keeps them and a CDN may cache them for ever.
 * `index.json` at the top says, for every file, the request it answers, its size and its SHA-256.
 */
export interface MirrorFile {
  path: string;
  /** The request whose response body the file holds. */
  request: string;
  bytes: number;
  sha256: string;
  contentType: string;
  /** Never changes once written (a version's record, a change set). */
  immutable: boolean;
}

export interface MirrorIndex {
  format: 'ai-optout-registry/static-mirror/1';
  version: number;
  recordedAt: string | null;
  files: MirrorFile[];
}

export interface MirrorResult {
  version: number;
  files: number;
  written: number;
  kept: number;
  bytes: number;
}

/** Page size for list pages: the API's largest. */
const PAGE = 200;

const fileOf = (path: string) => (/\.(json|atom)$/.test(path) ? path : `${path.replace(/\/$/, '')}/index.json`);

/**
 * Writes the mirror of the registry served at `origin` (an address the app listens on) into `outDir`.
 * `services` only enumerates what to fetch (slugs, versions); every byte written comes over HTTP.
 */
export async function writeStaticMirror(origin: string, services: Services, outDir: string): Promise<MirrorResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const previous = await readIndex(outDir);
  const kept = new Map((previous?.files ?? []).filter((f) => f.immutable).map((f) => [f.path, f]));
  const files: MirrorFile[] = [];
  let written = 0;
  let keptCount = 0;

  /** Streams one response to its file (through a temporary name), hashing it on the way. */
  const fetchTo = async (path: string, request: string, immutable = false): Promise<void> => {
    const reuse = immutable ? kept.get(path) : undefined;
    if (reuse && existsSync(join(outDir, fileOf(path)))) {
      files.push(reuse);
      keptCount++;
      return;
    }
    const target = join(outDir, fileOf(path));
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.partial-${process.pid}`;
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
      get(`${origin}${request}`, { agent }, resolve).on('error', reject),
    );
    if (response.statusCode !== 200) {
      response.resume();
      throw new Error(`GET ${request} answered ${response.statusCode}; the mirror was not written`);
    }
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(response, tap, createWriteStream(partial));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    const contentType = String(response.headers['content-type'] ?? 'application/octet-stream');
    files.push({ path, request: `GET ${request}`, bytes, sha256: hash.digest('hex'), contentType, immutable });
    written++;
  };

  /** A list followed through its `nextCursor`, one file per page. */
  const pages = async (path: string, request: string) => {
    let cursor: string | null = null;
    let page = 1;
    do {
      const url: string = cursor === null ? request : `${request}${request.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;
      await fetchTo(page === 1 ? path : `${path}/_page/${page}`, url);
      // The cursor is read back from the file just written (small: the page's own bytes), not kept.
      cursor = (
        JSON.parse(await readFile(join(outDir, fileOf(page === 1 ? path : `${path}/_page/${page}`)), 'utf8')) as {
          nextCursor: string | null;
        }
      ).nextCursor;
      page++;
    } while (cursor !== null);
  };

  try {
    const version = await services.reader.currentVersion();
    const recordedAt = (await services.reader.store.changeSet(version))?.recordedAt ?? null;
    await fetchTo('/openapi.json', '/openapi.json');
    for (const path of ['/v1/registry', '/v1/regions', '/v1/account-types', '/v1/purposes']) await fetchTo(path, path);
    await fetchTo('/v1/changes.atom', '/v1/changes.atom');
    await fetchTo('/v1/export', '/v1/export');
    await pages('/v1/platforms', `/v1/platforms?limit=${PAGE}`);
    await pages('/v1/events', `/v1/events?limit=${PAGE}`);
    await pages('/v1/changes', `/v1/changes?limit=${PAGE}`);
    for (let n = 1; n <= version; n++) await fetchTo(`/v1/changes/${n}`, `/v1/changes/${n}`, true);

    let cursor: string | undefined;
    do {
      const list = await services.platforms.list({ limit: PAGE, cursor, version }, version);
      for (const { slug } of list.data) {
        await fetchTo(`/v1/platforms/${slug}`, `/v1/platforms/${slug}`);
        await pages(`/v1/platforms/${slug}/history`, `/v1/platforms/${slug}/history?limit=${PAGE}`);
        await fetchTo(`/v1/platforms/${slug}/changes.atom`, `/v1/platforms/${slug}/changes.atom`);
        for (const change of await services.history.summaries({ slug, limit: 1_000_000 }, version)) {
          await fetchTo(`/v1/versions/${change.version}/platforms/${slug}`, `/v1/platforms/${slug}?version=${change.version}`, true);
        }
      }
      cursor = list.nextCursor ?? undefined;
    } while (cursor);

    // Everything above answered at one version: a write landing meanwhile would mix two.
    const after = await services.reader.currentVersion();
    if (after !== version) throw new Error(`the registry moved from version ${version} to ${after} during the export; run it again`);

    files.sort((a, b) => a.path.localeCompare(b.path));
    // Files of the previous export that this one no longer has (a list that got shorter) go.
    const now = new Set(files.map((f) => f.path));
    for (const old of previous?.files ?? []) if (!now.has(old.path)) await rm(join(outDir, fileOf(old.path)), { force: true });
    const index: MirrorIndex = { format: 'ai-optout-registry/static-mirror/1', version, recordedAt, files };
    await writeFile(join(outDir, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
    await writeFile(join(outDir, '_headers'), HEADERS);
    return { version, files: files.length, written, kept: keptCount, bytes: files.reduce((n, f) => n + f.bytes, 0) };
  } finally {
    agent.destroy();
  }
}

async function readIndex(outDir: string): Promise<MirrorIndex | undefined> {
  try {
    const index = JSON.parse(await readFile(join(outDir, 'index.json'), 'utf8')) as MirrorIndex;
    return index.format === 'ai-optout-registry/static-mirror/1' ? index : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Cache rules in the `_headers` format of Netlify and Cloudflare Pages (other hosts: see README):
 * what a version wrote never changes; everything else is revalidated, as the API's own responses are.
 */
const HEADERS = `/v1/versions/*
  Cache-Control: public, max-age=31536000, immutable
  Access-Control-Allow-Origin: *
/*
  Cache-Control: public, no-cache
  Access-Control-Allow-Origin: *
`;
