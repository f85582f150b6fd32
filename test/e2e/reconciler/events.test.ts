/**
 * Event-driven behaviour on a generated fleet of 60 members (10 in the mesh, 50 waiting for the label):
 *
 *  g. 50 label events delivered inside one debounce window lead to exactly one apply, which adds all 50;
 *  h. with every event delivered twice and deliveries reordered, the mesh still ends in the state the labels say;
 *     and a redelivered event id does nothing at all.
 *
 * The fresh-deployment case (nothing stored yet) is in events-fresh-deploy.test.ts: one host per process.
 *
 * The resync timer is off here (it runs once at start-up only): every change below reaches the reconciler through
 * fleetEvents, nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CosmosClient } from '@azure/cosmos';
import { processedEventDocId } from '../../../shared/state/documents.js';
import type { StateStore } from '../../../shared/state/store.js';
import { arr, type E2E, obj, openStateStore, startE2E, waitFor } from '../support/harness.js';

const FLEET_API = '2026-03-02-preview';
const RECONCILER = 'meshReconciler:demo';
let e2e: E2E;
let store: StateStore;
let cosmosClient: CosmosClient;

/** Generated member names: member-001 … member-060. */
const name = (i: number): string => `member-${String(i + 1).padStart(3, '0')}`;

/** The processed-event record as stored (its `_etag` changes with any write). */
async function eventRecord(eventId: string): Promise<unknown> {
  const id = processedEventDocId(eventId);
  const read = await cosmosClient.database('fleetmesh').container('events').item(id, id).read<{ _etag: string }>();
  return read.resource;
}

/** Every apply POST the simulator received, whatever it answered (the counters survive the call log's ring). */
function applies(): number {
  return e2e.sandbox.sim.control.counters()['clusterMeshProfiles.apply']?.actions ?? 0;
}

/** Lists of the fleet's mesh profiles: fleetEvents makes one for each member event it acts on (no cache here). */
function profileLists(): number {
  return e2e.sandbox.sim.control.counters()['clusterMeshProfiles.list']?.reads ?? 0;
}

/** POST on the reconciler's durable management API (master key): `suspend` or `resume`. */
async function reconciler(action: 'suspend' | 'resume'): Promise<void> {
  const { host, masterKey } = e2e.sandbox;
  const url = `${host.url}/runtime/webhooks/durabletask/instances/${encodeURIComponent(RECONCILER)}/${action}?reason=test&code=${masterKey}`;
  const r = await fetch(url, { method: 'POST' });
  expect(r.status, await r.text()).toBe(202);
}

async function reconcilerState(): Promise<{ runtimeStatus: string; phase: string }> {
  const view = obj((await e2e.api('GET', '/meshes/demo')).json);
  const r = obj(view.reconciler);
  return { runtimeStatus: String(r.runtimeStatus), phase: String(obj(r.status).phase) };
}

