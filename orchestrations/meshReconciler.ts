/**
 * meshReconciler: the single writer of one mesh profile (instance id `meshReconciler:<profile>`). Triggers only
 * signal it (`Reconcile`); it debounces, plans, decides with the apply policy, waits for approval when the policy
 * asks, runs meshApply as a sub-orchestration (instance id = operation id), and `continueAsNew`s after each cycle.
 *
 * Signals are never lost: one `Reconcile` wait is kept open for the whole execution and included in every wait that
 * can block (debounce, approval, apply); whatever it has collected is carried into the next execution. A storm of
 * signals during the debounce window continues-as-new every MAX_SIGNALS_PER_EXECUTION signals, with the window's
 * start carried over, so the history stays bounded.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import { decide, MeshPolicySchema, type Decision, type MeshPolicy } from '../shared/domain/index.js';
import {
  ApprovalDecisionSchema,
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

  // The one open wait for signals; renewed each time it completes.
  let signal: Task = ctx.df.waitForExternalEvent(Events.reconcile);
  let received = 0;
  const takeSignal = (): void => {
    absorb(signal.result);
    received += 1;
    signal = ctx.df.waitForExternalEvent(Events.reconcile);
  };
  const carryOver = (windowStart: string | null): ReconcilerInput => {
    if (signal.isCompleted) takeSignal();
    return {
      profile,
      pendingApplies,
      pendingChanges,
      windowStart,
      signals: [],
      cycles: state.cycles,
      lastDecision: decided ?? state.lastDecision,
    };
  };
  let decided: string | null = null;
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

  // 1. Wait for work.
  if (pendingApplies.length === 0 && pendingChanges === 0) {
    status('idle');
    yield signal;
    takeSignal();
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
      const winner: unknown = yield ctx.df.Task.any([timer, signal]);
      if (winner === timer) break;
      timer.cancel();
      takeSignal();
      quietUntil = now(ctx).getTime() + policy.debounceSeconds * 1000;
      if (received >= MAX_SIGNALS_PER_EXECUTION && !hasPendingApply()) {
        ctx.df.continueAsNew(carryOver(windowStart.toISOString()));
        return { continued: 'debounce' };
      }
    }
  }

  // 3. Plan: an operator's apply first (oldest), otherwise everything the signals asked to look at.
  const request = pendingApplies.shift();
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
    ctx.df.continueAsNew(nextCycle(carryOver(null), state.cycles));
    return { planFailed: messageOf(e) };
  }

  if (!plan.profileExists && !request) {
    // The profile is gone (or never existed): record that and stop; the next signal starts a new reconciler.
    yield* callActivity(ctx, Activities.refreshMeshView, { profile, lastOperationId: null }, ViewRefreshSchema, tally);
    const carried = carryOver(null);
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
    ctx.df.continueAsNew(nextCycle(carryOver(null), state.cycles));
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
  } else {
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
    let approved = decision.kind === 'applyNow';
    if (decision.kind === 'blocked' || decision.kind === 'recordOnly') {
      yield* recordPlan(ctx, tally, profile, operationId, plan, decision);
    } else if (decision.kind === 'awaitApproval') {
      approved = yield* awaitApproval(ctx, tally, profile, operationId, plan, decision);
    }
    if (approved) {
      status('applying', { operationId });
      // Applied at once, the plan just computed is handed over; after an approval wait meshApply reads again.
      const child = ctx.df.callSubOrchestrator(
        Orchestrations.meshApply,
        {
          operationId,
          profile,
          planId: plan.plan.planId,
          memberSelector: request?.memberSelector ?? null,
          trigger,
          ...(decision.kind === 'applyNow' ? { plan: plan } : {}),
        },
        operationId,
      );
      while (!child.isCompleted) {
        const winner: unknown = yield ctx.df.Task.any([child, signal]);
        if (winner === signal) takeSignal();
      }
      const result = applyResultOf(child, operationId);
      status('applied', { operationId, outcome: result.status });
    }
    yield* callActivity(
      ctx,
      Activities.refreshMeshView,
      { profile, lastOperationId: operationId },
      ViewRefreshSchema,
      tally,
    );
  }

  ctx.df.continueAsNew(nextCycle(carryOver(null), state.cycles));
  return { cycle: state.cycles };

  // -------------------------------------------------------------------------------------------------------------
  function* awaitApproval(
    context: OrchestrationContext,
    t: ArmTally,
    mesh: string,
    operationId: string,
    p: MeshPlanResult,
    d: Decision,
  ): Step<boolean> {
    const hours = d.approvalTimeoutHours ?? policy.approvalTimeoutHours;
    yield* callActivity(
      context,
      Activities.updateOperation,
      { id: operationId, status: 'AwaitingApproval', phase: 'awaiting approval' },
      OperationAckSchema,
      t,
    );
    yield* publish(context, t, [planCreated(context, mesh, operationId, p, d)]);
    const until = after(context, hours * 3_600_000);
    const timer = context.df.createTimer(until);
    let answer: Task = context.df.waitForExternalEvent(Events.approvalDecision);
    for (;;) {
      status('awaiting approval', { operationId, until: until.toISOString() });
      const winner: unknown = yield context.df.Task.any([timer, answer, signal]);
      if (winner === timer) {
        yield* reject(context, t, operationId, `no approval within ${hours} hour(s)`);
        return false;
      }
      if (winner === signal) {
        takeSignal();
        const superseding = pendingApplies.find((a) => a.operationId !== operationId);
        if (superseding) {
          timer.cancel();
          yield* reject(context, t, operationId, `superseded by operation ${superseding.operationId}`);
          return false;
        }
        // The wait can last hours: keep repairing Traffic Manager drift meanwhile (the plan itself waits).
        yield* repairTraffic(context, t, mesh, p.profileId);
        continue;
      }
      const parsed = ApprovalDecisionSchema.safeParse(answer.result);
      answer = context.df.waitForExternalEvent(Events.approvalDecision);
      if (!parsed.success || parsed.data.operationId !== operationId) continue; // an answer to another operation
      timer.cancel();
      if (parsed.data.decision === 'reject') {
        yield* reject(context, t, operationId, `rejected by ${parsed.data.by}`);
        return false;
      }
      return true;
    }
  }
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

function* recordPlan(
  ctx: OrchestrationContext,
  tally: ArmTally,
  profile: string,
  operationId: string,
  plan: MeshPlanResult,
  decision: Decision,
): Step<void> {
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
  yield* publish(ctx, tally, [planCreated(ctx, profile, operationId, plan, decision)]);
}

function* reject(ctx: OrchestrationContext, tally: ArmTally, operationId: string, why: string): Step<void> {
  yield* callActivity(
    ctx,
    Activities.updateOperation,
    { id: operationId, status: 'Rejected', phase: 'rejected', error: { code: 'Rejected', message: why } },
    OperationAckSchema,
    tally,
  );
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
