/**
 * The approval wait under policy `approve`, in the two-regions sandbox:
 *
 *  1. a storm of signals while the first apply waits for approval: Traffic Manager is repaired at most once per
 *     debounce window (not once per signal), the reconciler's history stays bounded (it continues as new, carrying
 *     the wait), and an approval raised in the middle of the storm still starts the apply;
 *  2. no answer within the policy's approval timeout: the operation is Rejected, saying so, and nothing is applied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPolicy } from '../../../local/sandbox/sandbox.js';
import { Events, reconcilerInstanceId } from '../../../orchestrations/names.js';
import { MAX_SIGNALS_PER_EXECUTION } from '../../../orchestrations/meshReconciler.js';
import { InvocationCounter, instance, raiseEvent, reconcilerHistory } from '../support/durable.js';
import { arr, obj, startE2E, waitFor, type E2E } from '../support/harness.js';

const FLEET_API = '2026-03-02-preview';
const DEBOUNCE_SECONDS = 2;
const RECONCILER = reconcilerInstanceId('demo');
/** The most history events one reconciler execution may hold (internal events: episodes, tasks, timers, signals). */
const HISTORY_BOUND = 6 * MAX_SIGNALS_PER_EXECUTION + 60;
const invocations = new InvocationCounter();
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E({
    hostLogSink: invocations.sink,
    policy: { ...demoPolicy(50), mode: 'approve', debounceSeconds: DEBOUNCE_SECONDS, approvalTimeoutHours: 1 },
  });
});

afterAll(async () => {
  await e2e.stop();
});

function applies(): number {
  return e2e.sandbox.sim.control
    .calls()
    .filter((c) => c.operation === 'clusterMeshProfiles.apply' && c.method === 'POST' && c.status < 300).length;
}

async function operation(id: string): Promise<Record<string, unknown>> {
  return obj((await e2e.api('GET', `/operations/${encodeURIComponent(id)}`)).json);
}

async function awaitingOperation(): Promise<Record<string, unknown>> {
  return waitFor('an operation awaiting approval', async () => {
    const view = obj((await e2e.api('GET', '/meshes/demo')).json);
    if (typeof view.lastOperationId !== 'string') return undefined;
    const op = await operation(view.lastOperationId);
    return op.status === 'AwaitingApproval' ? op : undefined;
  });
}

