/**
 * The sandbox: everything fleetmesh needs, on one machine, offline.
 *
 * - the ARM simulator (scenario `two-regions` by default), its certificate written for the app to trust;
 * - the embedded Cosmos DB server, its containers created, its certificate written likewise;
 * - the local Functions host running this app (`dist/functions/*.js`) with a generated function key;
 * - the simulator's ARM events delivered to the app's `fleetEvents` webhook;
 * - a policy for the demo mesh (auto mode, Traffic Manager for the demo service), so the mesh converges on its own.
 *
 * `startSandbox()` is what `npm start`, the end-to-end tests and the benchmark use; it returns the facts a script
 * needs (also written to `<stateDir>/sandbox.json`) and `stop()`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MeshPolicyInput } from '../../shared/domain/index.js';
import { MeshPolicySchema } from '../../shared/domain/index.js';
import { fleetId } from '../../shared/arm/resourceId.js';
import { createLogger, type Logger, type LogSink } from '../../shared/log.js';
import { createCosmosClient } from '../../shared/state/client.js';
import { ensureContainers } from '../../shared/state/containers.js';
import { createCosmosStateStore } from '../../shared/state/cosmosStore.js';
import { JsonObjectSchema } from '../../shared/state/documents.js';
import { startCosmosServer, type EmbeddedCosmosServer } from '../cosmos/server.js';
import { startHost, type HostHandle } from '../host/index.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../simulator/index.js';

export interface SandboxOptions {
  /** Simulator scenario (default `two-regions`). */
  readonly scenario?: SimulatorOptions['scenario'];
  /** Simulated time speed-up (default 10: a 20 s connect takes 2 s). */
  readonly timeFactor?: number;
  readonly throttling?: boolean;
  /** The simulator checks that fleetmesh's identity holds a role for every call (default true). */
  readonly enforceRoles?: boolean;
  /** Port of the app (default 7071; 0 picks a free one). */
  readonly port?: number;
  /** Where certificates, logs and sandbox.json go (default `.fleetmesh` in the project). */
  readonly stateDir?: string;
  readonly fleetResourceGroup?: string;
  readonly fleetName?: string;
  /** The mesh profile the sandbox seeds a policy for (default `demo`). */
  readonly meshProfile?: string;
  /** Policy seeded for the mesh profile; `null` seeds none (the default policy, `approve`, applies). */
  readonly policy?: MeshPolicyInput | null;
  /** Ask every mesh to resync as soon as the app starts (default true: the demo mesh converges without a command). */
  readonly resyncOnStartup?: boolean;
  /** Extra app settings (override the sandbox's). */
  readonly appSettings?: Readonly<Record<string, string>>;
  /** The app's own log level (default `warn`, so the console is left to the narration). */
  readonly appLogLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where the host's invocation logs go (default `<stateDir>/host.log`). */
  readonly hostLogSink?: LogSink;
  readonly simulator?: Omit<SimulatorOptions, 'scenario' | 'timeFactor' | 'throttling' | 'enforceRoles'>;
}

export interface SandboxFacts {
  readonly apiBaseUrl: string;
  readonly functionKey: string;
  readonly armEndpoint: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly fleet: string;
  readonly meshProfile: string;
  readonly certificateFile: string;
  /** Bearer token of the simulator's `operator` principal (Owner), to change the fleet as a user would. */
  readonly operatorToken: string;
  /** Bearer token of the simulator's control API (`/_sim/`). */
  readonly simulatorAdminToken: string;
}

export interface Sandbox extends SandboxFacts {
  /** The host's `eventgrid_extension` system key (the Event Grid webhook's `code`). */
  readonly eventGridKey: string;
  readonly sim: RunningSimulator;
  readonly cosmos: EmbeddedCosmosServer;
  readonly host: HostHandle;
  readonly stateDir: string;
  stop(): Promise<void>;
}

/** The demo policy: apply on its own, keep Traffic Manager on the demo service, poll at the simulator's pace. */
export function demoPolicy(timeFactor: number): MeshPolicyInput {
  const pace = Math.max(0.05, 10 / Math.max(1, timeFactor));
  return {
    mode: 'auto',
    allowRemovals: false,
    debounceSeconds: Math.max(0.5, 30 / Math.max(1, timeFactor)),
    convergence: {
      memberTimeoutMinutes: 20,
      pollIntervalSeconds: pace,
      maxPollIntervalSeconds: Math.max(pace, 60 / Math.max(1, timeFactor)),
      maxRemediationRounds: 3,
    },
    traffic: {
      resourceGroup: 'rg-traffic',
      profileName: 'fleetmesh-demo',
      relativeDnsName: 'fleetmesh-demo',
      services: [{ service: 'demo/web', weight: 1000 }],
    },
  };
}

