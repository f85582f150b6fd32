/**
 * Event Grid delivery of ARM events to a webhook on http://127.0.0.1: schema (checked with @azure/eventgrid's
 * deserializer), filters, batching, retries with backoff, duplicates and reordering.
 */
import { EventGridDeserializer, isSystemEvent } from '@azure/eventgrid';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunningSimulator } from '../../../../local/simulator/index.js';
import { at, pollAsyncOperation, start, waitFor, type Arm } from './support.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** A webhook that records what it receives; `respond` decides the status (and may hold the answer). */
class Webhook {
  readonly received: Received[] = [];
  respond: (n: number) => Promise<number> | number = () => 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        this.received.push({ headers: req.headers, body });
        void Promise.resolve(this.respond(this.received.length)).then((status) => {
          res.writeHead(status);
          res.end();
        });
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    this.url = `http://127.0.0.1:${address.port}/api/events`;
  }

  /** All events received, flattened in arrival order. */
  events(): unknown[] {
    return this.received.flatMap((r) => {
      const batch = z.array(z.unknown()).safeParse(r.body);
      return batch.success ? batch.data : [];
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

let sim: RunningSimulator;
let arm: Arm;
let hook: Webhook;

beforeEach(async () => {
  hook = new Webhook();
  await hook.start();
  ({ sim, arm } = await start({ settings: { events: { initialBackoffMs: 100, maxBackoffMs: 1000 } } }));
});
afterEach(async () => {
  arm.close();
  await sim.stop();
  await hook.stop();
});

describe('ARM events to webhooks', () => {
  it('delivers ResourceWriteSuccess for a label update when its operation completes, in the Event Grid schema', async () => {
    sim.control.addEventSubscription({
      name: 'fleet-members',
      endpoint: hook.url,
      filter: {
        subjectBeginsWith: arm.fleet('/members').toLowerCase(),
        includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess'],
      },
    });
    const r = await arm.patch(
      arm.fleet('/members/member-central'),
      { properties: { labels: { region: 'central', mesh: 'demo' } } },
      {
        headers: {
          'x-ms-correlation-request-id': '0b5c7a53-6b28-4c4c-9f3b-1a2b3c4d5e6f',
          'x-ms-client-request-id': 'client-req-1',
        },
      },
    );
    expect(r.status).toBe(202);
    // A write outside the filter (a profile) produces an event nobody here receives.
    await arm.put(arm.fleet('/clusterMeshProfiles/other'), { properties: {} });
    await pollAsyncOperation(arm, r.headers['azure-asyncoperation'] ?? '');
    const received = await waitFor(() => hook.received[0], 'the event');
    expect(received.headers['aeg-event-type']).toBe('Notification');
    expect(received.headers['aeg-subscription-name']).toBe('FLEET-MEMBERS');
    expect(Array.isArray(received.body)).toBe(true);
    const [event] = await new EventGridDeserializer().deserializeEventGridEvents(JSON.stringify(received.body));
    if (!event || !isSystemEvent('Microsoft.Resources.ResourceWriteSuccess', event))
      throw new Error('not a ResourceWriteSuccess event');
    const member = arm.fleet('/members/member-central');
    expect(event.subject).toBe(member);
    expect(event.topic).toBe(`/subscriptions/${sim.subscriptionId}`);
    expect(event.dataVersion).toBe('2');
    expect(event.data).toMatchObject({
      operationName: 'Microsoft.ContainerService/fleets/members/write',
      resourceUri: member,
      resourceProvider: 'Microsoft.ContainerService',
      status: 'Succeeded',
      subscriptionId: sim.subscriptionId,
      tenantId: sim.tenantId,
      correlationId: '0b5c7a53-6b28-4c4c-9f3b-1a2b3c4d5e6f',
      authorization: {
        action: 'Microsoft.ContainerService/fleets/members/write',
        scope: member,
        evidence: { role: 'Azure Kubernetes Fleet Manager Contributor Role', principalType: 'ServicePrincipal' },
      },
      httpRequest: { clientRequestId: 'client-req-1', method: 'PATCH' },
    });
    expect(at(event.data, 'claims', 'http://schemas.microsoft.com/identity/claims/objectidentifier')).toBe(
      sim.control.principals()['fleetmesh']?.objectId,
    );
    expect(hook.events()).toHaveLength(1);
    // Every write produced an event, delivered or not.
    expect(sim.control.events().map((e) => e.eventType)).toEqual([
      'Microsoft.Resources.ResourceWriteSuccess',
      'Microsoft.Resources.ResourceWriteSuccess',
    ]);
  });

  it('filters by subjectEndsWith and event type; apply emits ResourceActionFailure when members fail', async () => {
    sim.control.addEventSubscription({
      name: 'applies',
      endpoint: hook.url,
      filter: { subjectEndsWith: '/clusterMeshProfiles/DEMO' },
    });
    await arm.put(arm.fleet('/clusterMeshProfiles/other'), { properties: {} });
    const r = await arm.post(arm.fleet('/clusterMeshProfiles/demo/apply'));
    await pollAsyncOperation(arm, r.headers['azure-asyncoperation'] ?? '');
    await waitFor(() => hook.received[0], 'the apply event');
    const events = hook.events();
    expect(events.map((e) => [at(e, 'eventType'), at(e, 'data', 'operationName'), at(e, 'data', 'status')])).toEqual([
      [
        'Microsoft.Resources.ResourceActionFailure',
        'Microsoft.ContainerService/fleets/clusterMeshProfiles/apply/action',
        'Failed',
      ],
    ]);
    // Members going Connected/Failed are not ARM writes: no events for them.
    expect(sim.control.events().filter((e) => e.subject.includes('/members/'))).toHaveLength(0);
  });

  it('retries with exponential backoff (simulated time) until the webhook accepts', async () => {
    hook.respond = (n) => (n <= 2 ? 500 : 200);
    sim.control.setTimeFactor(0); // retries wait for simulated time, which only moves when told to
    sim.control.addEventSubscription({ name: 'retry', endpoint: hook.url });
    await arm.put(arm.fleet('/clusterMeshProfiles/p1'), { properties: {} });
    await waitFor(() => (sim.control.deliveries().length >= 1 ? true : undefined), 'the first attempt');
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
    sim.control.advance(99);
    await settle();
    expect(hook.received).toHaveLength(1);
    sim.control.advance(1); // initial backoff 100 ms
    await waitFor(() => (sim.control.deliveries().length >= 2 ? true : undefined), 'the second attempt');
    sim.control.advance(199);
    await settle();
    expect(hook.received).toHaveLength(2);
    sim.control.advance(1); // doubled: 200 ms
    await waitFor(() => (sim.control.deliveries().length >= 3 ? true : undefined), 'the third attempt');
    const attempts = sim.control.deliveries().filter((d) => d.subscription === 'retry');
    expect(attempts.map((d) => [d.attempt, d.outcome])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(hook.received.map((r) => r.headers['aeg-delivery-count'])).toEqual(['0', '1', '2']);
    expect(new Set(hook.events().map((e) => at(e, 'id'))).size).toBe(1);
  });

  it('duplicates deliveries when asked to', async () => {
    sim.control.updateSettings({ events: { duplicateRate: 1 } });
    sim.control.addEventSubscription({ name: 'dups', endpoint: hook.url });
    await arm.put(arm.fleet('/clusterMeshProfiles/p1'), { properties: {} });
    await waitFor(() => (hook.received.length >= 2 ? true : undefined), 'the duplicate');
    const ids = hook.events().map((e) => at(e, 'id'));
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(sim.control.deliveries().map((d) => d.duplicate)).toEqual([false, true]);
  });

  it('delivers a duplicated batch duplicateCopies more times', async () => {
    sim.control.updateSettings({ events: { duplicateRate: 1, duplicateCopies: 2 } });
    sim.control.addEventSubscription({ name: 'triple', endpoint: hook.url });
    await arm.put(arm.fleet('/clusterMeshProfiles/p1'), { properties: {} });
    await waitFor(() => (hook.received.length >= 3 ? true : undefined), 'three deliveries');
    const ids = hook.events().map((e) => at(e, 'id'));
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    expect(sim.control.deliveries().map((d) => d.duplicate)).toEqual([false, true, true]);
  });

  it('drops about dropRate of the batches, recording them as dropped and never delivering them', async () => {
    sim.control.updateSettings({ events: { dropRate: 0.5 } });
    sim.control.addEventSubscription({ name: 'lossy', endpoint: hook.url });
    const names = Array.from({ length: 40 }, (_, i) => `p${i}`);
    for (const name of names) await arm.put(arm.fleet(`/clusterMeshProfiles/${name}`), { properties: {} });
    await waitFor(
      () => (sim.control.deliveries().filter((d) => d.attempt <= 1).length >= names.length ? true : undefined),
      'a decision for every event',
    );
    const dropped = sim.control.deliveries().filter((d) => d.outcome === 'dropped');
    expect(dropped.length).toBeGreaterThan(5);
    expect(dropped.length).toBeLessThan(35);
    const received = new Set(hook.events().map((e) => at(e, 'id')));
    expect(received.size).toBe(names.length - dropped.length);
    for (const d of dropped) for (const id of d.eventIds) expect(received.has(id)).toBe(false);
  });

  it('batches events that queue up, and reorders pending batches when asked to', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    hook.respond = async (n) => {
      if (n === 1) await held;
      return 200;
    };
    sim.control.updateSettings({ events: { reorder: true } });
    sim.control.addEventSubscription({ name: 'batched', endpoint: hook.url, maxEventsPerBatch: 2 });
    const names = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'];
    for (const name of names) await arm.put(arm.fleet(`/clusterMeshProfiles/${name}`), { properties: {} });
    await waitFor(() => (hook.received.length >= 1 ? true : undefined), 'the first batch');
    release();
    await waitFor(() => (hook.events().length >= names.length ? true : undefined), 'all events');
    const subjects = hook.events().map((e) => String(at(e, 'subject')).split('/').pop());
    expect([...subjects].sort()).toEqual(names);
    expect(hook.received.some((r) => Array.isArray(r.body) && r.body.length === 2)).toBe(true);
    expect(subjects).not.toEqual(names);
  });
});
