/**
 * fleetEvents (Event Grid trigger): ARM notifications about the fleet's members and mesh profiles. Accepts only
 * Resource{Write,Delete,Action}Success events whose subject is a member or mesh profile of the configured fleet;
 * signals the reconciler of every profile the event can affect (for a member: the fleet's mesh profiles from ARM and
 * those fleetmesh keeps state for); a redelivered event id does nothing. Anything else is logged and ignored (a 2xx,
 * so Event Grid does not retry it).
 *
 * The id is remembered only after the signals went out (`shared/events/intake.ts` says why). When reading the
 * profiles or signalling fails, the function fails: the host answers the delivery with a 5xx and Event Grid
 * delivers it again.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { fleetScopeFromSettings } from '../shared/events/fleetEvents.js';
import { handleFleetEvent } from '../shared/events/intake.js';
import { cachedProfileList } from '../shared/events/profileList.js';
import { ensureError } from '../shared/errors.js';
import { getRoot } from '../shared/runtime/root.js';
import { signalReconciler } from './lib/reconciler.js';

/** The fleet's mesh profiles from ARM, shared by the events of a burst (one read per cache period per instance). */
let fleetProfiles: (() => Promise<readonly string[]>) | undefined;
function fleetProfileList(): () => Promise<readonly string[]> {
  if (!fleetProfiles) {
    const { settings, gateways } = getRoot();
    fleetProfiles = cachedProfileList(
      async () => (await gateways.fleet.listMeshProfiles()).map((p) => p.name),
      settings.profileListCacheSeconds * 1000,
    );
  }
  return fleetProfiles;
}

df.app.client.eventGrid('fleetEvents', {
  handler: async (event: unknown, client: df.DurableClient, context: InvocationContext) => {
    const { settings, store, logger } = getRoot();
    const log = logger.child({ invocationId: context.invocationId });
    try {
      await handleFleetEvent(event, {
        scope: fleetScopeFromSettings(settings),
        store,
        fleetProfiles: fleetProfileList(),
        signal: (profile, signal) => signalReconciler(client, profile, signal, log),
        logger: log,
      });
    } catch (e) {
      // Not remembered as processed: Event Grid's redelivery of the failed delivery is acted on.
      log.warn('event not processed; Event Grid will deliver it again', { error: ensureError(e) });
      throw e;
    }
  },
});
