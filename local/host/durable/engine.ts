/**
 * The durable engine: runs orchestration episodes by replaying history through the app's orchestrator, schedules the
 * activities, timers and sub-orchestrations it asks for, and records everything in the InstanceStore before acting on
 * it, so that a process killed at any moment resumes every instance when it starts again:
 *
 *  - an episode writes its decisions (new history, pending work) in one record write before any work starts; killed
 *    before that write, the episode simply runs again from the same inbox;
 *  - an activity result is written into the instance's inbox before the orchestrator is told; killed before that
 *    write, the activity runs again (at-least-once, as in Azure) and a recorded result is never lost;
 *  - messages between instances (create a sub-orchestration, tell a parent its child finished) stay in the sender's
 *    outbox until the receiver has recorded them; re-delivery is recognised and ignored.
 *
 * Instances are serialised by a per-instance lock; episodes and activities are bounded by host.json's
 * maxConcurrentOrchestratorFunctions / maxConcurrentActivityFunctions.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { Logger } from '../../../shared/log.js';
import type { Action } from './actions.js';
import type { FailureDetails, HistoryEvent } from './history.js';
import { completionTaskId, fromJsonText, history, isCompletionEvent } from './history.js';
import { replayActions } from './replay.js';
import type { InboxItem, InstanceRecord, InstanceStore, OutboxMessage, RuntimeStatus } from './store.js';
import { isTerminal } from './store.js';

/** What the orchestrator returned for one episode. */
export type OrchestratorRunResult =
  | { kind: 'state'; isDone: boolean; actions: Action[]; outputJson: string | null; customStatusJson: string | null }
  | {
      kind: 'failed';
      message: string;
      failureDetails: FailureDetails | undefined;
      actions: Action[];
      customStatusJson: string | null;
    }
  | { kind: 'error'; message: string };

export type ActivityRunResult =
  { ok: true; resultJson: string | null } | { ok: false; reason: string; details: string; failure: FailureDetails };

export interface OrchestrationPayload {
  history: HistoryEvent[];
  input: unknown;
  instanceId: string;
  isReplaying: boolean;
  parentInstanceId: string | null;
  upperSchemaVersion: number;
  maximumShortTimerDuration: string;
  longRunningTimerIntervalDuration: string;
  defaultHttpAsyncRequestSleepTimeMillseconds: number;
}

export interface EngineOptions {
  store: InstanceStore;
  logger: Logger;
  orchestrators: ReadonlySet<string>;
  activities: ReadonlySet<string>;
  maxConcurrentOrchestrations: number;
  maxConcurrentActivities: number;
  runOrchestrator(name: string, payload: OrchestrationPayload): Promise<OrchestratorRunResult>;
  runActivity(name: string, inputJson: string | null, instanceId: string): Promise<ActivityRunResult>;
  now?: () => Date;
}

export class DurableApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DurableApiError';
  }
}

/** Replay schema V2 (ReplayPatchV1): actions are returned as one list with compound actions nested. */
export const UPPER_SCHEMA_VERSION = 1;

const RUNNING: readonly RuntimeStatus[] = ['Pending', 'Running', 'ContinuedAsNew', 'Suspended'];
const MAX_TIMEOUT_MS = 2_000_000_000;

/** Size of one instance's history, for diagnostics and benchmarks (read-only; kept in memory by this process). */
export interface InstanceHistoryStats {
  readonly instanceId: string;
  readonly name: string;
  readonly runtimeStatus: RuntimeStatus;
  /** Events in the current execution's history. */
  readonly historyEvents: number;
  /**
   * The largest history any execution of the instance reached while this process ran it (continueAsNew starts a new,
   * empty history; this keeps the peak). At least `historyEvents`.
   */
  readonly peakHistoryEvents: number;
  /** Executions started by continueAsNew while this process ran it. */
  readonly continuedAsNew: number;
}

/** An execution that ended by continuing as new: its whole history, the ContinueAsNew event last but one. */
export interface PreviousExecution {
  readonly executionId: string;
  readonly history: readonly HistoryEvent[];
}

export interface QueryFilter {
  createdTimeFrom?: Date | undefined;
  createdTimeTo?: Date | undefined;
  runtimeStatus?: readonly RuntimeStatus[] | undefined;
  instanceIdPrefix?: string | undefined;
}

function newId(): string {
  return randomUUID().replace(/-/g, '');
}

