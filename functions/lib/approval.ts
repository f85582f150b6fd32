/**
 * Answering an apply that waits for approval. The answer (who, when, decision, comment) is recorded on the operation
 * by a conditional update that checks, inside the write, that the operation is still AwaitingApproval and has no
 * answer yet (`StateStore.recordApproval`): an approve racing a reject, the approval timeout or a supersede either
 * wins or gets 409, never both (the reconciler's timeout and supersede rejections are conditional too, and give way
 * to an answer recorded first). The record is what counts: the event raised next on the profile's reconciler only
 * wakes it up, and the reconciler reads recorded answers itself when it resumes its wait after continueAsNew (the
 * runtime drops events left unconsumed there), at each repair wake-up and at the deadline. When the reconciler is not
 * running (or not there), nothing could act on the answer: it is taken back (while the operation still waits) and
 * the caller gets 409 saying so.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { OrchestrationRuntimeStatus, type DurableClient } from 'durable-functions';
import { z } from 'zod';
import { Events, reconcilerInstanceId } from '../../orchestrations/names.js';
import { ensureError } from '../../shared/errors.js';
import { parseOperationId, type Approval } from '../../shared/state/documents.js';
import { getRoot } from '../../shared/runtime/root.js';
import { authorize, body, HttpError, params, problem } from './http.js';
import { instanceStatus } from './status.js';

const AnswerBody = z.strictObject({ comment: z.string().max(1024).optional() });
export const OperationIdParams = z.object({
  id: z.string().refine((id) => parseOperationId(id) !== undefined, { error: 'not a fleetmesh operation id' }),
});

/** Runtime statuses in which the reconciler takes events (a suspended one keeps them until it is resumed). */
const ACCEPTS_EVENTS: ReadonlySet<OrchestrationRuntimeStatus> = new Set([
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.ContinuedAsNew,
  OrchestrationRuntimeStatus.Suspended,
]);

export async function answer(
  request: HttpRequest,
  client: DurableClient,
  decision: 'approve' | 'reject',
): Promise<HttpResponseInit> {
  const who = authorize(request, 'operator');
  const { id } = params(request, OperationIdParams);
  const { comment } = await body(request, AnswerBody);
  const { store, logger } = getRoot();
  const op = await store.getOperation(id);
  if (!op) return problem(404, 'NotFound', `operation '${id}' does not exist`);
  if (op.value.status !== 'AwaitingApproval') throw notWaiting(id, op.value.status);
  const profile = op.value.profile;
  const instanceId = reconcilerInstanceId(profile);

  // The durable client answers 410 (a finished instance) with success, so look first: an answer raised on a stopped
  // reconciler would be accepted and never read.
  const reconciler = await instanceStatus(client, instanceId);
  if (!reconciler || !ACCEPTS_EVENTS.has(reconciler.runtimeStatus)) {
    throw reconcilerGone(id, profile, reconciler?.runtimeStatus);
  }

  const approval: Approval = { by: who.name, at: new Date().toISOString(), decision, ...(comment ? { comment } : {}) };
  await store.recordApproval(id, approval); // 409 when it stopped waiting or was answered meanwhile
  try {
    await client.raiseEvent(instanceId, Events.approvalDecision, { operationId: id, decision, by: who.name });
  } catch (e) {
    // Not delivered: take the answer back so the record does not claim a decision nothing acted on.
    await store.withdrawApproval(id, approval).catch((undo: unknown) => {
      logger.warn('approval could not be withdrawn', { operationId: id, error: ensureError(undo) });
    });
    if (ensureError(e).message.includes('No instance with ID')) throw reconcilerGone(id, profile, undefined);
    throw e;
  }
  logger.info('apply answered', { mesh: profile, operationId: id, decision, by: who.name });
  return { status: 202, jsonBody: { operationId: id, decision, by: who.name } };
}

function notWaiting(id: string, status: string): HttpError {
  return new HttpError('Conflict', `operation '${id}' is ${status}, not waiting for approval`, { status: 409 });
}

function reconcilerGone(id: string, profile: string, runtimeStatus: string | undefined): HttpError {
  const state = runtimeStatus === undefined ? 'does not exist' : `is ${runtimeStatus}`;
  return new HttpError(
    'Conflict',
    `operation '${id}' cannot be answered: the reconciler of mesh '${profile}' ${state}, so nothing waits for the answer; ` +
      `start a new apply (POST /api/meshes/${profile}/apply)`,
    { status: 409 },
  );
}