/** Delivers Event Grid events to fleetEvents as Event Grid does; the answer comes once the function has run. */
async function deliver(events: unknown[]): Promise<{ status: number; text: string }> {
  const { host, eventGridKey } = e2e.sandbox;
  const r = await fetch(`${host.url}/runtime/webhooks/eventgrid?functionName=fleetEvents&code=${eventGridKey}`, {
    method: 'POST',
    headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  return { status: r.status, text: await r.text() };
}

async function connectedMembers(): Promise<string[]> {
  const r = await e2e.api('GET', '/meshes/demo');
  return arr(obj(r.json).members)
    .map((m) => obj(m))
    .filter((m) => m.meshState === 'Connected')
    .map((m) => String(m.name))
    .sort();
}

/** Sets a member's labels; retries while its previous label update is still running (409, as ARM answers). */
async function label(member: string, labels: Record<string, string>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await e2e.operator.call('PATCH', e2e.fleetPath(`/members/${member}`), {
      body: { properties: { labels } },
      apiVersion: FLEET_API,
    });
    if (r.status === 409 && r.text.includes('AnotherOperationInProgress') && attempt < 50) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    expect([200, 202], `PATCH ${member}: ${r.text}`).toContain(r.status);
    return;
  }
}

describe('events', () => {
  beforeAll(async () => {
    e2e = await startE2E({
      scenario: 'generated:60?unlabelled=50&applied=true&seed=3',
      fleetName: 'fleet-generated',
      policy: {
        mode: 'auto',
        allowRemovals: true,
        debounceSeconds: 3,
        convergence: { pollIntervalSeconds: 0.2, maxPollIntervalSeconds: 1, memberTimeoutMinutes: 5 },
      },
      // A TimeSpan of 100 days: the resync runs on start-up, then never again during the test. The fleet's profile
      // list is read for every member event (no reuse across events), so its reads show which deliveries were acted on.
      appSettings: { FLEETMESH_RESYNC_SCHEDULE: '100.00:00:00', FLEETMESH_PROFILE_LIST_CACHE_SECONDS: '0' },
    });
    ({ client: cosmosClient, store } = openStateStore(e2e.sandbox));
  });

  afterAll(async () => {
    cosmosClient.dispose();
    await e2e.stop();
  });

  it('starts with the ten labelled members connected', async () => {
    const members = await waitFor('10 connected members', async () => {
      const c = await connectedMembers();
      return c.length === 10 ? c : undefined;
    });
    expect(members).toHaveLength(10);
  });

  it('g. coalesces 50 label events delivered inside one debounce window into exactly one apply', async () => {
    const all = await connectedMembers();
    const waiting = Array.from({ length: 60 }, (_, i) => name(i)).filter((m) => !all.includes(m));
    expect(waiting).toHaveLength(50);
    await waitFor('the reconciler idle', async () => ((await reconcilerState()).phase === 'idle' ? true : undefined));
    const before = applies();
    const producedBefore = e2e.sandbox.sim.control.events().length;

    // "50 events within 5 seconds" without a wall-clock assertion: the reconciler is held while the 50 label events
    // are delivered and signalled (fleetEvents raises each signal on the suspended instance, which keeps them), so
    // all 50 reach it at the same instant of orchestration time, inside one 3 s debounce window however slow this
    // machine is. What is tested is what the window does with them.
    await reconciler('suspend');
    for (const m of waiting) await label(m, { mesh: 'demo' });
    const labelEvents = await waitFor('a write event for each of the 50 members, delivered with a 2xx', () => {
      const produced = e2e.sandbox.sim.control
        .events()
        .slice(producedBefore)
        .filter(
          (e) =>
            e.eventType === 'Microsoft.Resources.ResourceWriteSuccess' &&
            waiting.some((m) => e.subject.toLowerCase().endsWith(`/members/${m}`)),
        );
      const delivered = new Set(
        e2e.sandbox.sim.control
          .deliveries()
          .filter((d) => typeof d.outcome === 'number' && d.outcome >= 200 && d.outcome < 300)
          .flatMap((d) => d.eventIds),
      );
      const members = new Set(produced.map((e) => e.subject.slice(e.subject.lastIndexOf('/') + 1)));
      return members.size === 50 && produced.every((e) => delivered.has(e.id)) ? produced : undefined;
    });
    expect(labelEvents.length).toBeGreaterThanOrEqual(50);
    expect(await reconcilerState()).toMatchObject({ runtimeStatus: 'Suspended' });
    expect(applies()).toBe(before);
    await reconciler('resume');

    await waitFor('60 connected members', async () => ((await connectedMembers()).length === 60 ? true : undefined), {
      timeoutMs: 180_000,
    });
    const applyCalls = e2e.sandbox.sim.control.calls().filter((c) => c.operation === 'clusterMeshProfiles.apply');
    expect(applies() - before, JSON.stringify(applyCalls.map((c) => [c.time, c.status]))).toBe(1);
  });

  it('h. reaches the same final state with duplicated and reordered deliveries', async () => {
    e2e.sandbox.sim.control.updateSettings({ events: { duplicateRate: 1, reorder: true } });
    const leave = Array.from({ length: 20 }, (_, i) => name(i * 3));
    const rejoin = leave.slice(0, 5);
    for (const m of leave) await label(m, { other: 'x' });
    for (const m of rejoin) await label(m, { mesh: 'demo' });
    const expected = Array.from({ length: 60 }, (_, i) => name(i))
      .filter((m) => !leave.includes(m) || rejoin.includes(m))
      .sort();
    const final = await waitFor(
      'the mesh to match the labels',
      async () => {
        const c = await connectedMembers();
        return c.join() === expected.join() ? c : undefined;
      },
      { timeoutMs: 180_000 },
    );
    expect(final).toHaveLength(45);
    const deliveries = e2e.sandbox.sim.control.deliveries();
    expect(deliveries.some((d) => d.duplicate)).toBe(true);
  });

  it('h. a redelivered event id does nothing: no lookup, no signal, the record unchanged', async () => {
    e2e.sandbox.sim.control.updateSettings({ events: { duplicateRate: 0, reorder: false } });
    const id = `redelivered-${Date.now()}`;
    const subject = `/subscriptions/${e2e.sandbox.subscriptionId}/resourceGroups/${e2e.sandbox.resourceGroup}/providers/Microsoft.ContainerService/fleets/${e2e.sandbox.fleet}/members/${name(1)}`;
    const event = {
      id,
      topic: `/subscriptions/${e2e.sandbox.subscriptionId}/resourceGroups/${e2e.sandbox.resourceGroup}`,
      subject,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      eventTime: new Date().toISOString(),
      data: {
        subscriptionId: e2e.sandbox.subscriptionId,
        resourceUri: subject,
        operationName: 'Microsoft.ContainerService/fleets/members/write',
      },
      dataVersion: '2',
      metadataVersion: '1',
    };
    expect(await store.isEventProcessed(id)).toBe(false);

    // First delivery: acted on (the fleet's profiles are looked up, then the id is remembered).
    const lists = profileLists();
    const first = await deliver([event]);
    expect(first.status, first.text).toBe(202);
    expect(profileLists()).toBe(lists + 1);
    expect(await store.isEventProcessed(id)).toBe(true);
    const record = await eventRecord(id);

    // Redelivery, once alone and once in a batch: the function stops at the dedup check. Signalling comes after the
    // lookup, so no lookup means no signal; the record is not rewritten either.
    for (const body of [[event], [event, event]]) {
      const again = await deliver(body);
      expect(again.status, again.text).toBe(202);
      expect(profileLists()).toBe(lists + 1);
    }
    expect(await eventRecord(id)).toEqual(record);
  });
});
