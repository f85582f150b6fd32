/**
 * Throttling, fault injection and ambiguous writes over real HTTPS, plus the call log and counters they leave.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../../../local/simulator/index.js';
import { at, pollAsyncOperation, start, TM_API, waitFor, type Arm } from './support.js';

let sim: RunningSimulator | undefined;
let arm: Arm | undefined;

afterEach(async () => {
  arm?.close();
  await sim?.stop();
  sim = undefined;
  arm = undefined;
});

describe('throttling', () => {
  it('answers 429 with Retry-After and x-ms-ratelimit-remaining headers when a bucket is empty, per principal and kind', async () => {
    ({ sim, arm } = await start({
      throttling: {
        enabled: true,
        reads: { size: 3, refillPerSecond: 0.5 },
        writes: { size: 200, refillPerSecond: 10 },
        deletes: { size: 200, refillPerSecond: 10 },
      },
    }));
    const a = arm;
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await a.get(a.fleet('/members'));
      expect(r.status).toBe(200);
      remaining.push(r.headers['x-ms-ratelimit-remaining-subscription-reads'] ?? '');
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const throttled = await a.get(a.fleet('/members'));
    expect(throttled.status).toBe(429);
    expect(at(throttled.json, 'error', 'code')).toBe('SubscriptionRequestsThrottled');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another principal has its own bucket; writes are another kind.
    expect((await a.get(a.fleet('/members'), { token: sim.tokens['operator'] ?? '' })).status).toBe(200);
    const write = await a.put(a.fleet('/clusterMeshProfiles/p2'), { properties: {} });
    expect(write.status).toBe(201);
    expect(write.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('199');
    expect(sim.control.counters()['fleetMembers.list']).toMatchObject({ reads: 5, throttled: 1 });
    // Switched off at run time.
    sim.control.setThrottling(false);
    expect((await a.get(a.fleet('/members'))).status).toBe(200);
  });
});

describe("Traffic Manager's own throttle", () => {
  it('answers 429 past a third of the per-minute limit within 20 s, per subscription whoever calls, and only for Traffic Manager', async () => {
    // ARM's buckets out of the way: only Traffic Manager's limits can refuse here.
    ({ sim, arm } = await start({
      throttling: {
        enabled: true,
        reads: { size: 10_000, refillPerSecond: 100 },
        writes: { size: 10_000, refillPerSecond: 100 },
        deletes: { size: 10_000, refillPerSecond: 100 },
      },
    }));
    const a = arm;
    const profile = a.sub('/resourceGroups/rg-traffic/providers/Microsoft.Network/trafficManagerProfiles/nope');
    // Profile reads: 450 a minute, 150 in 20 s (a missing profile's 404 counts as Traffic Manager counts requests).
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push((await a.get(profile, { apiVersion: TM_API })).status);
    const operator = sim.tokens['operator'] ?? '';
    for (let i = 0; i < 50; i++) statuses.push((await a.get(profile, { apiVersion: TM_API, token: operator })).status);
    expect(statuses.every((s) => s === 404)).toBe(true);
    // The 151st, from either principal: the subscription's window is full.
    const throttled = await a.get(profile, { apiVersion: TM_API, token: operator });
    expect(throttled.status).toBe(429);
    expect(at(throttled.json, 'error', 'code')).toBe('TooManyRequests');
    expect(String(at(throttled.json, 'error', 'message'))).toMatch(/450 profileReads operations per minute/);
    const retryAfter = Number(throttled.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(20);
    // Other resource providers are not affected, nor are Traffic Manager's other groups.
    expect((await a.get(a.fleet('/members'))).status).toBe(200);
    const endpoint = await a.get(`${profile}/AzureEndpoints/e`, { apiVersion: TM_API });
    expect(endpoint.status).not.toBe(429);
    expect(sim.control.counters()['trafficManagerProfiles.get']).toMatchObject({ reads: 151, throttled: 1 });
    // Switched off on its own.
    sim.control.setThrottling({ ...sim.control.settings().throttling, trafficManager: false });
    expect((await a.get(profile, { apiVersion: TM_API })).status).toBe(404);
  });
});

describe('fault injection', () => {
  it('injects errors by status on matching paths, expiring after `times`, and logs them', async () => {
    ({ sim, arm } = await start());
    sim.control.setFaults({
      overrides: [
        {
          name: 'members-503',
          match: { pathPattern: '/members$', methods: ['GET'] },
          errorRates: { '503': 1 },
          retryAfterSeconds: 2,
          times: 2,
        },
        { name: 'apply-500', match: { operations: ['clusterMeshProfiles.apply'] }, errorRates: { '500': 1 }, times: 1 },
      ],
    });
    const a = arm;
    const first = await a.get(a.fleet('/members'));
    expect(first.status).toBe(503);
    expect(first.headers['retry-after']).toBe('2');
    expect(at(first.json, 'error', 'code')).toBe('ServiceUnavailable');
    expect((await a.get(a.fleet('/members'))).status).toBe(503);
    expect((await a.get(a.fleet('/members'))).status).toBe(200);
    expect((await a.get(a.fleet('/members/member-east'))).status).toBe(200);
    const apply = await a.post(a.fleet('/clusterMeshProfiles/demo/apply'));
    expect(apply.status).toBe(500);
    // The injected failure did not start an apply.
    const profile = await a.get(a.fleet('/clusterMeshProfiles/demo'));
    expect(at(profile.json, 'properties', 'status', 'state')).toBe('NotConnected');
    expect(sim.control.faults().overrides).toEqual([]);
    const notes = sim.control.calls().map((c) => c.note ?? '');
    expect(notes.filter((n) => n === 'injected:503')).toHaveLength(2);
    expect(notes).toContain('injected:500');
  });

  it('makes the same decisions for the same seed (reproducible runs)', async () => {
    const run = async (seed: number): Promise<number[]> => {
      const s = await start({ seed, faults: { global: { errorRates: { '500': 0.3, '429': 0.2 } } } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 25; i++) statuses.push((await s.arm.get(s.arm.fleet('/members'))).status);
        return statuses;
      } finally {
        s.arm.close();
        await s.sim.stop();
      }
    };
    const one = await run(11);
    expect(await run(11)).toEqual(one);
    expect(one.filter((s) => s !== 200).length).toBeGreaterThan(0);
    expect(one.filter((s) => s === 200).length).toBeGreaterThan(0);
  });

  it('commits an ambiguous write and then resets the connection without a response', async () => {
    ({ sim, arm } = await start());
    sim.control.setFaults({
      overrides: [{ match: { methods: ['PATCH'] }, ambiguousWriteRate: 1, ambiguousMode: 'reset', times: 1 }],
    });
    const a = arm;
    const before = await a.get(a.fleet('/members/member-central'));
    await expect(
      a.patch(a.fleet('/members/member-central'), { properties: { labels: { region: 'central', mesh: 'demo' } } }),
    ).rejects.toThrow(/ECONNRESET|socket hang up/);
    // The write was committed: the labels changed and the update runs.
    const after = await a.get(a.fleet('/members/member-central'));
    expect(at(after.json, 'properties', 'labels', 'mesh')).toBe('demo');
    expect(at(after.json, 'eTag')).not.toBe(at(before.json, 'eTag'));
    expect(sim.control.calls().at(-2)?.note).toBe('ambiguous:reset');
    // A retry of the same PATCH is answered normally (202) once the update it collided with has finished.
    await waitFor(async () => {
      const state = at((await a.get(a.fleet('/members/member-central'))).json, 'properties', 'provisioningState');
      return state === 'Succeeded' ? true : undefined;
    }, 'member update');
    const retry = await a.patch(a.fleet('/members/member-central'), {
      properties: { labels: { region: 'central', mesh: 'demo' } },
    });
    expect(retry.status).toBe(202);
    await pollAsyncOperation(a, retry.headers['azure-asyncoperation'] ?? '');
  });

  it('can end the connection cleanly instead (close mode), still without a response', async () => {
    ({ sim, arm } = await start());
    sim.control.setFaults({
      overrides: [{ match: { methods: ['PUT'] }, ambiguousWriteRate: 1, ambiguousMode: 'close', times: 1 }],
    });
    await expect(arm.put(arm.fleet('/clusterMeshProfiles/ambiguous'), { properties: {} })).rejects.toThrow(
      /socket hang up|ECONNRESET/,
    );
    const created = await arm.get(arm.fleet('/clusterMeshProfiles/ambiguous'));
    expect(created.status).toBe(200);
    // Retrying the create with If-None-Match: * now says it exists.
    expect(
      (
        await arm.put(
          arm.fleet('/clusterMeshProfiles/ambiguous'),
          { properties: {} },
          { headers: { 'if-none-match': '*' } },
        )
      ).status,
    ).toBe(412);
  });

  it('delays answers by the latency distribution', async () => {
    ({ sim, arm } = await start({ faults: { global: { latency: { kind: 'fixed', ms: 30 } } } }));
    await arm.get(arm.fleet('/members'));
    const entry = sim.control.calls().at(-1);
    expect(entry?.status).toBe(200);
    expect(entry?.latencyMs).toBeGreaterThanOrEqual(29);
  });
});
