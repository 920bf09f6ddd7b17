import { describe, expect, it } from 'vitest';
import { changeFacets, matchesFilters } from '../src/domain/webhook-filters.js';
import { signingSecrets } from '../src/services/webhook-subscriptions.js';
import { notPublicReason, postToTarget, RESPONSE_KEPT, resolveTarget, TargetRefused } from '../src/services/webhook-target.js';
import { retryDelay } from '../src/services/webhook-worker.js';
import { startReceiver } from './webhook-receiver.js';

describe('webhook target safety', () => {
  it('classifies addresses: loopback, private, link-local, metadata and mapped forms are not public', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.0.1',
      '169.254.169.254',
      '100.100.100.200',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      '::ffff:10.0.0.1',
      '224.0.0.1',
    ]) {
      expect(notPublicReason(address), address).toBeDefined();
    }
    for (const address of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111']) expect(notPublicReason(address), address).toBeUndefined();
  });

  it('checks the address at delivery time and connects to the checked address, not to what DNS says later (rebinding)', async () => {
    const receiver = await startReceiver(() => 200);
    const url = new URL(`http://hooks.rebind.test:${receiver.port}/in`);
    // A host that first looked public now resolves to loopback: refused, and nothing is sent.
    let answer = '127.0.0.1';
    const lookup = async () => [{ address: answer, family: 4 }];
    await expect(resolveTarget(url, { allowHttp: true, allowPrivate: false, lookup })).rejects.toThrow(TargetRefused);
    await expect(resolveTarget(url, { allowHttp: true, allowPrivate: false, lookup })).rejects.toThrow(/127\.0\.0\.1, a loopback address/);
    // One bad address among good ones is enough to refuse.
    const mixed = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    await expect(resolveTarget(url, { allowHttp: true, allowPrivate: false, lookup: mixed })).rejects.toThrow(/10\.0\.0\.7/);
    // Allowed for local testing: the request goes to the pinned address although the name resolves nowhere.
    const pinned = await resolveTarget(url, { allowHttp: true, allowPrivate: true, lookup });
    answer = '192.0.2.1';
    const response = await postToTarget(url, pinned, { 'x-test': '1' }, '{}', 2_000);
    expect(response.status).toBe(200);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.headers.host).toBe(`hooks.rebind.test:${receiver.port}`);
  });

  it('does not follow redirects and reads at most 1 KB of a response', async () => {
    const receiver = await startReceiver((n, res) => {
      if (n === 0) {
        res.writeHead(302, { location: '/elsewhere' }).end();
        return 302;
      }
      res.writeHead(500).end('x'.repeat(200_000));
      return 500;
    });
    const url = new URL(receiver.url);
    const pinned = { address: '127.0.0.1', family: 4 };
    expect((await postToTarget(url, pinned, {}, '{}', 2_000)).status).toBe(302);
    expect(receiver.received).toHaveLength(1);
    const big = await postToTarget(url, pinned, {}, '{}', 2_000);
    expect(big.status).toBe(500);
    expect(big.body.length).toBe(RESPONSE_KEPT);
  });
});

