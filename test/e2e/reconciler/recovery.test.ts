/**
 * Cosmos DB is the source of truth, durable events only wake the reconciler up. In Azure the runtime drops the events
 * an execution leaves unconsumed when it continues as new (and the local host now does the same), so the reconciler
 * must act on what is recorded even when the event never reaches it. In the two-regions sandbox, with no resync timer
 * of its own (the tests run it) and no event raised by hand:
 *
 *  1. an operator's apply recorded Pending whose signal never arrives is found by the reconciler at its next cycle
 *     (here: a resync) and carried out: Succeeded;
 *  2. an approval recorded on an operation waiting for approval, whose ApprovalDecision event is never raised, is
 *     carried out when the approval deadline fires, instead of the operation being rejected with an approval on record;
 *  3. the same at the wait's next wake-up (a signal's Traffic Manager repair), long before the deadline;
 *  4. an approval recorded between two executions of the reconciler (the one that continued as new carrying the wait
 *     and the next), its event lost with the first, is read as soon as the next execution resumes the wait, with no
 *     signal, repair or deadline to wake it.
 */
import type { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPolicy } from '../../../local/sandbox/sandbox.js';
import type { ReconcilerInput } from '../../../orchestrations/contracts.js';
import { Orchestrations, reconcilerInstanceId } from '../../../orchestrations/names.js';
import { operationId } from '../../../shared/state/documents.js';
import type { StateStore } from '../../../shared/state/store.js';
import { instance, startInstance, terminateInstance } from '../support/durable.js';
import { arr, type E2E, obj, openStateStore, runResync, startE2E, waitFor } from '../support/harness.js';

const FLEET_API = '2026-03-02-preview';
/** 0.003 hour: 10.8 s. */
const SHORT_TIMEOUT_HOURS = 0.003;
let e2e: E2E;
let cosmosClient: CosmosClient;
let store: StateStore;

beforeAll(async () => {
  // Policy `manual`: the start-up resync only records its plan; every apply here is one the test asks for.
  e2e = await startE2E({
    policy: { ...demoPolicy(50), mode: 'manual' },
    appSettings: { FLEETMESH_RESYNC_SCHEDULE: '100.00:00:00' },
  });
  ({ client: cosmosClient, store } = openStateStore(e2e.sandbox));
});

afterAll(async () => {
  cosmosClient.dispose();
  await e2e.stop();
});

async function operation(id: string): Promise<Record<string, unknown>> {
  return obj((await e2e.api('GET', `/operations/${encodeURIComponent(id)}`)).json);
}

async function finished(id: string, timeoutMs = 90_000): Promise<Record<string, unknown>> {
  return waitFor(
    `operation ${id} to finish`,
    async () => {
      const op = await operation(id);
      return ['Succeeded', 'Failed', 'Rejected', 'Recorded'].includes(String(op.status)) ? op : undefined;
    },
    { timeoutMs },
  );
}

async function meshStates(): Promise<Record<string, string | null>> {
  const view = obj((await e2e.api('GET', '/meshes/demo')).json);
  return Object.fromEntries(
    arr(view.members).map((m) => [String(obj(m).name), (obj(m).meshState as string | null) ?? null]),
  );
}

async function label(member: string, labels: Record<string, string>): Promise<void> {
  const r = await e2e.operator.call('PATCH', e2e.fleetPath(`/members/${member}`), {
    body: { properties: { labels } },
    apiVersion: FLEET_API,
  });
  expect([200, 202]).toContain(r.status);
}

async function putPolicy(changes: Record<string, unknown>): Promise<void> {
  const current = obj(obj((await e2e.api('GET', '/meshes/demo')).json).policy);
  const r = await e2e.api('PUT', '/meshes/demo/policy', { ...current, ...changes });
  expect(r.status, r.text).toBe(200);
}

/** The next operation waiting for approval (one that is not `previous`). */
async function awaitingApproval(previous: unknown): Promise<Record<string, unknown>> {
  return waitFor('an operation awaiting approval', async () => {
    const view = obj((await e2e.api('GET', '/meshes/demo')).json);
    if (typeof view.lastOperationId !== 'string' || view.lastOperationId === previous) return undefined;
    const op = await operation(view.lastOperationId);
    return op.status === 'AwaitingApproval' ? op : undefined;
  });
}

async function lastOperationId(): Promise<unknown> {
  return obj((await e2e.api('GET', '/meshes/demo')).json).lastOperationId;
}

