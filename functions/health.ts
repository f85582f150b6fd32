/** GET /api/health: liveness, anonymous. Touches no dependency (a slow Cosmos must not fail liveness). */
import { app } from '@azure/functions';

const started = new Date().toISOString();

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: () => Promise.resolve({ status: 200, jsonBody: { status: 'ok', service: 'fleetmesh', startedAt: started } }),
});
