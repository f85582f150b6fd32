/**
 * The extension's side of a replay. durable-functions' executor ignores scheduling events (TaskScheduled,
 * SubOrchestrationInstanceCreated, TimerCreated) and resolves tasks by the sequence ids it hands out as the
 * orchestrator yields; the extension replays the returned actions against the same history, assigns the same ids, and
 * checks every recorded scheduling event against the task the orchestrator now produces under that id. This module is
 * that replay: it mirrors the library's id assignment (tasks in yield order, compound children depth-first, retry
 * timers and re-attempts as failures arrive, external events by name), reports the first difference as a
 * non-determinism error, and returns the work the orchestrator asked for that history does not hold yet.
 * Pure: no clock, no I/O.
 */
import type { Action, RetryPolicy } from './actions.js';
import { describeAction } from './actions.js';
import type { FailureDetails, HistoryEvent } from './history.js';
import { EventType, eventTypeName } from './history.js';

export type NewWork =
  | { kind: 'activity'; id: number; name: string; inputJson: string | null }
  | { kind: 'subOrchestration'; id: number; name: string; inputJson: string | null; instanceId: string }
  | { kind: 'timer'; id: number; fireAt: string; retryTimer: boolean };

export interface ReplayOptions {
  orchestrationName: string;
  instanceId: string;
  history: readonly HistoryEvent[];
  actions: readonly Action[];
}

export interface ReplayOutcome {
  /** The determinism error, naming the orchestration and the first differing action. */
  mismatch: string | undefined;
  /** An action the local host cannot run (entities, HTTP calls). */
  unsupported: string | undefined;
  newWork: NewWork[];
  /** The orchestrator continued as new: the new input, and the id its action took (the ContinueAsNew event's). */
  continueAsNew: { inputJson: string | null; eventId: number } | undefined;
  /**
   * EventRaised events no waiter took, including those raised after the orchestrator continued as new in the same
   * episode (the engine discards them on continueAsNew, as the extension does, and names them in a warning).
   */
  unconsumedEvents: HistoryEvent[];
  /**
   * Retries that stopped because their `retryTimeoutInMilliseconds` had elapsed when an attempt failed, with the
   * index of that failure in history. The library never learns of it: its task stays pending for good.
   */
  retriesGivenUp: RetryGivenUp[];
  /** The orchestrator waits on something that can never finish (a retry that gave up, nothing else can end the wait). */
  stalled: boolean;
}

export interface RetryGivenUp {
  message: string;
  failure: FailureDetails | undefined;
  historyIndex: number;
}

type NodeParent = CompoundNode | RetryNode;

interface NodeBase {
  done: boolean;
  failed: boolean;
  parent: NodeParent | undefined;
}

interface TaskLeaf extends NodeBase {
  kind: 'task';
  what: 'activity' | 'subOrchestration' | 'timer' | 'retryTimer';
  /** false until the library would have handed out a sequence id. */
  id: number | false;
  name: string;
  inputJson: string | null;
  instanceId: string | undefined;
  fireAt: string | undefined;
  scheduled: boolean;
  /** A retry timer the extension never creates (its retry gave up): the library's task for it stays open. */
  neverScheduled?: boolean;
  description: string;
}

interface EventLeaf extends NodeBase {
  kind: 'event';
  name: string;
}

interface CompoundNode extends NodeBase {
  kind: 'all' | 'any';
  children: SimNode[];
}

interface RetryNode extends NodeBase {
  kind: 'retry';
  children: SimNode[];
  action: Action & { type: 'CallActivity' | 'CallSubOrchestrator' };
  policy: RetryPolicy;
  attemptNumber: number;
  waitingOnTimer: boolean;
  /** The orchestration time of the first attempt (DurableTask's RetryInterceptor measures the timeout from it). */
  firstAttemptAt: string;
  gaveUp: RetryGivenUp | undefined;
}

type SimNode = TaskLeaf | EventLeaf | CompoundNode | RetryNode;

class Mismatch extends Error {}
class Unsupported extends Error {}

