import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Politeness towards one host: its requests run one at a time, with at least `delayMs` between the
 * end of one and the start of the next. Every request goes through here, robots.txt and redirect
 * hops included, so a redirect into another host's site still waits its turn there.
 */
export class HostGate {
  readonly #delayMs: number;
  readonly #tails = new Map<string, Promise<void>>();
  readonly #lastEnd = new Map<string, number>();

  constructor(delayMs: number) {
    this.#delayMs = delayMs;
  }

  run<T>(host: string, request: () => Promise<T>): Promise<T> {
    const key = host.toLowerCase();
    const turn = (this.#tails.get(key) ?? Promise.resolve()).then(async () => {
      const last = this.#lastEnd.get(key);
      const wait = last === undefined ? 0 : last + this.#delayMs - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        return await request();
      } finally {
        this.#lastEnd.set(key, Date.now());
      }
    });
    this.#tails.set(
      key,
      turn.then(
        () => undefined,
        () => undefined,
      ),
    );
    return turn;
  }
}
