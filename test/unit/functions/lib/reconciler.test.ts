import type { DurableClient } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { signalReconciler, wakeReconciler } from '../../../../functions/lib/reconciler.js';
import type { ReconcileSignal } from '../../../../orchestrations/contracts.js';
import { createLogger } from '../../../../shared/log.js';

const signal: ReconcileSignal = {
  kind: 'apply',
  at: '2030-01-01T00:00:00.000Z',
  operationId: 'demo.1',
  planId: null,
  memberSelector: null,
  requestedBy: 'ops@example.com',
};

/** A durable client whose status read, start and raise answer as told; it records what reached it. */
function client(options: { status?: string | Error; start?: Error; raise?: Error }) {
  const calls: string[] = [];
  const fake = {
    getStatus: (instanceId: string) => {
      calls.push(`status ${instanceId}`);
      const s = options.status;
      if (s instanceof Error) return Promise.reject(s);
      if (s === undefined)
        return Promise.reject(new Error(`Instance ${instanceId} failed with unhandled status code 404`));
      return Promise.resolve({ instanceId, runtimeStatus: s });
    },
    startNew: (name: string) => {
      calls.push(`start ${name}`);
      return options.start ? Promise.reject(options.start) : Promise.resolve('started');
    },
    raiseEvent: (instanceId: string, eventName: string) => {
      calls.push(`raise ${eventName} on ${instanceId}`);
      return options.raise ? Promise.reject(options.raise) : Promise.resolve();
    },
  };
  return { calls, client: fake as unknown as DurableClient };
}

function logs() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ sink: (_level, line) => lines.push(line) }) };
}

describe('wakeReconciler: a wake-up for work already recorded in Cosmos DB', () => {
  it('signals a running reconciler', async () => {
    const { calls, client: c } = client({ status: 'Running' });
    expect(await wakeReconciler(c, 'demo', signal, logs().logger)).toEqual({ woken: true });
    expect(calls).toEqual(['status meshReconciler:demo', 'raise Reconcile on meshReconciler:demo']);
  });

  it('starts a reconciler that is not running', async () => {
    const { calls, client: c } = client({});
    expect(await wakeReconciler(c, 'demo', signal, logs().logger)).toEqual({ woken: true });
    expect(calls).toEqual(['status meshReconciler:demo', 'start meshReconciler']);
  });

  it.each([
    ['the status cannot be read', { status: new Error('503 Service Unavailable') }],
    ['the event cannot be raised', { status: 'Running', raise: new Error('connect ECONNREFUSED') }],
  ])('%s: reports why instead of throwing, and logs a warning', async (_, options) => {
    const { client: c } = client(options);
    const { lines, logger } = logs();
    const woken = await wakeReconciler(c, 'demo', signal, logger);
    expect(woken.woken).toBe(false);
    expect(woken.woken ? '' : woken.reason).toMatch(/503 Service Unavailable|ECONNREFUSED/);
    expect(lines.join('\n')).toContain('reconciler not signalled');
    // signalReconciler itself still throws, for callers whose work exists only in the signal.
    await expect(signalReconciler(client(options).client, 'demo', signal, logs().logger)).rejects.toThrow();
  });
});
