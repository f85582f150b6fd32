/**
 * meshReconciler: the single writer of one mesh profile (instance id `meshReconciler:<profile>`). Triggers only
 * signal it (`Reconcile`); it debounces, plans, decides with the apply policy, waits for approval when the policy
 * asks, runs meshApply as a sub-orchestration (instance id = operation id), and `continueAsNew`s after each cycle.
 *
 * Cosmos DB is the source of truth; durable events are only wake-ups. The runtime drops the events an execution
 * leaves unconsumed when it continues as new (the extension's `ContinueAsNew` without preserveUnprocessedEvents), so
 * nothing here depends on an event surviving it:
 *  - an operator's apply is a `Pending` operation record holding the request; the reconciler looks for such records
 *    at the start of each cycle, before it plans and when it resumes a wait, so a lost apply signal only delays the
 *    apply to the next cycle (the resync timer starts one every 10 minutes);
 *  - an approval answer is recorded on the operation before it is raised; the approval wait reads the record when it
 *    resumes after continueAsNew, at each repair wake-up and at the deadline, and a rejection for the timeout (or a
 *    supersede) is written only while no answer is recorded;
 *  - a lost change signal (an event, a resync) is repaired by the next resync.
 * One `Reconcile` wait is kept open for the whole execution and included in every wait that can block (debounce,
 * approval, apply); before continuing as new the reconciler takes every signal already delivered to the execution.
 * History stays bounded in every wait: after MAX_SIGNALS_PER_EXECUTION signals the reconciler continues as new
 * carrying the wait — the debounce window's start, the approval wait (operation, deadline, a pending traffic repair),
 * or the running apply (then watched through its operation record, since a child's completion goes to the execution
 * that started it). During an approval wait, signals repair Traffic Manager at most once per debounce window.
 */
import type { OrchestrationContext, Task, TimerTask } from 'durable-functions';
import type { z } from 'zod';
import { decide, MeshPolicySchema, type Decision, type MeshPolicy } from '../shared/domain/index.js';
import {
  ApprovalDecisionSchema,
  LastOperationSchema,
  OperationReadSchema,
  PendingAppliesSchema,
  type RecordedAnswer,
  type ApplyWatch,
  type ApprovalWait,
  MeshApplyResultSchema,
  MeshPlanResultSchema,
  ReconcileSignalSchema,
  ReconcilerInputSchema,
  TrafficSyncResultSchema,
  type ApplySignal,
  type MeshApplyResult,
  type MeshPlanResult,
  type OutcomeEvent,
  type ReconcileSignal,
  type ReconcilerInput,
  OperationAckSchema,
  OperationCreatedSchema,
  ViewRefreshSchema,
  PublishResultSchema,
} from './contracts.js';
import { after, ArmTally, callActivity, messageOf, now, type Step } from './durable.js';
import { planRecord } from './meshApply.js';
import { Activities, Events, Orchestrations } from './names.js';

export const MAX_SIGNALS_PER_EXECUTION = 40;
/** The debounce window never stays open longer than this, however busy the fleet is. */
export const MAX_DEBOUNCE_MS = 5 * 60_000;
/** Traffic Manager repairs one execution makes during an approval wait before it continues as new. */
export const MAX_REPAIRS_PER_EXECUTION = 10;
/** Record checks one execution makes while it watches an apply an earlier execution started. */
export const MAX_APPLY_CHECKS_PER_EXECUTION = 20;
/** Signals during an approval wait repair Traffic Manager at most once per this long when the debounce is shorter. */
export const MIN_REPAIR_WINDOW_MS = 1_000;
/**
 * Signals taken while an execution drains what was delivered to it before it continues as new. Past it, what is left
 * is dropped by the runtime: change signals only count (one carried is enough), applies are found in Cosmos DB.
 */
export const MAX_DRAINED_SIGNALS = 10;

type Trigger = 'event' | 'http' | 'timer';