/** DurableTask.Core's RetryInterceptor delay: first × backoff^(failures-1), capped at the maximum interval. */
export function retryDelayMs(policy: RetryPolicy, failures: number): number {
  const delay =
    policy.firstRetryIntervalInMilliseconds * Math.pow(policy.backoffCoefficient, Math.max(0, failures - 1));
  const cap = policy.maxRetryIntervalInMilliseconds;
  return cap !== undefined && cap > 0 && delay > cap ? cap : delay;
}

function describeScheduling(e: HistoryEvent): string {
  switch (e.EventType) {
    case EventType.TaskScheduled:
      return `CallActivity '${e.Name ?? '?'}'`;
    case EventType.SubOrchestrationInstanceCreated:
      return `CallSubOrchestrator '${e.Name ?? '?'}'`;
    case EventType.TimerCreated:
      return `CreateTimer (fireAt ${e.FireAt ?? '?'})`;
    default:
      return eventTypeName(e.EventType);
  }
}

function sameJson(a: string | null | undefined, b: string | null | undefined): boolean {
  const na = a ?? null;
  const nb = b ?? null;
  if (na === nb) return true;
  if (na === null || nb === null) return false;
  try {
    return JSON.stringify(JSON.parse(na)) === JSON.stringify(JSON.parse(nb));
  } catch {
    return false;
  }
}

function truncate(text: string | null | undefined): string {
  const t = text ?? 'null';
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
}

class ReplaySimulator {
  private sequenceNumber = 0;
  private readonly openTasks = new Map<number, TaskLeaf>();
  private readonly allocated = new Map<number, TaskLeaf>();
  private readonly openEvents = new Map<string, EventLeaf[]>();
  private readonly deferredEvents = new Map<string, HistoryEvent[]>();
  private readonly byRef = new Map<object, SimNode>();
  private cursor = 0;
  private current: SimNode | undefined;
  private started = false;
  private stopped = false;
  private now = new Date(0).toISOString();
  private lastCompletion: { event: HistoryEvent; index: number } | undefined;
  private readonly retriesGivenUp: RetryGivenUp[] = [];
  continueAsNew: { inputJson: string | null; eventId: number } | undefined;

  constructor(private readonly options: ReplayOptions) {}

  private fail(detail: string): never {
    throw new Mismatch(
      `Non-deterministic orchestration '${this.options.orchestrationName}' (instance '${this.options.instanceId}'): ${detail}. ` +
        'Orchestrator code must be deterministic: use context.df.currentUtcDateTime, context.df.newGuid and activities ' +
        'instead of Date.now(), Math.random() or I/O, and do not change an orchestrator while instances of it are running.',
    );
  }

  run(): ReplayOutcome {
    let mismatch: string | undefined;
    let unsupported: string | undefined;
    try {
      this.options.history.forEach((event, index) => {
        this.process(event, index);
      });
    } catch (err: unknown) {
      if (err instanceof Mismatch) mismatch = err.message;
      else if (err instanceof Unsupported) unsupported = err.message;
      else throw err;
    }
    const newWork: NewWork[] = [];
    if (!mismatch && !unsupported) {
      for (const leaf of [...this.allocated.values()].sort((a, b) => Number(a.id) - Number(b.id))) {
        if (leaf.scheduled || leaf.id === false || leaf.neverScheduled === true) continue;
        if (leaf.what === 'activity') {
          newWork.push({ kind: 'activity', id: leaf.id, name: leaf.name, inputJson: leaf.inputJson });
        } else if (leaf.what === 'subOrchestration') {
          newWork.push({
            kind: 'subOrchestration',
            id: leaf.id,
            name: leaf.name,
            inputJson: leaf.inputJson,
            instanceId: leaf.instanceId ?? `${this.options.instanceId}:${leaf.id}`,
          });
        } else {
          newWork.push({
            kind: 'timer',
            id: leaf.id,
            fireAt: leaf.fireAt ?? this.now,
            retryTimer: leaf.what === 'retryTimer',
          });
        }
      }
    }
    const unconsumedEvents = [...this.deferredEvents.values()].flat();
    const current = this.current;
    const stalled =
      !mismatch &&
      !unsupported &&
      this.retriesGivenUp.length > 0 &&
      !this.stopped &&
      current !== undefined &&
      !current.done &&
      !this.canProgress(current);
    return {
      mismatch,
      unsupported,
      newWork,
      continueAsNew: this.continueAsNew,
      unconsumedEvents,
      retriesGivenUp: this.retriesGivenUp,
      stalled,
    };
  }

