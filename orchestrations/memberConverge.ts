/**
 * memberConverge: drives one member to its target after an apply: `Connected` for an `Add`, out of the mesh for a
 * `Remove`. Polls the member's mesh state with durable timers and exponential backoff until the member's deadline.
 *
 * On `Failed` it diagnoses from ARM. A cluster identity without Network Contributor on its VNet gets the role
 * (deterministic assignment name, so a replay or retry never duplicates it) and the cluster is reconciled; the member
 * then reports `needsReapply`, and meshApply re-applies the profile once for every member that needs it. A role that
 * is present while the member still reports the 403 means the cluster has not picked it up: reconcile, re-apply. Any
 * other cause is reported with its evidence and never retried blindly.
 *
 * Polls follow the policy: `pollIntervalSeconds`, doubling up to `maxPollIntervalSeconds`, until the member's
 * deadline. History stays bounded: after MAX_POLLS state reads an execution continues as new (polls, remediations
 * and the current interval carried over), so a member that takes long costs more executions, not a longer history.
 */
import type { OrchestrationContext } from 'durable-functions';
import {
  DiagnosisSchema,
  GrantResultSchema,
  MemberConvergeInputSchema,
  MemberStateSchema,
  type MemberConvergeInput,
  type MemberOutcome,
  type Remediation,
} from './contracts.js';
import { ArmTally, callActivity, now, sleep, type Step } from './durable.js';
import { Activities } from './names.js';
import { reconcileClusters } from './steps.js';

/** State reads per execution before it continues as new (keeps each history well under 200 events). */
export const MAX_POLLS = 16;

export function* memberConverge(
  ctx: OrchestrationContext,
): Step<(MemberOutcome & { arm: ReturnType<ArmTally['totals']> }) | { continuedAsNew: true }> {
  const input = MemberConvergeInputSchema.parse(ctx.df.getInput());
  const tally = new ArmTally(input.arm);
  const outcome = yield* converge(ctx, input, tally);
  // Continued as new: this execution's value is dropped; the parent gets the last execution's.
  if (!outcome) return { continuedAsNew: true };
  return { ...outcome, arm: tally.totals() };
}

function* converge(
  ctx: OrchestrationContext,
  input: ReturnType<typeof MemberConvergeInputSchema.parse>,
  tally: ArmTally,
): Step<MemberOutcome | undefined> {
  const { work, convergence, profileId } = input;
  const deadline = new Date(input.deadline).getTime();
  const remediations: Remediation[] = [...input.remediations];
  let polls = input.polls;
  let pollsHere = 0;
  const maxInterval = convergence.maxPollIntervalSeconds * 1000;
  let interval = Math.min(input.nextIntervalMs ?? convergence.pollIntervalSeconds * 1000, maxInterval);
  const result = (
    outcome: MemberOutcome['outcome'],
    meshState: MemberOutcome['meshState'],
    extra: Partial<Pick<MemberOutcome, 'error' | 'evidence'>> = {},
  ): MemberOutcome => ({
    member: work.member,
    action: work.action,
    outcome,
    meshState,
    polls,
    remediations,
    startedAt: input.startedAt,
    finishedAt: now(ctx).toISOString(),
    ...extra,
  });

  for (;;) {
    const state = yield* callActivity(
      ctx,
      Activities.readMemberState,
      { member: work.member, profileId, notBefore: now(ctx).toISOString() },
      MemberStateSchema,
      tally,
    );
    polls += 1;
    pollsHere += 1;
    ctx.df.setCustomStatus({
      member: work.member,
      action: work.action,
      meshState: state.meshState,
      step: 'watching',
      polls,
    });

    if (!state.exists) {
      return work.action === 'Remove'
        ? result('removed', null)
        : result('failed', null, {
            error: { code: 'MemberNotFound', message: `member '${work.member}' no longer exists` },
          });
    }
    if (work.action === 'Add') {
      if (state.meshState === 'Connected') return result('connected', 'Connected');
      if (state.otherProfileId) {
        return result('failed', null, {
          error: { code: 'InOtherProfile', message: `member '${work.member}' is in mesh ${state.otherProfileId}` },
        });
      }
      if (state.meshState === 'Failed') return yield* remediate(ctx, input, tally, remediations, result, state.error);
    } else {
      if (state.meshState === null) return result('removed', null);
      if (state.meshState === 'Failed') {
        return result('failed', 'Failed', {
          error: { code: 'DisconnectFailed', message: state.error?.message ?? 'the member failed to disconnect' },
        });
      }
    }

    const remaining = deadline - now(ctx).getTime();
    if (remaining <= 0) {
      return result('timeout', state.meshState, {
        error: {
          code: 'ConvergenceTimeout',
          message: `member '${work.member}' still ${state.meshState ?? 'not in the mesh'} after ${polls} checks`,
        },
      });
    }
    if (pollsHere >= MAX_POLLS) {
      const next: MemberConvergeInput = {
        ...input,
        polls,
        remediations,
        nextIntervalMs: interval,
        arm: tally.totals(),
      };
      ctx.df.continueAsNew(next);
      return undefined;
    }
    yield* sleep(ctx, Math.min(remaining, interval));
    interval = Math.min(interval * 2, maxInterval);
  }
}

