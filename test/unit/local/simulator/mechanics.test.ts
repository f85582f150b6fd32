import { describe, expect, it } from 'vitest';
import { SimClock } from '../../../../local/simulator/clock.js';
import { FaultInjector } from '../../../../local/simulator/faults.js';
import { cidrsOverlap, cidrContains, firstAddress } from '../../../../local/simulator/providers/netcheck.js';
import { parseSelector, selects } from '../../../../local/simulator/providers/selector.js';
import { SeededRandom } from '../../../../local/simulator/random.js';
import {
  SlidingWindowThrottler,
  Throttler,
  TRAFFIC_MANAGER_LIMITS_PER_MINUTE,
  trafficManagerGroupOf,
} from '../../../../local/simulator/throttle.js';

function fakeWall(start = 1_000_000): { now: () => number; tick: (ms: number) => void } {
  let t = start;
  return { now: () => t, tick: (ms) => (t += ms) };
}

describe('SimClock', () => {
  it('runs tasks in due order, ties in scheduling order, when time is advanced', () => {
    const wall = fakeWall();
    const clock = new SimClock({ factor: 0, wallNow: wall.now, startAt: 0 });
    const ran: string[] = [];
    clock.schedule(300, () => ran.push('c'));
    clock.schedule(100, () => ran.push('a1'));
    clock.schedule(100, () => ran.push('a2'));
    clock.schedule(200, () => ran.push('b'));
    clock.advance(150);
    expect(ran).toEqual(['a1', 'a2']);
    clock.advance(1000);
    expect(ran).toEqual(['a1', 'a2', 'b', 'c']);
    clock.stop();
  });

  it('scales wall time by the factor, and a factor change keeps simulated time continuous', () => {
    const wall = fakeWall();
    const clock = new SimClock({ factor: 10, wallNow: wall.now, startAt: 0 });
    wall.tick(100);
    expect(clock.now()).toBe(1000);
    clock.setFactor(0);
    wall.tick(500);
    expect(clock.now()).toBe(1000);
    clock.setFactor(2);
    wall.tick(50);
    expect(clock.now()).toBe(1100);
    expect(clock.wallDelay(1000)).toBe(500);
    clock.stop();
  });

  it('runDue picks up tasks that became due with wall time', () => {
    const wall = fakeWall();
    const clock = new SimClock({ factor: 1, wallNow: wall.now, startAt: 0 });
    let ran = false;
    clock.schedule(50, () => (ran = true));
    wall.tick(49);
    clock.runDue();
    expect(ran).toBe(false);
    wall.tick(1);
    clock.runDue();
    expect(ran).toBe(true);
    clock.stop();
  });

  it('rejects a negative factor', () => {
    expect(() => new SimClock({ factor: -1 })).toThrow(/time factor/);
  });
});

describe('Throttler (token bucket, wall time)', () => {
  it('drains the bucket, answers Retry-After, and refills at the configured rate', () => {
    const wall = fakeWall();
    const t = new Throttler(
      {
        enabled: true,
        trafficManager: true,
        reads: { size: 3, refillPerSecond: 2 },
        writes: { size: 1, refillPerSecond: 1 },
        deletes: { size: 1, refillPerSecond: 1 },
      },
      wall.now,
    );
    expect(t.take('s', 'p', 'reads')).toEqual({ allowed: true, remaining: 2 });
    t.take('s', 'p', 'reads');
    expect(t.take('s', 'p', 'reads')).toEqual({ allowed: true, remaining: 0 });
    expect(t.take('s', 'p', 'reads')).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    // Another principal and another kind have their own buckets.
    expect(t.take('s', 'q', 'reads').allowed).toBe(true);
    expect(t.take('s', 'p', 'writes').allowed).toBe(true);
    wall.tick(500);
    expect(t.take('s', 'p', 'reads')).toEqual({ allowed: true, remaining: 0 });
  });

  it('always allows when switched off', () => {
    const t = new Throttler({
      enabled: false,
      trafficManager: true,
      reads: { size: 1, refillPerSecond: 0 },
      writes: { size: 1, refillPerSecond: 0 },
      deletes: { size: 1, refillPerSecond: 0 },
    });
    for (let i = 0; i < 10; i++) expect(t.take('s', 'p', 'reads').allowed).toBe(true);
  });
});