  /** Whether a pending node can still finish (succeed or fail) when more events arrive. */
  private canProgress(node: SimNode): boolean {
    if (node.done) return false;
    switch (node.kind) {
      case 'task':
        return node.neverScheduled !== true;
      case 'event':
        return true;
      case 'retry':
        return node.gaveUp === undefined;
      case 'all':
      case 'any':
        return node.children.some((c) => this.canProgress(c));
    }
  }

  private process(event: HistoryEvent, index: number): void {
    switch (event.EventType) {
      case EventType.OrchestratorStarted:
        if (event.Timestamp > this.now) this.now = event.Timestamp;
        return;
      case EventType.ExecutionStarted:
        if (!this.started) {
          this.started = true;
          this.advance();
        }
        return;
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
      case EventType.TimerCreated:
        this.checkScheduling(event, index);
        return;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed:
      case EventType.TimerFired:
        this.complete(event, index);
        return;
      case EventType.EventRaised:
        this.raise(event);
        return;
      default:
        return;
    }
  }

  private checkScheduling(event: HistoryEvent, index: number): void {
    const id = event.EventId;
    const leaf = this.allocated.get(id);
    const expected = `${describeScheduling(event)} (task ${id}, history event #${index})`;
    if (!leaf) this.fail(`expected ${expected} but the orchestrator did not schedule it`);
    const kindOk =
      (event.EventType === EventType.TaskScheduled && leaf.what === 'activity') ||
      (event.EventType === EventType.SubOrchestrationInstanceCreated && leaf.what === 'subOrchestration') ||
      (event.EventType === EventType.TimerCreated && (leaf.what === 'timer' || leaf.what === 'retryTimer'));
    if (!kindOk) this.fail(`expected ${expected} but got ${leaf.description}`);
    if ((leaf.what === 'activity' || leaf.what === 'subOrchestration') && leaf.name !== event.Name) {
      this.fail(`expected ${expected} but got ${leaf.description}`);
    }
    if ((leaf.what === 'activity' || leaf.what === 'subOrchestration') && !sameJson(leaf.inputJson, event.Input)) {
      this.fail(
        `expected ${expected} with input ${truncate(event.Input)} but got ${leaf.description} with input ${truncate(leaf.inputJson)}`,
      );
    }
    if (leaf.what === 'subOrchestration' && leaf.instanceId !== undefined && leaf.instanceId !== event.InstanceId) {
      this.fail(`expected ${expected} for instance '${event.InstanceId ?? '?'}' but got instance '${leaf.instanceId}'`);
    }
    if (leaf.what === 'timer' && leaf.fireAt !== event.FireAt) {
      this.fail(`expected ${expected} but got ${leaf.description}`);
    }
    if (leaf.neverScheduled === true && leaf.parent?.kind === 'retry') {
      // history (written before retry timeouts were honoured) holds the retry timer: history wins
      leaf.neverScheduled = false;
      const entry = leaf.parent.gaveUp;
      leaf.parent.gaveUp = undefined;
      if (entry) this.retriesGivenUp.splice(this.retriesGivenUp.indexOf(entry), 1);
    }
    leaf.scheduled = true;
  }

  private complete(event: HistoryEvent, index: number): void {
    const id = event.EventType === EventType.TimerFired ? event.TimerId : event.TaskScheduledId;
    if (id === undefined) this.fail(`history event #${index} (${eventTypeName(event.EventType)}) names no task`);
    const leaf = this.allocated.get(id);
    if (!leaf) {
      this.fail(
        `history event #${index} (${eventTypeName(event.EventType)}) completes task ${id}, which the orchestrator did not schedule`,
      );
    }
    const isTimer = event.EventType === EventType.TimerFired;
    const isSub =
      event.EventType === EventType.SubOrchestrationInstanceCompleted ||
      event.EventType === EventType.SubOrchestrationInstanceFailed;
    const kindOk = isTimer
      ? leaf.what === 'timer' || leaf.what === 'retryTimer'
      : isSub
        ? leaf.what === 'subOrchestration'
        : leaf.what === 'activity';
    if (!kindOk) {
      this.fail(
        `history event #${index} (${eventTypeName(event.EventType)}) completes task ${id}, but task ${id} is now ${leaf.description}`,
      );
    }
    if (!this.openTasks.has(id)) return; // a duplicate completion: the library ignores it too
    this.openTasks.delete(id);
    this.lastCompletion = { event, index };
    const failed =
      event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed;
    this.settle(leaf, failed);
    this.advance();
  }

