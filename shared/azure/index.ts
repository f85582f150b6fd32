/**
 * The gateways' composition: `createGateways(settings)` builds every gateway over the real Azure SDK clients, all
 * sharing one ARM connection (endpoint, credential, trusted certificate, retry policy, pacing and counting policy).
 * See docs/gateways.md.
 */
import type { TokenCredential } from '@azure/core-auth';
import { getClient } from '@azure-rest/core-client';
import { DefaultAzureCredential } from '@azure/identity';
import { readFileSync } from 'node:fs';
import type { Settings } from '../config/settings.js';
import { ConfigurationError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { createAuthorizationGateway } from './authorization.js';
import { ArmCallRecorder } from './callContext.js';
import { createClusterGateway } from './clusters.js';
import { createFleetGateway } from './fleet.js';
import type { Gateways } from './gateways.js';
import { createNetworkGateway } from './network.js';
import { sharedPacer, sharedProviderGates } from './pacing.js';
import { armCallPolicy, armScope, pipelineOptions, staticTokenCredential, type ArmConnection } from './pipeline.js';
import { createRuntime } from './runtime.js';
import { createTrafficGateway } from './traffic.js';

export * from './errors.js';
export type * from './gateways.js';
export { ArmOperation, type ArmOperationName } from './operations.js';
export { roleAssignmentName, ROLE_ASSIGNMENT_NAMESPACE } from './roleAssignmentName.js';
export { ARM_LIMITS, type RequestClass } from './pacing.js';
export { RETRY_OPTIONS, USER_AGENT_PREFIX } from './pipeline.js';
export { TRAFFIC_MANAGER_API_VERSION } from './traffic.js';
export { SYSTEM_LABEL_PREFIX } from './fleet.js';

/** Default wait between long-running-operation polls in `*AndWait` when ARM sends no `Retry-After`. */
export const DEFAULT_POLL_INTERVAL_MS = 2_000;

export interface CreateGatewaysOptions {
  readonly logger?: Logger;
  /** Overrides the credential chosen from `settings.arm.auth` (tests, tools). */
  readonly credential?: TokenCredential;
  /** Wait between LRO polls in `*AndWait` without a (non-zero) `Retry-After`; default 2 s. */
  readonly pollIntervalMs?: number;
}

function credentialFor(settings: Settings): TokenCredential {
  const auth = settings.arm.auth;
  // DefaultAzureCredential picks the managed identity in Azure; AZURE_CLIENT_ID selects a user-assigned one.
  return auth.kind === 'static' ? staticTokenCredential(auth.token) : new DefaultAzureCredential();
}

function readCa(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError('FLEETMESH_ARM_CA_FILE', `cannot read ${file}: ${reason}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigurationError('FLEETMESH_ARM_CA_FILE', `${file} holds no PEM certificate`);
  }
  return pem;
}

export function createGateways(settings: Settings, options: CreateGatewaysOptions = {}): Gateways {
  const logger = (options.logger ?? createLogger({ minLevel: 'warn' })).child({ component: 'azure' });
  const recorder = new ArmCallRecorder();
  const pacer = sharedPacer(settings.arm.endpoint, settings.arm.maxConcurrentWrites);
  const connection: ArmConnection = {
    endpoint: settings.arm.endpoint,
    credential: options.credential ?? credentialFor(settings),
    scope: armScope(settings.arm.endpoint),
    ca: readCa(settings.arm.caFile),
    policy: armCallPolicy(recorder, pacer, logger, sharedProviderGates(settings.arm.endpoint)),
  };
  const runtime = createRuntime({
    connection,
    defaultSubscriptionId: settings.subscriptionId,
    recorder,
    logger,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
  });
  const fleetClient = getClient(connection.endpoint, connection.credential, {
    ...pipelineOptions(connection),
    credentials: { scopes: [connection.scope] },
    apiVersion: settings.arm.fleetApiVersion,
  });
  return {
    fleet: createFleetGateway(runtime, fleetClient, {
      subscriptionId: settings.subscriptionId,
      resourceGroup: settings.fleetResourceGroup,
      fleetName: settings.fleetName,
    }),
    clusters: createClusterGateway(runtime),
    network: createNetworkGateway(runtime),
    authorization: createAuthorizationGateway(runtime),
    traffic: createTrafficGateway(runtime, settings.subscriptionId),
    counters: recorder,
  };
}
