import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach } from 'vitest';
import { ChangeSetRecordedEvent } from '../src/schemas/webhooks.js';

/** One request the receiver got, with whether its signature verified against each known secret. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  id: string;
  /** Verified with the `standardwebhooks` package against `secrets` (in order); the payload if any verified. */
  event: ChangeSetRecordedEvent | undefined;
  verifiedWith: string[];
}

/** What to answer the n-th request (from 0): a status, or 'hang' to never answer. */
export type Behaviour = (n: number, res: ServerResponse) => number | 'hang';

/**
 * A webhook receiver on 127.0.0.1, as a subscriber would run it: verifies each delivery's signature
 * with `standardwebhooks`, records it, and answers as `behaviour` says (200 by default).
 */
export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  secrets: string[];
  behaviour: Behaviour;
  /** Resolves once `count` requests arrived; rejects after `ms` (a bound, not an assertion on timing). */
  waitFor(count: number, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

const open: Receiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

export async function startReceiver(behaviour: Behaviour = () => 200): Promise<Receiver> {
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verifiedWith: string[] = [];
      let event: ChangeSetRecordedEvent | undefined;
      for (const secret of receiver.secrets) {
        try {
          event = ChangeSetRecordedEvent.parse(new Webhook(secret).verify(body, req.headers as Record<string, string>));
          verifiedWith.push(secret);
        } catch {
          // not signed with this one
        }
      }
      const n = receiver.received.length;
      receiver.received.push({ headers: req.headers, body, id: String(req.headers['webhook-id']), event, verifiedWith });
      const answer = receiver.behaviour(n, res);
      if (answer === 'hang') hanging.add(res);
      else if (!res.headersSent) res.writeHead(answer, { 'content-type': 'text/plain' }).end(`answer ${answer}`);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received: [],
    secrets: [],
    behaviour,
    async waitFor(count, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (receiver.received.length < count) {
        if (Date.now() > deadline) throw new Error(`the receiver got ${receiver.received.length} of ${count} deliveries`);
        await new Promise((done) => setTimeout(done, 10));
      }
      return receiver.received;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  open.push(receiver);
  return receiver;
}