/** The reconciler waiting for approval with no traffic repair pending (the storm has been absorbed). */
async function settledInApprovalWait(operationId: string): Promise<void> {
  await waitFor(
    'the reconciler back in a quiet approval wait',
    async () => {
      const s = (await instance(e2e.sandbox, RECONCILER))?.customStatus;
      return s?.phase === 'awaiting approval' && s.operationId === operationId && s.trafficRepairDue === undefined
        ? true
        : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

let signalNo = 0;
const signal = (): Promise<void> =>
  raiseEvent(e2e.sandbox, RECONCILER, Events.reconcile, {
    kind: 'event',
    at: new Date().toISOString(),
    eventId: `storm-${++signalNo}`,
  });

describe('approval wait', () => {
  it('1. absorbs a storm of signals: traffic repaired once per window, history bounded, the approval still lands', async () => {
    const waiting = await awaitingOperation();
    const operationId = String(waiting.id);
    await settledInApprovalWait(operationId);
    const syncsBefore = invocations.count('syncTraffic');
    const historyBefore = reconcilerHistory(e2e.sandbox);
    const appliesBefore = applies();

    // 200 signals (a label storm's worth), four at a time, as fast as the host takes them.
    const storm = 200;
    const started = Date.now();
    for (let i = 0; i < storm; i += 4) await Promise.all([signal(), signal(), signal(), signal()]);
    const stormMs = Date.now() - started;
    await settledInApprovalWait(operationId);

    const syncs = invocations.count('syncTraffic') - syncsBefore;
    const windows = Math.ceil(stormMs / (DEBOUNCE_SECONDS * 1000)) + 1;
    expect(syncs, `${syncs} traffic syncs for ${storm} signals over ${stormMs} ms`).toBeGreaterThanOrEqual(1);
    expect(syncs, `${syncs} traffic syncs for ${storm} signals over ${stormMs} ms`).toBeLessThanOrEqual(windows);

    const history = reconcilerHistory(e2e.sandbox);
    expect(history.continuedAsNew - historyBefore.continuedAsNew).toBeGreaterThanOrEqual(
      Math.floor(storm / MAX_SIGNALS_PER_EXECUTION),
    );
    // Bounded by the per-execution limits, whatever the storm's size: each signal costs a few events (its EventRaised
    // and the episode around it) and each repair a timer and an activity; one execution takes at most
    // MAX_SIGNALS_PER_EXECUTION signals. Without continueAsNew the storm alone would put `storm` EventRaised events
    // (and, repairing once per signal, 2 × `storm` activity events) in one history.
    expect(history.peakHistoryEvents).toBeLessThanOrEqual(HISTORY_BOUND);
    expect((await instance(e2e.sandbox, RECONCILER))?.historyEvents ?? 0).toBeLessThan(MAX_SIGNALS_PER_EXECUTION + 20);
    // Still the same wait, for the same operation, and nothing applied.
    expect((await operation(operationId)).status).toBe('AwaitingApproval');
    expect(applies()).toBe(appliesBefore);

    // The approval arrives in the middle of another burst, around the next continueAsNew.
    const burst = MAX_SIGNALS_PER_EXECUTION + 10;
    const answered = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const r = await e2e.api('POST', `/operations/${encodeURIComponent(operationId)}/approve`, {
        comment: 'approved during a storm',
      });
      expect(r.status).toBe(202);
    })();
    for (let i = 0; i < burst; i += 2) await Promise.all([signal(), signal()]);
    await answered;

    const done = await waitFor(
      'the approved apply to finish',
      async () => {
        const op = await operation(operationId);
        return op.status === 'Succeeded' || op.status === 'Failed' ? op : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(done.status, JSON.stringify(done.error)).toBe('Succeeded');
    expect(arr(done.approvals).map((a) => obj(a).decision)).toEqual(['approve']);
    expect(applies() - appliesBefore).toBe(1);
    expect(reconcilerHistory(e2e.sandbox).peakHistoryEvents).toBeLessThanOrEqual(HISTORY_BOUND);
  });

  it('2. rejects the apply when nobody answers within the approval timeout, and applies nothing', async () => {
    const current = obj(obj((await e2e.api('GET', '/meshes/demo')).json).policy);
    // 0.001 hour = 3.6 s.
    const put = await e2e.api('PUT', '/meshes/demo/policy', { ...current, approvalTimeoutHours: 0.001 });
    expect(put.status).toBe(200);
    const appliesBefore = applies();
    const view = obj((await e2e.api('GET', '/meshes/demo')).json);
    const previous = view.lastOperationId;

    const label = await e2e.operator.call('PATCH', e2e.fleetPath('/members/member-central'), {
      body: { properties: { labels: { mesh: 'demo', region: 'central' } } },
      apiVersion: FLEET_API,
    });
    expect([200, 202]).toContain(label.status);

    const waiting = await waitFor('an operation awaiting approval for member-central', async () => {
      const v = obj((await e2e.api('GET', '/meshes/demo')).json);
      if (typeof v.lastOperationId !== 'string' || v.lastOperationId === previous) return undefined;
      const op = await operation(v.lastOperationId);
      return op.status === 'AwaitingApproval' ? op : undefined;
    });
    expect(
      arr(obj(waiting.plan).rows)
        .filter((r) => obj(r).action === 'Add')
        .map((r) => obj(r).name),
    ).toEqual(['member-central']);

    const rejected = await waitFor(
      'the operation rejected for lack of an answer',
      async () => {
        const op = await operation(String(waiting.id));
        return op.status === 'AwaitingApproval' ? undefined : op;
      },
      { timeoutMs: 60_000 },
    );
    expect(rejected.status).toBe('Rejected');
    expect(obj(rejected.error).code).toBe('Rejected');
    expect(String(obj(rejected.error).message)).toMatch(/^no approval within 3\.6 second\(s\)/);
    expect(arr(rejected.approvals)).toEqual([]);
    expect(applies()).toBe(appliesBefore);
    const central = arr(obj((await e2e.api('GET', '/meshes/demo')).json).members)
      .map((m) => obj(m))
      .find((m) => m.name === 'member-central');
    expect(central?.meshState ?? null).toBeNull();
  });
});
