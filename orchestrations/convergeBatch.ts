/**
 * convergeBatch: one memberConverge per member of the batch (at most BATCH_SIZE), awaited as each finishes so the
 * batch's custom status shows per-member progress. Splitting a 255-member apply into batches keeps every history small
 * (meshApply sees ~11 batches, a batch sees ≤25 members) instead of one instance with hundreds of children.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import {
  ConvergeBatchInputSchema,
  MemberConvergeResultSchema,
  type ConvergeBatchResult,
  type MemberOutcome,
  type MemberWork,
} from './contracts.js';
import { ArmTally, messageOf, now, type Step } from './durable.js';
import { memberInstanceId, Orchestrations } from './names.js';

export const BATCH_SIZE = 25;

export function* convergeBatch(ctx: OrchestrationContext): Step<ConvergeBatchResult> {
  const input = ConvergeBatchInputSchema.parse(ctx.df.getInput());
  const startedAt = now(ctx);
  const deadline = new Date(startedAt.getTime() + input.convergence.memberTimeoutMinutes * 60_000).toISOString();
  const tally = new ArmTally();
  const running = new Map<Task, MemberWork>();
  for (const work of input.members) {
    const task = ctx.df.callSubOrchestrator(
      Orchestrations.memberConverge,
      {
        operationId: input.operationId,
        profile: input.profile,
        profileId: input.profileId,
        work,
        convergence: input.convergence,
        deadline,
        startedAt: startedAt.toISOString(),
      },
      memberInstanceId(input.operationId, input.round, work.member),
    );
    running.set(task, work);
  }
  const outcomes: MemberOutcome[] = [];
  const report = (): void => {
    ctx.df.setCustomStatus({
      round: input.round,
      done: outcomes.map((o) => ({ member: o.member, outcome: o.outcome, meshState: o.meshState })),
      inFlight: [...running.values()].map((w) => w.member),
    });
  };
  // In flight from the start, so the operation shows these members converging before the first one finishes.
  report();
  while (running.size > 0) {
    const finished: unknown = yield ctx.df.Task.any([...running.keys()]);
    const entry = [...running.entries()].find(([task]) => task === finished);
    if (!entry) throw new Error('Task.any returned a task that is not running');
    const [task, work] = entry;
    running.delete(task);
    outcomes.push(outcomeOf(task, work, startedAt, ctx, tally));
    report();
  }
  return { outcomes, arm: tally.totals() };
}

function outcomeOf(
  task: Task,
  work: MemberWork,
  startedAt: Date,
  ctx: OrchestrationContext,
  tally: ArmTally,
): MemberOutcome {
  if (!task.isFaulted) {
    const parsed = MemberConvergeResultSchema.safeParse(task.result);
    if (parsed.success) {
      const { arm, ...outcome } = parsed.data;
      tally.add(arm);
      return outcome;
    }
  }
  // A child that crashed (or returned garbage) is a failed member, not a failed batch.
  return {
    member: work.member,
    action: work.action,
    outcome: 'failed',
    meshState: null,
    polls: 0,
    remediations: [],
    startedAt: startedAt.toISOString(),
    finishedAt: now(ctx).toISOString(),
    error: { code: 'ConvergeFailed', message: task.isFaulted ? messageOf(task.result) : 'unreadable result' },
  };
}