export function* meshReconciler(ctx: OrchestrationContext): Step<unknown> {
  const state = ReconcilerInputSchema.parse(ctx.df.getInput());
  const profile = state.profile;
  const tally = new ArmTally();
  const pendingApplies: ApplySignal[] = [...state.pendingApplies];
  let pendingChanges = state.pendingChanges;
  let lastTrigger: Trigger = 'event';
  const hasPendingApply = (): boolean => pendingApplies.length > 0;
  const absorb = (raw: unknown): void => {
    const parsed = ReconcileSignalSchema.safeParse(raw);
    if (!parsed.success) return; // a malformed signal cannot name work; triggers validate before raising
    const signal: ReconcileSignal = parsed.data;
    if (signal.kind === 'apply') {
      if (!pendingApplies.some((a) => a.operationId === signal.operationId)) pendingApplies.push(signal);
    } else {
      pendingChanges += 1;
      lastTrigger = signal.kind === 'resync' ? 'timer' : 'event';
    }
  };
  for (const s of state.signals) absorb(s);

  // The one open wait for signals; renewed each time it completes. Every signal taken counts toward the execution's
  // bound (MAX_SIGNALS_PER_EXECUTION), whichever wait took it.
  let signal: Task = ctx.df.waitForExternalEvent(Events.reconcile);
  let received = 0;
  const takeSignal = (): void => {
    absorb(signal.result);
    received += 1;
    signal = ctx.df.waitForExternalEvent(Events.reconcile);
  };
  let decided: string | null = null;
  /**
   * Takes every signal already delivered to this execution: the runtime drops the ones left unconsumed when it
   * continues as new. A new wait takes a delivered event only once it is yielded, so each round yields the wait
   * against a timer due now, which ends the drain when nothing more is buffered (at most MAX_DRAINED_SIGNALS).
   */
  const drainSignals = function* (): Step<void> {
    for (let drained = 0; drained < MAX_DRAINED_SIGNALS; drained++) {
      if (!hasResult(signal)) {
        const probe = ctx.df.createTimer(now(ctx));
        const winner = yield* firstOf(ctx, [signal, probe]);
        if (winner === probe) return;
        if (!hasResult(probe)) probe.cancel();
      }
      takeSignal();
    }
  };
  const carryOver = function* (
    windowStart: string | null,
    wait: { awaiting?: ApprovalWait; applying?: ApplyWatch } = {},
  ): Step<ReconcilerInput> {
    yield* drainSignals();
    return {
      profile,
      pendingApplies,
      pendingChanges,
      windowStart,
      signals: [],
      cycles: state.cycles,
      lastDecision: decided ?? state.lastDecision,
      awaiting: wait.awaiting ?? null,
      applying: wait.applying ?? null,
    };
  };
  const status = (phase: string, extra: Record<string, unknown> = {}): void => {
    ctx.df.setCustomStatus({
      phase,
      pendingApplies: pendingApplies.length,
      pendingChanges,
      cycles: state.cycles,
      lastDecision: decided ?? state.lastDecision,
      ...extra,
    });
  };
  const endCycle = function* (lastOperationId: string): Step<{ cycle: number }> {
    yield* callActivity(ctx, Activities.refreshMeshView, { profile, lastOperationId }, ViewRefreshSchema, tally);
    ctx.df.continueAsNew(nextCycle(yield* carryOver(null), state.cycles));
    return { cycle: state.cycles };
  };
  /**
   * Operator applies recorded Pending that no signal brought (lost at a continueAsNew, or not sent): added to the
   * pending applies, oldest first. `exclude`: the operation a resumed wait is about. A failed look is not fatal: the
   * next cycle looks again.
   */
  const pickUpApplies = function* (exclude: readonly string[]): Step<void> {
    let found: ApplySignal[];
    try {
      found = yield* callActivity(ctx, Activities.listPendingApplies, { profile }, PendingAppliesSchema, tally);
    } catch {
      return;
    }
    const added = found.filter(
      (a) => !exclude.includes(a.operationId) && !pendingApplies.some((p) => p.operationId === a.operationId),
    );
    if (added.length === 0) return;
    pendingApplies.push(...added);
    pendingApplies.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  };
  /**
   * Whether an apply is still to be taken up: its record is Pending. An apply both found in Cosmos DB and signalled
   * reaches the reconciler twice, and the second one must not run it again. An unreadable record counts as pending.
   */
  const stillPending = function* (operationId: string): Step<boolean> {
    try {
      const read = yield* callActivity(ctx, Activities.readOperation, { id: operationId }, OperationReadSchema, tally);
      return read.exists && read.status === 'Pending';
    } catch {
      return true;
    }
  };
  /** The oldest pending apply whose record is still Pending; the others are dropped. */
  const takeRequest = function* (): Step<ApplySignal | undefined> {
    for (let next = pendingApplies.shift(); next; next = pendingApplies.shift()) {
      if (yield* stillPending(next.operationId)) return next;
    }
    return undefined;
  };

  // 0. Resume the wait the previous execution was in when it continued as new (its history had grown to the bound).
  if (state.applying) {
    const policy = yield* loadPolicy(ctx, profile, tally);
    yield* pickUpApplies([state.applying.operationId]);
    if ((yield* watchApply(state.applying, policy)) === 'continued') return { continued: 'watching an apply' };
    return yield* endCycle(state.applying.operationId);
  }
  if (state.awaiting) {
    const wait = state.awaiting;
    const policy = yield* loadPolicy(ctx, profile, tally);
    yield* pickUpApplies([wait.operationId]);
    const answer = yield* awaitApproval(wait, policy, true);
    if (answer === 'continued') return { continued: 'awaiting approval' };
    if (answer === 'approved') {
      const applied = yield* runApply(
        {
          operationId: wait.operationId,
          planId: wait.planId,
          memberSelector: wait.memberSelector,
          trigger: wait.trigger,
        },
        policy,
      );
      if (applied === 'continued') return { continued: 'applying' };
    }
    return yield* endCycle(wait.operationId);
  }

  // 1. Wait for work: a signal, or an operator's apply recorded while no signal reached this reconciler.
  let lookedForApplies = false;
  if (pendingApplies.length === 0 && pendingChanges === 0) {
    yield* pickUpApplies([]);
    lookedForApplies = true;
  }
  if (pendingApplies.length === 0 && pendingChanges === 0) {
    status('idle');
    yield signal;
    takeSignal();
    lookedForApplies = false;
  }

  const policy = yield* loadPolicy(ctx, profile, tally);

  // 2. Debounce event-driven work (an operator's apply does not wait for the fleet to go quiet).
  if (!hasPendingApply()) {
    const windowStart = state.windowStart ? new Date(state.windowStart) : now(ctx);
    const hardDeadline = windowStart.getTime() + MAX_DEBOUNCE_MS;
    let quietUntil = now(ctx).getTime() + policy.debounceSeconds * 1000;
    status('debouncing', { windowStart: windowStart.toISOString(), trigger: lastTrigger });
    while (!hasPendingApply()) {
      const deadline = Math.min(quietUntil, hardDeadline);
      if (deadline <= now(ctx).getTime()) break;
      const timer = ctx.df.createTimer(new Date(deadline));
      const winner = yield* firstOf(ctx, [signal, timer]);
      lookedForApplies = false;
      if (winner === timer) break;
      if (!hasResult(timer)) timer.cancel();
      takeSignal();
      quietUntil = now(ctx).getTime() + policy.debounceSeconds * 1000;
      if (received >= MAX_SIGNALS_PER_EXECUTION && !hasPendingApply()) {
        ctx.df.continueAsNew(yield* carryOver(windowStart.toISOString()));
        return { continued: 'debounce' };
      }
    }
  }

  // 3. Plan: an operator's apply first (oldest; one recorded but never signalled counts too), otherwise everything
  // the signals asked to look at.
  if (!lookedForApplies) yield* pickUpApplies([]);
  const queuedApplies = pendingApplies.length;
  const request = yield* takeRequest();
  if (!request && queuedApplies > 0 && pendingChanges === 0) {
    // Only applies already taken up (found in Cosmos DB before their signal came): nothing to plan.
    status('idle');
    ctx.df.continueAsNew(yield* carryOver(null));
    return { continued: 'no pending apply left' };
  }
  const trigger: Trigger = request ? 'http' : lastTrigger;
  if (!request) pendingChanges = 0;
  status('planning', request ? { operationId: request.operationId } : {});
  let plan: MeshPlanResult;
  try {
    plan = yield* callActivity(
      ctx,
      Activities.computePlan,
      { profile, memberSelector: request?.memberSelector ?? null, preflight: request ? 'always' : 'whenChanging' },
      MeshPlanResultSchema,
      tally,
    );
  } catch (e) {
    if (request) yield* failOperation(ctx, tally, request.operationId, 'PlanFailed', messageOf(e));
    status('plan failed', { error: messageOf(e) });
    ctx.df.continueAsNew(nextCycle(yield* carryOver(null), state.cycles));
    return { planFailed: messageOf(e) };
  }

  if (!plan.profileExists && !request) {
    // The profile is gone (or never existed): record that and stop; the next signal starts a new reconciler.
    yield* callActivity(ctx, Activities.refreshMeshView, { profile, lastOperationId: null }, ViewRefreshSchema, tally);
    const carried = yield* carryOver(null);
    if (pendingApplies.length > 0 || pendingChanges > 0) {
      ctx.df.continueAsNew(nextCycle(carried, state.cycles));
      return { continued: 'pending work' };
    }
    status('stopped: the mesh profile does not exist');
    return { stopped: 'profile does not exist' };
  }

  if (request?.planId && request.planId !== plan.plan.planId) {
    yield* failOperation(
      ctx,
      tally,
      request.operationId,
      'PlanMismatch',
      `the fleet changed since plan ${request.planId} was computed (the plan is now ${plan.plan.planId}); plan again`,
    );
    ctx.df.continueAsNew(nextCycle(yield* carryOver(null), state.cycles));
    return { planMismatch: request.operationId };
  }

  // 4. Decide.
  let decision: Decision = decide(plan.plan, plan.findings, plan.policy, { operatorRequested: request !== undefined });
  if (decision.kind === 'nothingToDo' && request && plan.selectorChanges && !plan.blocked) {
    decision = { kind: 'applyNow', reasons: ['an operator requested a new member selector'] };
  }
  if (decision.kind === 'nothingToDo') decision = repairDecision(plan, plan.policy, request !== undefined) ?? decision;
  decided = decision.kind;
  status('decided', { decision: decision.kind });

  if (decision.kind === 'nothingToDo') {
    yield* idleCycle(ctx, tally, profile, plan, request, trigger);
    ctx.df.continueAsNew(nextCycle(yield* carryOver(null), state.cycles));
    return { cycle: state.cycles };
  }

  // A plan that is only recorded (blocked by preflight, or record-only) is recorded once: while it stays the same and
  // the profile's newest operation already records it so, a cycle (each resync) refreshes the view only.
  if (!request && (decision.kind === 'blocked' || decision.kind === 'recordOnly')) {
    const recorded = yield* lastOperationRecording(ctx, tally, profile, plan.plan.planId, decision.kind);
    if (recorded) {
      status('decided', { decision: decision.kind, recordedBy: recorded });
      return yield* endCycle(recorded);
    }
  }

  const operationId = request
    ? request.operationId
    : `${profile}.${ctx.df.newGuid(`${ctx.df.instanceId}:${state.cycles}`)}`;
  if (!request) {
    yield* callActivity(
      ctx,
      Activities.createOperation,
      {
        id: operationId,
        profile,
        kind: decision.kind === 'applyNow' || decision.kind === 'awaitApproval' ? 'apply' : 'plan',
        trigger,
        requestedBy: 'fleetmesh',
        planId: plan.plan.planId,
        plan: planRecord(plan),
      },
      OperationCreatedSchema,
      tally,
    );
  } else {
    yield* callActivity(
      ctx,
      Activities.updateOperation,
      { id: operationId, planId: plan.plan.planId, plan: planRecord(plan) },
      OperationAckSchema,
      tally,
    );
  }
  // Every plan that becomes an operation is announced, whatever the decision (best effort).
  yield* publish(ctx, tally, [planCreated(ctx, profile, operationId, plan, decision)]);

  if (decision.kind === 'blocked' || decision.kind === 'recordOnly') {
    yield* recordPlan(ctx, tally, operationId, decision);
    return yield* endCycle(operationId);
  }
  const applyArgs = {
    operationId,
    planId: plan.plan.planId,
    memberSelector: request?.memberSelector ?? null,
    trigger,
  };
  if (decision.kind === 'awaitApproval') {
    const hours = decision.approvalTimeoutHours ?? plan.policy.approvalTimeoutHours;
    yield* callActivity(
      ctx,
      Activities.updateOperation,
      { id: operationId, status: 'AwaitingApproval', phase: 'awaiting approval' },
      OperationAckSchema,
      tally,
    );
    const answer = yield* awaitApproval(
      {
        ...applyArgs,
        profileId: plan.profileId,
        until: after(ctx, hours * 3_600_000).toISOString(),
        hours,
        repairDue: null,
      },
      plan.policy,
    );
    if (answer === 'continued') return { continued: 'awaiting approval' };
    if (answer === 'rejected') return yield* endCycle(operationId);
    // Approved after a wait: meshApply reads the fleet again (the plan must still match).
    if ((yield* runApply(applyArgs, plan.policy)) === 'continued') return { continued: 'applying' };
    return yield* endCycle(operationId);
  }
  // Applied at once: the plan just computed is handed over.
  if ((yield* runApply({ ...applyArgs, plan }, plan.policy)) === 'continued') return { continued: 'applying' };
  return yield* endCycle(operationId);

  // -------------------------------------------------------------------------------------------------------------
  /**
   * Runs meshApply (instance id = operation id) and waits for it, taking signals meanwhile. When the signals reach the
   * execution's bound the reconciler continues as new and the next execution watches the apply through its record.
   */
  function* runApply(
    args: {
      operationId: string;
      planId: string;
      memberSelector: string | null;
      trigger: Trigger;
      plan?: MeshPlanResult;
    },
    p: MeshPolicy,
  ): Step<'done' | 'continued'> {
    const { operationId: id } = args;
    status('applying', { operationId: id });
    const child = ctx.df.callSubOrchestrator(
      Orchestrations.meshApply,
      {
        operationId: id,
        profile,
        planId: args.planId,
        memberSelector: args.memberSelector,
        trigger: args.trigger,
        ...(args.plan ? { plan: args.plan } : {}),
      },
      id,
    );
    for (;;) {
      const winner = yield* firstOf(ctx, [child, signal]);
      if (winner === child) break;
      takeSignal();
      if (received >= MAX_SIGNALS_PER_EXECUTION && !hasResult(child)) {
        const giveUpAt = after(ctx, applyBudgetMs(p)).toISOString();
        ctx.df.continueAsNew(yield* carryOver(null, { applying: { operationId: id, giveUpAt } }));
        return 'continued';
      }
    }
    const result = applyResultOf(child, id);
    if (result.error?.code === 'ApplyCrashed') {
      // meshApply ended without recording an end (it failed to start, or crashed): the record must not stay Pending,
      // or the next cycle would take it up again as an apply nobody ran.
      yield* failOperation(ctx, tally, id, 'ApplyCrashed', result.error.message);
    }
    status('applied', { operationId: id, outcome: result.status });
    return 'done';
  }

  /** Waits, in this execution, for an apply an earlier execution started, by reading its operation record. */
  function* watchApply(watch: ApplyWatch, p: MeshPolicy): Step<'done' | 'continued'> {
    const interval = Math.min(Math.max(p.convergence.maxPollIntervalSeconds * 1000, 1000), 60_000);
    for (let checks = 1; ; checks++) {
      status('applying', { operationId: watch.operationId, watching: true });
      let finished = false;
      try {
        const read = yield* callActivity(
          ctx,
          Activities.readOperation,
          { id: watch.operationId },
          OperationReadSchema,
          tally,
        );
        finished = read.terminal || !read.exists;
      } catch {
        // Unreadable for now: look again after the interval.
      }
      if (finished) return 'done';
      if (now(ctx).getTime() >= Date.parse(watch.giveUpAt)) {
        status('stopped watching the apply: it never recorded an end', { operationId: watch.operationId });
        return 'done';
      }
      if (checks >= MAX_APPLY_CHECKS_PER_EXECUTION) {
        ctx.df.continueAsNew(yield* carryOver(null, { applying: watch }));
        return 'continued';
      }
      const timer = ctx.df.createTimer(after(ctx, interval));
      for (;;) {
        const winner = yield* firstOf(ctx, [signal, timer]);
        if (winner === timer) break;
        takeSignal();
        if (received >= MAX_SIGNALS_PER_EXECUTION) {
          if (!hasResult(timer)) timer.cancel();
          ctx.df.continueAsNew(yield* carryOver(null, { applying: watch }));
          return 'continued';
        }
      }
    }
  }

  /**
   * Waits for the ApprovalDecision naming the operation, or the deadline (then rejected), or an operator's apply of
   * another operation (then this one is superseded). Signals meanwhile are taken and repair Traffic Manager drift, at
   * most once per debounce window (coalesced with a durable timer). Once the execution has taken its bound of signals
   * (or made its bound of repairs) it continues as new, carrying the wait, which the next execution resumes: the same
   * operation and deadline.
   *
   * The answer is recorded on the operation before it is raised, and the record decides when the event does not come:
   * an answer raised on the execution that continued as new is dropped with it, so a resumed wait (`resumed`) reads
   * the record first; each repair wake-up reads it too; and the deadline or a supersede rejects the operation only
   * while no answer is recorded (a conditional update), so an approval recorded a moment before the timeout fires is
   * carried out, never rejected.
   */
  function* awaitApproval(
    wait: ApprovalWait,
    p: MeshPolicy,
    resumed = false,
  ): Step<'approved' | 'rejected' | 'continued'> {
    const w: ApprovalWait = { ...wait };
    if (resumed) {
      const settled = yield* recordedOutcome(w.operationId);
      if (settled) return settled;
    }
    const window = Math.max(p.debounceSeconds * 1000, MIN_REPAIR_WINDOW_MS);
    const deadline = ctx.df.createTimer(new Date(w.until));
    let answer: Task = ctx.df.waitForExternalEvent(Events.approvalDecision);
    let repair: TimerTask | undefined = w.repairDue ? ctx.df.createTimer(new Date(w.repairDue)) : undefined;
    let repairs = 0;
    const stopTimers = (): void => {
      if (!hasResult(deadline)) deadline.cancel();
      if (repair && !hasResult(repair)) repair.cancel();
    };
    /** Ends the wait without an answer: rejected for `why`, unless an answer is on record by then. */
    const close = function* (why: string): Step<'approved' | 'rejected'> {
      stopTimers();
      const settled = yield* recordedOutcome(w.operationId);
      if (settled) return settled;
      const ack = yield* reject(ctx, tally, w.operationId, why, { unlessAnswered: true });
      return ack.answer ? yield* actOn(w.operationId, ack.answer) : 'rejected';
    };
    for (;;) {
      const superseding = pendingApplies.find((a) => a.operationId !== w.operationId);
      if (superseding) {
        if (!(yield* stillPending(superseding.operationId))) {
          pendingApplies.splice(pendingApplies.indexOf(superseding), 1); // taken up already: not an apply to run
          continue;
        }
        return yield* close(`superseded by operation ${superseding.operationId}`);
      }
      status('awaiting approval', {
        operationId: w.operationId,
        until: w.until,
        ...(w.repairDue ? { trafficRepairDue: w.repairDue } : {}),
      });
      const winner = yield* firstOf(ctx, repair ? [answer, deadline, signal, repair] : [answer, deadline, signal]);
      if (winner === answer) {
        const parsed = ApprovalDecisionSchema.safeParse(answer.result);
        answer = ctx.df.waitForExternalEvent(Events.approvalDecision);
        if (!parsed.success || parsed.data.operationId !== w.operationId) continue; // an answer to another operation
        stopTimers();
        return yield* actOn(w.operationId, parsed.data);
      }
      if (winner === deadline) {
        return yield* close(`no approval within ${describeHours(w.hours)}; the apply was abandoned`);
      }
      if (winner === repair) {
        // The wait can last hours: keep Traffic Manager right meanwhile (the plan itself waits).
        repair = undefined;
        w.repairDue = null;
        repairs += 1;
        yield* repairTraffic(ctx, tally, profile, w.profileId);
        // A wake-up: an answer recorded whose event never came is acted on now.
        const settled = yield* recordedOutcome(w.operationId);
        if (settled) {
          stopTimers();
          return settled;
        }
      } else {
        takeSignal();
        if (!repair) {
          const due = after(ctx, window);
          repair = ctx.df.createTimer(due);
          w.repairDue = due.toISOString();
        }
      }
      if (received >= MAX_SIGNALS_PER_EXECUTION || repairs >= MAX_REPAIRS_PER_EXECUTION) {
        // A decision or the deadline already in is handled here first; anything later is found by the next execution
        // (in the record: the runtime drops the events this one leaves unconsumed).
        if (hasResult(answer) || hasResult(deadline) || pendingApplies.some((a) => a.operationId !== w.operationId)) {
          continue;
        }
        stopTimers();
        ctx.df.continueAsNew(yield* carryOver(null, { awaiting: w }));
        return 'continued';
      }
    }
  }

  /**
   * What the operation's record says about an approval wait: the recorded answer, acted on; `rejected` when the
   * operation ended meanwhile without one (nothing left to wait for); undefined while it still waits (or cannot be
   * read now: the wait goes on and looks again at its next wake-up).
   */
  function* recordedOutcome(operationId: string): Step<'approved' | 'rejected' | undefined> {
    let read: z.output<typeof OperationReadSchema>;
    try {
      read = yield* callActivity(ctx, Activities.readOperation, { id: operationId }, OperationReadSchema, tally);
    } catch {
      return undefined;
    }
    if (read.answer) return yield* actOn(operationId, read.answer);
    return read.terminal ? 'rejected' : undefined;
  }

  /** Carries out an answer: a rejection is recorded; an approval lets the apply run. */
  function* actOn(operationId: string, answer: Pick<RecordedAnswer, 'decision' | 'by'>): Step<'approved' | 'rejected'> {
    if (answer.decision === 'approve') return 'approved';
    yield* reject(ctx, tally, operationId, `rejected by ${answer.by}`);
    return 'rejected';
  }
}

