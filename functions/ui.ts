/**
 * GET /api/ui: the live status page (ui/page.ts). Anonymous on purpose: the page is a shell without data, and its
 * script calls the API with the function key the operator gives it in the URL fragment (`/api/ui#code=<key>`), which
 * never reaches a server or a log. See docs/operator.md.
 */
import { app } from '@azure/functions';
import { serveStatusPage } from '../ui/page.js';

app.http('ui', {
  route: 'ui',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request) => serveStatusPage(request),
});