export class DurableEngine {
  readonly #options: EngineOptions;
  readonly #now: () => Date;
  readonly #instances = new Map<string, InstanceRecord>();
  readonly #locks = new Map<string, Promise<void>>();
  readonly #orchestrationLimit: ReturnType<typeof pLimit>;
  readonly #activityLimit: ReturnType<typeof pLimit>;
  readonly #episodeQueued = new Set<string>();
  readonly #activitiesInFlight = new Set<string>();
  readonly #outboxInFlight = new Set<string>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #peakHistory = new Map<string, number>();
  readonly #continuedAsNew = new Map<string, number>();
  readonly #previousExecutions = new Map<string, PreviousExecution>();
  #stopping = false;

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#orchestrationLimit = pLimit(Math.max(1, options.maxConcurrentOrchestrations));
    this.#activityLimit = pLimit(Math.max(1, options.maxConcurrentActivities));
  }

  #isStopping(): boolean {
    return this.#stopping;
  }

  get logger(): Logger {
    return this.#options.logger;
  }

  /** Loads every stored instance and resumes the ones that were running. */
  async start(): Promise<{ resumed: number; loaded: number }> {
    const { records, problems } = await this.#options.store.loadAll();
    for (const problem of problems) this.logger.error('unreadable instance record skipped', { problem });
    let resumed = 0;
    for (const record of records) {
      this.#instances.set(record.instanceId, record);
      if (!isTerminal(record.status)) resumed++;
    }
    for (const record of records) this.#scheduleWork(record);
    return { resumed, loaded: records.length };
  }

  async stop(timeoutMs = 5000): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#orchestrationLimit.clearQueue();
    this.#activityLimit.clearQueue();
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight]),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, timeoutMs);
      }),
    ]);
    if (timeout) clearTimeout(timeout);
  }

  // ---------------------------------------------------------------- client operations

  async startNew(name: string, instanceId: string | undefined, inputJson: string | null): Promise<InstanceRecord> {
    if (!this.#options.orchestrators.has(name)) {
      throw new DurableApiError(
        400,
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Known orchestrators: ${[...this.#options.orchestrators].join(', ') || '(none)'}.`,
      );
    }
    const id = instanceId ?? newId();
    if (
      id === '' ||
      id.length > 256 ||
      Array.from({ length: id.length }, (_, i) => id.charCodeAt(i)).some(
        (c) => c < 32 || c === 47 || c === 92 || c === 35 || c === 63,
      )
    ) {
      throw new DurableApiError(
        400,
        `invalid instance id "${id}": 1-256 characters, no control characters, '/', '\\', '#' or '?'`,
      );
    }
    return this.#withLock(id, async () => {
      const existing = this.#instances.get(id);
      if (existing && RUNNING.includes(existing.status)) {
        throw new DurableApiError(
          409,
          `An Orchestration instance with the status ${existing.status} already exists (instance '${id}').`,
        );
      }
      const record = this.#newRecord(id, name, inputJson, undefined, existing);
      await this.#persist(record);
      this.logger.info('orchestration scheduled', { instanceId: id, orchestration: name });
      this.#scheduleWork(record);
      return record;
    });
  }

  async raiseEvent(instanceId: string, eventName: string, dataJson: string | null): Promise<void> {
    await this.#withLock(instanceId, async () => {
      const record = this.#require(instanceId);
      if (isTerminal(record.status)) {
        throw new DurableApiError(410, `Instance '${instanceId}' is ${record.status}; it no longer accepts events.`);
      }
      record.inbox.push({
        event: history.eventRaised({ timestamp: this.#iso(), name: eventName, input: dataJson }),
      });
      await this.#persist(record);
      this.#scheduleWork(record);
    });
  }

  async terminate(instanceId: string, reason: string | null): Promise<void> {
    await this.#withLock(instanceId, async () => {
      const record = this.#require(instanceId);
      if (isTerminal(record.status)) {
        throw new DurableApiError(410, `Instance '${instanceId}' is already ${record.status}.`);
      }
      const now = this.#iso();
      const reasonJson = JSON.stringify(reason ?? '');
      record.history.push(history.executionTerminated({ timestamp: now, reason: reasonJson }));
      record.history.push(history.executionCompleted({ timestamp: now, status: 'Terminated', result: reasonJson }));
      this.#finish(record, 'Terminated', reasonJson);
      if (record.parent) {
        this.#notifyParent(
          record,
          history.subOrchestrationFailed({
            timestamp: now,
            taskId: record.parent.taskId,
            reason: `Sub-orchestration '${record.instanceId}' was terminated: ${reason ?? ''}`,
            details: '',
            failure: { ErrorType: 'OrchestrationTerminated', ErrorMessage: `terminated: ${reason ?? ''}` },
          }),
        );
      }
      await this.#persist(record);
      this.logger.info('orchestration terminated', { instanceId, orchestration: record.name });
      this.#scheduleWork(record);
    });
  }

  async suspend(instanceId: string, reason: string | null): Promise<void> {
    await this.#withLock(instanceId, async () => {
      const record = this.#require(instanceId);
      if (isTerminal(record.status)) throw new DurableApiError(410, `Instance '${instanceId}' is ${record.status}.`);
      if (record.status === 'Suspended') return;
      record.suspendedBeforeStatus = record.status;
      record.status = 'Suspended';
      record.history.push(history.executionSuspended({ timestamp: this.#iso(), reason: JSON.stringify(reason ?? '') }));
      record.lastUpdatedTime = this.#iso();
      await this.#persist(record);
    });
  }

  async resume(instanceId: string, reason: string | null): Promise<void> {
    await this.#withLock(instanceId, async () => {
      const record = this.#require(instanceId);
      if (isTerminal(record.status)) throw new DurableApiError(410, `Instance '${instanceId}' is ${record.status}.`);
      if (record.status !== 'Suspended') return;
      record.status = record.suspendedBeforeStatus ?? 'Running';
      delete record.suspendedBeforeStatus;
      record.history.push(history.executionResumed({ timestamp: this.#iso(), reason: JSON.stringify(reason ?? '') }));
      record.lastUpdatedTime = this.#iso();
      await this.#persist(record);
      this.#scheduleWork(record);
    });
  }

  async purge(instanceId: string): Promise<boolean> {
    return this.#withLock(instanceId, async () => {
      const record = this.#instances.get(instanceId);
      if (!record) return false;
      if (!isTerminal(record.status)) {
        throw new DurableApiError(
          409,
          `Instance '${instanceId}' is ${record.status}; only finished instances can be purged.`,
        );
      }
      await this.#options.store.remove(instanceId);
      this.#instances.delete(instanceId);
      this.#previousExecutions.delete(instanceId);
      return true;
    });
  }

  async purgeBy(filter: QueryFilter): Promise<number> {
    const ids = this.query(filter)
      .filter((r) => isTerminal(r.status))
      .map((r) => r.instanceId);
    let count = 0;
    for (const id of ids) {
      try {
        if (await this.purge(id)) count++;
      } catch (err: unknown) {
        if (!(err instanceof DurableApiError)) throw err;
      }
    }
    return count;
  }

  async restart(instanceId: string, newInstanceId: boolean): Promise<InstanceRecord> {
    const record = this.#require(instanceId);
    return this.startNew(record.name, newInstanceId ? undefined : instanceId, record.inputJson);
  }

  get(instanceId: string): InstanceRecord | undefined {
    return this.#instances.get(instanceId);
  }

  /**
   * The execution of an instance that most recently ended with continueAsNew while this process ran it (in memory
   * only, like the history statistics). The status API shows the current execution only, as the extension does.
   */
  previousExecution(instanceId: string): PreviousExecution | undefined {
    return this.#previousExecutions.get(instanceId);
  }

  /** History sizes of every instance (current and peak), in instance id order. */
  historyStats(): InstanceHistoryStats[] {
    return [...this.#instances.values()]
      .map((r) => ({
        instanceId: r.instanceId,
        name: r.name,
        runtimeStatus: r.status,
        historyEvents: r.history.length,
        peakHistoryEvents: Math.max(r.history.length, this.#peakHistory.get(r.instanceId) ?? 0),
        continuedAsNew: this.#continuedAsNew.get(r.instanceId) ?? 0,
      }))
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }

  query(filter: QueryFilter): InstanceRecord[] {
    return [...this.#instances.values()]
      .filter((r) => {
        const created = Date.parse(r.createdTime);
        if (filter.createdTimeFrom && created < filter.createdTimeFrom.getTime()) return false;
        if (filter.createdTimeTo && created > filter.createdTimeTo.getTime()) return false;
        if (filter.runtimeStatus && filter.runtimeStatus.length > 0 && !filter.runtimeStatus.includes(r.status)) {
          return false;
        }
        if (filter.instanceIdPrefix && !r.instanceId.startsWith(filter.instanceIdPrefix)) return false;
        return true;
      })
      .sort((a, b) => a.createdTime.localeCompare(b.createdTime) || a.instanceId.localeCompare(b.instanceId));
  }

  // ---------------------------------------------------------------- internals

  #iso(): string {
    return this.#now().toISOString();
  }

  #require(instanceId: string): InstanceRecord {
    const record = this.#instances.get(instanceId);
    if (!record) throw new DurableApiError(404, `No instance with ID '${instanceId}' found.`);
    return record;
  }

  #newRecord(
    instanceId: string,
    name: string,
    inputJson: string | null,
    parent: InstanceRecord['parent'],
    previous: InstanceRecord | undefined,
  ): InstanceRecord {
    const now = this.#iso();
    const executionId = newId();
    return {
      version: 1,
      instanceId,
      name,
      executionId,
      status: 'Pending',
      inputJson,
      outputJson: null,
      customStatusJson: null,
      createdTime: now,
      lastUpdatedTime: now,
      ...(parent ? { parent } : {}),
      history: [],
      inbox: [
        {
          executionId,
          event: history.executionStarted({
            timestamp: now,
            name,
            input: inputJson,
            instanceId,
            executionId,
            ...(parent ? { parentInstanceId: parent.instanceId } : {}),
          }),
        },
      ],
      activities: [],
      timers: [],
      // undelivered notifications of a previous execution still reach its parent
      outbox: (previous?.outbox ?? []).filter((m) => m.kind === 'notifyParent'),
    };
  }

  async #withLock<T>(instanceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(instanceId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => mine);
    this.#locks.set(instanceId, chained);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.#locks.get(instanceId) === chained) this.#locks.delete(instanceId);
    }
  }

  async #persist(record: InstanceRecord): Promise<void> {
    this.#instances.set(record.instanceId, record);
    this.#notePeak(record);
    await this.#options.store.save(record);
  }

  #track<T>(promise: Promise<T>): void {
    this.#inFlight.add(promise);
    void promise.then(
      () => this.#inFlight.delete(promise),
      (err: unknown) => {
        this.#inFlight.delete(promise);
        this.logger.error('durable engine task failed', { error: err });
      },
    );
  }

  /** Starts whatever a record (already written) is waiting for. */
  #scheduleWork(record: InstanceRecord): void {
    if (this.#stopping) return;
    for (const message of record.outbox) this.#deliver(record.instanceId, message);
    if (isTerminal(record.status)) return;
    for (const activity of record.activities) this.#dispatchActivity(record, activity);
    for (const timer of record.timers) this.#armTimer(record, timer);
    if (record.inbox.length > 0 && record.status !== 'Suspended') this.#enqueueEpisode(record.instanceId);
  }

  #enqueueEpisode(instanceId: string): void {
    if (this.#stopping || this.#episodeQueued.has(instanceId)) return;
    this.#episodeQueued.add(instanceId);
    const run = this.#orchestrationLimit(async () => {
      try {
        await this.#withLock(instanceId, () => this.#runEpisode(instanceId));
      } finally {
        this.#episodeQueued.delete(instanceId);
      }
      const record = this.#instances.get(instanceId);
      if (record && !isTerminal(record.status) && record.status !== 'Suspended' && record.inbox.length > 0) {
        this.#enqueueEpisode(instanceId);
      }
    });
    this.#track(run);
  }

  #dispatchActivity(record: InstanceRecord, activity: InstanceRecord['activities'][number]): void {
    const instanceId = record.instanceId;
    const executionId = record.executionId;
    const key = `${instanceId}\u0000${executionId}\u0000${activity.taskId}`;
    if (this.#activitiesInFlight.has(key)) return;
    this.#activitiesInFlight.add(key);
    const run = this.#activityLimit(async () => {
      try {
        if (this.#stopping) return;
        const result = await this.#options.runActivity(activity.name, activity.inputJson, instanceId);
        if (this.#isStopping()) return; // not recorded: it runs again on the next start (at-least-once)
        const recorded = await this.#withLock(instanceId, async () => {
          const current = this.#instances.get(instanceId);
          if (!current || current.executionId !== executionId || isTerminal(current.status)) return false;
          const index = current.activities.findIndex((a) => a.taskId === activity.taskId);
          if (index < 0) return false;
          current.activities.splice(index, 1);
          const timestamp = this.#iso();
          const event = result.ok
            ? history.taskCompleted({ timestamp, taskId: activity.taskId, result: result.resultJson })
            : history.taskFailed({
                timestamp,
                taskId: activity.taskId,
                reason: result.reason,
                details: result.details,
                failure: result.failure,
              });
          current.inbox.push({ executionId, event });
          await this.#persist(current);
          return true;
        });
        if (recorded) this.#enqueueEpisode(instanceId);
      } finally {
        this.#activitiesInFlight.delete(key);
      }
    });
    this.#track(run);
  }

  #armTimer(record: InstanceRecord, timer: InstanceRecord['timers'][number]): void {
    const instanceId = record.instanceId;
    const executionId = record.executionId;
    const key = `${instanceId}\u0000${executionId}\u0000${timer.timerId}`;
    if (this.#timers.has(key)) return;
    const fire = (): void => {
      this.#timers.delete(key);
      const run = this.#withLock(instanceId, async () => {
        const current = this.#instances.get(instanceId);
        if (!current || current.executionId !== executionId || isTerminal(current.status)) return false;
        const index = current.timers.findIndex((t) => t.timerId === timer.timerId);
        if (index < 0) return false;
        current.timers.splice(index, 1);
        current.inbox.push({
          executionId,
          event: history.timerFired({ timestamp: this.#iso(), timerId: timer.timerId, fireAt: timer.fireAt }),
        });
        await this.#persist(current);
        return true;
      }).then((recorded) => {
        if (recorded) this.#enqueueEpisode(instanceId);
      });
      this.#track(run);
    };
    const wait = (): void => {
      const remaining = Date.parse(timer.fireAt) - this.#now().getTime();
      if (remaining <= 0) {
        fire();
        return;
      }
      this.#timers.set(key, setTimeout(wait, Math.min(remaining, MAX_TIMEOUT_MS)));
    };
    wait();
  }

  #deliver(senderId: string, message: OutboxMessage): void {
    if (this.#outboxInFlight.has(message.id)) return;
    this.#outboxInFlight.add(message.id);
    const run = (async () => {
      try {
        if (message.kind === 'createChild') await this.#deliverCreateChild(senderId, message);
        else await this.#deliverNotifyParent(senderId, message);
      } finally {
        this.#outboxInFlight.delete(message.id);
      }
    })();
    this.#track(run);
  }

  async #removeOutbox(senderId: string, messageId: string, extra?: (record: InstanceRecord) => void): Promise<void> {
    await this.#withLock(senderId, async () => {
      const sender = this.#instances.get(senderId);
      if (!sender) return;
      const index = sender.outbox.findIndex((m) => m.id === messageId);
      if (index < 0 && !extra) return;
      if (index >= 0) sender.outbox.splice(index, 1);
      extra?.(sender);
      await this.#persist(sender);
    });
  }

  async #deliverCreateChild(parentId: string, message: Extract<OutboxMessage, { kind: 'createChild' }>): Promise<void> {
    if (this.#stopping) return;
    const link = { instanceId: parentId, executionId: message.parentExecutionId, taskId: message.taskId };
    const conflict = await this.#withLock(message.childId, async () => {
      const existing = this.#instances.get(message.childId);
      const sameLink =
        existing?.parent?.instanceId === link.instanceId &&
        existing.parent.executionId === link.executionId &&
        existing.parent.taskId === link.taskId;
      if (existing && sameLink) return undefined; // delivered before a restart
      if (existing && RUNNING.includes(existing.status)) {
        return `An Orchestration instance with the status ${existing.status} already exists (instance '${message.childId}').`;
      }
      if (!this.#options.orchestrators.has(message.name)) {
        return `The function '${message.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
      }
      const child = this.#newRecord(message.childId, message.name, message.inputJson, link, existing);
      await this.#persist(child);
      this.#scheduleWork(child);
      return undefined;
    });
    if (this.#isStopping()) return;
    const outcome = { notify: false };
    await this.#removeOutbox(parentId, message.id, (parent) => {
      if (conflict === undefined || parent.executionId !== message.parentExecutionId || isTerminal(parent.status))
        return;
      parent.inbox.push({
        executionId: message.parentExecutionId,
        event: history.subOrchestrationFailed({
          timestamp: this.#iso(),
          taskId: message.taskId,
          reason: conflict,
          details: '',
          failure: { ErrorType: 'InvalidOperationException', ErrorMessage: conflict },
        }),
      });
      outcome.notify = true;
    });
    if (outcome.notify) this.#enqueueEpisode(parentId);
  }

  async #deliverNotifyParent(
    childId: string,
    message: Extract<OutboxMessage, { kind: 'notifyParent' }>,
  ): Promise<void> {
    if (this.#stopping) return;
    const recorded = await this.#withLock(message.parentId, async () => {
      const parent = this.#instances.get(message.parentId);
      if (!parent || parent.executionId !== message.parentExecutionId || isTerminal(parent.status)) return false;
      const taskId = completionTaskId(message.event);
      const duplicate =
        parent.history.some((e) => isCompletionEvent(e) && completionTaskId(e) === taskId) ||
        parent.inbox.some((i) => isCompletionEvent(i.event) && completionTaskId(i.event) === taskId);
      if (duplicate) return false;
      parent.inbox.push({ executionId: message.parentExecutionId, event: message.event });
      await this.#persist(parent);
      return true;
    });
    if (this.#isStopping()) return;
    await this.#removeOutbox(childId, message.id);
    if (recorded) this.#enqueueEpisode(message.parentId);
  }

  #notifyParent(record: InstanceRecord, event: HistoryEvent): void {
    if (!record.parent) return;
    record.outbox.push({
      kind: 'notifyParent',
      id: newId(),
      parentId: record.parent.instanceId,
      parentExecutionId: record.parent.executionId,
      event,
    });
  }

  #finish(record: InstanceRecord, status: RuntimeStatus, outputJson: string | null): void {
    record.status = status;
    record.outputJson = outputJson;
    record.activities = [];
    record.timers = [];
    record.inbox = [];
    record.outbox = record.outbox.filter((m) => m.kind === 'notifyParent');
    record.lastUpdatedTime = this.#iso();
  }

  #fail(record: InstanceRecord, message: string, failure: FailureDetails): void {
    const now = this.#iso();
    const outputJson = JSON.stringify(message);
    record.history.push(
      history.executionCompleted({ timestamp: now, status: 'Failed', result: outputJson, failureDetails: failure }),
    );
    this.#finish(record, 'Failed', outputJson);
    this.#notifyParent(
      record,
      history.subOrchestrationFailed({
        timestamp: now,
        taskId: record.parent?.taskId ?? -1,
        reason: message,
        details: failure.StackTrace ?? '',
        failure,
      }),
    );
    this.logger.warn('orchestration failed', {
      instanceId: record.instanceId,
      orchestration: record.name,
      error: message,
    });
  }

  /** Accepts the inbox items that still apply: drops those of older executions and duplicate completions. */
  #acceptInbox(record: InstanceRecord, items: readonly InboxItem[]): HistoryEvent[] {
    const completed = new Set<number>();
    for (const e of record.history) {
      const id = completionTaskId(e);
      if (id !== undefined) completed.add(id);
    }
    const accepted: HistoryEvent[] = [];
    for (const item of items) {
      if (item.executionId !== undefined && item.executionId !== record.executionId) continue;
      const id = completionTaskId(item.event);
      if (id !== undefined) {
        if (completed.has(id)) continue;
        completed.add(id);
      }
      accepted.push(item.event);
    }
    return accepted;
  }

  async #runEpisode(instanceId: string): Promise<void> {
    if (this.#stopping) return;
    const record = this.#instances.get(instanceId);
    if (!record || record.inbox.length === 0 || record.status === 'Suspended') return;
    if (isTerminal(record.status)) {
      record.inbox = [];
      await this.#persist(record);
      return;
    }
    const batch = record.inbox;
    const events = this.#acceptInbox(record, batch);
    const startedAt = this.#iso();
    const previous = record.history;
    const newHistory: HistoryEvent[] = [...previous, history.orchestratorStarted({ timestamp: startedAt }), ...events];
    const replayBoundary = previous.length;
    const payload: OrchestrationPayload = {
      history: newHistory.map((e, i) => ({ ...e, IsPlayed: i < replayBoundary })),
      input: fromJsonText(record.inputJson),
      instanceId,
      isReplaying: previous.length > 0,
      parentInstanceId: record.parent?.instanceId ?? null,
      upperSchemaVersion: UPPER_SCHEMA_VERSION,
      maximumShortTimerDuration: '6.00:00:00',
      longRunningTimerIntervalDuration: '3.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    record.history = newHistory;
    record.inbox = [];
    const name = record.name;
    if (!this.#options.orchestrators.has(name)) {
      this.#fail(record, `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`, {
        ErrorType: 'FunctionNotFound',
        ErrorMessage: `orchestrator '${name}' is not registered`,
      });
      await this.#persist(record);
      this.#scheduleWork(record);
      return;
    }
    if (record.status === 'Pending' || record.status === 'ContinuedAsNew') record.status = 'Running';
    let result: OrchestratorRunResult;
    try {
      result = await this.#options.runOrchestrator(name, payload);
    } catch (err: unknown) {
      result = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    if (result.kind === 'error') {
      this.#fail(record, `Orchestrator function '${name}' failed: ${result.message}`, {
        ErrorType: 'Error',
        ErrorMessage: result.message,
      });
    } else {
      this.#apply(record, result, newHistory, startedAt, replayBoundary);
    }
    await this.#persist(record);
    this.#scheduleWork(record);
  }

  #apply(
    record: InstanceRecord,
    result: Exclude<OrchestratorRunResult, { kind: 'error' }>,
    newHistory: HistoryEvent[],
    now: string,
    replayBoundary: number,
  ): void {
    const name = record.name;
    record.customStatusJson = result.customStatusJson;
    record.lastUpdatedTime = now;
    const replay = replayActions({
      orchestrationName: name,
      instanceId: record.instanceId,
      history: newHistory,
      actions: result.actions,
    });
    if (replay.mismatch) {
      this.#fail(record, replay.mismatch, {
        ErrorType: 'NonDeterministicOrchestrationError',
        ErrorMessage: replay.mismatch,
      });
      return;
    }
    if (replay.unsupported) {
      this.#fail(record, `Orchestrator function '${name}' failed: ${replay.unsupported}`, {
        ErrorType: 'NotSupportedError',
        ErrorMessage: replay.unsupported,
      });
      return;
    }
    if (result.kind === 'failed') {
      const failure: FailureDetails = result.failureDetails
        ? { ErrorType: 'TaskFailedError', ErrorMessage: result.message, InnerFailure: result.failureDetails }
        : { ErrorType: 'Error', ErrorMessage: result.message };
      this.#fail(record, `Orchestrator function '${name}' failed: ${result.message}`, failure);
      return;
    }
    if (result.isDone) {
      const continueAsNew =
        replay.continueAsNew ??
        (() => {
          const last = result.actions.at(-1);
          return last?.type === 'ContinueAsNew' ? { inputJson: last.inputJson, eventId: -1 } : undefined;
        })();
      if (continueAsNew) {
        this.#continueAsNew(record, continueAsNew, replay.unconsumedEvents, now);
        return;
      }
      record.history.push(
        history.executionCompleted({ timestamp: now, status: 'Completed', result: result.outputJson }),
      );
      this.#finish(record, 'Completed', result.outputJson);
      this.#notifyParent(
        record,
        history.subOrchestrationCompleted({
          timestamp: now,
          taskId: record.parent?.taskId ?? -1,
          result: result.outputJson,
        }),
      );
      this.logger.info('orchestration completed', { instanceId: record.instanceId, orchestration: name });
      return;
    }
    if (replay.stalled) {
      // a retry stopped on its retryTimeoutInMilliseconds and the orchestrator waits on it with nothing else that could
      // end the wait: the library never learns that retrying stopped, so the instance could only hang
      const gaveUp = replay.retriesGivenUp[0];
      const message =
        `${gaveUp?.message ?? 'a retry stopped'}. The orchestrator waits on it, but durable-functions decides retries ` +
        'by attempt count alone and never sees this stop; in Azure the instance would stay Running ' +
        '(azure-functions-durable-js#629)';
      this.#fail(record, `Orchestrator function '${name}' failed: ${message}`, {
        ErrorType: 'RetryTimeoutExceeded',
        ErrorMessage: message,
        ...(gaveUp?.failure ? { InnerFailure: gaveUp.failure } : {}),
      });
      return;
    }
    for (const gaveUp of replay.retriesGivenUp) {
      if (gaveUp.historyIndex >= replayBoundary) {
        this.logger.warn('retry stopped: retryTimeoutInMilliseconds elapsed', {
          instanceId: record.instanceId,
          orchestration: name,
          detail: gaveUp.message,
          hint: 'durable-functions never sees this stop: its task stays pending (azure-functions-durable-js#629)',
        });
      }
    }
    for (const work of replay.newWork) {
      if (work.kind === 'activity' && !this.#options.activities.has(work.name)) {
        this.#fail(
          record,
          `Orchestrator function '${name}' failed: The function '${work.name}' doesn't exist, is disabled, or is not an activity function. Known activities: ${[...this.#options.activities].join(', ') || '(none)'}.`,
          { ErrorType: 'FunctionNotFound', ErrorMessage: `activity '${work.name}' is not registered` },
        );
        return;
      }
      if (work.kind === 'subOrchestration' && !this.#options.orchestrators.has(work.name)) {
        this.#fail(
          record,
          `Orchestrator function '${name}' failed: The function '${work.name}' doesn't exist, is disabled, or is not an orchestrator function.`,
          { ErrorType: 'FunctionNotFound', ErrorMessage: `orchestrator '${work.name}' is not registered` },
        );
        return;
      }
    }
    for (const work of replay.newWork) {
      if (work.kind === 'activity') {
        record.history.push(
          history.taskScheduled({ timestamp: now, id: work.id, name: work.name, input: work.inputJson }),
        );
        record.activities.push({ taskId: work.id, name: work.name, inputJson: work.inputJson });
      } else if (work.kind === 'subOrchestration') {
        record.history.push(
          history.subOrchestrationCreated({
            timestamp: now,
            id: work.id,
            name: work.name,
            input: work.inputJson,
            instanceId: work.instanceId,
          }),
        );
        record.outbox.push({
          kind: 'createChild',
          id: newId(),
          childId: work.instanceId,
          name: work.name,
          inputJson: work.inputJson,
          taskId: work.id,
          parentExecutionId: record.executionId,
        });
      } else {
        record.history.push(history.timerCreated({ timestamp: now, id: work.id, fireAt: work.fireAt }));
        record.timers.push({ timerId: work.id, fireAt: work.fireAt });
      }
    }
    record.history.push(history.orchestratorCompleted({ timestamp: now }));
  }

  #notePeak(record: InstanceRecord): void {
    const peak = this.#peakHistory.get(record.instanceId) ?? 0;
    if (record.history.length > peak) this.#peakHistory.set(record.instanceId, record.history.length);
  }

  /**
   * Ends the execution with ContinueAsNew and starts the next one, as the Durable Functions extension does for an
   * out-of-process orchestrator: its shim calls `ContinueAsNew(input)` with `preserveUnprocessedEvents` false, so the
   * external events this execution received and no wait consumed (`unconsumed`) are discarded, and a warning names
   * them. Events raised after this episode is recorded are in the inbox of the new execution, and reach it.
   */
  #continueAsNew(
    record: InstanceRecord,
    continued: { inputJson: string | null; eventId: number },
    unconsumed: readonly HistoryEvent[],
    now: string,
  ): void {
    const inputJson = continued.inputJson;
    // the ending execution ends as the extension ends it: ContinueAsNew (the new input), then OrchestratorCompleted
    record.history.push(
      history.continueAsNew({ timestamp: now, id: continued.eventId, input: inputJson }),
      history.orchestratorCompleted({ timestamp: now }),
    );
    this.#notePeak(record);
    this.#continuedAsNew.set(record.instanceId, (this.#continuedAsNew.get(record.instanceId) ?? 0) + 1);
    const ended = { executionId: record.executionId, history: record.history };
    this.#previousExecutions.set(record.instanceId, ended);
    const executionId = newId();
    record.executionId = executionId;
    record.inputJson = inputJson;
    record.outputJson = null;
    record.status = 'ContinuedAsNew';
    record.history = [];
    record.activities = [];
    record.timers = [];
    record.inbox = [
      {
        executionId,
        event: history.executionStarted({
          timestamp: now,
          name: record.name,
          input: inputJson,
          instanceId: record.instanceId,
          executionId,
          ...(record.parent ? { parentInstanceId: record.parent.instanceId } : {}),
        }),
      },
    ];
    record.lastUpdatedTime = now;
    this.logger.info('orchestration continued as new', {
      instanceId: record.instanceId,
      orchestration: record.name,
      executionId: ended.executionId,
      historyEvents: ended.history.length,
      newExecutionId: executionId,
      inputBytes: inputJson === null ? 0 : Buffer.byteLength(inputJson),
    });
    if (unconsumed.length > 0) {
      this.logger.warn('continueAsNew discarded unconsumed external events', {
        instanceId: record.instanceId,
        orchestration: record.name,
        executionId: ended.executionId,
        discarded: unconsumed.length,
        eventNames: unconsumed.map((e) => e.Name ?? ''),
        hint:
          'as in Azure: events an execution received and did not wait for are dropped when it continues as new ' +
          '(the extension does not preserve unprocessed events for JavaScript orchestrators); keep what must not ' +
          'be lost outside the orchestration and treat events as wake-ups',
      });
    }
  }
}