/** True when the task completed or failed. */
function hasResult(task: Task): boolean {
  return task.isCompleted || task.isFaulted;
}

/**
 * The first of `tasks` (in the order given) that already has a result, or else the first to get one. `Task.any` alone
 * never reports a task that completed before the `any` was built (an event that arrived while the orchestrator waited
 * on an activity), and would wait for another one instead.
 */
function* firstOf(ctx: OrchestrationContext, tasks: readonly Task[]): Step<Task> {
  const ready = tasks.find(hasResult);
  if (ready) return ready;
  const winner: unknown = yield ctx.df.Task.any([...tasks]);
  const found = tasks.find((t) => t === winner);
  if (!found) throw new Error('Task.any returned a task it was not given');
  return found;
}

/** How long the reconciler waits for an apply it watches through its record before giving up on the record. */
function applyBudgetMs(policy: MeshPolicy): number {
  const c = policy.convergence;
  return (c.memberTimeoutMinutes * (c.maxRemediationRounds + 1) + 120) * 60_000;
}

/** `24 hour(s)`, or minutes / seconds for the short timeouts tests use. */
function describeHours(hours: number): string {
  if (hours >= 1) return `${hours} hour(s)`;
  const seconds = Math.round(hours * 3600 * 10) / 10;
  return seconds >= 60 ? `${Math.round((seconds / 60) * 10) / 10} minute(s)` : `${seconds} second(s)`;
}

