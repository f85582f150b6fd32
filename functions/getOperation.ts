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
import { getRoot } from '../shared/runtime/root.js';
import { OperationIdParams } from './lib/approval.js';
import { authorize, guarded, params, problem } from './lib/http.js';
import { instanceStatus } from './lib/status.js';

/** Live reads per request are bounded: a 255-member apply is summarised, not polled member by member. */
const MAX_MEMBER_READS = 50;

const ApplyStatus = z
  .object({ phase: z.string(), round: z.int().min(0), outcomeEventError: z.string().optional() })
  .loose();
const BatchStatus = z.object({
  done: z.array(z.object({ member: z.string(), outcome: z.string(), meshState: z.string().nullable() })),
  inFlight: z.array(z.string()),
});
const MemberStatus = z.object({ meshState: z.string().nullable(), step: z.string() }).loose();
const PlanRows = z.object({ rows: z.array(z.object({ name: z.string(), action: z.string() })) }).loose();

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
          ? await progress(client, id, applyStatus.data.round, PlanRows.safeParse(op.value.plan))
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

async function progress(
  client: df.DurableClient,
  operationId: string,
  round: number,
  plan: z.ZodSafeParseResult<z.output<typeof PlanRows>>,
): Promise<{ member: string; outcome: string; meshState: string | null; step?: string }[]> {
  const work = plan.success ? plan.data.rows.filter((r) => r.action === 'Add' || r.action === 'Remove').length : 0;
  const batches = Math.ceil(work / BATCH_SIZE);
  const statuses = await Promise.all(
    Array.from({ length: batches }, (_, b) => instanceStatus(client, batchInstanceId(operationId, round, b))),
  );
  const members: { member: string; outcome: string; meshState: string | null; step?: string }[] = [];
  const inFlight: string[] = [];
  for (const s of statuses) {
    const parsed = BatchStatus.safeParse(s?.customStatus);
    if (!parsed.success) continue;
    members.push(...parsed.data.done);
    inFlight.push(...parsed.data.inFlight);
  }
  const details = await Promise.all(
    inFlight.slice(0, MAX_MEMBER_READS).map(async (member) => {
      const s = MemberStatus.safeParse(
        (await instanceStatus(client, memberInstanceId(operationId, round, member)))?.customStatus,
      );
      return {
        member,
        outcome: 'converging',
        meshState: s.success ? s.data.meshState : null,
        ...(s.success ? { step: s.data.step } : {}),
      };
    }),
  );
  members.push(
    ...details,
    ...inFlight.slice(MAX_MEMBER_READS).map((member) => ({ member, outcome: 'converging', meshState: null })),
  );
  return members.sort((a, b) => (a.member < b.member ? -1 : 1));
}
