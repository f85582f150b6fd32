/**
 * POST /api/meshes/{profile}/apply: starts an apply. Body (optional): `{ "planId": "...", "memberSelector": "..." }`.
 * With a planId the apply carries out exactly that plan: 409 now if the fleet already changed, and the operation
 * fails with PlanMismatch if it changes before the apply starts. The apply is queued on the profile's reconciler (the
 * single writer of the profile) and runs as the durable instance named by the operation id: 202 with the operation's
 * status URL (`Location` and `statusUrl`, this app's `GET /api/operations/{id}`). The operation record (status Pending)
 * holds the request; the signal to the reconciler is a wake-up, and the reconciler also finds Pending applies itself,
 * so a signal that fails still answers 202 (with a `message`): the apply waits for the reconciler's next cycle.
 *
 * No durable management URL is returned: each carries the durabletask extension's system key in `code=`, which works
 * on every instance of the task hub (raise `ApprovalDecision` on a reconciler past the approve route's authorisation
 * and audit, terminate or purge reconcilers). The operation route shows the durable runtime status and progress.
 */
import { randomUUID } from 'node:crypto';
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { SelectorTextSchema } from '../shared/domain/index.js';
import { computeMeshPlan } from '../shared/services/planner.js';
import { updateView } from '../shared/services/meshView.js';
import { operationId } from '../shared/state/documents.js';
import { getRoot } from '../shared/runtime/root.js';
import { wakeReconciler } from './lib/reconciler.js';
import { authorize, body, guarded, params, ProfileParams, problem } from './lib/http.js';

const ApplyBody = z.strictObject({
  planId: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be a planId returned by the plan route')
    .optional(),
  memberSelector: SelectorTextSchema.optional(),
});

df.app.client.http('applyMesh', {
  route: 'meshes/{profile}/apply',
  methods: ['POST'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    async (request: HttpRequest, client: df.DurableClient) => {
      const who = authorize(request, 'operator');
      const { profile } = params(request, ProfileParams);
      const { planId, memberSelector } = await body(request, ApplyBody);
      const { planner, store, gateways, logger, fleet } = getRoot();

      if (planId) {
        const current = await computeMeshPlan(planner, { profile, memberSelector: memberSelector ?? null });
        if (current.plan.planId !== planId) {
          return problem(409, 'PlanMismatch', `the fleet changed since plan ${planId} was computed; plan again`, {
            currentPlanId: current.plan.planId,
          });
        }
      } else if (memberSelector === undefined && !(await gateways.fleet.getMeshProfile(profile))) {
        return problem(
          404,
          'NotFound',
          `mesh profile '${profile}' does not exist in fleet '${fleet.fleetName}'; pass memberSelector to create it`,
        );
      }

      const id = operationId(profile, randomUUID());
      // The record carries the whole request: it is what the reconciler acts on. The signal only wakes it up; when
      // the signal is lost (the runtime drops events an execution leaves unconsumed at continueAsNew), the reconciler
      // finds the Pending record itself at its next cycle.
      const asked = {
        at: new Date().toISOString(),
        planId: planId ?? null,
        memberSelector: memberSelector ?? null,
        requestedBy: who.name,
      };
      await store.createOperation({
        id,
        kind: 'apply',
        trigger: 'http',
        requestedBy: who.name,
        planId: planId ?? null,
        request: asked,
      });
      await updateView(store, fleet, { profile, lastOperationId: id });
      // From here the apply is accepted: the Pending record is carried out even when the wake-up fails (the durable
      // backend briefly unreachable), at the reconciler's next cycle at the latest (the resync timer starts one). A
      // 5xx now would invite a retry, and with it a second apply.
      const wake = await wakeReconciler(client, profile, { kind: 'apply', operationId: id, ...asked }, logger);
      logger.info('apply requested', { mesh: profile, operationId: id, planId: planId ?? null, requestedBy: who.name });
      const statusUrl = new URL(`/api/operations/${encodeURIComponent(id)}`, request.url).toString();
      return {
        status: 202,
        headers: { Location: statusUrl, 'Retry-After': '5' },
        jsonBody: {
          operationId: id,
          status: 'Pending',
          statusUrl,
          ...(wake.woken
            ? {}
            : {
                message: `accepted, but the mesh's reconciler could not be woken now (${wake.reason}): it takes the operation up at its next cycle (the resync timer starts one within its schedule)`,
              }),
        },
      };
    },
  ),
});
