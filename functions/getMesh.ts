/**
 * GET /api/meshes/{profile}: the mesh view (selector, profile state, members with labels, mesh state and Cilium id,
 * last plan, last operation, Traffic Manager endpoints with weight, status and monitor status), the policy, and what
 * the reconciler is doing. Before the reconciler first looked at a profile, the view is observed live from ARM.
 */
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { reconcilerInstanceId } from '../orchestrations/names.js';
import { DEFAULT_MESH_POLICY, parseMeshPolicy } from '../shared/domain/index.js';
import { clusterMeshProfileId } from '../shared/arm/resourceId.js';
import { memberViews } from '../shared/services/meshView.js';
import { getRoot } from '../shared/runtime/root.js';
import { authorize, guarded, params, ProfileParams, problem } from './lib/http.js';
import { instanceStatus } from './lib/status.js';

df.app.client.http('getMesh', {
  route: 'meshes/{profile}',
  methods: ['GET'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    async (request: HttpRequest, client: df.DurableClient) => {
      authorize(request, 'reader');
      const { profile } = params(request, ProfileParams);
      const { store, gateways, fleet } = getRoot();
      const [view, policy, reconciler] = await Promise.all([
        store.getMeshView(profile),
        store.getPolicy(profile),
        instanceStatus(client, reconcilerInstanceId(profile)),
      ]);
      let observed = view?.value;
      if (!observed) {
        const arm = await gateways.fleet.getMeshProfile(profile);
        if (!arm)
          return problem(404, 'NotFound', `mesh profile '${profile}' does not exist in fleet '${fleet.fleetName}'`);
        const members = await gateways.fleet.listMembers();
        const selector = arm.properties.memberSelector?.byLabel ?? null;
        observed = {
          profile,
          selector,
          lastAppliedSelector: arm.properties.status?.lastAppliedMemberSelector?.byLabel ?? null,
          profileState: arm.properties.status?.state ?? null,
          members: memberViews(
            arm.id || clusterMeshProfileId(fleet.subscriptionId, fleet.resourceGroup, fleet.fleetName, profile),
            selector,
            members,
          ),
          lastPlan: null,
          lastOperationId: null,
          trafficManager: null,
          updatedAt: new Date().toISOString(),
        };
      }
      return {
        status: 200,
        jsonBody: {
          ...observed,
          policy: policy ? parseMeshPolicy(policy.value.policy) : DEFAULT_MESH_POLICY,
          policyIsDefault: policy === undefined,
          reconciler: reconciler
            ? { runtimeStatus: reconciler.runtimeStatus, status: reconciler.customStatus ?? null }
            : null,
        },
      };
    },
  ),
});
