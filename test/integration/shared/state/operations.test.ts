import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/errors.js';
import { operationId, type Operation } from '../../../../shared/state/documents.js';
import type { StateStore } from '../../../../shared/state/store.js';
import { manualClock, startHarness, type Harness } from './harness.js';

let h: Harness;
let store: StateStore;
const clock = manualClock('2030-03-01T00:00:00.000Z');

beforeAll(async () => {
  h = await startHarness('fleetmesh-operations-test');
  store = h.store({ now: clock.now });
});
afterAll(async () => {
  await h.close();
});

describe('operation records', () => {
  it('are created with empty results and read back by id alone', async () => {
    const id = operationId('ops', 'a1');
    const { created, operation } = await store.createOperation({
      id,
      kind: 'apply',
      trigger: 'http',
      requestedBy: 'alice',
      planId: 'plan-1',
      plan: { members: [{ name: 'east', action: 'Add' }] },
    });
    expect(created).toBe(true);
    const expected: Operation = {
      id,
      profile: 'ops',
      kind: 'apply',
      trigger: 'http',
      status: 'Pending',
      phase: null,
      requestedBy: 'alice',
      instanceId: null,
      planId: 'plan-1',
      plan: { members: [{ name: 'east', action: 'Add' }] },
      approvals: [],
      members: [],
      armCalls: { reads: 0, writes: 0, throttled: 0, errors: 0 },
      error: null,
      createdAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
      startedAt: null,
      finishedAt: null,
    };
    expect(operation.value).toEqual(expected);
    const read = await store.getOperation(id);
    expect(read).toEqual(operation);
  });

  it('create is idempotent: a second create returns the stored record and overwrites nothing', async () => {
    const id = operationId('ops', 'idem');
    await store.createOperation({ id, kind: 'plan', trigger: 'event', planId: 'first' });
    const again = await store.createOperation({ id, kind: 'apply', trigger: 'timer', planId: 'second' });
    expect(again.created).toBe(false);
    expect(again.operation.value).toMatchObject({ kind: 'plan', trigger: 'event', planId: 'first' });
  });

  it('getOperation: undefined when absent, ValidationError naming a malformed id', async () => {
    expect(await store.getOperation(operationId('ops', 'missing'))).toBeUndefined();
    for (const bad of ['no-dot', '.x', 'UPPER.x', 'ops.', 'ops.a/b', 'ops.a.b']) {
      await expect(store.getOperation(bad)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.getOperation(bad)).rejects.toThrow(`operation id '${bad}' is malformed`);
    }
    await expect(store.createOperation({ id: 'nodot', kind: 'apply', trigger: 'http' })).rejects.toThrow(
      /operation id 'nodot' is malformed/,
    );
    await expect(store.createOperation({ id: 'ops.x', kind: 'deploy' as never, trigger: 'http' })).rejects.toThrow(
      /operation 'ops\.x': field 'kind'/,
    );
  });

  it('records progress, per-member results, ARM counts, timings and the outcome', async () => {
    const id = operationId('ops', 'run');
    await store.createOperation({ id, kind: 'apply', trigger: 'event' });
    clock.advance(1000);
    const running = await store.updateOperation(id, (op) => ({ ...op, status: 'Running', phase: 'apply' }));
    expect(running.value.startedAt).toBe(clock.now().toISOString());
    clock.advance(60_000);
    const done = await store.updateOperation(id, (op) => ({
      ...op,
      status: 'Succeeded',
      phase: 'done',
      armCalls: { reads: 12, writes: 4, throttled: 1, errors: 0 },
      armCallsByOperation: { 'fleetMembers.list': { reads: 3, writes: 0, throttled: 1, errors: 0 } },
      members: [
        {
          member: 'west',
          action: 'Add',
          meshState: 'Connected',
          outcome: 'Succeeded',
          attempts: 4,
          remediations: [
            { step: 'grantNetworkContributor', at: '2030-03-01T00:00:10.000Z', outcome: 'Succeeded' },
            { step: 'reconcileCluster', at: '2030-03-01T00:00:20.000Z', outcome: 'Succeeded' },
            { step: 'reapply', at: '2030-03-01T00:00:30.000Z', outcome: 'Succeeded', detail: 'shared with east' },
          ],
          startedAt: '2030-03-01T00:00:01.000Z',
          finishedAt: '2030-03-01T00:00:59.000Z',
          durationMs: 58_000,
        },
      ],
    }));
    expect(done.value.finishedAt).toBe(clock.now().toISOString());
    expect(done.value.startedAt).toBe(running.value.startedAt);
    expect((await store.getOperation(id))?.value).toEqual(done.value);
  });

  it('never leaves a terminal status and never changes identity fields', async () => {
    const id = operationId('ops', 'term');
    await store.createOperation({ id, kind: 'apply', trigger: 'http', status: 'Running' });
    await store.updateOperation(id, (op) => ({ ...op, status: 'Failed', error: { code: 'X', message: 'boom' } }));
    await expect(store.updateOperation(id, (op) => ({ ...op, status: 'Running' }))).rejects.toMatchObject({
      code: 'Conflict',
      retryable: false,
      message: `operation '${id}' cannot go from Failed to Running`,
    });
    await expect(store.updateOperation(id, (op) => ({ ...op, kind: 'plan' }))).rejects.toThrow(
      /field 'kind' cannot change/,
    );
    // The same status again is an idempotent retry and allowed.
    const same = await store.updateOperation(id, (op) => ({ ...op, phase: 'reported' }));
    expect(same.value).toMatchObject({ status: 'Failed', phase: 'reported', error: { code: 'X', message: 'boom' } });
  });

  it('updateOperation on an unknown id is NotFound', async () => {
    await expect(
      store.updateOperation(operationId('ops', 'ghost'), (op) => ({ ...op, status: 'Running' })),
    ).rejects.toMatchObject({ code: 'NotFound', status: 404 });
  });

  it('recordApproval appends once per (by, decision, at)', async () => {
    const id = operationId('ops', 'appr');
    await store.createOperation({ id, kind: 'apply', trigger: 'event', status: 'AwaitingApproval' });
    const approval = { by: 'bob', at: '2030-03-01T01:00:00.000Z', decision: 'approve' as const, comment: 'ok' };
    await store.recordApproval(id, approval);
    const again = await store.recordApproval(id, approval);
    expect(again.value.approvals).toEqual([approval]);
    await expect(store.recordApproval(id, { ...approval, decision: 'maybe' as never })).rejects.toThrow(
      /approval of operation '.*': field 'decision'/,
    );
  });

  describe('recordApproval is conditional: only an operation awaiting approval, only one answer', () => {
    const approval = (by: string, decision: 'approve' | 'reject') => ({
      by,
      at: '2030-03-01T02:00:00.000Z',
      decision,
    });

    it.each(['Pending', 'Running', 'Succeeded', 'Failed', 'Rejected', 'Recorded'] as const)(
      'refuses an operation that is %s with a 409 and writes nothing',
      async (status) => {
        const id = operationId('ops', `not-waiting-${status.toLowerCase()}`);
        await store.createOperation({ id, kind: 'apply', trigger: 'event', status });
        const refused = store.recordApproval(id, approval('bob', 'approve'));
        await expect(refused).rejects.toMatchObject({ code: 'Conflict', status: 409 });
        await expect(refused).rejects.toThrow(`is ${status}, not waiting for approval`);
        expect((await store.getOperation(id))?.value.approvals).toEqual([]);
      },
    );

    it('refuses a second answer: the first one wins', async () => {
      const id = operationId('ops', 'answered');
      await store.createOperation({ id, kind: 'apply', trigger: 'event', status: 'AwaitingApproval' });
      await store.recordApproval(id, approval('bob', 'approve'));
      const refused = store.recordApproval(id, approval('carol', 'reject'));
      await expect(refused).rejects.toMatchObject({ code: 'Conflict', status: 409 });
      await expect(refused).rejects.toThrow(/already approved by bob .*no longer waiting for approval/);
      expect((await store.getOperation(id))?.value.approvals.map((a) => a.by)).toEqual(['bob']);
    });

    it('of an approve and a reject racing from two clients, exactly one is recorded', async () => {
      for (let round = 0; round < 5; round++) {
        const id = operationId('ops', `race-${round}`);
        await store.createOperation({ id, kind: 'apply', trigger: 'event', status: 'AwaitingApproval' });
        const results = await Promise.allSettled([
          h.store({ now: clock.now }, h.client()).recordApproval(id, approval('bob', 'approve')),
          h.store({ now: clock.now }, h.client()).recordApproval(id, approval('carol', 'reject')),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const refused = results.find((r) => r.status === 'rejected');
        expect(refused?.status === 'rejected' ? refused.reason : undefined).toMatchObject({ status: 409 });
        expect((await store.getOperation(id))?.value.approvals).toHaveLength(1);
      }
    });

    it('an approve racing the timeout (the reconciler rejecting) is either recorded before it or refused', async () => {
      for (let round = 0; round < 5; round++) {
        const id = operationId('ops', `timeout-${round}`);
        await store.createOperation({ id, kind: 'apply', trigger: 'event', status: 'AwaitingApproval' });
        const [approve] = await Promise.allSettled([
          h.store({ now: clock.now }, h.client()).recordApproval(id, approval('bob', 'approve')),
          h
            .store({ now: clock.now }, h.client())
            .updateOperation(id, (op) => ({ ...op, status: 'Rejected', error: { code: 'Rejected', message: 'late' } })),
        ]);
        const stored = (await store.getOperation(id))?.value;
        expect(stored?.status).toBe('Rejected');
        // Refused (409) and nothing recorded, or recorded while the operation was still waiting.
        if (approve.status === 'rejected') {
          expect(approve.reason).toMatchObject({ status: 409 });
          expect(stored?.approvals).toEqual([]);
        } else {
          expect(stored?.approvals.map((a) => a.by)).toEqual(['bob']);
        }
      }
    });

    it('withdrawApproval takes an answer back, so the operation can be answered again', async () => {
      const id = operationId('ops', 'withdrawn');
      await store.createOperation({ id, kind: 'apply', trigger: 'event', status: 'AwaitingApproval' });
      await store.recordApproval(id, approval('bob', 'approve'));
      const back = await store.withdrawApproval(id, approval('bob', 'approve'));
      expect(back.value.approvals).toEqual([]);
      const none = await store.withdrawApproval(id, approval('bob', 'approve'));
      expect(none.etag).toBe(back.etag);
      const again = await store.recordApproval(id, approval('carol', 'reject'));
      expect(again.value.approvals.map((a) => a.decision)).toEqual(['reject']);
    });

    it('withdrawApproval leaves an answer the reconciler already acted on (the operation stopped waiting)', async () => {
      const id = operationId('ops', 'acted-on');
      await store.createOperation({ id, kind: 'apply', trigger: 'event', status: 'AwaitingApproval' });
      await store.recordApproval(id, approval('bob', 'approve'));
      await store.updateOperation(id, (op) => ({ ...op, status: 'Running' }));
      const kept = await store.withdrawApproval(id, approval('bob', 'approve'));
      expect(kept.value.status).toBe('Running');
      expect(kept.value.approvals.map((a) => a.by)).toEqual(['bob']);
    });
  });

  it('keeps an operator apply’s request and the outcome event error', async () => {
    const id = operationId('ops', 'requested');
    const request = {
      at: '2030-03-01T00:00:00.000Z',
      planId: null,
      memberSelector: 'mesh=demo',
      requestedBy: 'alice',
    };
    const { operation } = await store.createOperation({
      id,
      kind: 'apply',
      trigger: 'http',
      requestedBy: 'alice',
      request,
    });
    expect(operation.value.request).toEqual(request);
    const updated = await store.updateOperation(id, (op) => ({
      ...op,
      status: 'Succeeded',
      outcomeEventError: 'the outcome topic refused fleetmesh.apply.succeeded with 403',
    }));
    expect(updated.value).toMatchObject({
      status: 'Succeeded',
      request,
      outcomeEventError: 'the outcome topic refused fleetmesh.apply.succeeded with 403',
    });
    const listed = (await store.listOperations('ops', { limit: 100 })).find((o) => o.id === id);
    expect(listed?.request).toEqual(request);
    expect(listed?.outcomeEventError).toBe('the outcome topic refused fleetmesh.apply.succeeded with 403');
  });

  it('lists the Pending operator applies of a profile, oldest first, with their requests', async () => {
    const c = manualClock('2032-01-01T00:00:00.000Z');
    const s = h.store({ now: c.now });
    const request = (who: string, planId: string | null = null) => ({
      at: c.now().toISOString(),
      planId,
      memberSelector: null,
      requestedBy: who,
    });
    await s.createOperation({ id: operationId('pending', 'a'), kind: 'apply', trigger: 'http', request: request('a') });
    c.advance(1000);
    // the reconciler's own operations, a record without a request (written before requests were kept), another
    // profile's apply and an apply already taken up are not listed
    await s.createOperation({ id: operationId('pending', 'event'), kind: 'apply', trigger: 'event' });
    await s.createOperation({ id: operationId('pending', 'old'), kind: 'apply', trigger: 'http' });
    await s.createOperation({
      id: operationId('pending-x', 'a'),
      kind: 'apply',
      trigger: 'http',
      request: request('x'),
    });
    await s.createOperation({
      id: operationId('pending', 'running'),
      kind: 'apply',
      trigger: 'http',
      status: 'Running',
      request: request('r'),
    });
    c.advance(1000);
    const pinned = 'f'.repeat(64);
    await s.createOperation({
      id: operationId('pending', 'b'),
      kind: 'apply',
      trigger: 'http',
      request: request('b', pinned),
    });
    const listed = await s.listPendingApplies('pending');
    expect(listed.map((p) => [p.id, p.createdAt])).toEqual([
      ['pending.a', '2032-01-01T00:00:00.000Z'],
      ['pending.b', '2032-01-01T00:00:02.000Z'],
    ]);
    expect(listed.map((p) => p.request)).toEqual([
      { at: '2032-01-01T00:00:00.000Z', planId: null, memberSelector: null, requestedBy: 'a' },
      { at: '2032-01-01T00:00:02.000Z', planId: pinned, memberSelector: null, requestedBy: 'b' },
    ]);
    expect(await s.listPendingApplies('pending', { limit: 1 })).toHaveLength(1);
    expect(await s.listPendingApplies('nothing-here')).toEqual([]);
    await expect(s.listPendingApplies('pending', { limit: 0 })).rejects.toThrow(/limit must be an integer/);
  });

  it('lists a profile’s operations newest first, bounded, without other profiles’ operations', async () => {
    const c = manualClock('2031-01-01T00:00:00.000Z');
    const s = h.store({ now: c.now });
    for (let i = 0; i < 5; i++) {
      await s.createOperation({ id: operationId('listed', `op${i}`), kind: 'resync', trigger: 'timer' });
      await s.createOperation({ id: operationId('listed-other', `op${i}`), kind: 'resync', trigger: 'timer' });
      c.advance(1000);
    }
    const all = await s.listOperations('listed');
    expect(all.map((o) => o.id)).toEqual(['listed.op4', 'listed.op3', 'listed.op2', 'listed.op1', 'listed.op0']);
    expect((await s.listOperations('listed', { limit: 2 })).map((o) => o.id)).toEqual(['listed.op4', 'listed.op3']);
    expect(await s.listOperations('nothing-here')).toEqual([]);
    await expect(s.listOperations('listed', { limit: 0 })).rejects.toThrow(/limit must be an integer from 1 to 100/);
  });
});
