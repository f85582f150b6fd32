/**
 * meshApply: preflight → fix → selector → apply → converge → traffic → record. Its instance id is the operation id.
 *
 * - Carries out the plan the reconciler computed a moment before when it is handed one (an immediate apply);
 *   otherwise (an approved apply) re-reads everything and recomputes it; a pinned plan id that no longer matches
 *   fails with PlanMismatch.
 * - Preflight errors block. Fixable warnings are fixed first: Network Contributor granted on the VNet and the cluster
 *   reconciled before the apply, so the clustermesh-apiserver load balancer never hits the 403.
 * - The selector is written (If-Match) only when it differs; the apply carries If-Match on the eTag it read.
 * - Convergence fans out in batches (convergeBatch → memberConverge), at most MAX_PARALLEL_BATCHES at a time. Members
 *   that need a re-apply share one per round, at most `maxRemediationRounds` rounds.
 * - Then Traffic Manager, the mesh view, the operation record and the outcome events.
 *
 * Never throws for an expected failure: the operation is recorded Failed with a code, and the result says so.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import {
  ConvergeBatchResultSchema,
  GrantResultSchema,
  MeshApplyInputSchema,
  MeshPlanResultSchema,
  SelectorWriteResultSchema,
  TrafficSyncResultSchema,
  type Convergence,
  type MeshApplyInput,
  type MeshApplyResult,
  type MeshPlanResult,
  type MemberOutcome,
  type MemberWork,
  type OutcomeEvent,
  type Remediation,
  OperationAckSchema,
  ViewRefreshSchema,
  PublishResultSchema,
  ProfileReadSchema,
} from './contracts.js';
import { ArmTally, callActivity, codeOf, messageOf, now, OrchestrationFailure, type Step } from './durable.js';
import { BATCH_SIZE } from './convergeBatch.js';
import { Activities, batchInstanceId, Orchestrations } from './names.js';
import { applyProfile, reconcileClusters } from './steps.js';
import { convergenceWork } from './work.js';
import { planWithPreflight } from '../shared/services/planner.js';
import type { MemberResult } from '../shared/state/documents.js';

/** Batches converging at once: 8 × 25 = 200 members in flight, inside ARM's write burst if all need remediation. */
export const MAX_PARALLEL_BATCHES = 8;

/**
 * meshApply's custom status, read by `GET /api/operations/{id}` while the apply runs. Kept compact (a 255-member apply
 * stays well inside the durable custom status size limit): members in flight are read from the batch instances.
 */
export interface ApplyProgress {
  phase: string;
  /** The convergence round (0, then one per remediation round). */
  round: number;
  /** Convergence batches of the current round: instances `batchInstanceId(operationId, round, 0 … batches-1)`. */
  batches: number;
  /** The latest outcome of every member a finished batch reported so far: member → [outcome, meshState]. */
  done: Record<string, [string, string | null]>;
  /** Why the outcome events could not be published (the operation's result does not depend on it). */
  outcomeEventError?: string;
}