function* loadPolicy(ctx: OrchestrationContext, profile: string, tally: ArmTally): Step<MeshPolicy> {
  try {
    return yield* callActivity(ctx, Activities.loadPolicy, profile, MeshPolicySchema, tally);
  } catch {
    // An unreadable policy must not wedge the reconciler: planning reads it again and fails the cycle visibly.
    return MeshPolicySchema.parse({});
  }
}

/**
 * A mesh whose membership is right but with members stuck in Failed (the runbook's 403 case: applied, the cluster
 * identity lacking Network Contributor) is repaired by an apply that fixes what preflight found and re-applies. Only
 * when there is something concrete to fix, or an operator asks: an unexplained failure is never retried blindly.
 */
export function repairDecision(
  plan: MeshPlanResult,
  policy: MeshPolicy,
  operatorRequested: boolean,
): Decision | undefined {
  if (plan.blocked) return undefined;
  const failed = plan.plan.rows.filter((r) => r.action === 'None' && r.meshState === 'Failed').map((r) => r.name);
  if (failed.length === 0) return undefined;
  const fixable = failed.filter((m) => plan.fixes.some((f) => f.member === m));
  const reasons = [
    `${failed.length} member(s) of the mesh are Failed: ${failed.join(', ')}`,
    ...(fixable.length > 0
      ? [`fleetmesh can fix ${fixable.join(', ')}: grant Network Contributor, reconcile, re-apply`]
      : []),
  ];
  if (operatorRequested) return { kind: 'applyNow', reasons: ['an operator requested a re-apply', ...reasons] };
  if (fixable.length === 0) return undefined;
  if (policy.mode === 'auto') return { kind: 'applyNow', reasons: ["policy mode is 'auto'", ...reasons] };
  if (policy.mode === 'approve') {
    return {
      kind: 'awaitApproval',
      reasons: ["policy mode is 'approve': an operator must approve the repair", ...reasons],
      approvalTimeoutHours: policy.approvalTimeoutHours,
    };
  }
  return { kind: 'recordOnly', reasons: ["policy mode is 'manual': an operator starts the repair", ...reasons] };
}

