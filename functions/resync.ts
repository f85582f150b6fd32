/**
 * resync (timer, FLEETMESH_RESYNC_SCHEDULE, default every 10 minutes): asks every managed mesh to look again, so
 * drift made outside fleetmesh (an endpoint edited, a member relabelled without an event reaching us) is repaired, and
 * whatever a reconciler lost is found again (a change signal dropped at a continueAsNew; an operator's apply recorded
 * Pending whose signal never came). Managed = the same profiles a member event signals (`profilesToSignal`): every
 * mesh profile of the fleet, plus every profile fleetmesh keeps state for.
 */
import * as df from 'durable-functions';
import type { InvocationContext, Timer } from '@azure/functions';
import { profilesToSignal } from '../shared/events/fleetEvents.js';
import { getRoot } from '../shared/runtime/root.js';
import { signalReconciler } from './lib/reconciler.js';

df.app.client.timer('resync', {
  schedule: '%FLEETMESH_RESYNC_SCHEDULE%',
  runOnStartup: getRoot().settings.resyncOnStartup,
  handler: async (_timer: Timer, client: df.DurableClient, context: InvocationContext) => {
    const { gateways, store, logger } = getRoot();
    const names = await profilesToSignal(
      { kind: 'resync' },
      {
        stored: async () => (await store.listMeshes()).map((m) => m.profile),
        fleet: async () => (await gateways.fleet.listMeshProfiles()).map((p) => p.name),
      },
    );
    const at = new Date().toISOString();
    for (const profile of names) await signalReconciler(client, profile, { kind: 'resync', at }, logger);
    logger.info('resync requested', { meshes: names.length, invocationId: context.invocationId });
  },
});