export function* meshApply(ctx: OrchestrationContext): Step<MeshApplyResult> {
  const input = MeshApplyInputSchema.parse(ctx.df.getInput());
  const tally = new ArmTally();
  const progress: ApplyProgress = { phase: 'preflight', round: 0, batches: 0, done: {} };
  const setPhase = (phase: string): void => {
    progress.phase = phase;
    ctx.df.setCustomStatus(progress);
  };
  const outcomes = new Map<string, MemberOutcome>();
  let rounds = 0;

  try {
    setPhase('preflight');
    yield* update(ctx, tally, {
      id: input.operationId,
      status: 'Running',
      phase: 'preflight',
      instanceId: ctx.df.instanceId,
    });
    // A plan the reconciler computed just before starting this apply is reused (reading a 255-member fleet again
    // would spend hundreds of ARM reads to find the same plan); otherwise the fleet is read again.
    const plan =
      input.plan && input.planId !== null && input.plan.plan.planId === input.planId
        ? input.plan
        : yield* callActivity(
            ctx,
            Activities.computePlan,
            { profile: input.profile, memberSelector: input.memberSelector },
            MeshPlanResultSchema,
            tally,
          );
    if (input.planId && plan.plan.planId !== input.planId) {
      throw new OrchestrationFailure(
        'PlanMismatch',
        `the fleet changed since plan ${input.planId} was computed (the plan is now ${plan.plan.planId}); plan again`,
      );
    }
    yield* update(ctx, tally, { id: input.operationId, planId: plan.plan.planId, plan: planRecord(plan) });
    if (plan.blocked) {
      throw new OrchestrationFailure('PreflightBlocked', blockedMessage(plan));
    }
    const convergence = plan.policy.convergence;

    let fixed = new Map<string, Remediation[]>();
    if (plan.fixes.length > 0) {
      setPhase('remediating');
      yield* update(ctx, tally, { id: input.operationId, phase: 'remediating' });
      fixed = yield* fixBeforeApply(ctx, plan, convergence, tally);
    }

    let eTag = plan.profileETag;
    if (plan.selectorChanges) {
      setPhase('selector');
      const written = yield* callActivity(
        ctx,
        Activities.setMeshSelector,
        {
          profile: input.profile,
          selector: plan.desiredSelector,
          ifMatch: plan.profileExists ? plan.profileETag : null,
        },
        SelectorWriteResultSchema,
        tally,
      );
      eTag = written.eTag;
    }

    setPhase('applying');
    yield* update(ctx, tally, { id: input.operationId, phase: 'applying' });
    yield* applyProfile(ctx, input.profile, eTag, plan.desiredSelector, convergence, tally);

    let pending = convergenceWork(plan.plan.rows);
    while (pending.length > 0) {
      progress.batches = Math.ceil(pending.length / BATCH_SIZE);
      setPhase(rounds === 0 ? 'converging' : `converging (remediation round ${rounds})`);
      yield* update(ctx, tally, { id: input.operationId, phase: progress.phase });
      // Each batch's members show in the custom status as soon as that batch reports, not when the round ends.
      const reported = (batch: readonly MemberOutcome[]): void => {
        for (const o of batch) progress.done[o.member] = [o.outcome, o.meshState];
        ctx.df.setCustomStatus(progress);
      };
      const roundOutcomes = yield* convergeAll(
        ctx,
        input,
        plan.profileId,
        rounds,
        pending,
        convergence,
        tally,
        reported,
      );
      for (const o of roundOutcomes) {
        const previous = outcomes.get(o.member);
        const before = fixed.get(o.member);
        const withFixes = before && !previous ? { ...o, remediations: [...before, ...o.remediations] } : o;
        outcomes.set(o.member, previous ? merge(previous, withFixes) : withFixes);
      }
      const reapply = roundOutcomes.filter((o) => o.outcome === 'needsReapply');
      if (reapply.length === 0) break;
      if (rounds >= convergence.maxRemediationRounds) {
        for (const o of reapply) {
          outcomes.set(o.member, {
            ...o,
            outcome: 'failed',
            error: { code: 'RemediationExhausted', message: `still failing after ${rounds} remediation round(s)` },
          });
        }
        break;
      }
      rounds += 1;
      progress.round = rounds;
      progress.batches = 0; // this round's batches start after the re-apply
      setPhase(`reapplying (remediation round ${rounds})`);
      const current = yield* callActivity(
        ctx,
        Activities.readMeshProfile,
        { profile: input.profile },
        ProfileReadSchema,
        tally,
      );
      if (!current.exists || current.selector !== plan.desiredSelector) {
        throw new OrchestrationFailure(
          'ProfileChanged',
          `mesh profile '${input.profile}' changed during the apply (selector now '${current.selector ?? ''}'); not re-applying`,
        );
      }
      yield* applyProfile(ctx, input.profile, current.eTag, plan.desiredSelector, convergence, tally);
      const stamp = now(ctx).toISOString();
      for (const o of reapply) {
        outcomes.set(o.member, {
          ...o,
          remediations: [...o.remediations, { step: 'reapply', at: stamp, outcome: 'Succeeded' }],
        });
      }
      pending = reapply.map((o) => ({
        member: o.member,
        action: o.action,
        clusterResourceId: clusterOf(plan, o.member),
      }));
    }

    setPhase('traffic');
    yield* update(ctx, tally, { id: input.operationId, phase: 'traffic' });
    const traffic = yield* callActivity(
      ctx,
      Activities.syncTraffic,
      { profile: input.profile, profileId: plan.profileId },
      TrafficSyncResultSchema,
      tally,
    );
    setPhase('recording');
    yield* callActivity(
      ctx,
      Activities.refreshMeshView,
      { profile: input.profile, lastOperationId: input.operationId },
      ViewRefreshSchema,
      tally,
    );
    const unconverged = [...outcomes.values()].filter((o) => o.outcome === 'failed' || o.outcome === 'timeout');
    const error =
      unconverged.length > 0
        ? {
            code: 'MembersNotConverged',
            message: `${unconverged.length} member(s) did not converge: ${unconverged
              .map((o) => `${o.member} (${o.error?.code ?? o.outcome})`)
              .join(', ')}`,
          }
        : undefined;
    const status = error ? 'Failed' : 'Succeeded';
    yield* record(ctx, tally, input, status, outcomes, error);
    // From here on the operation's result is decided and recorded: publishing the outcome cannot change it.
    const outcomeEventError = yield* publishOutcomes(ctx, tally, input, status, outcomes, error, {
      trafficChanges: traffic.changes.length,
    });
    if (outcomeEventError !== undefined) {
      progress.outcomeEventError = outcomeEventError;
      yield* recordOutcomeEventError(ctx, tally, input.operationId, outcomeEventError);
    }
    setPhase('done');
    return {
      operationId: input.operationId,
      status,
      ...(error ? { error } : {}),
      members: [...outcomes.values()],
      rounds,
      ...(outcomeEventError !== undefined ? { outcomeEventError } : {}),
    };
  } catch (e) {
    const error = { code: codeOf(e), message: messageOf(e) };
    try {
      yield* record(ctx, tally, input, 'Failed', outcomes, error);
    } catch (recordFailure) {
      // The record could not be written either; the durable status still carries the outcome.
      ctx.df.setCustomStatus({ ...progress, phase: 'failed', recordError: messageOf(recordFailure) });
      return { operationId: input.operationId, status: 'Failed', error, members: [...outcomes.values()], rounds };
    }
    const outcomeEventError = yield* publishOutcomes(ctx, tally, input, 'Failed', outcomes, error, {});
    if (outcomeEventError !== undefined) {
      progress.outcomeEventError = outcomeEventError;
      yield* recordOutcomeEventError(ctx, tally, input.operationId, outcomeEventError);
    }
    setPhase('done');
    return {
      operationId: input.operationId,
      status: 'Failed',
      error,
      members: [...outcomes.values()],
      rounds,
      ...(outcomeEventError !== undefined ? { outcomeEventError } : {}),
    };
  }
}

