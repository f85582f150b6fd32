/**
 * An entry point of the app (package.json `main`: `dist/{functions/*.js,shared/config/telemetryStartup.js}`), loaded
 * by the Functions worker with the function files and before any invocation: starts OpenTelemetry when the template's
 * connection string is set (./telemetry.ts), and does nothing otherwise. A telemetry failure is logged and the app
 * runs on without it.
 */
import { ensureError } from '../errors.js';
import { createLogger } from '../log.js';
import { setupTelemetry } from './telemetry.js';

try {
  const state = await setupTelemetry();
  if (state.enabled) createLogger({ fields: { app: 'fleetmesh' } }).info('telemetry started', { ...state });
} catch (error) {
  createLogger({ fields: { app: 'fleetmesh' } }).error('telemetry not started', { error: ensureError(error) });
}
