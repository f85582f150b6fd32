import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ARM_LIMITS,
  ProviderGates,
  remainingHeaderOf,
  requestClassOf,
  RequestPacer,
  sharedPacer,
  SlidingWindowGate,
  TokenBucket,
  TRAFFIC_MANAGER_LIMITS_PER_MINUTE,
  trafficManagerGroupOf,
} from '../../../../shared/azure/pacing.js';

describe('TokenBucket', () => {
  it('starts full, refills at its rate, never above capacity', () => {
    const b = new TokenBucket({ capacity: 3, refillPerSecond: 10 }, 0);
    expect([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)]).toEqual([true, true, true, false]);
    expect(b.msUntilToken(0)).toBe(100);
    expect(b.msUntilToken(60)).toBe(40);
    expect(b.tryTake(99)).toBe(false);
    expect(b.tryTake(100)).toBe(true);
    expect(b.available(100_000)).toBe(3);
  });

  it('clamp lowers the content to what the server reports and never raises it', () => {
    const b = new TokenBucket({ capacity: 200, refillPerSecond: 10 }, 0);
    b.clamp(5, 0);
    expect(b.available(0)).toBe(5);
    b.clamp(50, 0);
    expect(b.available(0)).toBe(5);
    b.clamp(-3, 0);
    expect(b.available(0)).toBe(0);
    expect(b.msUntilToken(0)).toBe(100);
  });

  it('rejects limits that would never hand out a token', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 }, 0)).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 0 }, 0)).toThrow(RangeError);
  });

  it('never grants more than capacity + rate × elapsed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 300 }),
        (capacity, rate, gaps) => {
          const b = new TokenBucket({ capacity, refillPerSecond: rate }, 0);
          let now = 0;
          let granted = 0;
          for (const gap of gaps) {
            now += gap;
            if (b.tryTake(now)) granted += 1;
            expect(granted).toBeLessThanOrEqual(capacity + (rate * now) / 1000 + 1e-9);
          }
        },
      ),
    );
  });
});

describe('request classes', () => {
  it.each([
    ['GET', 'reads'],
    ['head', 'reads'],
    ['PUT', 'writes'],
    ['PATCH', 'writes'],
    ['POST', 'writes'],
    ['DELETE', 'deletes'],
  ] as const)('%s is %s', (method, cls) => {
    expect(requestClassOf(method)).toBe(cls);
  });

  it('mirrors ARM limits and header names', () => {
    expect(ARM_LIMITS.writes).toEqual({ capacity: 200, refillPerSecond: 10 });
    expect(ARM_LIMITS.reads).toEqual({ capacity: 250, refillPerSecond: 25 });
    expect(ARM_LIMITS.deletes).toEqual({ capacity: 200, refillPerSecond: 10 });
    expect(remainingHeaderOf('writes')).toBe('x-ms-ratelimit-remaining-subscription-writes');
  });
});

describe('RequestPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const limits = {
    reads: { capacity: 5, refillPerSecond: 5 },
    writes: { capacity: 3, refillPerSecond: 10 },
    deletes: { capacity: 2, refillPerSecond: 1 },
  };

  it('sends a burst at once, then one request per refill interval, in order', async () => {
    const pacer = new RequestPacer({ limits, maxConcurrentWrites: 100 });
    const sentAt: [number, number][] = [];
    const start = Date.now();
    const all = Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        pacer.run('writes', () => {
          sentAt.push([i, Date.now() - start]);
          return Promise.resolve(i);
        }),
      ),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await all).toEqual([0, 1, 2, 3, 4]);
    expect(sentAt).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 100],
      [4, 200],
    ]);
    expect(pacer.stats().writes.delayed).toBe(2);
  });

  it('keeps buckets per class: deletes and reads do not wait for writes', async () => {
    const pacer = new RequestPacer({ limits, maxConcurrentWrites: 100 });
    for (let i = 0; i < 3; i += 1) await pacer.run('writes', () => Promise.resolve());
    let deleted = false;
    let read = false;
    const d = pacer.run('deletes', () => Promise.resolve((deleted = true)));
    const r = pacer.run('reads', () => Promise.resolve((read = true)));
    await Promise.all([d, r]);
    expect([deleted, read]).toEqual([true, true]);
    expect(pacer.stats().writes.delayed + pacer.stats().deletes.delayed + pacer.stats().reads.delayed).toBe(0);
  });

  it('caps writes and deletes in flight together, not reads', async () => {
    const pacer = new RequestPacer({
      limits: {
        reads: { capacity: 100, refillPerSecond: 100 },
        writes: { capacity: 100, refillPerSecond: 100 },
        deletes: { capacity: 100, refillPerSecond: 100 },
      },
      maxConcurrentWrites: 2,
    });
    let inFlight = 0;
    let max = 0;
    const slow = (): Promise<void> => {
      inFlight += 1;
      max = Math.max(max, inFlight);
      return new Promise<void>((resolve) =>
        setTimeout(() => {
          inFlight -= 1;
          resolve();
        }, 50),
      );
    };
    const writes = Promise.all(
      ['writes', 'deletes', 'writes', 'deletes', 'writes'].map((c) =>
        pacer.run(c === 'writes' ? 'writes' : 'deletes', slow),
      ),
    );
    await vi.advanceTimersByTimeAsync(500);
    await writes;
    expect(max).toBe(2);
    max = 0;
    const reads = Promise.all([1, 2, 3, 4, 5].map(() => pacer.run('reads', slow)));
    await vi.advanceTimersByTimeAsync(100);
    await reads;
    expect(max).toBe(5);
  });

  it('slows down when ARM reports few remaining requests, counting the others in flight', async () => {
    const pacer = new RequestPacer({ maxConcurrentWrites: 10 });
    const start = Date.now();
    // Two writes in flight; the first answer says 1 left: the other one in flight will take it, so 0 are left here.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const first = pacer.run('writes', () => {
      return gate.then(() => pacer.observe('writes', 1));
    });
    const second = pacer.run('writes', () => gate);
    await vi.advanceTimersByTimeAsync(0);
    release();
    await Promise.all([first, second]);
    expect(pacer.stats().writes.clamped).toBe(1);
    let thirdAt = -1;
    const third = pacer.run('writes', () => Promise.resolve((thirdAt = Date.now() - start)));
    await vi.advanceTimersByTimeAsync(200);
    await third;
    expect(thirdAt).toBe(100);
  });

  it('ignores remaining counts above what it holds', async () => {
    const pacer = new RequestPacer({ maxConcurrentWrites: 10 });
    await pacer.run('reads', () => {
      pacer.observe('reads', 10_000);
      return Promise.resolve();
    });
    expect(pacer.stats().reads.clamped).toBe(0);
  });
});

