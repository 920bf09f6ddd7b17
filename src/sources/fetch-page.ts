import type { HostGate } from './host-gate.js';
import type { NetworkErrorKind, RedirectHop } from './schemas.js';

export interface FetchSettings {
  userAgent: string;
  timeoutMs: number;
  maxRedirects: number;
  maxBodyBytes: number;
  gate: HostGate;
  /** Whether robots.txt lets us fetch this URL; asked before every hop. */
  allowed: (url: URL) => Promise<boolean>;
}

export type FetchOutcome =
  | { kind: 'response'; status: number; finalUrl: string; hops: RedirectHop[]; contentType: string | null; body: Buffer | null }
  | { kind: 'error'; error: { kind: NetworkErrorKind; message: string }; finalUrl: string; hops: RedirectHop[] }
  | { kind: 'robots_disallowed'; finalUrl: string; hops: RedirectHop[] };

export class NetworkError extends Error {
  constructor(
    readonly kind: NetworkErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const TLS_CODES = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|EPROTO)/;

/** What went wrong, from undici's error and its `cause` chain. */
export function networkErrorKind(error: unknown): NetworkErrorKind {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof NetworkError) return e.kind;
    const { name, code } = e as { name?: string; code?: string };
    if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
    if (code === 'ECONNREFUSED') return 'refused';
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
    if (code && TLS_CODES.test(code)) return 'tls';
  }
  return 'other';
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  return cause?.message ? `${(error as Error).message}: ${cause.message}` : String((error as Error).message ?? error);
}

interface OneResponse {
  status: number;
  location: string | null;
  contentType: string | null;
  body: Buffer | null;
}

async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - size;
    chunks.push(Buffer.from(value.subarray(0, room)));
    size += Math.min(value.byteLength, room);
    if (size >= maxBytes) {
      // The start of a huge page is enough to notice that it changed.
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks);
}

/** One request, no redirects followed; the body is read (inside the host's turn) only for 2xx. */
async function requestOnce(url: URL, settings: FetchSettings): Promise<OneResponse> {
  return settings.gate.run(url.hostname, async () => {
    const signal = AbortSignal.timeout(settings.timeoutMs);
    const response = await fetch(url, {
      redirect: 'manual',
      signal,
      headers: { 'user-agent': settings.userAgent, accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.8' },
    });
    const ok = response.status >= 200 && response.status < 300;
    const body = ok && response.body ? await readCapped(response.body, settings.maxBodyBytes) : null;
    if (!ok) await response.body?.cancel();
    return { status: response.status, location: response.headers.get('location'), contentType: response.headers.get('content-type'), body };
  });
}

/** Fetches a URL, following redirects by hand so every hop is known and each is checked against robots.txt. */
export async function fetchPage(start: string, settings: FetchSettings): Promise<FetchOutcome> {
  const hops: RedirectHop[] = [];
  const visited = new Set<string>();
  let url = new URL(start);
  for (;;) {
    url.hash = '';
    if (!(await settings.allowed(url))) return { kind: 'robots_disallowed', finalUrl: url.href, hops };
    visited.add(url.href);
    let response: OneResponse;
    try {
      response = await requestOnce(url, settings);
    } catch (error) {
      return { kind: 'error', error: { kind: networkErrorKind(error), message: describe(error) }, finalUrl: url.href, hops };
    }
    const isRedirect = response.status >= 300 && response.status < 400 && response.location !== null;
    if (!isRedirect) {
      return {
        kind: 'response',
        status: response.status,
        finalUrl: url.href,
        hops,
        contentType: response.contentType,
        body: response.body,
      };
    }
    hops.push({ url: url.href, status: response.status, location: response.location });
    let next: URL;
    try {
      next = new URL(response.location as string, url);
    } catch {
      return { kind: 'error', error: { kind: 'other', message: `bad Location header "${response.location}"` }, finalUrl: url.href, hops };
    }
    next.hash = '';
    if (visited.has(next.href)) {
      return { kind: 'error', error: { kind: 'redirect_loop', message: `redirect loop back to ${next.href}` }, finalUrl: next.href, hops };
    }
    if (hops.length > settings.maxRedirects) {
      return {
        kind: 'error',
        error: { kind: 'too_many_redirects', message: `more than ${settings.maxRedirects} redirects` },
        finalUrl: next.href,
        hops,
      };
    }
    url = next;
  }
}
