/**
 * GET /api/operations/{id}: one operation's record (plan, approvals, per-member results, ARM calls, error) and, while
 * it runs, its live progress: the apply's runtime status and phase, and per member the outcome so far or, for members
 * still converging, their mesh state and current step (read from the batch and member instances).
 */
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { batchInstanceId, memberInstanceId } from '../orchestrations/names.js';
import { BATCH_SIZE } from '../orchestrations/convergeBatch.js';
import { convergenceWork } from '../orchestrations/work.js';
import { getRoot } from '../shared/runtime/root.js';
import { OperationIdParams } from './lib/approval.js';
import { authorize, guarded, params, problem } from './lib/http.js';
import { instanceStatus } from './lib/status.js';

/** Live reads per request are bounded: a 255-member apply is summarised, not polled member by member. */
const MAX_MEMBER_READS = 50;

/** meshApply's custom status (orchestrations/meshApply.ts `ApplyProgress`). */
const ApplyStatus = z
  .object({
    phase: z.string(),
    round: z.int().min(0),
    batches: z.int().min(0).optional(),
    done: z.record(z.string(), z.tuple([z.string(), z.string().nullable()])).optional(),
    outcomeEventError: z.string().optional(),
  })
  .loose();
const BatchStatus = z.object({
  done: z.array(z.object({ member: z.string(), outcome: z.string(), meshState: z.string().nullable() })),
  inFlight: z.array(z.string()),
});
const MemberStatus = z.object({ meshState: z.string().nullable(), step: z.string() }).loose();
const PlanRows = z
  .object({
    rows: z.array(
      z
        .object({
          name: z.string(),
          action: z.string(),
          meshState: z.string().nullable().optional(),
          clusterResourceId: z.string().default(''),
        })
        .loose(),
    ),
  })
  .loose();

interface ProgressEntry {
  member: string;
  outcome: string;
  meshState: string | null;
  step?: string;
}

df.app.client.http('getOperation', {
  route: 'operations/{id}',
  methods: ['GET'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    async (request: HttpRequest, client: df.DurableClient) => {
      authorize(request, 'reader');
      const { id } = params(request, OperationIdParams);
      const op = await getRoot().store.getOperation(id);
      if (!op) return problem(404, 'NotFound', `operation '${id}' does not exist`);
      const durable = await instanceStatus(client, id);
      const applyStatus = ApplyStatus.safeParse(durable?.customStatus);
      const live =
        durable?.runtimeStatus === df.OrchestrationRuntimeStatus.Running && applyStatus.success
          ? await progress(client, id, applyStatus.data, PlanRows.safeParse(op.value.plan))
          : undefined;
      const outcomeEventError = applyStatus.success ? applyStatus.data.outcomeEventError : undefined;
      return {
        status: 200,
        headers: { ETag: op.etag },
        jsonBody: {
          ...op.value,
          runtimeStatus: durable?.runtimeStatus ?? null,
          livePhase: applyStatus.success ? applyStatus.data.phase : null,
          ...(live ? { progress: live } : {}),
          // Outcome events are best effort: a publish failure is reported here and never changes `status`.
          ...(outcomeEventError !== undefined ? { outcomeEventError } : {}),
        },
      };
    },
  ),
});

/**
 * Per-member progress of a running apply: every member the apply converges (the same work list meshApply derives
 * from the plan), with the latest outcome a finished batch reported, and for the members of the current round still
 * in flight their mesh state and step, read from the batch and member instances.
 */
async function progress(
  client: df.DurableClient,
  operationId: string,
  apply: z.output<typeof ApplyStatus>,
  plan: z.ZodSafeParseResult<z.output<typeof PlanRows>>,
): Promise<ProgressEntry[]> {
  const byMember = new Map<string, ProgressEntry>();
  const work = plan.success ? convergenceWork(plan.data.rows) : [];
  const rowState = new Map(plan.success ? plan.data.rows.map((r) => [r.name, r.meshState ?? null]) : []);
  for (const w of work) {
    const state = rowState.get(w.member) ?? null;
    byMember.set(w.member, { member: w.member, outcome: 'pending', meshState: state === '-' ? null : state });
  }
  for (const [member, [outcome, meshState]] of Object.entries(apply.done ?? {})) {
    byMember.set(member, { member, outcome, meshState });
  }
  const round = apply.round;
  const batches = apply.batches ?? (round === 0 ? Math.ceil(work.length / BATCH_SIZE) : 0);
  const statuses = await Promise.all(
    Array.from({ length: batches }, (_, b) => instanceStatus(client, batchInstanceId(operationId, round, b))),
  );
  const inFlight: string[] = [];
  for (const s of statuses) {
    const parsed = BatchStatus.safeParse(s?.customStatus);
    if (!parsed.success) continue;
    for (const d of parsed.data.done) byMember.set(d.member, d);
    inFlight.push(...parsed.data.inFlight);
  }
  const details = await Promise.all(
    inFlight.slice(0, MAX_MEMBER_READS).map(async (member): Promise<ProgressEntry> => {
      const s = MemberStatus.safeParse(
        (await instanceStatus(client, memberInstanceId(operationId, round, member)))?.customStatus,
      );
      return {
        member,
        outcome: 'converging',
        meshState: s.success ? s.data.meshState : (byMember.get(member)?.meshState ?? null),
        ...(s.success ? { step: s.data.step } : {}),
      };
    }),
  );
  for (const d of details) byMember.set(d.member, d);
  for (const member of inFlight.slice(MAX_MEMBER_READS)) {
    byMember.set(member, { member, outcome: 'converging', meshState: byMember.get(member)?.meshState ?? null });
  }
  return [...byMember.values()].sort((a, b) => (a.member < b.member ? -1 : 1));
}