describe("Traffic Manager's own throttle (sliding window, wall time)", () => {
  it('allows the limit within any window, answers Retry-After until the oldest call leaves it', () => {
    const wall = fakeWall();
    const t = new SlidingWindowThrottler(wall.now);
    for (let i = 0; i < 3; i++) {
      expect(t.take('s|endpointWrites', 3, 20_000)).toEqual({ allowed: true });
      wall.tick(1_000);
    }
    // Calls at 0, 1 and 2 s: the fourth, at 3 s, waits until the first leaves the window at 20 s.
    expect(t.take('s|endpointWrites', 3, 20_000)).toEqual({ allowed: false, retryAfterSeconds: 17 });
    // A refused call is not counted; another key has its own window.
    expect(t.take('s|endpointReads', 3, 20_000)).toEqual({ allowed: true });
    wall.tick(16_999);
    expect(t.take('s|endpointWrites', 3, 20_000)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    wall.tick(1);
    expect(t.take('s|endpointWrites', 3, 20_000)).toEqual({ allowed: true });
    expect(t.take('s|endpointWrites', 3, 20_000)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('groups operations as the documented limits do', () => {
    expect(trafficManagerGroupOf('trafficManagerEndpoints.createOrUpdate')).toBe('endpointWrites');
    expect(trafficManagerGroupOf('trafficManagerEndpoints.delete')).toBe('endpointWrites');
    expect(trafficManagerGroupOf('trafficManagerEndpoints.get')).toBe('endpointReads');
    expect(trafficManagerGroupOf('trafficManagerProfiles.update')).toBe('profileWrites');
    expect(trafficManagerGroupOf('trafficManagerProfiles.list')).toBe('profileReads');
    expect(trafficManagerGroupOf('trafficManagerProfiles.delete')).toBe('profileDeletes');
    expect(trafficManagerGroupOf('managedClusters.get')).toBeUndefined();
    expect(TRAFFIC_MANAGER_LIMITS_PER_MINUTE.endpointWrites).toBe(300);
  });
});

describe('FaultInjector', () => {
  const info = {
    method: 'GET',
    path: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f/members',
    operation: 'fleetMembers.list',
    isWrite: false,
  };

  it('is reproducible with the same seed', () => {
    const decide = (seed: number): (number | undefined)[] => {
      const f = new FaultInjector({
        global: { errorRates: { '500': 0.3, '503': 0.2 }, latency: { kind: 'uniform', minMs: 0, maxMs: 5 } },
      });
      const r = new SeededRandom(seed);
      return Array.from({ length: 40 }, () => f.decide(info, r)?.errorStatus);
    };
    expect(decide(7)).toEqual(decide(7));
    expect(decide(7)).not.toEqual(decide(8));
    expect(decide(7).filter((s) => s !== undefined).length).toBeGreaterThan(0);
  });

  it('applies the first matching override, then expires it after `times`', () => {
    const f = new FaultInjector({
      overrides: [
        {
          name: 'apply-500',
          match: { pathPattern: '/members$', methods: ['GET'] },
          errorRates: { '500': 1 },
          times: 2,
        },
      ],
    });
    const r = new SeededRandom(1);
    expect(f.decide(info, r)?.errorStatus).toBe(500);
    expect(f.decide({ ...info, path: `${info.path}/m1` }, r)).toBeUndefined();
    expect(f.decide(info, r)?.errorStatus).toBe(500);
    expect(f.decide(info, r)).toBeUndefined();
    expect(f.snapshot().overrides).toEqual([]);
  });

  it('makes writes ambiguous only when no error is injected', () => {
    const f = new FaultInjector({ global: { ambiguousWriteRate: 1, ambiguousMode: 'close' } });
    const r = new SeededRandom(1);
    expect(f.decide({ ...info, method: 'PUT', isWrite: true }, r)?.ambiguous).toBe('close');
    expect(f.decide(info, r)?.ambiguous).toBeUndefined();
  });
});

describe('selectors and CIDRs', () => {
  it('parses k=v pairs and matches every pair', () => {
    const p = parseSelector('mesh=demo, region=east');
    if (!p.ok) throw new Error(p.error);
    expect(selects(p.pairs, { mesh: 'demo', region: 'east', other: 'x' })).toBe(true);
    expect(selects(p.pairs, { mesh: 'demo' })).toBe(false);
    const empty = parseSelector('');
    expect(empty.ok && selects(empty.pairs, { mesh: 'demo' })).toBe(false);
  });

  it.each([
    ['env!=prod', "only the '=' operator"],
    ['env=prod,env=staging', 'more than once'],
    ['env', 'not a key=value pair'],
    ['bad key=x', 'not a valid label key'],
  ])('rejects %s', (selector, fragment) => {
    const p = parseSelector(selector);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error).toContain(fragment);
  });

  it('computes overlaps and containment', () => {
    expect(cidrsOverlap('10.1.0.0/16', '10.1.4.0/24')).toBe(true);
    expect(cidrsOverlap('10.1.0.0/16', '10.2.0.0/16')).toBe(false);
    expect(cidrContains('10.1.0.0/16', '10.1.255.1')).toBe(true);
    expect(firstAddress('10.1.3.7/22')).toBe('10.1.0.0');
  });
});
