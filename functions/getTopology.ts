/**
 * GET /api/meshes/{profile}/topology: the mesh's network picture for the status page: the VNets the members'
 * clusters sit in and, for every pair of member VNets, whether they are peered (shared/services/topology.ts). Read
 * live from ARM (one GET per cluster and per VNet, a few at a time) and reused for 20 s per profile and member set.
 * The members are those of the mesh view (selected or in the mesh); before the reconciler looked at the profile,
 * they are read from ARM as `GET /meshes/{profile}` does. 404 when the profile does not exist.
 */
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { clusterMeshProfileId } from '../shared/arm/resourceId.js';
import { memberViews } from '../shared/services/meshView.js';
import { createTopologyReader, type TopologyReader } from '../shared/services/topology.js';
import { ProfileNameSchema } from '../shared/state/documents.js';
import { getRoot } from '../shared/runtime/root.js';
import { authorize, guarded, params, problem } from './lib/http.js';

let reader: TopologyReader | undefined;

df.app.client.http('getTopology', {
  route: 'meshes/{profile}/topology',
  methods: ['GET'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    async (request: HttpRequest) => {
      authorize(request, 'reader');
      const { profile } = params(request, z.object({ profile: ProfileNameSchema }));
      const { store, gateways, fleet } = getRoot();
      let members = (await store.getMeshView(profile))?.value.members;
      if (!members) {
        const arm = await gateways.fleet.getMeshProfile(profile);
        if (!arm) {
          return problem(404, 'NotFound', `mesh profile '${profile}' does not exist in fleet '${fleet.fleetName}'`);
        }
        members = memberViews(
          arm.id || clusterMeshProfileId(fleet.subscriptionId, fleet.resourceGroup, fleet.fleetName, profile),
          arm.properties.memberSelector?.byLabel ?? null,
          await gateways.fleet.listMembers(),
        );
      }
      reader ??= createTopologyReader(gateways);
      return { status: 200, jsonBody: await reader.read(profile, members) };
    },
  ),
});