function* remediate(
  ctx: OrchestrationContext,
  input: ReturnType<typeof MemberConvergeInputSchema.parse>,
  tally: ArmTally,
  remediations: Remediation[],
  result: (
    outcome: MemberOutcome['outcome'],
    meshState: MemberOutcome['meshState'],
    extra?: Partial<Pick<MemberOutcome, 'error' | 'evidence'>>,
  ) => MemberOutcome,
  memberError: { code: string; message: string } | null,
): Step<MemberOutcome> {
  const { work, profileId } = input;
  // The custom status names the step under way (what `GET /api/operations/{id}` shows while it runs); `step` records
  // a step once it is done.
  const doing = (s: Remediation['step']): void => {
    ctx.df.setCustomStatus({ member: work.member, action: work.action, meshState: 'Failed', step: s });
  };
  const step = (s: Remediation['step'], outcome: Remediation['outcome'], detail?: string): void => {
    remediations.push({ step: s, at: now(ctx).toISOString(), outcome, ...(detail ? { detail } : {}) });
  };
  doing('diagnose');
  const diagnosis = yield* callActivity(
    ctx,
    Activities.diagnoseMember,
    { member: work.member, profileId },
    DiagnosisSchema,
    tally,
  );
  // The evidence goes into the recorded step, so the operation shows why, whatever fleetmesh does next.
  step('diagnose', 'Succeeded', clip(`${diagnosis.cause}: ${diagnosis.evidence.join('; ')}`));
  const failedWith = memberError ?? { code: 'MemberFailed', message: `member '${work.member}' failed to connect` };

  if (diagnosis.cause === 'networkRoleMissing' && diagnosis.principalId) {
    const principalId = diagnosis.principalId;
    doing('grantNetworkContributor');
    yield* callActivity(
      ctx,
      Activities.grantNetworkContributor,
      { grants: diagnosis.vnetIds.map((scope) => ({ principalId, scope })) },
      GrantResultSchema,
      tally,
    );
    step('grantNetworkContributor', 'Succeeded', diagnosis.vnetIds.join(', '));
  }
  if (diagnosis.cause === 'networkRoleMissing' || diagnosis.cause === 'authorizationPending') {
    doing('reconcileCluster');
    const failures = yield* reconcileClusters(ctx, [diagnosis.clusterResourceId], input.convergence, tally);
    const failure = failures[0];
    if (failure) {
      step('reconcileCluster', 'Failed', failure.message);
      return result('failed', 'Failed', { error: failure, evidence: diagnosis.evidence });
    }
    step('reconcileCluster', 'Succeeded', diagnosis.clusterResourceId);
    return result('needsReapply', 'Failed', { error: failedWith, evidence: diagnosis.evidence });
  }
  // A cause fleetmesh cannot fix (a prerequisite, or unknown): reported with its evidence, never re-applied blindly.
  return result('failed', 'Failed', {
    error: {
      code: failedWith.code,
      message: `${failedWith.message} (diagnosis: ${diagnosis.cause}; not retried: fleetmesh has no fix for this cause)`,
    },
    evidence: diagnosis.evidence,
  });
}

/** Recorded step details stay readable (and small) however much evidence a diagnosis gathered. */
function clip(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
