/**
 * Steps more than one orchestrator takes: reconciling AKS clusters and applying the mesh profile, each a long-running
 * ARM operation started by one activity and then polled by another between durable timers (Retry-After honoured,
 * capped by the policy's longest poll interval), so no activity ever blocks on a long wait.
 */
import type { OrchestrationContext } from 'durable-functions';
import { LroSummariesSchema, LroSummarySchema, type Convergence, type LroSummary } from './contracts.js';
import { callActivity, OrchestrationFailure, sleep, type ArmTally, type Step } from './durable.js';
import { Activities } from './names.js';

type Running = Extract<LroSummary, { status: 'running' }>;

function waitFor(running: readonly Running[], convergence: Convergence): number {
  const floor = convergence.pollIntervalSeconds * 1000;
  const cap = convergence.maxPollIntervalSeconds * 1000;
  const asked = Math.max(0, ...running.map((r) => r.retryAfterMs ?? 0));
  return Math.min(Math.max(floor, asked), cap);
}

/**
 * Reconciles the clusters (`az aks update` with no arguments: GET + PUT of the same model with If-Match) and waits
 * for every one. Returns the failures (empty when all succeeded).
 */
export function* reconcileClusters(
  ctx: OrchestrationContext,
  clusterResourceIds: readonly string[],
  convergence: Convergence,
  tally: ArmTally,
): Step<{ code: string; message: string; resourceId: string }[]> {
  if (clusterResourceIds.length === 0) return [];
  let summaries = yield* callActivity(
    ctx,
    Activities.beginClusterReconciles,
    { clusterResourceIds },
    LroSummariesSchema,
    tally,
  );
  const failures: { code: string; message: string; resourceId: string }[] = [];
  for (;;) {
    const running: Running[] = [];
    for (const s of summaries) {
      if (s.status === 'running') running.push(s);
      else if (s.status === 'failed') failures.push({ ...s.error, resourceId: s.resourceId });
    }
    if (running.length === 0) return failures;
    yield* sleep(ctx, waitFor(running, convergence));
    summaries = yield* callActivity(
      ctx,
      Activities.pollClusterReconciles,
      { states: running.map((r) => r.next) },
      LroSummariesSchema,
      tally,
    );
  }
}

/** The code the apply operation ends with when it ran but some members failed to join (reference §1, simulator). */
export const MEMBER_FAILURES = 'ClusterMeshApplyFailed';

/**
 * Applies the mesh profile (POST apply, If-Match when given) and waits for the operation to finish. Returns the
 * profile state, or the member failures the apply reported (convergence then diagnoses those members). `selector` is
 * the selector the apply is for: an apply of it found already running (this step's own POST, sent before a crash or
 * a lost answer) is adopted instead of failing on the changed eTag.
 */
export function* applyProfile(
  ctx: OrchestrationContext,
  profile: string,
  ifMatch: string | null,
  selector: string,
  convergence: Convergence,
  tally: ArmTally,
): Step<{ state: string | null; memberFailures: string | null }> {
  let summary = yield* callActivity(
    ctx,
    Activities.beginMeshApply,
    { profile, ifMatch, selector },
    LroSummarySchema,
    tally,
  );
  while (summary.status === 'running') {
    yield* sleep(ctx, waitFor([summary], convergence));
    summary = yield* callActivity(ctx, Activities.pollMeshApply, { state: summary.next }, LroSummarySchema, tally);
  }
  if (summary.status === 'failed') {
    // The service ends an apply Failed when any member fails to join (ClusterMeshApplyFailed, one detail per member):
    // the apply happened, and the members' own states say what to do next, so convergence goes on. Anything else
    // (precondition, conflict, service error) means the apply did not happen.
    if (summary.error.code === MEMBER_FAILURES) return { state: null, memberFailures: summary.error.message };
    throw new OrchestrationFailure(
      'ApplyFailed',
      `applying mesh profile '${profile}' failed: ${summary.error.message}`,
    );
  }
  return { state: summary.state, memberFailures: null };
}