/**
 * Grants the missing roles and reconciles those clusters before the apply. Returns, per member, the steps taken, so
 * the operation record and the outcome events show the remediation even though the member never failed.
 */
function* fixBeforeApply(
  ctx: OrchestrationContext,
  plan: MeshPlanResult,
  convergence: Convergence,
  tally: ArmTally,
): Step<Map<string, Remediation[]>> {
  const grants = uniqueBy(plan.fixes, (f) => `${f.principalId}|${f.scope.toLowerCase()}`).map((f) => ({
    principalId: f.principalId,
    scope: f.scope,
  }));
  yield* callActivity(ctx, Activities.grantNetworkContributor, { grants }, GrantResultSchema, tally);
  const granted = now(ctx).toISOString();
  const clusters = uniqueBy(plan.fixes, (f) => f.clusterResourceId.toLowerCase()).map((f) => f.clusterResourceId);
  const failures = yield* reconcileClusters(ctx, clusters, convergence, tally);
  if (failures.length > 0) {
    throw new OrchestrationFailure(
      'ReconcileFailed',
      `reconciling ${failures.map((f) => f.resourceId).join(', ')} failed: ${failures.map((f) => f.message).join('; ')}`,
    );
  }
  const reconciled = now(ctx).toISOString();
  const steps = new Map<string, Remediation[]>();
  for (const fix of plan.fixes) {
    const list = steps.get(fix.member) ?? [];
    list.push({ step: 'grantNetworkContributor', at: granted, outcome: 'Succeeded', detail: fix.scope });
    steps.set(fix.member, list);
  }
  for (const [member, list] of steps) {
    const cluster = plan.fixes.find((f) => f.member === member)?.clusterResourceId ?? '';
    list.push({ step: 'reconcileCluster', at: reconciled, outcome: 'Succeeded', detail: cluster });
  }
  return steps;
}

