import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may go. A target is refused when its URL is not https (unless `allowHttp`) or when
 * any address its host resolves to is loopback, private, link-local, a cloud metadata address or
 * otherwise not public (unless `allowPrivate`, for local testing). The check runs when an endpoint
 * is saved and again at every delivery, and the delivery connects to the very address it checked,
 * so a DNS answer that changes in between (DNS rebinding) cannot point it inside.
 */
export interface TargetPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
  /** DNS resolution (every address); tests replace it. */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

export class TargetRefused extends Error {
  override readonly name = 'TargetRefused';
}

const blocked = new BlockList();
const NOT_PUBLIC: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'a "this network" address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (cloud metadata lives there)'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.0.0.0', 24, 'ipv4', 'a protocol-assignment address'],
  ['192.0.2.0', 24, 'ipv4', 'a documentation address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address'],
  ['198.51.100.0', 24, 'ipv4', 'a documentation address'],
  ['203.0.113.0', 24, 'ipv4', 'a documentation address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'the unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['64:ff9b::', 96, 'ipv6', 'a NAT64 address'],
  ['100::', 64, 'ipv6', 'a discard address'],
  ['2001:db8::', 32, 'ipv6', 'a documentation address'],
  ['fc00::', 7, 'ipv6', 'a unique-local (private) address (cloud metadata lives there too)'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];
for (const [network, prefix, family] of NOT_PUBLIC) blocked.addSubnet(network, prefix, family);

/** Why an address is not public (e.g. "a loopback address"), or undefined when it is. */
export function notPublicReason(address: string): string | undefined {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  // Node's BlockList matches every IPv4 address against ::ffff:0:0/96, so mapped forms are refused here, all of them.
  if (family === 'ipv6' && /^(0{0,4}:){0,5}:?ffff:/i.test(address.replace(/^::/, ''))) return 'an IPv4-mapped address';
  if (!blocked.check(address, family)) return undefined;
  for (const [network, prefix, fam, reason] of NOT_PUBLIC) {
    if (fam !== family) continue;
    const one = new BlockList();
    one.addSubnet(network, prefix, fam);
    if (one.check(address, family)) return reason;
  }
  return 'not a public address';
}

/** Checks a target URL's form (scheme, no credentials); throws TargetRefused saying what to fix. */
export function parseTarget(raw: string, policy: TargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefused('is not an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw new TargetRefused('must be an https:// URL (http:// is accepted only when the server allows it for local testing)');
  }
  if (url.username || url.password)
    throw new TargetRefused('must not carry credentials (user:password@); authenticate the signature instead');
  if (url.hash) throw new TargetRefused('must not have a #fragment');
  return url;
}

const defaultLookup = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

/** Resolves the target's host and checks every address; returns the one to connect to. */
export async function resolveTarget(url: URL, policy: TargetPolicy): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await (policy.lookup ?? defaultLookup)(host);
    } catch {
      throw new TargetRefused(`host "${host}" does not resolve`);
    }
  }
  if (addresses.length === 0) throw new TargetRefused(`host "${host}" does not resolve`);
  if (!policy.allowPrivate) {
    for (const { address } of addresses) {
      const reason = notPublicReason(address);
      if (reason) throw new TargetRefused(`resolves to ${address}, ${reason}; webhooks go only to public addresses`);
    }
  }
  return addresses[0]!;
}

export interface TargetResponse {
  status: number;
  /** The start of the body, at most RESPONSE_KEPT bytes, as text. */
  body: string;
  latencyMs: number;
}

/** Bytes of a response body kept for the delivery log; the rest is never read. */
export const RESPONSE_KEPT = 1024;

/**
 * POSTs `body` to the target at the address `resolveTarget` checked (the Host header and TLS name
 * stay the URL's). Redirects are not followed (a 3xx is a failed attempt); the body is read up to
 * RESPONSE_KEPT bytes; the whole exchange is bounded by `timeoutMs`.
 */
export function postToTarget(
  url: URL,
  pinned: { address: string; family: number },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<TargetResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
        signal,
        // Connect to the checked address, whatever DNS would answer now.
        lookup: (_host, options, callback) => {
          if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
          else callback(null, pinned.address, pinned.family);
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const done = () => {
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).subarray(0, RESPONSE_KEPT).toString('utf8'),
            latencyMs: Math.round(performance.now() - started),
          });
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          kept += chunk.length;
          if (kept >= RESPONSE_KEPT) {
            // Enough for the log: stop reading (the receiver's status is what counts).
            response.destroy();
            done();
          }
        });
        response.on('end', done);
        response.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`no complete response within ${timeoutMs} ms`)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}
