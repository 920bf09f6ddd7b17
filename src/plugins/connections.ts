import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How a connection that sends no request is closed. Node's HTTP server (20.x) already does most of it,
 * and test/timeouts.test.ts holds it to that:
 * - a new connection is timed from the moment it is accepted: with no complete request head within
 *   `headersTimeout` (checked every `connectionsCheckingInterval`) it gets a 408 and is closed, silent
 *   or not, and so does a half-sent head on a kept-alive connection, timed from its first byte;
 * - a kept-alive connection between requests is closed after `keepAliveTimeout` (+1 s) of silence.
 * One gap is left, closed here: between requests node restarts the keep-alive timer on every byte
 * read, and the bytes HTTP allows before a request line (CR, LF) start no request, so a client that
 * sends "\r\n" every minute keeps a connection open for ever without ever sending a request.
 */
export interface ConnectionTimeouts {
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** Node's margin over `keepAliveTimeout` before it closes an idle socket (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER in lib/_http_server.js). */
const NODE_KEEP_ALIVE_BUFFER_MS = 1000;

/**
 * How often node looks for connections past their headers or request timeout: a quarter of the
 * headers timeout, at most a second (node's default, 30 s, would let a silent socket stay up to 40 s).
 */
export function connectionsCheckingInterval(headersTimeoutMs: number): number {
  return Math.min(1000, Math.max(50, Math.floor(headersTimeoutMs / 4)));
}

const inFlight = Symbol('requests in flight');
const idleDeadline = Symbol('idle deadline');

interface TrackedSocket extends Socket {
  [inFlight]?: number;
  [idleDeadline]?: NodeJS.Timeout;
}

/**
 * Closes a kept-alive connection that has not completed a request head within keep-alive timeout
 * (+ node's second) + headers timeout (+ one checking interval) of its last response, whatever it
 * sent meanwhile. A request that begins while the connection may still be kept alive keeps its
 * whole headers timeout (and node answers it 408 first when it overruns); a request whose body is
 * still arriving or whose response is still being sent is never touched (the clock runs only while
 * no request is in flight). The cost is one listener per response and one timer per connection,
 * re-armed (`refresh`) when it goes idle.
 */
export function closeKeptAliveConnectionsThatSendNoRequest(server: Server, timeouts: ConnectionTimeouts): void {
  const limitMs =
    timeouts.keepAliveTimeoutMs +
    NODE_KEEP_ALIVE_BUFFER_MS +
    timeouts.headersTimeoutMs +
    connectionsCheckingInterval(timeouts.headersTimeoutMs);

  function onResponseClose(this: ServerResponse) {
    const socket: TrackedSocket = this.req.socket;
    const open = (socket[inFlight] ?? 1) - 1;
    socket[inFlight] = open;
    if (open > 0 || socket.destroyed) return;
    const timer = socket[idleDeadline];
    if (timer) {
      timer.refresh();
      return;
    }
    const deadline = setTimeout(() => {
      if (!socket[inFlight]) socket.destroy();
    }, limitMs).unref();
    socket[idleDeadline] = deadline;
    socket.once('close', () => clearTimeout(deadline));
  }

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket: TrackedSocket = request.socket;
    socket[inFlight] = (socket[inFlight] ?? 0) + 1;
    response.on('close', onResponseClose);
  });
}