/** Traffic Manager drift repair; a failure is logged in the durable status, never fatal to the reconciler. */
function* repairTraffic(ctx: OrchestrationContext, tally: ArmTally, profile: string, profileId: string): Step<number> {
  try {
    const traffic = yield* callActivity(
      ctx,
      Activities.syncTraffic,
      { profile, profileId },
      TrafficSyncResultSchema,
      tally,
    );
    return traffic.changes.length;
  } catch {
    return 0;
  }
}

/** Nothing to add or remove: repair Traffic Manager drift, refresh the view, close an operator's request. */
function* idleCycle(
  ctx: OrchestrationContext,
  tally: ArmTally,
  profile: string,
  plan: MeshPlanResult,
  request: ApplySignal | undefined,
  trigger: Trigger,
): Step<void> {
  let trafficChanges = 0;
  let trafficError: string | undefined;
  try {
    const traffic = yield* callActivity(
      ctx,
      Activities.syncTraffic,
      { profile, profileId: plan.profileId },
      TrafficSyncResultSchema,
      tally,
    );
    trafficChanges = traffic.changes.length;
  } catch (e) {
    trafficError = messageOf(e);
  }
  let operationId = request?.operationId ?? null;
  if (!request && trafficChanges > 0) {
    operationId = `${profile}.${ctx.df.newGuid(`${ctx.df.instanceId}:resync`)}`;
    yield* callActivity(
      ctx,
      Activities.createOperation,
      { id: operationId, profile, kind: 'resync', trigger, requestedBy: 'fleetmesh', planId: plan.plan.planId },
      OperationCreatedSchema,
      tally,
    );
  }
  if (operationId) {
    yield* callActivity(
      ctx,
      Activities.updateOperation,
      {
        id: operationId,
        status: trafficError ? 'Failed' : 'Succeeded',
        phase: 'done',
        planId: plan.plan.planId,
        plan: planRecord(plan),
        armCalls: tally.totals(),
        error: trafficError ? { code: 'TrafficSyncFailed', message: trafficError } : null,
      },
      OperationAckSchema,
      tally,
    );
  }
  yield* callActivity(
    ctx,
    Activities.refreshMeshView,
    { profile, lastOperationId: operationId },
    ViewRefreshSchema,
    tally,
  );
}

