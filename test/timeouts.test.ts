import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Problem } from '../src/schemas/responses.js';
import { createKey, makeApp } from './helpers.js';

const LIMITS = { HEADERS_TIMEOUT_MS: 300, REQUEST_TIMEOUT_MS: 600, KEEP_ALIVE_TIMEOUT_MS: 800, CONNECTION_TIMEOUT_MS: 5000 };
/** Slack for a loaded CI machine: node checks header and request timeouts every HEADERS_TIMEOUT_MS / 4. */
const SLACK_MS = 2000;
/** Node keeps an idle kept-alive socket a second longer than the keep-alive timeout it announces. */
const NODE_KEEP_ALIVE_BUFFER_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function listening(overrides = {}): Promise<{ app: FastifyInstance; port: number }> {
  const app = await makeApp({ ...LIMITS, ...overrides }, { seedDir: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, port: (app.server.address() as { port: number }).port };
}

/** A raw socket: what the server sent and how long after connecting it closed the connection. */
function rawSocket(port: number, start: (socket: Socket) => void): Promise<{ data: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let data = '';
    const socket = connect(port, '127.0.0.1', () => start(socket));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve({ data, closedAfterMs: performance.now() - t0 }));
    // A bound on the test itself, far beyond every configured timeout.
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for 10 s; it sent: ${data}`));
    }, 10_000).unref();
  });
}

function problemOf(raw: string, status: number) {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  expect(head.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${head.split('\r\n')[0]?.slice(13)}`);
  expect(head).toMatch(/^content-type: application\/problem\+json/im);
  const problem = Problem.parse(JSON.parse(body));
  expect(problem.status).toBe(status);
  return problem;
}