/** Runs the batches of a round, at most MAX_PARALLEL_BATCHES at a time, and returns every member's outcome. */
function* convergeAll(
  ctx: OrchestrationContext,
  input: MeshApplyInput,
  profileId: string,
  round: number,
  work: readonly MemberWork[],
  convergence: Convergence,
  tally: ArmTally,
  reported: (batch: readonly MemberOutcome[]) => void,
): Step<MemberOutcome[]> {
  const batches: MemberWork[][] = [];
  for (let i = 0; i < work.length; i += BATCH_SIZE) batches.push(work.slice(i, i + BATCH_SIZE));
  const outcomes: MemberOutcome[] = [];
  const running: Task[] = [];
  let next = 0;
  const start = (): void => {
    const index = next++;
    const members = batches[index];
    if (!members) return;
    running.push(
      ctx.df.callSubOrchestrator(
        Orchestrations.convergeBatch,
        { operationId: input.operationId, profile: input.profile, profileId, round, members, convergence },
        batchInstanceId(input.operationId, round, index),
      ),
    );
  };
  while (next < Math.min(MAX_PARALLEL_BATCHES, batches.length)) start();
  while (running.length > 0) {
    const finished: unknown = yield ctx.df.Task.any(running);
    const at = running.findIndex((t) => t === finished);
    const [task] = running.splice(at, 1);
    if (!task) throw new Error('Task.any returned a task that is not running');
    const parsed = task.isFaulted ? undefined : ConvergeBatchResultSchema.safeParse(task.result);
    if (!parsed?.success) {
      throw new OrchestrationFailure('ConvergeFailed', `a convergence batch failed: ${messageOf(task.result)}`);
    }
    tally.add(parsed.data.arm);
    outcomes.push(...parsed.data.outcomes);
    reported(parsed.data.outcomes);
    if (next < batches.length) start();
  }
  return outcomes;
}

function* update(ctx: OrchestrationContext, tally: ArmTally, patch: Record<string, unknown>): Step<void> {
  yield* callActivity(
    ctx,
    Activities.updateOperation,
    { ...patch, armCalls: tally.totals() },
    OperationAckSchema,
    tally,
  );
}

/** Records the operation's result (status, per-member results, error, ARM calls). */
function* record(
  ctx: OrchestrationContext,
  tally: ArmTally,
  input: MeshApplyInput,
  status: 'Succeeded' | 'Failed',
  outcomes: ReadonlyMap<string, MemberOutcome>,
  error: { code: string; message: string } | undefined,
): Step<void> {
  yield* update(ctx, tally, {
    id: input.operationId,
    status,
    phase: 'done',
    members: [...outcomes.values()].map(memberResult),
    error: error ?? null,
  });
}

/**
 * Publishes the outcome CloudEvents, best effort: a topic that is down or refuses them (after the activity's retries
 * of transient failures) never changes the operation's result. Returns why publishing failed, or undefined.
 */