function* recordPlan(ctx: OrchestrationContext, tally: ArmTally, operationId: string, decision: Decision): Step<void> {
  const blocked = decision.kind === 'blocked';
  yield* callActivity(
    ctx,
    Activities.updateOperation,
    {
      id: operationId,
      status: blocked ? 'Failed' : 'Recorded',
      phase: blocked ? 'blocked by preflight' : 'recorded',
      armCalls: tally.totals(),
      error: blocked ? { code: 'PreflightBlocked', message: decision.reasons.join('; ') } : null,
    },
    OperationAckSchema,
    tally,
  );
}

/**
 * Records the operation Rejected. `unlessAnswered`: only while no answer is recorded on it (checked inside the
 * conditional update); the result then names the answer that won.
 */
function* reject(
  ctx: OrchestrationContext,
  tally: ArmTally,
  operationId: string,
  why: string,
  options: { unlessAnswered?: boolean } = {},
): Step<z.output<typeof OperationAckSchema>> {
  return yield* callActivity(
    ctx,
    Activities.updateOperation,
    {
      id: operationId,
      status: 'Rejected',
      phase: 'rejected',
      error: { code: 'Rejected', message: why },
      ...(options.unlessAnswered ? { unlessAnswered: true } : {}),
    },
    OperationAckSchema,
    tally,
  );
}