describe('connection timeouts, against a listening server', () => {
  it('answers a silent socket with a 408 problem and closes it within HEADERS_TIMEOUT_MS', async () => {
    const { port } = await listening();
    const { data, closedAfterMs } = await rawSocket(port, () => {});
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(problemOf(data, 408).code).toBe('request-timeout');
    expect(closedAfterMs).toBeGreaterThanOrEqual(LIMITS.HEADERS_TIMEOUT_MS - 50);
    expect(closedAfterMs).toBeLessThan(LIMITS.HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('answers a request head that stops half-way with a 408 problem within HEADERS_TIMEOUT_MS', async () => {
    const { port } = await listening();
    const { data, closedAfterMs } = await rawSocket(port, (socket) => {
      socket.write('GET /v1/registry HTTP/1.1\r\nHost: localhost\r\nAccept: appl');
    });
    expect(problemOf(data, 408).code).toBe('request-timeout');
    expect(closedAfterMs).toBeGreaterThanOrEqual(LIMITS.HEADERS_TIMEOUT_MS - 50);
    expect(closedAfterMs).toBeLessThan(LIMITS.HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('answers headers that trickle in (a slowloris) with 408 within REQUEST_TIMEOUT_MS', async () => {
    const { port } = await listening();
    let timer: NodeJS.Timeout | undefined;
    const { data, closedAfterMs } = await rawSocket(port, (socket) => {
      socket.write('GET /v1/registry HTTP/1.1\r\nHost: localhost\r\n');
      let n = 0;
      timer = setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: a\r\n`), 50);
    });
    clearInterval(timer);
    expect(problemOf(data, 408).code).toBe('request-timeout');
    expect(closedAfterMs).toBeLessThan(LIMITS.REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('answers a body that never completes with 408 within REQUEST_TIMEOUT_MS', async () => {
    const { app, port } = await listening();
    // A valid key, so the request gets past authentication to reading its body.
    const key = await createKey(app, 'ed', 'editor');
    const { data, closedAfterMs } = await rawSocket(port, (socket) => {
      socket.write(
        `POST /v1/admin/changes HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"mes`,
      );
    });
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(LIMITS.REQUEST_TIMEOUT_MS - 50);
    expect(closedAfterMs).toBeLessThan(LIMITS.REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('keeps a kept-alive connection idle for longer than the headers timeout, and closes it after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const { port } = await listening();
    let answeredAt = 0;
    const t0 = performance.now();
    const { data, closedAfterMs } = await rawSocket(port, async (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await new Promise((resolve) => socket.once('data', resolve));
      // Idle between requests for twice the headers timeout: that clock is not running now.
      await sleep(2 * LIMITS.HEADERS_TIMEOUT_MS);
      socket.write('GET /v1/registry HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await new Promise((resolve) => socket.once('data', resolve));
      answeredAt = performance.now() - t0;
    });
    expect(data.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    expect(data).toMatch(/^keep-alive: timeout=0*/im);
    expect(answeredAt).toBeGreaterThan(0);
    expect(closedAfterMs - answeredAt).toBeGreaterThanOrEqual(LIMITS.KEEP_ALIVE_TIMEOUT_MS);
    expect(closedAfterMs - answeredAt).toBeLessThan(LIMITS.KEEP_ALIVE_TIMEOUT_MS + NODE_KEEP_ALIVE_BUFFER_MS + SLACK_MS);
  });

  it('closes a kept-alive connection that sends blank lines but no request', async () => {
    // Between requests node restarts its keep-alive timer on every byte, and CR/LF start no request:
    // without src/plugins/connections.ts this connection would stay open for ever.
    const { port } = await listening();
    let answeredAt = 0;
    let timer: NodeJS.Timeout | undefined;
    const t0 = performance.now();
    const { data, closedAfterMs } = await rawSocket(port, (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      socket.once('data', () => {
        answeredAt = performance.now() - t0;
        timer = setInterval(() => socket.writable && socket.write('\r\n'), 100);
      });
    });
    clearInterval(timer);
    expect(data.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200']);
    const idleLimit = LIMITS.KEEP_ALIVE_TIMEOUT_MS + NODE_KEEP_ALIVE_BUFFER_MS + LIMITS.HEADERS_TIMEOUT_MS;
    expect(closedAfterMs - answeredAt).toBeGreaterThanOrEqual(LIMITS.KEEP_ALIVE_TIMEOUT_MS);
    expect(closedAfterMs - answeredAt).toBeLessThan(idleLimit + SLACK_MS);
  });

  it('lets a slow but steady upload on a kept-alive connection run past the idle limit', async () => {
    // The connection's idle clock (keep-alive + headers timeout) must not run while a request is in flight.
    const { app, port } = await listening({ REQUEST_TIMEOUT_MS: 5000 });
    const key = await createKey(app, 'ed', 'editor');
    const idleLimit = LIMITS.KEEP_ALIVE_TIMEOUT_MS + NODE_KEEP_ALIVE_BUFFER_MS + LIMITS.HEADERS_TIMEOUT_MS;
    const body = JSON.stringify({ message: 'a slow upload', operations: [] });
    const chunks = Array.from({ length: Math.ceil(body.length / 3) }, (_, i) => body.slice(3 * i, 3 * i + 3));
    // Spread over longer than the idle limit (and its checking interval), well within REQUEST_TIMEOUT_MS.
    const pause = (idleLimit + 1000) / chunks.length;
    let lastChunkAt = 0;
    const t0 = performance.now();
    const { data, closedAfterMs } = await rawSocket(port, async (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await new Promise((resolve) => socket.once('data', resolve));
      socket.write(
        `POST /v1/admin/changes HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      for (const chunk of chunks) {
        await sleep(pause);
        if (!socket.writable) return;
        socket.write(chunk);
      }
      lastChunkAt = performance.now() - t0;
    });
    expect(lastChunkAt).toBeGreaterThan(idleLimit);
    expect(closedAfterMs).toBeGreaterThan(lastChunkAt);
    // Answered (the empty change set is refused as invalid), not cut off.
    expect(data.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 400']);
  });

  it('answers headers larger than MAX_HEADER_BYTES with a 431 problem', async () => {
    const { port } = await listening({ MAX_HEADER_BYTES: 4096 });
    const { data } = await rawSocket(port, (socket) => {
      socket.write(`GET /v1/registry HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    });
    expect(problemOf(data, 431).code).toBe('headers-too-large');
  });
});