describe('sharedPacer', () => {
  it('is one pacer per ARM endpoint in the process, with the smallest write cap asked for', () => {
    const a = sharedPacer('https://arm.example.test:1/', 8);
    const b = sharedPacer('HTTPS://ARM.example.test:1', 4);
    expect(b).toBe(a);
    expect(a.maxConcurrentWrites).toBe(4);
    sharedPacer('https://arm.example.test:1', 16);
    expect(a.maxConcurrentWrites).toBe(4);
    expect(sharedPacer('https://other.example.test', 8)).not.toBe(a);
  });
});

describe("Traffic Manager's own limits", () => {
  const base = 'https://management.azure.com/subscriptions/SUB-1/resourceGroups/rg-traffic/providers';
  const profile = `${base}/Microsoft.Network/trafficManagerProfiles/fleetmesh-demo`;

  it('classifies Traffic Manager requests by the documented groups, per subscription', () => {
    const endpoint = `${profile}/AzureEndpoints/demo-web-member-1?api-version=2022-04-01`;
    expect(trafficManagerGroupOf('PUT', endpoint)).toEqual({ subscriptionId: 'sub-1', group: 'endpointWrites' });
    expect(trafficManagerGroupOf('DELETE', endpoint)).toEqual({ subscriptionId: 'sub-1', group: 'endpointWrites' });
    expect(trafficManagerGroupOf('PATCH', endpoint)?.group).toBe('endpointWrites');
    expect(trafficManagerGroupOf('GET', endpoint)?.group).toBe('endpointReads');
    expect(trafficManagerGroupOf('GET', `${profile}/externalEndpoints/x`)?.group).toBe('endpointReads');
    expect(trafficManagerGroupOf('PUT', `${profile}?api-version=2022-04-01`)?.group).toBe('profileWrites');
    expect(trafficManagerGroupOf('GET', profile)?.group).toBe('profileReads');
    expect(trafficManagerGroupOf('DELETE', profile)?.group).toBe('profileDeletes');
    expect(trafficManagerGroupOf('GET', `${base}/Microsoft.Network/trafficManagerProfiles`)?.group).toBe(
      'profileReads',
    );
    // Anything else is ARM's business only.
    expect(trafficManagerGroupOf('PUT', `${base}/Microsoft.Network/virtualNetworks/v`)).toBeUndefined();
    expect(trafficManagerGroupOf('GET', `${profile}/heatMaps/default`)).toBeUndefined();
    expect(trafficManagerGroupOf('GET', 'not a url')).toBeUndefined();
  });

  describe('ProviderGates', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('lets a third of the per-minute limit through in any 20 s window, the next ones as the first leave it', async () => {
      // 6 a minute: 2 in any 20 s; no margin.
      const gates = new ProviderGates({ ...TRAFFIC_MANAGER_LIMITS_PER_MINUTE, endpointWrites: 6 }, 20_000, 0);
      const passed: number[] = [];
      for (let i = 0; i < 5; i++) void gates.pass('sub-1', 'endpointWrites').then(() => passed.push(i));
      // Another subscription and another group have their own windows.
      let other = 0;
      void gates.pass('sub-2', 'endpointWrites').then(() => (other += 1));
      void gates.pass('sub-1', 'endpointReads').then(() => (other += 1));
      await vi.advanceTimersByTimeAsync(0);
      expect(passed).toEqual([0, 1]);
      expect(other).toBe(2);
      await vi.advanceTimersByTimeAsync(19_999);
      expect(passed).toEqual([0, 1]);
      await vi.advanceTimersByTimeAsync(1);
      expect(passed).toEqual([0, 1, 2, 3]);
      await vi.advanceTimersByTimeAsync(19_999);
      expect(passed).toEqual([0, 1, 2, 3]);
      await vi.advanceTimersByTimeAsync(1);
      expect(passed).toEqual([0, 1, 2, 3, 4]);
    });

    it('keeps its margin behind the window, and never lets more than the limit through in any window', async () => {
      const gate = new SlidingWindowGate(3, 1_000, 100);
      const at: number[] = [];
      const start = Date.now();
      const all = Array.from({ length: 10 }, () => gate.pass().then(() => at.push(Date.now() - start)));
      await vi.advanceTimersByTimeAsync(10_000);
      await Promise.all(all);
      expect(at).toEqual([0, 0, 0, 1_100, 1_100, 1_100, 2_200, 2_200, 2_200, 3_300]);
      for (const t of at) expect(at.filter((u) => u >= t && u < t + 1_000).length).toBeLessThanOrEqual(3);
      expect(() => new SlidingWindowGate(0, 1_000)).toThrow(RangeError);
    });
  });
});
