/** POST /api/operations/{id}/reject: rejects an apply waiting for approval. Body (optional): `{ "comment": "..." }`. */
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { getRoot } from '../shared/runtime/root.js';
import { answer } from './lib/approval.js';
import { guarded } from './lib/http.js';

df.app.client.http('rejectOperation', {
  route: 'operations/{id}/reject',
  methods: ['POST'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    (request: HttpRequest, client: df.DurableClient) => answer(request, client, 'reject'),
  ),
});