export function projectRoot(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && Reflect.get(parsed, 'name') === 'fleetmesh') return dir;
    }
    if (path.dirname(dir) === dir) throw new Error('cannot find the fleetmesh project root (package.json)');
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const root = projectRoot();
  if (!existsSync(path.join(root, 'dist', 'functions'))) {
    throw new Error('the app is not built: run `npm run build` first (npm start and npm test do it for you)');
  }
  const stateDir = path.resolve(options.stateDir ?? path.join(root, '.fleetmesh'));
  mkdirSync(stateDir, { recursive: true });
  const timeFactor = options.timeFactor ?? 10;
  const fleetResourceGroup = options.fleetResourceGroup ?? 'rg-fleet';
  const fleetName = options.fleetName ?? 'fleet-demo';
  const meshProfile = options.meshProfile ?? 'demo';
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops.length = 0;
  };

  try {
    const sim = await startSimulator({
      ...options.simulator,
      scenario: options.scenario ?? 'two-regions',
      timeFactor,
      throttling: options.throttling ?? true,
      enforceRoles: options.enforceRoles ?? true,
    });
    stops.push(() => sim.stop());
    const simCert = path.join(stateDir, 'sim.pem');
    writeFileSync(simCert, sim.certificatePem);

    const cosmos = await startCosmosServer();
    stops.push(() => cosmos.stop());
    const cosmosCert = path.join(stateDir, 'cosmos.pem');
    writeFileSync(cosmosCert, cosmos.certificatePem);
    const cosmosSettings = {
      endpoint: cosmos.endpoint,
      database: 'fleetmesh',
      auth: { kind: 'key' as const, key: cosmos.key },
      caFile: undefined,
    };
    const client = createCosmosClient(cosmosSettings, { caPem: cosmos.certificatePem });
    stops.push(() => {
      client.dispose();
      return Promise.resolve();
    });
    await ensureContainers(client, 'fleetmesh');
    const policy = options.policy === undefined ? demoPolicy(timeFactor) : options.policy;
    if (policy !== null) {
      const store = createCosmosStateStore({ client, databaseId: 'fleetmesh', eventTtlSeconds: 86400 });
      await store.putPolicy(meshProfile, JsonObjectSchema.parse(MeshPolicySchema.parse(policy)), 'sandbox');
    }

    const appToken = sim.tokens.fleetmesh;
    const operatorToken = sim.tokens.operator;
    if (!appToken || !operatorToken) throw new Error('the scenario has no fleetmesh and operator principals');
    const functionKey = randomBytes(24).toString('base64url');
    const eventGridKey = randomBytes(24).toString('base64url');
    const hostLogFile = path.join(stateDir, 'host.log');
    writeFileSync(hostLogFile, '');
    const hostLogger: Logger = createLogger({
      minLevel: 'info',
      sink: options.hostLogSink ?? ((_level, line) => writeFileSync(hostLogFile, `${line}\n`, { flag: 'a' })),
    });
    const host = await startHost({
      appDir: root,
      port: options.port ?? 7071,
      keys: {
        masterKey: randomBytes(24).toString('base64url'),
        functionKeys: { default: functionKey },
        systemKeys: { eventgrid_extension: eventGridKey },
      },
      settings: {
        FLEETMESH_SUBSCRIPTION_ID: sim.subscriptionId,
        FLEETMESH_FLEET_RESOURCE_GROUP: fleetResourceGroup,
        FLEETMESH_FLEET_NAME: fleetName,
        FLEETMESH_ARM_ENDPOINT: sim.endpoint,
        FLEETMESH_ARM_AUTH: 'static',
        FLEETMESH_ARM_STATIC_TOKEN: appToken,
        FLEETMESH_ARM_CA_FILE: simCert,
        FLEETMESH_COSMOS_ENDPOINT: cosmos.endpoint,
        FLEETMESH_COSMOS_AUTH: 'key',
        FLEETMESH_COSMOS_KEY: cosmos.key,
        FLEETMESH_COSMOS_CA_FILE: cosmosCert,
        FLEETMESH_TASK_HUB: 'fleetmesh',
        // The timer binding reads its schedule from this app setting (%FLEETMESH_RESYNC_SCHEDULE%), as in Azure.
        FLEETMESH_RESYNC_SCHEDULE: '0 */10 * * * *',
        FLEETMESH_RESYNC_ON_STARTUP: String(options.resyncOnStartup ?? true),
        FLEETMESH_LOG_LEVEL: options.appLogLevel ?? 'warn',
        ...options.appSettings,
      },
      logger: hostLogger,
    });
    stops.push(() => host.stop());

    sim.control.addEventSubscription({
      name: 'fleetmesh-fleet-events',
      endpoint: `${host.url}/runtime/webhooks/eventgrid?functionName=fleetEvents&code=${eventGridKey}`,
      filter: {
        subjectBeginsWith: `${fleetId(sim.subscriptionId, fleetResourceGroup, fleetName)}/`,
        includedEventTypes: [
          'Microsoft.Resources.ResourceWriteSuccess',
          'Microsoft.Resources.ResourceDeleteSuccess',
          'Microsoft.Resources.ResourceActionSuccess',
        ],
      },
    });

    const facts: SandboxFacts = {
      apiBaseUrl: `${host.url}/api`,
      functionKey,
      armEndpoint: sim.endpoint,
      subscriptionId: sim.subscriptionId,
      resourceGroup: fleetResourceGroup,
      fleet: fleetName,
      meshProfile,
      certificateFile: simCert,
      operatorToken,
      simulatorAdminToken: sim.adminToken,
    };
    writeFileSync(path.join(stateDir, 'sandbox.json'), `${JSON.stringify(facts, null, 2)}\n`, { mode: 0o600 });
    return { ...facts, eventGridKey, sim, cosmos, host, stateDir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
