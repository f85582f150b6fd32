/**
 * POST /api/meshes/{profile}/plan: the what-if plan, with no side effects. Per-member action (Add/Remove/None/Error,
 * as the CLI's what-if), preflight findings with remediation, the fixes fleetmesh would make itself, the Traffic
 * Manager changes, what the policy would decide, and a planId that `apply` can pin. Body (optional):
 * `{ "memberSelector": "k=v,..." }` to plan a new selector (`""` selects nothing: the clean-up plan).
 */
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { decide, SelectorTextSchema } from '../shared/domain/index.js';
import { computeMeshPlan, planWithPreflight } from '../shared/services/planner.js';
import { getRoot } from '../shared/runtime/root.js';
import { authorize, body, guarded, params, ProfileParams } from './lib/http.js';

const PlanBody = z.strictObject({ memberSelector: SelectorTextSchema.optional() });

df.app.client.http('planMesh', {
  route: 'meshes/{profile}/plan',
  methods: ['POST'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    async (request: HttpRequest) => {
      authorize(request, 'reader');
      const { profile } = params(request, ProfileParams);
      const { memberSelector } = await body(request, PlanBody);
      const result = await computeMeshPlan(getRoot().planner, {
        profile,
        memberSelector: memberSelector ?? null,
        includeTraffic: true,
      });
      // Rows as shown: members preflight blocks read `Error` with the remediation. The decision is the what-if plan's.
      const shown = planWithPreflight(result.plan, result.findings);
      return {
        status: 200,
        jsonBody: {
          planId: result.plan.planId,
          profile,
          profileExists: result.profileExists,
          profileState: result.profileState,
          currentSelector: result.currentSelector,
          lastAppliedSelector: result.lastAppliedSelector,
          desiredSelector: result.desiredSelector,
          selectorChanges: result.selectorChanges,
          summary: shown.summary,
          rows: shown.rows,
          findings: result.findings,
          blocked: result.blocked,
          fixes: result.fixes,
          traffic: result.traffic,
          decision: {
            onEvent: decide(result.plan, result.findings, result.policy),
            onApply: decide(result.plan, result.findings, result.policy, { operatorRequested: true }),
          },
          policy: { mode: result.policy.mode, allowRemovals: result.policy.allowRemovals },
          computedAt: result.computedAt,
        },
      };
    },
  ),
});