/**
 * The profile's newest operation when it already records this plan with this outcome (blocked: Failed with
 * PreflightBlocked; record-only: Recorded), or undefined. Unreadable: undefined (the plan is recorded again).
 */
function* lastOperationRecording(
  ctx: OrchestrationContext,
  tally: ArmTally,
  profile: string,
  planId: string,
  kind: 'blocked' | 'recordOnly',
): Step<string | undefined> {
  let last: z.output<typeof LastOperationSchema>;
  try {
    last = yield* callActivity(ctx, Activities.lastOperation, { profile }, LastOperationSchema, tally);
  } catch {
    return undefined;
  }
  if (!last || last.planId !== planId) return undefined;
  const same =
    kind === 'blocked' ? last.status === 'Failed' && last.errorCode === 'PreflightBlocked' : last.status === 'Recorded';
  return same ? last.id : undefined;
}

function* failOperation(
  ctx: OrchestrationContext,
  tally: ArmTally,
  operationId: string,
  code: string,
  message: string,
): Step<void> {
  try {
    yield* callActivity(
      ctx,
      Activities.updateOperation,
      { id: operationId, status: 'Failed', phase: 'done', error: { code, message } },
      OperationAckSchema,
      tally,
    );
  } catch {
    // Recording failed too; the reconciler's custom status and logs still show the failure.
  }
}

