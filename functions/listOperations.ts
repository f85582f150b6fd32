/**
 * GET /api/meshes/{profile}/operations?limit=N: the profile's recent operations (plan, apply, resync), newest first,
 * as stored (no live progress: `GET /operations/{id}` adds it). `limit` 1-100, default 20. A profile without
 * operations (or unknown to fleetmesh) has an empty list.
 */
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { ValidationError } from '../shared/errors.js';
import { ProfileNameSchema } from '../shared/state/documents.js';
import { getRoot } from '../shared/runtime/root.js';
import { authorize, guarded, params } from './lib/http.js';

const Limit = z.coerce.number().int().min(1).max(100).default(20);

df.app.client.http('listOperations', {
  route: 'meshes/{profile}/operations',
  methods: ['GET'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    async (request: HttpRequest) => {
      authorize(request, 'reader');
      const { profile } = params(request, z.object({ profile: ProfileNameSchema }));
      const limit = Limit.safeParse(request.query.get('limit') ?? undefined);
      if (!limit.success) {
        throw new ValidationError(`invalid query parameter 'limit': must be a whole number from 1 to 100`);
      }
      const operations = await getRoot().store.listOperations(profile, { limit: limit.data });
      return { status: 200, jsonBody: { value: operations } };
    },
  ),
});
