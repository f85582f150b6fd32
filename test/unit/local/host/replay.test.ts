import { describe, expect, it } from 'vitest';
import { parseAction, parseActionList } from '../../../../local/host/durable/actions.js';
import type { HistoryEvent } from '../../../../local/host/durable/history.js';
import { history } from '../../../../local/host/durable/history.js';
import { replayActions, retryDelayMs } from '../../../../local/host/durable/replay.js';

const T0 = '2024-01-01T00:00:00.000Z';
const T1 = '2024-01-01T00:00:10.000Z';
const started = [
  history.orchestratorStarted({ timestamp: T0 }),
  history.executionStarted({ timestamp: T0, name: 'o', input: null, instanceId: 'i', executionId: 'e' }),
];
const os = (timestamp = T1): HistoryEvent => history.orchestratorStarted({ timestamp });
const act = (name: string, input?: unknown): Record<string, unknown> => ({ actionType: 0, functionName: name, input });
const retryAct = (name: string, first: number, max: number, backoff?: number): Record<string, unknown> => ({
  actionType: 1,
  functionName: name,
  retryOptions: { firstRetryIntervalInMilliseconds: first, maxNumberOfAttempts: max, backoffCoefficient: backoff },
});
const scheduled = (id: number, name: string, input: string | null = null): HistoryEvent =>
  history.taskScheduled({ timestamp: T0, id, name, input });
const done = (taskId: number, result: unknown = null): HistoryEvent =>
  history.taskCompleted({ timestamp: T1, taskId, result: JSON.stringify(result) });
const failed = (taskId: number): HistoryEvent =>
  history.taskFailed({
    timestamp: T1,
    taskId,
    reason: 'r',
    details: 'd',
    failure: { ErrorType: 'Error', ErrorMessage: 'x' },
  });

function replay(events: HistoryEvent[], actions: unknown[]): ReturnType<typeof replayActions> {
  return replayActions({
    orchestrationName: 'o',
    instanceId: 'i',
    history: events,
    actions: parseActionList([actions]),
  });
}

