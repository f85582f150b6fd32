// The durable engine with durable-functions' real replay executor (no worker, instances in memory): random
// orchestration programs must complete with the expected output, i.e. the host's replay assigns the same task ids as
// the library for every mix of activities, Task.all, retries, timers and sub-orchestrations.
import { createRequire } from 'node:module';
import * as df from 'durable-functions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  ActivityRunResult,
  OrchestrationPayload,
  OrchestratorRunResult,
} from '../../../../local/host/durable/engine.js';
import { DurableEngine } from '../../../../local/host/durable/engine.js';
import { MemoryStore } from '../../../../local/host/durable/store.js';
import { activityFailure, orchestratorResult } from '../../../../local/host/host.js';
import { createLogger } from '../../../../shared/log.js';

type Step =
  | { kind: 'activity'; value: number }
  | { kind: 'all'; values: number[] }
  | { kind: 'retry'; value: number; failures: number }
  | { kind: 'timer' }
  | { kind: 'sub'; values: number[] };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('activity' as const), value: fc.integer({ min: -50, max: 50 }) }),
  fc.record({
    kind: fc.constant('all' as const),
    values: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('retry' as const),
    value: fc.integer({ min: 0, max: 9 }),
    failures: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ kind: fc.constant('timer' as const) }),
  fc.record({
    kind: fc.constant('sub' as const),
    values: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 }),
  }),
);

function expected(steps: Step[]): unknown[] {
  return steps.map((s) => {
    switch (s.kind) {
      case 'activity':
      case 'retry':
        return s.value * 2;
      case 'all':
        return s.values.map((v) => v * 2);
      case 'timer':
        return 'fired';
      case 'sub':
        return s.values.reduce((a, b) => a + b * 2, 0);
    }
  });
}

const require = createRequire(import.meta.url);
const testingUtils: unknown = require('durable-functions/lib/src/util/testingUtils.js');
function createOrchestrator(fn: (context: df.OrchestrationContext) => Generator<unknown, unknown, unknown>) {
  const factory: unknown =
    typeof testingUtils === 'object' && testingUtils !== null
      ? Reflect.get(testingUtils, 'createOrchestrator')
      : undefined;
  if (typeof factory !== 'function') throw new Error('durable-functions testingUtils.createOrchestrator not found');
  const handler: unknown = Reflect.apply(factory, undefined, [fn]);
  if (typeof handler !== 'function') throw new Error('createOrchestrator returned no handler');
  return (trigger: unknown, context: unknown): Promise<unknown> =>
    Promise.resolve(Reflect.apply(handler, undefined, [trigger, context]) as unknown);
}

const orchestrators: Record<string, (trigger: unknown, context: unknown) => Promise<unknown>> = {
  program: createOrchestrator(function* (context) {
    const steps = context.df.getInput<Step[]>();
    const results: unknown[] = [];
    for (const [index, step] of steps.entries()) {
      switch (step.kind) {
        case 'activity':
          results.push(yield context.df.callActivity('double', step.value));
          break;
        case 'all':
          results.push(yield context.df.Task.all(step.values.map((v) => context.df.callActivity('double', v))));
          break;
        case 'retry':
          results.push(
            yield context.df.callActivityWithRetry('flaky', new df.RetryOptions(1, 3), {
              key: `${context.df.instanceId}/${index}`,
              failures: step.failures,
              value: step.value,
            }),
          );
          break;
        case 'timer':
          yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 2));
          results.push('fired');
          break;
        case 'sub':
          results.push(yield context.df.callSubOrchestrator('sumDoubled', step.values));
          break;
      }
    }
    return results;
  }),
  /** Calls `double` `perRound` times, then continues as new until `rounds` is 0 (for the history statistics). */
  rounds: createOrchestrator(function* (context) {
    const { rounds, perRound } = context.df.getInput<{ rounds: number; perRound: number }>();
    for (let i = 0; i < perRound; i++) yield context.df.callActivity('double', i);
    if (rounds > 1) {
      context.df.continueAsNew({ rounds: rounds - 1, perRound: 1 });
      return undefined;
    }
    return 'done';
  }),
  /** A retry whose retryTimeoutInMilliseconds (0) has elapsed at the first failure, alone or raced by a timer. */
  retryTimeout: createOrchestrator(function* (context) {
    const { raceTimerMs } = context.df.getInput<{ raceTimerMs?: number }>();
    const options = new df.RetryOptions(5, 10);
    options.retryTimeoutInMilliseconds = 0;
    const task = context.df.callActivityWithRetry('flaky', options, {
      key: context.df.instanceId,
      failures: 100,
      value: 1,
    });
    if (raceTimerMs === undefined) return yield task;
    const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + raceTimerMs));
    const winner: unknown = yield context.df.Task.any([task, timer]);
    const after: unknown = yield context.df.callActivity('double', 21);
    return { timerWon: winner === timer, after };
  }),
  /**
   * Round 0 waits for `go` and continues as new; round 1 waits for whichever of `noise` and `go` comes first: with the
   * Azure behaviour, nothing round 0 received and left unconsumed reaches it.
   */
  drops: createOrchestrator(function* (context) {
    const { round } = context.df.getInput<{ round: number }>();
    if (round === 0) {
      yield context.df.waitForExternalEvent('go');
      context.df.continueAsNew({ round: 1 });
      return undefined;
    }
    const noise = context.df.waitForExternalEvent('noise');
    const go = context.df.waitForExternalEvent('go');
    const winner: unknown = yield context.df.Task.any([noise, go]);
    return winner === noise ? `noise ${String(noise.result)}` : `go ${String(go.result)}`;
  }),
  sumDoubled: createOrchestrator(function* (context) {
    const values = context.df.getInput<number[]>();
    const doubled = (yield context.df.Task.all(values.map((v) => context.df.callActivity('double', v)))) as number[];
    return doubled.reduce((a, b) => a + b, 0);
  }),
};

