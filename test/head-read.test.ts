import { setImmediate as nextCheckPhase } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import type { Store } from '../src/db/repository.js';
import { RegistryReader } from '../src/services/reader.js';
import { makeApp } from './helpers.js';

/** A store whose head read is counted and answered when the test says, like a PostgreSQL round trip. */
function slowStore() {
  let head = 1;
  const reads: { began: number; answer: () => void }[] = [];
  const store = {
    currentVersion: () =>
      new Promise<number>((resolve) => {
        // The value is the head when the read began (a snapshot), answered later.
        const began = head;
        reads.push({ began, answer: () => resolve(began) });
      }),
  } as unknown as Store;
  return {
    store,
    reads,
    write: () => {
      head += 1;
    },
  };
}

describe('the head version read that reads share', () => {
  it('is read once for every call made before the read begins, after all of them', async () => {
    const { store, reads, write } = slowStore();
    const reader = new RegistryReader(store);
    const first = reader.currentVersion();
    // A write acknowledged after the first call but before the others: the shared read must see it,
    // since it begins after every call that joins it.
    write();
    const others = [reader.currentVersion(), reader.resolve(), reader.resolveVersion()];
    expect(reads).toHaveLength(0);
    await nextCheckPhase();
    expect(reads).toHaveLength(1);
    reads[0]?.answer();
    expect(await first).toBe(2);
    expect(await Promise.all(others)).toEqual([2, { version: 2, current: true }, 2]);
  });

  it('never lets a call share a read that began before it', async () => {
    const { store, reads, write } = slowStore();
    const reader = new RegistryReader(store);
    const early = reader.currentVersion();
    await nextCheckPhase();
    expect(reads).toHaveLength(1);
    // The read is in flight (its snapshot taken); a write is acknowledged; a new request arrives.
    write();
    const late = reader.currentVersion();
    reads[0]?.answer();
    expect(await early).toBe(1);
    await nextCheckPhase();
    expect(reads).toHaveLength(2);
    reads[1]?.answer();
    expect(await late).toBe(2);
  });

  it('passes a failed read to every call that shared it, and reads again for the next', async () => {
    let fail = true;
    const store = {
      currentVersion: async () => {
        if (fail) throw new Error('database unavailable');
        return 7;
      },
    } as unknown as Store;
    const reader = new RegistryReader(store);
    const calls = [reader.currentVersion(), reader.currentVersion()];
    await expect(Promise.all(calls)).rejects.toThrow('database unavailable');
    await expect(calls[1]).rejects.toThrow('database unavailable');
    fail = false;
    expect(await reader.currentVersion()).toBe(7);
  });
});

describe('a read request', () => {
  // Each request reads the head once and hands it to its service: a second shared read would cost it
  // another turn of the event loop. Lists read it once more, directly, to check their scan of the
  // current revisions (see DrizzleRegistry.inForce).
  const once = [
    '/v1/platforms/linkedin',
    '/v1/platforms/linkedin/opt-out?region=DE&device=ios',
    '/v1/platforms/linkedin/history?limit=5',
    '/v1/platforms/linkedin/diff?from=1&to=1',
    '/v1/events?limit=5',
    '/v1/changes?after=0&limit=5',
    '/v1/changes.atom',
    '/v1/platforms/linkedin/changes.atom',
  ];

  it.each(once)('%s reads the head version once', async (url) => {
    const app = await makeApp();
    const reads = vi.spyOn(app.store, 'currentVersion');
    const res = await app.inject(url);
    expect(res.statusCode).toBe(200);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it.each(['/v1/platforms?region=DE', '/v1/registry'])(
    '%s reads it once, and once more to check its scan of the current revisions',
    async (url) => {
      const app = await makeApp();
      const reads = vi.spyOn(app.store, 'currentVersion');
      expect((await app.inject(url)).statusCode).toBe(200);
      expect(reads).toHaveBeenCalledTimes(2);
    },
  );

  it('/v1/export reads it once when the export is built already', async () => {
    const app = await makeApp();
    expect((await app.inject('/v1/export')).statusCode).toBe(200);
    const reads = vi.spyOn(app.store, 'currentVersion');
    expect((await app.inject('/v1/export')).statusCode).toBe(200);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('requests that arrive together share one head read', async () => {
    const app = await makeApp();
    const reads = vi.spyOn(app.store, 'currentVersion');
    const responses = await Promise.all(once.slice(0, 6).map((url) => app.inject(url)));
    expect(responses.map((r) => r.statusCode)).toEqual(once.slice(0, 6).map(() => 200));
    expect(reads).toHaveBeenCalledTimes(1);
  });
});

describe('the response cache', () => {
  it('builds a body once for requests of the same URL that arrive together', async () => {
    const app = await makeApp();
    const builds = vi.spyOn(app.services.platforms, 'get');
    const answers = vi.spyOn(app.services.platforms, 'optOut');
    const responses = await Promise.all([
      ...Array.from({ length: 4 }, () => app.inject('/v1/platforms/linkedin')),
      ...Array.from({ length: 4 }, () =>
        app.inject({ url: '/v1/platforms/linkedin/opt-out?region=DE', headers: { 'accept-encoding': 'br' } }),
      ),
    ]);
    expect(responses.map((r) => r.statusCode)).toEqual(responses.map(() => 200));
    expect(new Set(responses.slice(0, 4).map((r) => r.body)).size).toBe(1);
    expect(builds).toHaveBeenCalledTimes(1);
    expect(answers).toHaveBeenCalledTimes(1);
  });

  it('passes a failed build to every request that waited for it, and builds again for the next', async () => {
    const app = await makeApp();
    const builds = vi.spyOn(app.services.platforms, 'get').mockRejectedValueOnce(new Error('database unavailable'));
    const failed = await Promise.all([app.inject('/v1/platforms/linkedin'), app.inject('/v1/platforms/linkedin')]);
    expect(failed.map((r) => r.statusCode)).toEqual([500, 500]);
    expect(builds).toHaveBeenCalledTimes(1);
    expect((await app.inject('/v1/platforms/linkedin')).statusCode).toBe(200);
    expect(builds).toHaveBeenCalledTimes(2);
  });
});
