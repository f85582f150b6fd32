/**
 * fleetEvents (Event Grid trigger): ARM notifications about the fleet's members and mesh profiles. Accepts only
 * Resource{Write,Delete,Action}Success events whose subject is a member or mesh profile of the configured fleet;
 * remembers processed event ids (a redelivery does nothing); signals the reconciler of every profile the event can
 * affect. Anything else is logged and ignored (a 2xx, so Event Grid does not retry it).
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { fleetScopeFromSettings, parseFleetEvent, profilesAffectedBy } from '../shared/events/fleetEvents.js';
import { getRoot } from '../shared/runtime/root.js';
import { signalReconciler } from './lib/reconciler.js';

df.app.client.eventGrid('fleetEvents', {
  handler: async (event: unknown, client: df.DurableClient, context: InvocationContext) => {
    const { settings, store, logger } = getRoot();
    const result = await parseFleetEvent(event, fleetScopeFromSettings(settings));
    if (result.kind === 'ignored') {
      logger.info('event ignored', {
        eventId: result.eventId,
        eventType: result.eventType,
        reason: result.reason,
        field: result.field,
      });
      return;
    }
    if (
      !(await store.markEventProcessed(result.eventId, { eventType: result.eventType, subject: result.resourceId }))
    ) {
      logger.info('event already processed', { eventId: result.eventId });
      return;
    }
    try {
      const known = (await store.listMeshes()).map((m) => m.profile);
      const profiles = profilesAffectedBy(result, known);
      const signal = {
        kind: 'event' as const,
        at: new Date().toISOString(),
        eventId: result.eventId,
        eventType: result.eventType,
        subject: result.resourceId,
      };
      for (const profile of profiles) await signalReconciler(client, profile, signal, logger);
      logger.info('event accepted', {
        eventId: result.eventId,
        kind: result.kind,
        profiles: profiles.join(','),
        invocationId: context.invocationId,
      });
    } catch (e) {
      // Forget the id so Event Grid's redelivery is processed, then fail the delivery.
      await store.forgetEvent(result.eventId);
      throw e;
    }
  },
});
