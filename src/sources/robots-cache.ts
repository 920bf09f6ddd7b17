import type { FetchSettings } from './fetch-page.js';
import { fetchPage } from './fetch-page.js';
import { ALLOW_ALL, DISALLOW_ALL, parseRobots, type RobotsRules } from './robots.js';

/** Reads each origin's robots.txt once per run, however many pages and workers ask. */
export class RobotsCache {
  readonly #rules = new Map<string, Promise<RobotsRules>>();
  readonly #settings: Omit<FetchSettings, 'allowed'>;

  constructor(settings: Omit<FetchSettings, 'allowed'>) {
    this.#settings = settings;
  }

  async allowed(url: URL): Promise<boolean> {
    let rules = this.#rules.get(url.origin);
    if (!rules) {
      rules = this.#load(url.origin);
      this.#rules.set(url.origin, rules);
    }
    return (await rules).allows(`${url.pathname}${url.search}`);
  }

  async #load(origin: string): Promise<RobotsRules> {
    // robots.txt itself is always allowed, so its own redirects are followed without asking.
    const outcome = await fetchPage(`${origin}/robots.txt`, { ...this.#settings, allowed: async () => true });
    if (outcome.kind !== 'response') {
      // Unreachable host: the page fetch will fail the same way and report the source as dead,
      // which tells an editor more than "disallowed" would.
      return ALLOW_ALL;
    }
    if (outcome.status >= 200 && outcome.status < 300) return parseRobots(outcome.body?.toString('utf8') ?? '', this.#settings.userAgent);
    // RFC 9309 §2.3.1: a missing robots.txt allows everything, a server error forbids everything.
    if (outcome.status >= 500) return DISALLOW_ALL;
    return ALLOW_ALL;
  }
}
