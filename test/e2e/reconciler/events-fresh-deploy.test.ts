/**
 * fleetEvents on a fresh deployment of the two-regions sandbox: nothing stored in Cosmos DB yet (no policy, no mesh
 * view), no resync. A member's label event must still reach the reconciler of the fleet's mesh profile, found in ARM:
 * the stored profiles alone are none, and the event would otherwise wait for the 10-minute resync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arr, obj, startE2E, waitFor, type E2E } from '../support/harness.js';

const FLEET_API = '2026-03-02-preview';

describe('a fresh deployment: nothing stored yet', () => {
  let fresh: E2E;

  beforeAll(async () => {
    // No policy seeded, no resync at start-up or later: Cosmos DB holds nothing about the `demo` profile, which
    // exists in ARM (created, never applied).
    fresh = await startE2E({
      policy: null,
      resyncOnStartup: false,
      appSettings: { FLEETMESH_RESYNC_SCHEDULE: '100.00:00:00' },
    });
  });

  afterAll(async () => {
    await fresh.stop();
  });

  it("a member's label event reaches the reconciler of the fleet's mesh profile", async () => {
    const meshes = obj((await fresh.api('GET', '/meshes')).json);
    expect(arr(meshes.value).map((m) => [obj(m).profile, obj(m).hasPolicy, obj(m).lastOperationId])).toEqual([
      ['demo', false, null],
    ]);
    expect(obj((await fresh.api('GET', '/meshes/demo')).json).reconciler).toBeNull();

    const producedBefore = fresh.sandbox.sim.control.events().length;
    const r = await fresh.operator.call('PATCH', fresh.fleetPath('/members/member-central'), {
      body: { properties: { labels: { mesh: 'demo', region: 'central' } } },
      apiVersion: FLEET_API,
    });
    expect([200, 202], r.text).toContain(r.status);
    // Once its delivery is answered, the function has signalled (it answers after acting): the reconciler exists.
    await waitFor('the label event delivered', () => {
      const ids = fresh.sandbox.sim.control
        .events()
        .slice(producedBefore)
        .filter((e) => e.subject.toLowerCase().endsWith('/members/member-central'))
        .map((e) => e.id);
      const delivered = fresh.sandbox.sim.control
        .deliveries()
        .some((d) => d.outcome === 202 && d.eventIds.some((id) => ids.includes(id)));
      return delivered ? true : undefined;
    });
    const reconciler = obj(obj((await fresh.api('GET', '/meshes/demo')).json).reconciler);
    expect(['Pending', 'Running']).toContain(reconciler.runtimeStatus);

    // It collects the event's signal in its debounce window (the default policy's 30 s; what it then plans, with
    // all three members, is the rest of the reconciler's story).
    const status = await waitFor('the reconciler debouncing the event', async () => {
      const r = obj(obj((await fresh.api('GET', '/meshes/demo')).json).reconciler);
      const s = r.status === null ? undefined : obj(r.status);
      return s?.phase === 'debouncing' ? s : undefined;
    });
    expect(status).toMatchObject({ trigger: 'event', pendingChanges: 1 });
  });
});
