/**
 * resync (timer, FLEETMESH_RESYNC_SCHEDULE, default every 10 minutes): asks every managed mesh to look again, so
 * drift made outside fleetmesh (an endpoint edited, a member relabelled without an event reaching us) is repaired.
 * Managed = every mesh profile of the fleet, plus any profile fleetmesh holds a policy for.
 */
import * as df from 'durable-functions';
import type { InvocationContext, Timer } from '@azure/functions';
import { getRoot } from '../shared/runtime/root.js';
import { signalReconciler } from './lib/reconciler.js';

df.app.client.timer('resync', {
  schedule: '%FLEETMESH_RESYNC_SCHEDULE%',
  runOnStartup: getRoot().settings.resyncOnStartup,
  handler: async (_timer: Timer, client: df.DurableClient, context: InvocationContext) => {
    const { gateways, store, logger } = getRoot();
    const [profiles, kept] = await Promise.all([gateways.fleet.listMeshProfiles(), store.listMeshes()]);
    const names = [
      ...new Set([...profiles.map((p) => p.name), ...kept.filter((k) => k.hasPolicy).map((k) => k.profile)]),
    ];
    const at = new Date().toISOString();
    for (const profile of names.sort()) await signalReconciler(client, profile, { kind: 'resync', at }, logger);
    logger.info('resync requested', { meshes: names.length, invocationId: context.invocationId });
  },
});
