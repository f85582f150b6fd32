/**
 * Answering an apply that waits for approval: the operation must be AwaitingApproval; the answer is recorded on the
 * operation (who, when, decision, comment) and raised on the profile's reconciler, which is waiting for it.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { z } from 'zod';
import { Events, reconcilerInstanceId } from '../../orchestrations/names.js';
import { parseOperationId } from '../../shared/state/documents.js';
import { getRoot } from '../../shared/runtime/root.js';
import { authorize, body, HttpError, params, problem } from './http.js';

const AnswerBody = z.strictObject({ comment: z.string().max(1024).optional() });
export const OperationIdParams = z.object({
  id: z.string().refine((id) => parseOperationId(id) !== undefined, { error: 'not a fleetmesh operation id' }),
});

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
  if (op.value.status !== 'AwaitingApproval') {
    throw new HttpError('Conflict', `operation '${id}' is ${op.value.status}, not waiting for approval`, {
      status: 409,
    });
  }
  await store.recordApproval(id, {
    by: who.name,
    at: new Date().toISOString(),
    decision,
    ...(comment ? { comment } : {}),
  });
  await client.raiseEvent(reconcilerInstanceId(op.value.profile), Events.approvalDecision, {
    operationId: id,
    decision,
    by: who.name,
  });
  logger.info('apply answered', { mesh: op.value.profile, operationId: id, decision, by: who.name });
  return { status: 202, jsonBody: { operationId: id, decision, by: who.name } };
}
