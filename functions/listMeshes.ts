/** GET /api/meshes: the fleet's cluster mesh profiles (from ARM) joined with what fleetmesh keeps for each. */
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { getRoot } from '../shared/runtime/root.js';
import { authorize, guarded } from './lib/http.js';

df.app.client.http('listMeshes', {
  route: 'meshes',
  methods: ['GET'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    async (request: HttpRequest) => {
      authorize(request, 'reader');
      const { gateways, store } = getRoot();
      const [profiles, kept] = await Promise.all([gateways.fleet.listMeshProfiles(), store.listMeshes()]);
      const byName = new Map(kept.map((k) => [k.profile, k]));
      const names = [...new Set([...profiles.map((p) => p.name), ...kept.map((k) => k.profile)])].sort();
      const meshes = names.map((name) => {
        const p = profiles.find((x) => x.name === name);
        const k = byName.get(name);
        return {
          profile: name,
          exists: p !== undefined,
          selector: p?.properties.memberSelector?.byLabel ?? null,
          profileState: p?.properties.status?.state ?? k?.profileState ?? null,
          provisioningState: p?.properties.provisioningState ?? null,
          members: k?.memberCount ?? null,
          hasPolicy: k?.hasPolicy ?? false,
          lastOperationId: k?.lastOperationId ?? null,
          updatedAt: k?.updatedAt ?? null,
        };
      });
      return { status: 200, jsonBody: { value: meshes } };
    },
  ),
});
