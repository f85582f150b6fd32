// Answering an apply waiting for approval: the answer is recorded conditionally before it is raised, a reconciler
// that is not running gets a 409 saying so (not a 500), and an answer that could not be delivered is taken back.
import { HttpRequest } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FleetMeshError } from '../../../../shared/errors.js';
import { createLogger } from '../../../../shared/log.js';
import type { Approval, Operation } from '../../../../shared/state/documents.js';

const ID = 'demo.00000000-0000-0000-0000-000000000001';

const calls: string[] = [];
let operation: Operation | undefined;
let recordError: Error | undefined;
const recorded: Approval[] = [];
const withdrawn: Approval[] = [];

const store = {
  getOperation: (id: string) =>
    Promise.resolve(operation && id === operation.id ? { value: operation, etag: '"1"' } : undefined),
  recordApproval: (_id: string, a: Approval) => {
    calls.push('record');
    if (recordError) return Promise.reject(recordError);
    recorded.push(a);
    return Promise.resolve({ value: operation, etag: '"2"' });
  },
  withdrawApproval: (_id: string, a: Approval) => {
    calls.push('withdraw');
    withdrawn.push(a);
    return Promise.resolve({ value: operation, etag: '"3"' });
  },
};

vi.mock('../../../../shared/runtime/root.js', () => ({
  getRoot: () => ({ store, logger: createLogger({ sink: () => undefined }) }),
}));

const { answer } = await import('../../../../functions/lib/approval.js');

function waiting(status: Operation['status'] = 'AwaitingApproval'): Operation {
  return {
    id: ID,
    profile: 'demo',
    kind: 'apply',
    trigger: 'event',
    status,
    phase: null,
    requestedBy: null,
    instanceId: null,
    planId: null,
    plan: null,
    approvals: [],
    members: [],
    armCalls: { reads: 0, writes: 0, throttled: 0, errors: 0 },
    error: null,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
  };
}

function client(options: { runtimeStatus?: string; raise?: Error } = {}): DurableClient & { raised: unknown[] } {
  const raised: unknown[] = [];
  const fake = {
    raised,
    getStatus: (instanceId: string) =>
      options.runtimeStatus === undefined
        ? Promise.reject(new Error(`Instance ${instanceId} failed with unhandled status code 404`))
        : Promise.resolve({ instanceId, runtimeStatus: options.runtimeStatus }),
    raiseEvent: (instanceId: string, eventName: string, data: unknown) => {
      calls.push('raise');
      if (options.raise) return Promise.reject(options.raise);
      raised.push({ instanceId, eventName, data });
      return Promise.resolve();
    },
  };
  return fake as unknown as DurableClient & { raised: unknown[] };
}

function request(body = '{"comment":"ok"}'): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: `http://localhost/api/operations/${ID}/approve`,
    params: { id: ID },
    body: { string: body },
  });
}

beforeEach(() => {
  calls.length = 0;
  recorded.length = 0;
  withdrawn.length = 0;
  recordError = undefined;
  operation = waiting();
});

describe('answer', () => {
  it('records the answer, then raises it on the running reconciler: 202', async () => {
    const c = client({ runtimeStatus: 'Running' });
    const r = await answer(request(), c, 'approve');
    expect(r).toMatchObject({ status: 202, jsonBody: { operationId: ID, decision: 'approve', by: 'function-key' } });
    expect(calls).toEqual(['record', 'raise']);
    expect(recorded).toMatchObject([{ by: 'function-key', decision: 'approve', comment: 'ok' }]);
    expect(c.raised).toEqual([
      {
        instanceId: 'meshReconciler:demo',
        eventName: 'ApprovalDecision',
        data: { operationId: ID, decision: 'approve', by: 'function-key' },
      },
    ]);
  });

  it('an operation that is not waiting is a 409 and nothing is recorded', async () => {
    operation = waiting('Rejected');
    await expect(answer(request(), client({ runtimeStatus: 'Running' }), 'approve')).rejects.toMatchObject({
      status: 409,
      message: `operation '${ID}' is Rejected, not waiting for approval`,
    });
    expect(calls).toEqual([]);
  });

  it('an answer that loses the race in the store (409) is not raised', async () => {
    recordError = new FleetMeshError('Conflict', `operation '${ID}' was already rejected by carol`, { status: 409 });
    await expect(answer(request(), client({ runtimeStatus: 'Running' }), 'approve')).rejects.toBe(recordError);
    expect(calls).toEqual(['record']);
  });

  it.each([
    ['Completed', /the reconciler of mesh 'demo' is Completed/],
    ['Terminated', /the reconciler of mesh 'demo' is Terminated/],
    ['Failed', /the reconciler of mesh 'demo' is Failed/],
    [undefined, /the reconciler of mesh 'demo' does not exist/],
  ])('a reconciler that is %s is a 409 saying so, and nothing is recorded', async (runtimeStatus, message) => {
    const refused = answer(request(), client(runtimeStatus === undefined ? {} : { runtimeStatus }), 'reject');
    await expect(refused).rejects.toMatchObject({ status: 409, code: 'Conflict' });
    await expect(refused).rejects.toThrow(message);
    await expect(refused).rejects.toThrow(/start a new apply/);
    expect(calls).toEqual([]);
  });

  it('a reconciler gone between the check and the raise: the answer is taken back and the caller gets 409', async () => {
    const c = client({
      runtimeStatus: 'Running',
      raise: new Error("No instance with ID 'meshReconciler:demo' found."),
    });
    await expect(answer(request(), c, 'approve')).rejects.toMatchObject({ status: 409 });
    expect(calls).toEqual(['record', 'raise', 'withdraw']);
    expect(withdrawn).toEqual(recorded);
  });

  it('any other raise failure takes the answer back and fails the request (a 5xx, the answer can be sent again)', async () => {
    const boom = new Error('connect ECONNREFUSED');
    await expect(answer(request(), client({ runtimeStatus: 'Running', raise: boom }), 'approve')).rejects.toBe(boom);
    expect(calls).toEqual(['record', 'raise', 'withdraw']);
  });
});