describe('recovery from Cosmos DB when a durable event is lost', () => {
  it('1. an operator apply recorded Pending, its signal never sent, is carried out at the next cycle', async () => {
    // The start-up cycle has recorded its plan (manual): the reconciler is idle, waiting for a signal.
    await waitFor('the start-up plan recorded', async () => {
      const id = await lastOperationId();
      return typeof id === 'string' && (await operation(id)).status === 'Recorded' ? true : undefined;
    });
    const id = operationId('demo', 'signal-never-sent');
    const at = new Date().toISOString();
    // What POST /apply writes, without the signal that follows it.
    await store.createOperation({
      id,
      kind: 'apply',
      trigger: 'http',
      requestedBy: 'alice',
      planId: null,
      request: { at, planId: null, memberSelector: null, requestedBy: 'alice' },
    });
    await runResync(e2e.sandbox);

    const op = await finished(id);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(op.requestedBy).toBe('alice');
    expect(op.request).toEqual({ at, planId: null, memberSelector: null, requestedBy: 'alice' });
    expect(
      arr(op.members)
        .map((m) => [obj(m).member, obj(m).outcome])
        .sort(),
    ).toEqual([
      ['member-east', 'Succeeded'],
      ['member-west', 'Succeeded'],
    ]);
    const states = await meshStates();
    expect([states['member-east'], states['member-west']]).toEqual(['Connected', 'Connected']);
  });

  it('2. an approval recorded but never raised is carried out at the deadline, not rejected', async () => {
    await putPolicy({ mode: 'approve', approvalTimeoutHours: SHORT_TIMEOUT_HOURS });
    const previous = await lastOperationId();
    await label('member-central', { mesh: 'demo', region: 'central' });
    const waiting = await awaitingApproval(previous);
    const id = String(waiting.id);
    // What POST /approve records, without the event it raises next.
    await store.recordApproval(id, { by: 'bob', at: new Date().toISOString(), decision: 'approve' });

    const op = await finished(id);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(op.error).toBeNull();
    expect(arr(op.approvals).map((a) => [obj(a).by, obj(a).decision])).toEqual([['bob', 'approve']]);
    // Nothing else woke the wait up: it went on when the deadline fired.
    const waited = Date.parse(String(op.startedAt)) - Date.parse(String(waiting.createdAt));
    expect(waited, `the apply started ${waited} ms after the operation`).toBeGreaterThanOrEqual(
      SHORT_TIMEOUT_HOURS * 3_600_000 - 1_000,
    );
    expect((await meshStates())['member-central']).toBe('Connected');
  });

  it('3. an approval recorded but never raised is carried out at the next wake-up, long before the deadline', async () => {
    await putPolicy({ approvalTimeoutHours: 1 });
    const previous = await lastOperationId();
    // Removals wait for approval.
    await label('member-central', { region: 'central' });
    const waiting = await awaitingApproval(previous);
    const id = String(waiting.id);
    await store.recordApproval(id, { by: 'carol', at: new Date().toISOString(), decision: 'approve' });
    // A signal: the wait takes it and repairs Traffic Manager one debounce window later, then reads the record.
    await runResync(e2e.sandbox);

    // Within a minute, with the deadline an hour away.
    const op = await finished(id, 60_000);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(arr(op.approvals).map((a) => [obj(a).by, obj(a).decision])).toEqual([['carol', 'approve']]);
    expect((await meshStates())['member-central'] ?? null).toBeNull();
  });
  it('4. an approval recorded between two executions, its event lost, is read as soon as the next execution resumes the wait', async () => {
    const previous = await lastOperationId();
    // Test 3 left the policy at `approve` with a 1 h timeout and member-central out of the mesh: adding it back waits.
    await label('member-central', { mesh: 'demo', region: 'central' });
    const waiting = await awaitingApproval(previous);
    const id = String(waiting.id);
    expect(typeof waiting.planId).toBe('string');
    const reconciler = reconcilerInstanceId('demo');
    // The execution holding the wait ends, as one that continues as new does; the answer is recorded while none runs
    // (POST /approve's record, its ApprovalDecision event dropped with that execution).
    await terminateInstance(e2e.sandbox, reconciler, 'ends as a continue-as-new would');
    await waitFor(`${reconciler} terminated`, async () =>
      (await instance(e2e.sandbox, reconciler))?.runtimeStatus === 'Terminated' ? true : undefined,
    );
    await store.recordApproval(id, { by: 'dave', at: new Date().toISOString(), decision: 'approve' });
    // The next execution, with what the previous one carries over (ReconcilerInput): the same wait, deadline an hour
    // away, no Traffic Manager repair pending. Nothing else is sent to it: no signal, no event.
    const carried: ReconcilerInput = {
      profile: 'demo',
      awaiting: {
        operationId: id,
        planId: String(waiting.planId),
        memberSelector: null,
        trigger: 'event',
        profileId: e2e.fleetPath('/clusterMeshProfiles/demo'),
        until: new Date(Date.now() + 3_600_000).toISOString(),
        hours: 1,
        repairDue: null,
      },
    };
    await startInstance(e2e.sandbox, Orchestrations.meshReconciler, reconciler, carried);

    // Only the record can end this wait within the minute: the deadline is an hour away and nothing wakes it.
    const op = await finished(id, 60_000);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(arr(op.approvals).map((a) => [obj(a).by, obj(a).decision])).toEqual([['dave', 'approve']]);
    expect((await meshStates())['member-central']).toBe('Connected');
    // The resumed execution goes on as the reconciler: back to idle after the apply.
    await waitFor('the reconciler idle again', async () =>
      (await instance(e2e.sandbox, reconciler))?.customStatus?.phase === 'idle' ? true : undefined,
    );
  });
});