function* publishOutcomes(
  ctx: OrchestrationContext,
  tally: ArmTally,
  input: MeshApplyInput,
  status: 'Succeeded' | 'Failed',
  outcomes: ReadonlyMap<string, MemberOutcome>,
  error: { code: string; message: string } | undefined,
  extra: Record<string, number>,
): Step<string | undefined> {
  const members = outcomes.size;
  const at = now(ctx).toISOString();
  const events: OutcomeEvent[] = [
    {
      type: status === 'Succeeded' ? 'fleetmesh.apply.succeeded' : 'fleetmesh.apply.failed',
      subject: `meshes/${input.profile}/operations/${input.operationId}`,
      id: `${input.operationId}:${status}`,
      time: at,
      data: {
        profile: input.profile,
        operationId: input.operationId,
        status,
        ...(error ? { error } : {}),
        members,
        ...extra,
      },
    },
    ...[...outcomes.values()]
      .filter(
        (o) =>
          o.outcome === 'connected' &&
          o.remediations.some((r) => r.step === 'grantNetworkContributor' || r.step === 'reconcileCluster'),
      )
      .map((o): OutcomeEvent => ({
        type: 'fleetmesh.member.remediated',
        subject: `meshes/${input.profile}/members/${o.member}`,
        id: `${input.operationId}:${o.member}:remediated`,
        time: at,
        data: {
          profile: input.profile,
          member: o.member,
          operationId: input.operationId,
          steps: o.remediations.map((r) => r.step),
        },
      })),
  ];
  try {
    yield* callActivity(ctx, Activities.publishOutcome, { events }, PublishResultSchema, tally);
    return undefined;
  } catch (e) {
    return messageOf(e);
  }
}

/**
 * Keeps the publish failure on the operation record, where `GET /api/operations/{id}` and the operations list find it
 * once the durable history is purged. Best effort, like the publish itself: the status is recorded already.
 */
function* recordOutcomeEventError(
  ctx: OrchestrationContext,
  tally: ArmTally,
  operationId: string,
  outcomeEventError: string,
): Step<void> {
  try {
    yield* update(ctx, tally, { id: operationId, outcomeEventError });
  } catch {
    // The durable custom status still carries it while the instance's history is kept.
  }
}

function memberResult(o: MemberOutcome): MemberResult {
  const outcome =
    o.outcome === 'connected' || o.outcome === 'removed'
      ? 'Succeeded'
      : o.outcome === 'needsReapply'
        ? 'Running'
        : 'Failed';
  return {
    member: o.member,
    action: o.action,
    meshState: o.meshState,
    outcome,
    attempts: o.polls,
    remediations: o.remediations,
    startedAt: o.startedAt,
    finishedAt: o.finishedAt,
    durationMs: Math.max(0, new Date(o.finishedAt).getTime() - new Date(o.startedAt).getTime()),
    ...(o.error ? { error: o.error } : {}),
  };
}

function merge(previous: MemberOutcome, next: MemberOutcome): MemberOutcome {
  return {
    ...next,
    polls: previous.polls + next.polls,
    remediations: [...previous.remediations, ...next.remediations],
    startedAt: previous.startedAt,
  };
}

function clusterOf(plan: MeshPlanResult, member: string): string {
  return plan.plan.rows.find((r) => r.name === member)?.clusterResourceId ?? '';
}

function blockedMessage(plan: MeshPlanResult): string {
  const errors = plan.findings.filter((f) => f.severity === 'error');
  return `preflight found ${errors.length} error(s): ${errors
    .map((f) => `${f.checkId}${f.member ? ` (${f.member})` : ''}: ${f.message}`)
    .join('; ')}`;
}

/**
 * What the operation record keeps of the plan: the rows as the plan route shows them (a member preflight blocks is an
 * `Error` row naming why, not an `Add`), with the what-if plan's id. Decisions use the what-if plan itself.
 */
export function planRecord(plan: MeshPlanResult): unknown {
  const shown = planWithPreflight(plan.plan, plan.findings);
  return {
    planId: plan.plan.planId,
    desiredSelector: plan.desiredSelector,
    currentSelector: plan.currentSelector,
    summary: shown.summary,
    rows: shown.rows,
    findings: plan.findings,
    fixes: plan.fixes,
  };
}

function uniqueBy<T>(items: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = key(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
