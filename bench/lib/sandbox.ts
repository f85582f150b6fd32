/**
 * The benchmark's sandbox: the whole of fleetmesh (ARM simulator with its throttling model on, embedded Cosmos DB,
 * local Functions host running the built app) in this process, on free ports, with a throw-away state directory, the
 * app's logs dropped, and a direct Cosmos client for reading operation records and views without going through ARM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demoPolicy, startSandbox, type Sandbox, type SandboxOptions } from '../../local/sandbox/sandbox.js';
import { createCosmosClient } from '../../shared/state/client.js';
import { createCosmosStateStore } from '../../shared/state/cosmosStore.js';
import type { StateStore } from '../../shared/state/store.js';
import type { MeshPolicyInput } from '../../shared/domain/index.js';

export const GENERATED_FLEET = 'fleet-generated';
export const MESH = 'demo';
export const TRAFFIC = { resourceGroup: 'rg-traffic', profile: 'fleetmesh-demo' } as const;
export const MESH_TARGET = {
  fleet: GENERATED_FLEET,
  profile: MESH,
  trafficResourceGroup: TRAFFIC.resourceGroup,
  trafficProfile: TRAFFIC.profile,
} as const;

export interface BenchSandbox {
  readonly sandbox: Sandbox;
  readonly store: StateStore;
  stop(): Promise<void>;
}

/**
 * The policy every scenario uses unless it says otherwise: the sandbox's demo policy (mode auto, Traffic Manager for
 * `demo/web`) with the defaults (debounce 30 s, polls from 10 s backing off to 60 s) divided by the time factor, so
 * the app waits as long in simulated time as it would against Azure.
 */
export function benchPolicy(timeFactor: number): MeshPolicyInput {
  return demoPolicy(timeFactor);
}

export async function startBenchSandbox(options: SandboxOptions): Promise<BenchSandbox> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'fleetmesh-bench-'));
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      port: 0,
      stateDir,
      fleetName: GENERATED_FLEET,
      meshProfile: MESH,
      throttling: true,
      resyncOnStartup: false,
      hostLogSink: () => undefined,
      ...options,
      appSettings: {
        // The resync timer only when a scenario asks for it (once a year otherwise): a resync landing in the middle
        // of a measurement would add its reads to it.
        FLEETMESH_RESYNC_SCHEDULE: '0 0 0 1 1 *',
        ...options.appSettings,
      },
    });
  } catch (e) {
    rmSync(stateDir, { recursive: true, force: true });
    throw e;
  }
  const client = createCosmosClient(
    {
      endpoint: sandbox.cosmos.endpoint,
      database: 'fleetmesh',
      auth: { kind: 'key', key: sandbox.cosmos.key },
      caFile: undefined,
    },
    { caPem: sandbox.cosmos.certificatePem },
  );
  const store = createCosmosStateStore({ client, databaseId: 'fleetmesh', eventTtlSeconds: 86_400 });
  return {
    sandbox,
    store,
    async stop() {
      client.dispose();
      await sandbox.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
