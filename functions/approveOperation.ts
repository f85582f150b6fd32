/** POST /api/operations/{id}/approve: approves an apply waiting for approval. Body (optional): `{ "comment": "..." }`. */
import * as df from 'durable-functions';
import type { HttpRequest } from '@azure/functions';
import { getRoot } from '../shared/runtime/root.js';
import { answer } from './lib/approval.js';
import { guarded } from './lib/http.js';

df.app.client.http('approveOperation', {
  route: 'operations/{id}/approve',
  methods: ['POST'],
  authLevel: 'function',
  handler: guarded(
    () => getRoot().logger,
    (request: HttpRequest, client: df.DurableClient) => answer(request, client, 'approve'),
  ),
});