  private raise(event: HistoryEvent): void {
    const name = event.Name ?? '';
    const waiters = this.openEvents.get(name);
    // After the orchestrator continued as new, no code of this execution runs again: an event raised now (even for a
    // wait it left open) was seen by nobody. It is reported as unconsumed (and discarded with the execution).
    if (!this.stopped && waiters && waiters.length > 0) {
      const leaf = waiters.pop();
      if (waiters.length === 0) this.openEvents.delete(name);
      if (leaf) {
        this.settle(leaf, false);
        this.advance();
      }
      return;
    }
    const queue = this.deferredEvents.get(name) ?? [];
    queue.push(event);
    this.deferredEvents.set(name, queue);
  }

  /** Moves to the next action while the current one has finished, as the generator resumes. */
  private advance(): void {
    while (!this.stopped && (this.current === undefined || this.current.done)) {
      const action = this.options.actions[this.cursor];
      if (!action) return;
      this.cursor++;
      if (action.type === 'ContinueAsNew') {
        // DurableTask gives the completing action the next id, as any other action
        this.continueAsNew = { inputJson: action.inputJson, eventId: this.sequenceNumber };
        this.stopped = true;
        return;
      }
      const node = this.build(action, undefined);
      this.track(node);
      this.current = node;
    }
  }

  private build(action: Action, parent: NodeParent | undefined): SimNode {
    const existing = action.ref ? this.byRef.get(action.ref) : undefined;
    if (existing) {
      existing.parent = parent;
      return existing;
    }
    let node: SimNode;
    switch (action.type) {
      case 'CallActivity':
      case 'CallSubOrchestrator':
        if (action.retry) {
          const retry: RetryNode = {
            kind: 'retry',
            done: false,
            failed: false,
            parent,
            children: [],
            action,
            policy: action.retry,
            attemptNumber: 1,
            waitingOnTimer: false,
            firstAttemptAt: this.now,
            gaveUp: undefined,
          };
          retry.children.push(this.attemptLeaf(action, retry));
          node = retry;
        } else {
          node = this.attemptLeaf(action, parent);
        }
        break;
      case 'CreateTimer':
        node = {
          kind: 'task',
          what: 'timer',
          id: false,
          name: '',
          inputJson: null,
          instanceId: undefined,
          fireAt: action.fireAt,
          scheduled: false,
          description: describeAction(action),
          done: false,
          failed: false,
          parent,
        };
        break;
      case 'WaitForExternalEvent':
        node = { kind: 'event', name: action.name, done: false, failed: false, parent };
        break;
      case 'WhenAll':
      case 'WhenAny': {
        const compound: CompoundNode = {
          kind: action.type === 'WhenAll' ? 'all' : 'any',
          children: [],
          done: false,
          failed: false,
          parent,
        };
        for (const child of action.children) compound.children.push(this.build(child, compound));
        node = compound;
        break;
      }
      case 'ContinueAsNew':
        throw new Unsupported(
          `continueAsNew inside Task.all/Task.any in orchestration '${this.options.orchestrationName}'`,
        );
      case 'Unsupported':
        throw new Unsupported(
          `orchestration '${this.options.orchestrationName}' uses ${action.actionType}, which the local host does not support (entities and callHttp are not implemented)`,
        );
    }
    if (action.ref) this.byRef.set(action.ref, node);
    return node;
  }