describe('replay of orchestrator actions against history', () => {
  it('schedules new work with the ids the library hands out', () => {
    const out = replay(started, [{ actionType: 12, compoundActions: [act('a', 1), act('b', '"s"')] }]);
    expect(out.mismatch).toBeUndefined();
    expect(out.newWork).toEqual([
      { kind: 'activity', id: 0, name: 'a', inputJson: '1' },
      { kind: 'activity', id: 1, name: 'b', inputJson: '"s"' },
    ]);
  });

  it('moves on to the next action once the current one completed', () => {
    const events = [...started, scheduled(0, 'a'), os(), done(0)];
    const out = replay(events, [act('a'), { actionType: 5, fireAt: T1, isCanceled: false }]);
    expect(out.newWork).toEqual([{ kind: 'timer', id: 1, fireAt: T1, retryTimer: false }]);
  });

  it('names the orchestration and the first differing action', () => {
    expect(replay([...started, scheduled(0, 'a')], [act('b')]).mismatch).toMatch(
      /^Non-deterministic orchestration 'o' \(instance 'i'\): expected CallActivity 'a' \(task 0, history event #2\) but got CallActivity 'b'/,
    );
    expect(replay([...started, scheduled(0, 'a')], [{ actionType: 5, fireAt: T1 }]).mismatch).toContain(
      "expected CallActivity 'a' (task 0, history event #2) but got CreateTimer (fireAt 2024-01-01T00:00:10.000Z)",
    );
    expect(replay([...started, scheduled(0, 'a', '1')], [act('a', 2)]).mismatch).toContain('with input 1 but got');
    expect(replay([...started, scheduled(0, 'a'), os(), done(0), scheduled(1, 'b')], [act('a')]).mismatch).toContain(
      "expected CallActivity 'b' (task 1, history event #5) but the orchestrator did not schedule it",
    );
    expect(replay([...started, done(3)], []).mismatch).toContain(
      'completes task 3, which the orchestrator did not schedule',
    );
  });

  it('retries like the library: a timer after each failure, then a new attempt, until attempts run out', () => {
    const actions = [retryAct('f', 1000, 2, 2), act('next')];
    const afterFirstFailure = replay([...started, scheduled(0, 'f'), os(T1), failed(0)], actions);
    expect(afterFirstFailure.newWork).toEqual([
      { kind: 'timer', id: 1, fireAt: '2024-01-01T00:00:11.000Z', retryTimer: true },
    ]);
    const timer = (id: number, fireAt: string): HistoryEvent[] => [
      history.timerCreated({ timestamp: T1, id, fireAt }),
      os(fireAt),
      history.timerFired({ timestamp: fireAt, timerId: id, fireAt }),
    ];
    const retried = [...started, scheduled(0, 'f'), os(T1), failed(0), ...timer(1, '2024-01-01T00:00:11.000Z')];
    expect(replay(retried, actions).newWork).toEqual([{ kind: 'activity', id: 2, name: 'f', inputJson: null }]);
    const secondFailure = [...retried, scheduled(2, 'f'), os('2024-01-01T00:00:12.000Z'), failed(2)];
    // second failure: delay first × backoff = 2 s
    expect(replay(secondFailure, actions).newWork).toEqual([
      { kind: 'timer', id: 3, fireAt: '2024-01-01T00:00:14.000Z', retryTimer: true },
    ]);
    const exhausted = [...secondFailure, ...timer(3, '2024-01-01T00:00:14.000Z')];
    expect(replay(exhausted, actions).newWork).toEqual([{ kind: 'activity', id: 4, name: 'next', inputJson: null }]);
    expect(
      retryDelayMs(
        {
          firstRetryIntervalInMilliseconds: 100,
          maxNumberOfAttempts: 5,
          backoffCoefficient: 3,
          maxRetryIntervalInMilliseconds: 500,
          retryTimeoutInMilliseconds: undefined,
        },
        3,
      ),
    ).toBe(500);
  });

  it('stops retrying once retryTimeoutInMilliseconds has elapsed since the first attempt, as DurableTask', () => {
    const withTimeout = (timeout: number): Record<string, unknown> => ({
      actionType: 1,
      functionName: 'f',
      retryOptions: {
        firstRetryIntervalInMilliseconds: 1000,
        maxNumberOfAttempts: 5,
        retryTimeoutInMilliseconds: timeout,
      },
    });
    // first attempt at T0, its failure seen at T1 (10 s later)
    const failedOnce = [...started, scheduled(0, 'f'), os(T1), failed(0)];
    const within = replay(failedOnce, [withTimeout(60_000)]);
    expect(within.newWork).toEqual([{ kind: 'timer', id: 1, fireAt: '2024-01-01T00:00:11.000Z', retryTimer: true }]);
    expect(within.retriesGivenUp).toEqual([]);
    expect(within.stalled).toBe(false);
    const expired = replay(failedOnce, [withTimeout(10_000)]);
    expect(expired.newWork).toEqual([]);
    expect(expired.retriesGivenUp).toEqual([
      {
        message: expect.stringContaining(
          "CallActivityWithRetry 'f' stopped retrying after attempt 1 failed at 2024-01-01T00:00:10.000Z: its retryTimeoutInMilliseconds (10000 ms) had elapsed since the first attempt at 2024-01-01T00:00:00.000Z (last failure: r)",
        ) as unknown,
        failure: { ErrorType: 'Error', ErrorMessage: 'x' },
        historyIndex: 4,
      },
    ]);
    // the orchestrator waits on nothing else: it can never go on
    expect(expired.stalled).toBe(true);
    // the timeout counts from the first attempt, not from the last failure
    const timer = (id: number, fireAt: string): HistoryEvent[] => [
      history.timerCreated({ timestamp: T1, id, fireAt }),
      os(fireAt),
      history.timerFired({ timestamp: fireAt, timerId: id, fireAt }),
    ];
    const second = [
      ...failedOnce,
      ...timer(1, '2024-01-01T00:00:11.000Z'),
      scheduled(2, 'f'),
      os('2024-01-01T00:00:15.000Z'),
      failed(2),
    ];
    expect(replay(second, [withTimeout(14_000)]).stalled).toBe(true);
    expect(replay(second, [withTimeout(16_000)]).newWork).toEqual([
      { kind: 'timer', id: 3, fireAt: '2024-01-01T00:00:16.000Z', retryTimer: true },
    ]);
  });

  it('keeps the id the library gives the retry timer of a stopped retry, and lets other tasks end the wait', () => {
    const retry = {
      actionType: 1,
      functionName: 'f',
      retryOptions: { firstRetryIntervalInMilliseconds: 1000, maxNumberOfAttempts: 5, retryTimeoutInMilliseconds: 0 },
    };
    const any = [
      { actionType: 11, compoundActions: [retry, { actionType: 6, externalEventName: 'go' }] },
      act('after'),
    ];
    const gaveUp = [...started, scheduled(0, 'f'), os(T1), failed(0)];
    const waiting = replay(gaveUp, any);
    expect(waiting.retriesGivenUp).toHaveLength(1);
    expect(waiting.stalled).toBe(false); // the event can still come
    expect(waiting.newWork).toEqual([]);
    // the library took id 1 for the retry timer the extension never creates: the next task is 2
    const raised = history.eventRaised({ timestamp: T1, name: 'go', input: '1' });
    expect(replay([...gaveUp, raised], any).newWork).toEqual([
      { kind: 'activity', id: 2, name: 'after', inputJson: null },
    ]);
    // Task.all with another pending child: that child may still fail it; once it succeeded, nothing can
    const all = [{ actionType: 12, compoundActions: [retry, act('b')] }];
    const both = [...started, scheduled(0, 'f'), scheduled(1, 'b'), os(T1), failed(0)];
    expect(replay(both, all).stalled).toBe(false);
    expect(replay([...both, done(1)], all).stalled).toBe(true);
  });

  it('fails Task.all fast and resolves Task.any on the first child', () => {
    const all = [{ actionType: 12, compoundActions: [act('a'), act('b')] }, act('after')];
    expect(replay([...started, scheduled(0, 'a'), scheduled(1, 'b'), os(), failed(0)], all).newWork).toEqual([
      { kind: 'activity', id: 2, name: 'after', inputJson: null },
    ]);
    const any = [
      { actionType: 11, compoundActions: [act('a'), { actionType: 6, externalEventName: 'go' }] },
      act('after'),
    ];
    const raised = history.eventRaised({ timestamp: T1, name: 'go', input: '1' });
    expect(replay([...started, scheduled(0, 'a'), os(), raised], any).newWork).toEqual([
      { kind: 'activity', id: 1, name: 'after', inputJson: null },
    ]);
  });

  it('buffers events raised before the wait, and reports the ones nobody took', () => {
    const early = [
      ...started,
      history.eventRaised({ timestamp: T0, name: 'x', input: '1' }),
      history.eventRaised({ timestamp: T0, name: 'x', input: '2' }),
    ];
    const out = replay(early, [
      { actionType: 6, externalEventName: 'x' },
      { actionType: 4, input: 5 },
    ]);
    expect(out.continueAsNew).toEqual({ inputJson: '5', eventId: 0 });
    expect(out.unconsumedEvents.map((e) => e.Input)).toEqual(['2']);
  });

  it('reports an event raised after the orchestrator continued as new as unconsumed, even for a wait it left open', () => {
    // Task.any([a, wait 'go']) won by 'a'; then activity 'b'; its completion and a 'go' arrive in one episode: the
    // orchestrator continued as new on b's result without seeing 'go'. It was delivered to this execution and nobody
    // took it: unconsumed, which the engine discards at continueAsNew (as the extension does: no
    // preserveUnprocessedEvents for out-of-process orchestrators) and names in a warning.
    const events = [
      ...started,
      scheduled(0, 'a'),
      os(),
      done(0),
      scheduled(1, 'b'),
      os(),
      done(1),
      history.eventRaised({ timestamp: T1, name: 'go', input: '7' }),
    ];
    const out = replay(events, [
      { actionType: 11, compoundActions: [act('a'), { actionType: 6, externalEventName: 'go' }] },
      act('b'),
      { actionType: 4, input: 1 },
    ]);
    expect(out.mismatch).toBeUndefined();
    expect(out.continueAsNew).toEqual({ inputJson: '1', eventId: 2 });
    expect(out.unconsumedEvents.map((e) => e.Input)).toEqual(['7']);
  });

  it('gives sub-orchestrations the parent:id instance id unless one is named', () => {
    const out = replay(started, [
      { actionType: 2, functionName: 's', input: { a: 1 } },
      { actionType: 12, compoundActions: [{ actionType: 2, functionName: 's', instanceId: 'named' }] },
    ]);
    expect(out.newWork).toEqual([
      { kind: 'subOrchestration', id: 0, name: 's', inputJson: '{"a":1}', instanceId: 'i:0' },
    ]);
  });

  it('recognises a task yielded again (same action object) instead of scheduling it twice', () => {
    const a = act('a');
    const timer = { actionType: 5, fireAt: T1 };
    const actions = [
      { actionType: 11, compoundActions: [a, timer] },
      { actionType: 11, compoundActions: [a, act('c')] },
    ];
    const events = [
      ...started,
      scheduled(0, 'a'),
      history.timerCreated({ timestamp: T0, id: 1, fireAt: T1 }),
      os(),
      history.timerFired({ timestamp: T1, timerId: 1, fireAt: T1 }),
    ];
    expect(replay(events, actions).newWork).toEqual([{ kind: 'activity', id: 2, name: 'c', inputJson: null }]);
  });

  it('reports actions the host does not run', () => {
    expect(replay(started, [{ actionType: 7, instanceId: '@e@k', operation: 'op' }]).unsupported).toContain(
      'CallEntity',
    );
    expect(() =>
      parseAction({
        actionType: 1,
        functionName: 'f',
        retryOptions: { firstRetryIntervalInMilliseconds: 0, maxNumberOfAttempts: 1 },
      }),
    ).toThrow('firstRetryIntervalInMilliseconds must be a number > 0');
  });
});