describe('webhook schedule, secrets and filters', () => {
  it('backs off exponentially with ±10 % jitter up to the cap; the defaults span about 24 h over 15 attempts', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(n, 100, 1_000, mid))).toEqual([100, 200, 400, 800, 1_000]);
    expect(retryDelay(3, 100, 1_000, () => 0)).toBe(360);
    expect(retryDelay(3, 100, 1_000, () => 1)).toBe(440);
    const total = Array.from({ length: 14 }, (_, i) => retryDelay(i + 1, 30_000, 4 * 3_600_000, mid)).reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeGreaterThan(23);
    expect(total / 3_600_000).toBeLessThan(26);
  });

  it('signs with the previous secret only until it expires', () => {
    const row = { secret: 'whsec_new', previousSecret: 'whsec_old', previousSecretExpiresAt: '2026-01-02T00:00:00.000Z' };
    const sub = row as Parameters<typeof signingSecrets>[0];
    expect(signingSecrets(sub, new Date('2026-01-01T23:59:59Z'))).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(sub, new Date('2026-01-02T00:00:01Z'))).toEqual(['whsec_new']);
  });

  it('matches filters: any listed platform, event kind or overlapping region; every non-empty filter must match', () => {
    const facets = { platforms: ['linkedin'], eventKinds: ['paused'], regions: ['EU'], accountTypes: ['education'] };
    const none = { platforms: [], eventKinds: [], regions: [], accountTypes: [] };
    expect(matchesFilters(none, facets)).toBe(true);
    expect(matchesFilters({ ...none, platforms: ['facebook', 'linkedin'] }, facets)).toBe(true);
    expect(matchesFilters({ ...none, platforms: ['facebook'] }, facets)).toBe(false);
    expect(matchesFilters({ ...none, regions: ['FR'] }, facets)).toBe(true);
    expect(matchesFilters({ ...none, regions: ['GB'] }, facets)).toBe(false);
    expect(matchesFilters({ ...none, regions: ['EEA'] }, facets)).toBe(true);
    expect(matchesFilters({ ...none, accountTypes: ['personal', 'education'] }, facets)).toBe(true);
    expect(matchesFilters({ ...none, accountTypes: ['enterprise'] }, facets)).toBe(false);
    expect(matchesFilters({ ...none, platforms: ['linkedin'], eventKinds: ['resumed'] }, facets)).toBe(false);
    const rule = { id: 'r', regions: ['BR'] } as never;
    const doc = (rules: unknown[]) => ({ regionRules: rules, events: [], settings: [] }) as never;
    expect(changeFacets([{ slug: 'x', before: doc([]), after: doc([rule]) }]).regions).toEqual(['BR']);
    expect(changeFacets([{ slug: 'x', before: doc([rule]), after: doc([]) }]).regions).toEqual(['BR']);
    expect(changeFacets([{ slug: 'x', before: doc([rule]), after: doc([rule]) }]).regions).toEqual([]);
  });

  it('says which account types a change set concerns: a scoped fact its types, a general one every type', () => {
    const all = ['personal', 'education', 'business', 'enterprise', 'government'];
    const general = { state: 'opted_in', effectiveFrom: null, effectiveUntil: null, sources: ['s'] };
    const work = { ...general, state: 'opted_out', accountTypes: ['business', 'enterprise'] };
    const setting = (defaults: unknown[], extra = {}) => ({ id: 'train', name: 'Train', purposes: [], defaults, ...extra });
    const doc = (settings: unknown[], regionRules: unknown[] = [], events: unknown[] = []) => ({ settings, regionRules, events }) as never;
    const facets = (before: unknown, after: unknown) =>
      changeFacets([{ slug: 'x', before: before as never, after: after as never }]).accountTypes;
    // Only the work-accounts period changed: business and enterprise.
    expect(facets(doc([setting([general, work])]), doc([setting([general, { ...work, state: 'opted_in' }])]))).toEqual([
      'business',
      'enterprise',
    ]);
    // The general period changed: every type.
    expect(facets(doc([setting([general, work])]), doc([setting([{ ...general, state: 'no_choice' }, work])]))).toEqual(all);
    // A setting that exists only for education accounts, added: education.
    expect(facets(doc([]), doc([setting([general], { accountTypes: ['education'] })]))).toEqual(['education']);
    // A region rule scoped to government accounts, removed: government.
    const rule = { id: 'gov', regions: ['US'], accountTypes: ['government'] };
    expect(facets(doc([], [rule]), doc([], []))).toEqual(['government']);
    // A policy event concerns every type; nothing changed, none.
    expect(facets(doc([]), doc([], [], [{ id: 'e', kind: 'paused', regions: [] }]))).toEqual(all);
    expect(facets(doc([setting([general, work])]), doc([setting([general, work])]))).toEqual([]);
  });
});
