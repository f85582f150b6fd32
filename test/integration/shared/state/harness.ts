/**
 * Test harness: the embedded Cosmos server and real `@azure/cosmos` clients built the way the app builds them.
 */
import type { CosmosClient } from '@azure/cosmos';
import { startCosmosServer, type EmbeddedCosmosServer } from '../../../../local/cosmos/server.js';
import { createCosmosClient } from '../../../../shared/state/client.js';
import { ensureContainers } from '../../../../shared/state/containers.js';
import { createCosmosStateStore, type CosmosStateStoreOptions } from '../../../../shared/state/cosmosStore.js';
import type { StateStore } from '../../../../shared/state/store.js';

export interface Harness {
  readonly server: EmbeddedCosmosServer;
  readonly databaseId: string;
  /** A new client (its own agent and connections), as a second process would have. */
  client(): CosmosClient;
  store(options?: Partial<Omit<CosmosStateStoreOptions, 'client' | 'databaseId'>>, client?: CosmosClient): StateStore;
  close(): Promise<void>;
}

export async function startHarness(databaseId = 'fleetmesh'): Promise<Harness> {
  const server = await startCosmosServer();
  const clients: CosmosClient[] = [];
  const client = (): CosmosClient => {
    const c = createCosmosClient(
      { endpoint: server.endpoint, database: databaseId, auth: { kind: 'key', key: server.key }, caFile: undefined },
      { caPem: server.certificatePem },
    );
    clients.push(c);
    return c;
  };
  const main = client();
  await ensureContainers(main, databaseId);
  return {
    server,
    databaseId,
    client,
    store: (options = {}, c = main) =>
      createCosmosStateStore({ client: c, databaseId, eventTtlSeconds: 3600, ...options }),
    close: async () => {
      for (const c of clients) c.dispose();
      await server.stop();
    },
  };
}

/** A clock the test moves by hand. */
export function manualClock(start = '2030-01-01T00:00:00.000Z'): { now: () => Date; advance: (ms: number) => void } {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
  };
}
