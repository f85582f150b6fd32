/**
 * The composition root: configuration, clients and telemetry, wired once per process. Function files ask for it
 * with `getRoot()`; the first call parses the settings (a missing one is a ConfigurationError naming it) and builds
 * the gateways over the Azure SDK clients, the Cosmos store, the outcome publisher and the activities.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { fleetId } from '../arm/resourceId.js';
import { createGateways } from '../azure/index.js';
import type { Gateways } from '../azure/gateways.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { createLogger, type Logger } from '../log.js';
import { createCosmosClient } from '../state/client.js';
import { createCosmosStateStore } from '../state/cosmosStore.js';
import type { StateStore } from '../state/store.js';
import { createMemberStateReader } from '../services/memberReader.js';
import { createOutcomePublisher, type OutcomePublisher } from '../services/outcomes.js';
import type { FleetCoordinates, PlannerDeps } from '../services/planner.js';
import { createActivities, type ActivityHandler } from '../../orchestrations/activities/index.js';
import type { ActivityName } from '../../orchestrations/names.js';

export interface Root {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly gateways: Gateways;
  readonly store: StateStore;
  readonly publisher: OutcomePublisher;
  readonly fleet: FleetCoordinates;
  readonly planner: PlannerDeps;
  readonly activities: ReadonlyMap<ActivityName, ActivityHandler>;
}

let root: Root | undefined;

export function getRoot(): Root {
  if (!root) {
    const settings = loadSettings();
    root = createRoot(settings, createLogger({ minLevel: settings.logLevel, fields: { app: 'fleetmesh' } }));
  }
  return root;
}

export function createRoot(settings: Settings, logger: Logger): Root {
  const credential = new DefaultAzureCredential();
  const gateways = createGateways(settings, { logger });
  const now = (): Date => new Date();
  const store = createCosmosStateStore({
    client: createCosmosClient(settings.cosmos, { credential }),
    databaseId: settings.cosmos.database,
    eventTtlSeconds: settings.eventDedupTtlSeconds,
    logger,
  });
  const fleet: FleetCoordinates = {
    subscriptionId: settings.subscriptionId,
    resourceGroup: settings.fleetResourceGroup,
    fleetName: settings.fleetName,
  };
  const publisher = createOutcomePublisher({
    endpoint: settings.outcomeTopicEndpoint,
    credential,
    source: fleetId(fleet.subscriptionId, fleet.resourceGroup, fleet.fleetName),
    logger,
  });
  const planner: PlannerDeps = { gateways, store, fleet, now };
  const activities = createActivities({
    gateways,
    store,
    fleet,
    logger,
    now,
    memberReader: createMemberStateReader(gateways.fleet, now),
    publisher,
  });
  logger.info('fleetmesh started', {
    fleet: fleet.fleetName,
    armEndpoint: settings.arm.endpoint,
    outcomeEvents: publisher.enabled,
  });
  return { settings, logger, gateways, store, publisher, fleet, planner, activities };
}
