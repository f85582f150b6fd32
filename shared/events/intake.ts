/**
 * What `fleetEvents` does with one delivered event, with its dependencies passed in (so the order of the steps is
 * tested without a host): parse it; skip an id already processed; find the profiles it can affect; signal each
 * profile's reconciler; and only then remember the id.
 *
 * Why this order: remembering the id first would lose the event when the host dies before the signals go out (Event
 * Grid's redelivery would be taken for a duplicate). Acting before remembering means a crash in between, or two
 * deliveries of the same event at once, can signal twice, which is harmless: the reconciler coalesces signals in its
 * debounce window. Any failure (reading the profiles, signalling, remembering) is thrown: the function fails, the host
 * answers the delivery with a 5xx and Event Grid delivers it again. Bad input never throws: it is `ignored`.
 */
import type { Logger } from '../log.js';
import type { StateStore } from '../state/store.js';
import { parseFleetEvent, profilesToSignal, type FleetScope } from './fleetEvents.js';

/** The reconciler signal an event becomes (the `event` member of the reconciler's signal union). */
export interface EventSignal {
  readonly kind: 'event';
  readonly at: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly subject: string;
}

export interface FleetEventDeps {
  readonly scope: FleetScope;
  readonly store: Pick<StateStore, 'isEventProcessed' | 'markEventProcessed' | 'listMeshes'>;
  /** The names of the fleet's cluster mesh profiles, from ARM. */
  readonly fleetProfiles: () => Promise<readonly string[]>;
  /** Signals a profile's reconciler (starting it when it is not running). */
  readonly signal: (profile: string, signal: EventSignal) => Promise<unknown>;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export type FleetEventOutcome =
  | { readonly kind: 'ignored'; readonly reason: string; readonly field: string }
  | { readonly kind: 'duplicate'; readonly eventId: string }
  | { readonly kind: 'signalled'; readonly eventId: string; readonly profiles: readonly string[] };

export async function handleFleetEvent(raw: unknown, deps: FleetEventDeps): Promise<FleetEventOutcome> {
  const { store, logger } = deps;
  const result = await parseFleetEvent(raw, deps.scope);
  if (result.kind === 'ignored') {
    logger.info('event ignored', {
      eventId: result.eventId,
      eventType: result.eventType,
      reason: result.reason,
      field: result.field,
    });
    return { kind: 'ignored', reason: result.reason, field: result.field };
  }
  if (await store.isEventProcessed(result.eventId)) {
    logger.info('event already processed', { eventId: result.eventId });
    return { kind: 'duplicate', eventId: result.eventId };
  }
  const profiles = await profilesToSignal(result, {
    stored: async () => (await store.listMeshes()).map((m) => m.profile),
    fleet: deps.fleetProfiles,
  });
  const signal: EventSignal = {
    kind: 'event',
    at: (deps.now?.() ?? new Date()).toISOString(),
    eventId: result.eventId,
    eventType: result.eventType,
    subject: result.resourceId,
  };
  for (const profile of profiles) await deps.signal(profile, signal);
  await store.markEventProcessed(result.eventId, { eventType: result.eventType, subject: result.resourceId });
  logger.info('event accepted', { eventId: result.eventId, kind: result.kind, profiles: profiles.join(',') });
  return { kind: 'signalled', eventId: result.eventId, profiles };
}
