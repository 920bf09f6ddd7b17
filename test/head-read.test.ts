import { setImmediate as nextCheckPhase } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Store } from '../src/db/repository.js';
import { RegistryReader } from '../src/services/reader.js';

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
