/**
 * PUT /api/meshes/{profile}/policy: the mesh's apply policy (mode auto|approve|manual, allowRemovals, debounce,
 * approval timeout, convergence, Traffic Manager settings and weights); see shared/domain/policy.ts. Unknown fields
 * are rejected by name. `If-Match` (the ETag of a previous GET/PUT) makes it a conditional replace (412 on a lost
 * race); `If-None-Match: *` creates only. The reconciler is signalled so a new mode or weights take effect.
 */
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { MeshPolicySchema } from '../shared/domain/index.js';
import { JsonObjectSchema } from '../shared/state/documents.js';
import { getRoot } from '../shared/runtime/root.js';
import { signalReconciler } from './lib/reconciler.js';
import { authorize, body, guarded, params, ProfileParams } from './lib/http.js';

df.app.client.http('putPolicy', {
  route: 'meshes/{profile}/policy',
  methods: ['PUT'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    async (request: HttpRequest, client: df.DurableClient) => {
      const who = authorize(request, 'operator');
      const { profile } = params(request, ProfileParams);
      const policy = await body(request, MeshPolicySchema);
      const ifMatch = request.headers.get('if-match') ?? undefined;
      const ifNoneMatch = request.headers.get('if-none-match') === '*' ? ('*' as const) : undefined;
      const { store, logger } = getRoot();
      const stored = await store.putPolicy(profile, JsonObjectSchema.parse(policy), who.name, {
        ...(ifMatch ? { ifMatch } : {}),
        ...(ifNoneMatch ? { ifNoneMatch } : {}),
      });
      await signalReconciler(client, profile, { kind: 'resync', at: new Date().toISOString() }, logger);
      logger.info('policy updated', { mesh: profile, mode: policy.mode, by: who.name });
      return {
        status: 200,
        headers: { ETag: stored.etag },
        jsonBody: { profile, policy, updatedAt: stored.value.updatedAt, updatedBy: stored.value.updatedBy },
      };
    },
  ),
});
