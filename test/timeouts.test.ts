import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { Problem } from '../src/schemas/responses.js';
import { createKey, makeApp } from './helpers.js';

const LIMITS = { HEADERS_TIMEOUT_MS: 300, REQUEST_TIMEOUT_MS: 600, KEEP_ALIVE_TIMEOUT_MS: 400, CONNECTION_TIMEOUT_MS: 5000 };
/** Slack for a loaded CI machine: node checks header and request timeouts every HEADERS_TIMEOUT_MS / 4. */
const SLACK_MS = 2000;

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

  it('closes an idle kept-alive connection after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const { port } = await listening();
    let answeredAt = 0;
    const t0 = performance.now();
    const { data, closedAfterMs } = await rawSocket(port, (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
      socket.once('data', () => {
        answeredAt = performance.now() - t0;
      });
    });
    expect(data).toMatch(/^HTTP\/1\.1 200 /);
    expect(data).toMatch(/^keep-alive: timeout=0*/im);
    expect(closedAfterMs - answeredAt).toBeLessThan(LIMITS.KEEP_ALIVE_TIMEOUT_MS + SLACK_MS);
  });

  it('answers headers larger than MAX_HEADER_BYTES with a 431 problem', async () => {
    const { port } = await listening({ MAX_HEADER_BYTES: 4096 });
    const { data } = await rawSocket(port, (socket) => {
      socket.write(`GET /v1/registry HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    });
    expect(problemOf(data, 431).code).toBe('headers-too-large');
  });
});