  private attemptLeaf(
    action: Action & { type: 'CallActivity' | 'CallSubOrchestrator' },
    parent: NodeParent | undefined,
  ): TaskLeaf {
    return {
      kind: 'task',
      what: action.type === 'CallActivity' ? 'activity' : 'subOrchestration',
      id: false,
      name: action.name,
      inputJson: action.inputJson,
      instanceId: action.type === 'CallSubOrchestrator' ? action.instanceId : undefined,
      fireAt: undefined,
      scheduled: false,
      description: describeAction(action),
      done: false,
      failed: false,
      parent,
    };
  }

  /** The library's trackOpenTask: hands out ids depth-first and registers external-event waiters. */
  private track(node: SimNode): void {
    if (node.kind === 'task') {
      if (node.id === false) {
        node.id = this.sequenceNumber++;
        this.openTasks.set(node.id, node);
        this.allocated.set(node.id, node);
      }
      return;
    }
    if (node.kind !== 'event') {
      for (const child of node.children) this.track(child);
      return;
    }
    const list = this.openEvents.get(node.name) ?? [];
    list.push(node);
    this.openEvents.set(node.name, list);
    const deferred = this.deferredEvents.get(node.name);
    if (deferred && deferred.length > 0) {
      deferred.shift();
      if (deferred.length === 0) this.deferredEvents.delete(node.name);
      const waiter = list.pop();
      if (list.length === 0) this.openEvents.delete(node.name);
      if (waiter) this.settle(waiter, false);
    }
  }

  private settle(node: SimNode, failed: boolean): void {
    node.done = true;
    node.failed = failed;
    const parent = node.parent;
    if (!parent) return;
    if (parent.kind === 'retry') {
      this.retryChildSettled(parent, failed);
    } else if (parent.kind === 'any') {
      if (!parent.done) this.settle(parent, false);
    } else if (!parent.done) {
      if (failed) {
        this.settle(parent, true);
      } else if (parent.children.every((c) => c.done && !c.failed)) {
        this.settle(parent, false);
      }
    }
  }

  private retryChildSettled(retry: RetryNode, failed: boolean): void {
    if (retry.waitingOnTimer) {
      retry.waitingOnTimer = false;
      if (retry.attemptNumber > retry.policy.maxNumberOfAttempts) {
        this.settle(retry, true);
      } else {
        const attempt = this.attemptLeaf(retry.action, retry);
        retry.children.push(attempt);
        this.track(attempt);
      }
    } else if (!failed) {
      this.settle(retry, false);
    } else {
      const failures = retry.attemptNumber;
      // DurableTask's RetryInterceptor: no further attempt once the retry timeout has elapsed since the first one
      const timeout = retry.policy.retryTimeoutInMilliseconds;
      const expired = timeout !== undefined && Date.parse(this.now) >= Date.parse(retry.firstAttemptAt) + timeout;
      const fireAt = new Date(Date.parse(this.now) + retryDelayMs(retry.policy, failures)).toISOString();
      const timer: TaskLeaf = {
        kind: 'task',
        what: 'retryTimer',
        id: false,
        name: '',
        inputJson: null,
        instanceId: undefined,
        fireAt,
        scheduled: false,
        description: `retry timer of ${describeAction(retry.action)}`,
        done: false,
        failed: false,
        parent: retry,
        ...(expired ? { neverScheduled: true } : {}),
      };
      // the library always takes an id for the retry timer, even when the extension creates none: so does the replay
      retry.children.push(timer);
      this.track(timer);
      retry.waitingOnTimer = true;
      retry.attemptNumber++;
      if (expired) {
        const last = this.lastCompletion;
        retry.gaveUp = {
          message:
            `${describeAction(retry.action)} stopped retrying after attempt ${failures} failed at ${this.now}: its ` +
            `retryTimeoutInMilliseconds (${timeout} ms) had elapsed since the first attempt at ${retry.firstAttemptAt}` +
            (last?.event.Reason ? ` (last failure: ${last.event.Reason})` : ''),
          failure: last?.event.FailureDetails,
          historyIndex: last?.index ?? -1,
        };
        this.retriesGivenUp.push(retry.gaveUp);
      }
    }
  }
}

export function replayActions(options: ReplayOptions): ReplayOutcome {
  return new ReplaySimulator(options).run();
}
