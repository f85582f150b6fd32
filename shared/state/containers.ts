/**
 * The Cosmos DB containers fleetmesh uses, defined once: `ensureContainers` creates them for the embedded server and
 * tests; in Azure, infrastructure creates them (data-plane RBAC cannot create containers) and must match these
 * definitions (see docs/state.md). `verifyContainers` checks an existing database against them.
 */
import type { ContainerDefinition, ContainerRequest, CosmosClient, IndexingPolicy } from '@azure/cosmos';
import { ConfigurationError } from '../errors.js';
import { ContainerIds, type ContainerId } from './documents.js';
import { isCosmosConflict, isCosmosNotFound, toStateError } from './errors.js';

export interface StateContainerDefinition {
  readonly id: ContainerId;
  readonly partitionKeyPath: string;
  /** `-1`: TTL enabled, no default (each document's `ttl` decides). Undefined: TTL off. */
  readonly defaultTtl: number | undefined;
  readonly indexingPolicy: IndexingPolicy;
}

/** Indexed paths are only the ones queries filter or sort on: writes of large plans stay cheap. */
export const STATE_CONTAINERS: readonly StateContainerDefinition[] = [
  {
    id: ContainerIds.meshes,
    partitionKeyPath: '/profile',
    defaultTtl: undefined,
    indexingPolicy: {
      indexingMode: 'consistent',
      automatic: true,
      includedPaths: [{ path: '/type/?' }, { path: '/profile/?' }],
      excludedPaths: [{ path: '/*' }],
    },
  },
  {
    id: ContainerIds.operations,
    partitionKeyPath: '/profile',
    defaultTtl: undefined,
    indexingPolicy: {
      indexingMode: 'consistent',
      automatic: true,
      includedPaths: [{ path: '/type/?' }, { path: '/profile/?' }, { path: '/createdAt/?' }, { path: '/status/?' }],
      excludedPaths: [{ path: '/*' }],
    },
  },
  {
    id: ContainerIds.events,
    partitionKeyPath: '/id',
    defaultTtl: -1,
    indexingPolicy: {
      indexingMode: 'consistent',
      automatic: true,
      includedPaths: [],
      excludedPaths: [{ path: '/*' }],
    },
  },
];

function toRequest(def: StateContainerDefinition): ContainerRequest {
  return {
    id: def.id,
    partitionKey: { paths: [def.partitionKeyPath] },
    indexingPolicy: def.indexingPolicy,
    ...(def.defaultTtl === undefined ? {} : { defaultTtl: def.defaultTtl }),
  };
}

/**
 * Creates the database and the containers when missing (idempotent), then verifies them. For the embedded Cosmos
 * server and tests only: never call it against Azure, where the app's identity has no control-plane rights.
 */
export async function ensureContainers(client: CosmosClient, databaseId: string): Promise<void> {
  // createIfNotExists reads, then creates: a concurrent caller can win in between (409), which is just as good.
  const tolerateConflict = async (create: () => Promise<unknown>): Promise<void> => {
    try {
      await create();
    } catch (error) {
      if (!isCosmosConflict(error)) throw error;
    }
  };
  try {
    await tolerateConflict(() => client.databases.createIfNotExists({ id: databaseId }));
    const database = client.database(databaseId);
    for (const def of STATE_CONTAINERS) {
      await tolerateConflict(() => database.containers.createIfNotExists(toRequest(def)));
    }
  } catch (error) {
    throw toStateError(error, `creating Cosmos DB database '${databaseId}' and its containers`);
  }
  await verifyContainers(client, databaseId);
}

/**
 * Checks that every container exists with the expected partition key and, for `events`, TTL enabled. Throws a
 * ConfigurationError naming the container and what differs. Reading container metadata is allowed by the built-in
 * data-plane roles, so this is safe to call in Azure at start-up.
 */
export async function verifyContainers(client: CosmosClient, databaseId: string): Promise<void> {
  const database = client.database(databaseId);
  for (const def of STATE_CONTAINERS) {
    let resource: ContainerDefinition | undefined;
    try {
      ({ resource } = await database.container(def.id).read());
    } catch (error) {
      if (!isCosmosNotFound(error)) throw toStateError(error, `reading container '${def.id}'`);
    }
    const setting = `FLEETMESH_COSMOS_DATABASE`;
    if (!resource) {
      throw new ConfigurationError(
        setting,
        `container '${databaseId}/${def.id}' does not exist (infrastructure creates it)`,
      );
    }
    const paths = resource.partitionKey?.paths ?? [];
    if (paths.length !== 1 || paths[0] !== def.partitionKeyPath) {
      throw new ConfigurationError(
        setting,
        `container '${databaseId}/${def.id}' has partition key ${JSON.stringify(paths)}, expected ["${def.partitionKeyPath}"]`,
      );
    }
    if (def.defaultTtl !== undefined && resource.defaultTtl === undefined) {
      throw new ConfigurationError(
        setting,
        `container '${databaseId}/${def.id}' must have TTL enabled (defaultTtl -1) so processed events expire`,
      );
    }
  }
}