function* publish(ctx: OrchestrationContext, tally: ArmTally, events: OutcomeEvent[]): Step<void> {
  try {
    yield* callActivity(ctx, Activities.publishOutcome, { events }, PublishResultSchema, tally);
  } catch {
    // Outcome events are best effort: a topic outage must not stop the mesh from converging.
  }
}

function planCreated(
  ctx: OrchestrationContext,
  profile: string,
  operationId: string,
  plan: MeshPlanResult,
  decision: Decision,
): OutcomeEvent {
  return {
    type: 'fleetmesh.plan.created',
    subject: `meshes/${profile}/operations/${operationId}`,
    id: `${operationId}:plan:${plan.plan.planId}`,
    time: now(ctx).toISOString(),
    data: {
      profile,
      operationId,
      planId: plan.plan.planId,
      decision: decision.kind,
      reasons: [...decision.reasons],
      add: plan.plan.summary.add,
      remove: plan.plan.summary.remove,
      errors: plan.plan.summary.error,
    },
  };
}

function applyResultOf(child: Task, operationId: string): MeshApplyResult {
  const parsed = child.isFaulted ? undefined : MeshApplyResultSchema.safeParse(child.result);
  if (parsed?.success) return parsed.data;
  const message = child.isFaulted ? messageOf(child.result) : 'unreadable result';
  return { operationId, status: 'Failed', error: { code: 'ApplyCrashed', message }, members: [], rounds: 0 };
}

function nextCycle(carried: ReconcilerInput, cycles: number): ReconcilerInput {
  return { ...carried, cycles: cycles + 1 };
}