const flakyCounts = new Map<string, number>();
function runActivity(name: string, inputJson: string | null): Promise<ActivityRunResult> {
  const input: unknown = inputJson === null ? null : JSON.parse(inputJson);
  if (name === 'double' && typeof input === 'number')
    return Promise.resolve({ ok: true, resultJson: JSON.stringify(input * 2) });
  if (name === 'flaky' && typeof input === 'object' && input !== null) {
    const key = String(Reflect.get(input, 'key'));
    const n = (flakyCounts.get(key) ?? 0) + 1;
    flakyCounts.set(key, n);
    if (n <= Number(Reflect.get(input, 'failures')))
      return Promise.resolve(activityFailure(name, new Error(`failure ${n}`)));
    return Promise.resolve({ ok: true, resultJson: JSON.stringify(Number(Reflect.get(input, 'value')) * 2) });
  }
  return Promise.resolve(activityFailure(name, new Error(`unexpected activity ${name}`)));
}

async function runOrchestrator(name: string, payload: OrchestrationPayload): Promise<OrchestratorRunResult> {
  const handler = orchestrators[name];
  if (!handler) return { kind: 'error', message: `no orchestrator ${name}` };
  const trigger: unknown = JSON.parse(JSON.stringify(payload));
  try {
    const state = await handler(trigger, new df.DummyOrchestrationContext(name, 'inv', () => undefined));
    return orchestratorResult({
      ok: true,
      rawResult: state,
      returnValue: { json: JSON.stringify(state) },
      outputData: [],
    });
  } catch (err: unknown) {
    return orchestratorResult({ ok: false, error: err, outputData: [] });
  }
}

function newEngine(store: MemoryStore, logLines?: string[]): DurableEngine {
  return new DurableEngine({
    store,
    logger: createLogger({ sink: (_level, line) => logLines?.push(line) }),
    orchestrators: new Set(Object.keys(orchestrators)),
    activities: new Set(['double', 'flaky']),
    maxConcurrentActivities: 4,
    maxConcurrentOrchestrations: 2,
    runOrchestrator,
    runActivity,
  });
}

async function completion(engine: DurableEngine, id: string): Promise<{ status: string; output: unknown }> {
  for (let i = 0; i < 2000; i++) {
    const record = engine.get(id);
    if (record && ['Completed', 'Failed', 'Terminated'].includes(record.status)) {
      return {
        status: record.status,
        output: record.outputJson === null ? null : (JSON.parse(record.outputJson) as unknown),
      };
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${id} did not finish`);
}

describe('durable engine with the real durable-functions executor', () => {
  it('completes random orchestration programs with the expected results', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 6 }), async (steps) => {
        const engine = newEngine(new MemoryStore());
        await engine.start();
        const id = `p${run++}`;
        await engine.startNew('program', id, JSON.stringify(steps));
        const result = await completion(engine, id);
        await engine.stop();
        expect(result).toEqual({ status: 'Completed', output: expected(steps) });
      }),
      { numRuns: 30 },
    );
  });

  it('runs at most maxConcurrentOrchestrations (2) episodes and maxConcurrentActivities (4) activities at once', async () => {
    const counters = { episodes: 0, episodePeak: 0, activities: 0, activityPeak: 0 };
    const engine = new DurableEngine({
      store: new MemoryStore(),
      logger: createLogger({ sink: () => undefined }),
      orchestrators: new Set(Object.keys(orchestrators)),
      activities: new Set(['double', 'flaky']),
      maxConcurrentActivities: 4,
      maxConcurrentOrchestrations: 2,
      async runOrchestrator(name, payload) {
        counters.episodePeak = Math.max(counters.episodePeak, ++counters.episodes);
        try {
          await new Promise((r) => setTimeout(r, 10));
          return await runOrchestrator(name, payload);
        } finally {
          counters.episodes--;
        }
      },
      async runActivity(name, inputJson) {
        counters.activityPeak = Math.max(counters.activityPeak, ++counters.activities);
        try {
          await new Promise((r) => setTimeout(r, 10));
          return await runActivity(name, inputJson);
        } finally {
          counters.activities--;
        }
      },
    });
    await engine.start();
    const steps: Step[] = [{ kind: 'all', values: [1, 2, 3, 4, 5, 6] }];
    for (let i = 0; i < 8; i++) await engine.startNew('program', `limit-${i}`, JSON.stringify(steps));
    for (let i = 0; i < 8; i++) expect((await completion(engine, `limit-${i}`)).status).toBe('Completed');
    await engine.stop();
    // 8 instances wanting to run at once, 48 activities: the limits are reached and never passed
    expect(counters.episodePeak).toBe(2);
    expect(counters.activityPeak).toBe(4);
  });

  it('resumes from the store in a new engine, as after a restart', async () => {
    const store = new MemoryStore();
    const first = newEngine(store);
    await first.start();
    const steps: Step[] = [{ kind: 'all', values: [1, 2, 3] }, { kind: 'timer' }, { kind: 'sub', values: [4] }];
    await first.startNew('program', 'resume-1', JSON.stringify(steps));
    await first.stop(0); // whatever ran is dropped unless it was recorded
    const second = newEngine(store);
    const { loaded } = await second.start();
    expect(loaded).toBe(1);
    expect(await completion(second, 'resume-1')).toEqual({ status: 'Completed', output: expected(steps) });
    await second.stop();
  });

  it('stops a retry on retryTimeoutInMilliseconds: the instance fails when nothing else can end the wait', async () => {
    const lines: string[] = [];
    const engine = newEngine(new MemoryStore(), lines);
    await engine.start();
    await engine.startNew('retryTimeout', 'rt-alone', JSON.stringify({}));
    await engine.startNew('retryTimeout', 'rt-raced', JSON.stringify({ raceTimerMs: 30 }));
    const alone = await completion(engine, 'rt-alone');
    const raced = await completion(engine, 'rt-raced');
    await engine.stop();
    expect(alone.status).toBe('Failed');
    expect(String(alone.output)).toMatch(
      /^Orchestrator function 'retryTimeout' failed: CallActivityWithRetry 'flaky' stopped retrying after attempt 1 failed at .*: its retryTimeoutInMilliseconds \(0 ms\) had elapsed since the first attempt at .* \(last failure: Activity function 'flaky' failed: failure 1\)\. .*azure-functions-durable-js#629/,
    );
    expect(flakyCounts.get('rt-alone')).toBe(1);
    // raced by a timer, the orchestrator goes on; the ids stay the library's (the next activity's result arrives)
    expect(raced).toEqual({ status: 'Completed', output: { timerWon: true, after: 42 } });
    expect(flakyCounts.get('rt-raced')).toBe(1);
    const warnings = lines.filter((l) => l.includes('retry stopped: retryTimeoutInMilliseconds elapsed'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"instanceId":"rt-raced"');
  });

  it('ends an execution that continues as new with ContinueAsNew (the new input), as DurableTask does', async () => {
    const lines: string[] = [];
    const engine = newEngine(new MemoryStore(), lines);
    await engine.start();
    await engine.startNew('rounds', 'can-1', JSON.stringify({ rounds: 2, perRound: 3 }));
    expect(await completion(engine, 'can-1')).toEqual({ status: 'Completed', output: 'done' });
    const previous = engine.previousExecution('can-1');
    const current = engine.get('can-1');
    await engine.stop();
    expect(previous?.executionId).toBeDefined();
    expect(previous?.executionId).not.toBe(current?.executionId);
    const ended = previous?.history ?? [];
    const newInput = JSON.stringify({ rounds: 1, perRound: 1 });
    // three activities took ids 0-2, so the completing action got id 3; OrchestratorCompleted closes the episode
    expect(ended.slice(-2)).toMatchObject([
      { EventType: 16, EventId: 3, OrchestrationStatus: 'ContinuedAsNew', Result: newInput },
      { EventType: 13, EventId: -1 },
    ]);
    expect(ended.filter((e) => e.EventType === 16)).toHaveLength(1);
    expect(ended.filter((e) => e.EventType === 5)).toHaveLength(3);
    expect(ended.find((e) => e.EventType === 0)?.ExecutionId).toBe(previous?.executionId);
    // the new execution has a history of its own that starts from the new input
    expect(current?.history.find((e) => e.EventType === 0)).toMatchObject({
      Input: newInput,
      ExecutionId: current?.executionId,
    });
    expect(current?.history.some((e) => e.EventType === 16)).toBe(false);
    const logged = lines
      .filter((l) => l.includes('orchestration continued as new'))
      .map((l) => JSON.parse(l) as unknown);
    expect(logged).toEqual([
      expect.objectContaining({
        instanceId: 'can-1',
        executionId: previous?.executionId,
        newExecutionId: current?.executionId,
        historyEvents: ended.length,
      }),
    ]);
  });

  it('discards the events an execution left unconsumed when it continues as new, as Azure does, and says so', async () => {
    const lines: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let episodes = 0;
    const engine = new DurableEngine({
      store: new MemoryStore(),
      logger: createLogger({ sink: (_level, line) => lines.push(line) }),
      orchestrators: new Set(Object.keys(orchestrators)),
      activities: new Set(['double', 'flaky']),
      maxConcurrentActivities: 4,
      maxConcurrentOrchestrations: 2,
      async runOrchestrator(name, payload) {
        // The first episode is held until the events below are raised, so they reach round 0 in one batch.
        if (episodes++ === 0) await gate;
        return runOrchestrator(name, payload);
      },
      runActivity,
    });
    await engine.start();
    await engine.startNew('drops', 'drops-1', JSON.stringify({ round: 0 }));
    const raised = [
      engine.raiseEvent('drops-1', 'noise', '"early"'),
      engine.raiseEvent('drops-1', 'go', '1'),
      engine.raiseEvent('drops-1', 'go', '"extra"'),
    ];
    release();
    await Promise.all(raised);
    // Round 0 took the first `go` and continued as new: `noise` and the second `go` went with it.
    for (let i = 0; i < 400 && engine.historyStats()[0]?.continuedAsNew !== 1; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(engine.historyStats()[0]?.continuedAsNew).toBe(1);
    // An event raised after the episode that continued as new was recorded reaches the new execution.
    await engine.raiseEvent('drops-1', 'go', '2');
    expect(await completion(engine, 'drops-1')).toEqual({ status: 'Completed', output: 'go 2' });
    await engine.stop();
    const warnings = lines
      .filter((l) => l.includes('continueAsNew discarded unconsumed external events'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 'warn',
        instanceId: 'drops-1',
        orchestration: 'drops',
        discarded: 2,
        eventNames: ['noise', 'go'],
      }),
    ]);
  });

  it('reports the current and peak history size of every instance, the peak surviving continueAsNew', async () => {
    const engine = newEngine(new MemoryStore());
    await engine.start();
    await engine.startNew('rounds', 'stats-1', JSON.stringify({ rounds: 3, perRound: 5 }));
    await engine.startNew('program', 'stats-2', JSON.stringify([{ kind: 'activity', value: 1 }]));
    expect(await completion(engine, 'stats-1')).toEqual({ status: 'Completed', output: 'done' });
    expect((await completion(engine, 'stats-2')).status).toBe('Completed');
    const stats = engine.historyStats();
    await engine.stop();
    expect(stats.map((s) => s.instanceId)).toEqual(['stats-1', 'stats-2']);
    const [rounds, program] = stats;
    // The first execution scheduled 5 activities (each: TaskScheduled + TaskCompleted, plus one episode each), the
    // last only one: the peak is the first execution's, larger than the final history.
    expect(rounds?.continuedAsNew).toBe(2);
    expect(rounds?.historyEvents).toBe(engine.get('stats-1')?.history.length);
    expect(rounds?.peakHistoryEvents).toBeGreaterThan(rounds?.historyEvents ?? Infinity);
    expect(rounds?.peakHistoryEvents).toBeGreaterThanOrEqual(5 * 2 + 2);
    expect(program).toMatchObject({ name: 'program', runtimeStatus: 'Completed', continuedAsNew: 0 });
    expect(program?.peakHistoryEvents).toBe(program?.historyEvents);
  });
});
