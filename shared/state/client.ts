/**
 * Builds the `CosmosClient` from `Settings['cosmos']`. The same real client is used in both places:
 *
 * - Azure (`auth: entra`): Entra ID only (`aadCredentials`, DefaultAzureCredential; `AZURE_CLIENT_ID` selects the
 *   user-assigned managed identity). Account keys are disabled there. Endpoint discovery stays on (the SDK default).
 * - Embedded Cosmos server (`auth: key`): the server does not check keys, but the client needs one to sign
 *   requests. Endpoint discovery is turned off: the server advertises a fake region ("South Central US") whose
 *   endpoint is derived from its listening address, and with discovery on the client would re-route requests there
 *   and refresh it in the background; with it off, every request goes to exactly the configured endpoint.
 *
 * TLS: a certificate given by `caFile` (or `caPem`) is trusted by this client's own `https.Agent` only. TLS checks
 * are never disabled, here or process-wide.
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { CosmosClient, type CosmosClientOptions } from '@azure/cosmos';
import { DefaultAzureCredential } from '@azure/identity';
import type { Settings } from '../config/settings.js';
import { ConfigurationError } from '../errors.js';

export interface CosmosClientOverrides {
  /** PEM certificate to trust for this endpoint (instead of reading `caFile`), e.g. from `startCosmosServer()`. */
  readonly caPem?: string;
  /** Credential for `auth: entra`; default `new DefaultAzureCredential()`. */
  readonly credential?: TokenCredential;
  /** Default: off for `auth: key` (embedded server), on for `auth: entra` (Azure). */
  readonly endpointDiscovery?: boolean;
}

export function createCosmosClient(cosmos: Settings['cosmos'], overrides: CosmosClientOverrides = {}): CosmosClient {
  return new CosmosClient(cosmosClientOptions(cosmos, overrides));
}

/** The options `createCosmosClient` uses; exported so tests can check them without a network. */
export function cosmosClientOptions(
  cosmos: Settings['cosmos'],
  overrides: CosmosClientOverrides = {},
): CosmosClientOptions {
  const ca = overrides.caPem ?? (cosmos.caFile === undefined ? undefined : readCaFile(cosmos.caFile));
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigurationError('FLEETMESH_COSMOS_CA_FILE', 'does not contain a PEM certificate');
  }
  const endpointDiscovery = overrides.endpointDiscovery ?? cosmos.auth.kind === 'entra';
  return {
    endpoint: cosmos.endpoint,
    ...(cosmos.auth.kind === 'key'
      ? { key: cosmos.auth.key }
      : { aadCredentials: overrides.credential ?? new DefaultAzureCredential() }),
    ...(ca === undefined ? {} : { agent: new Agent({ ca, keepAlive: true }) }),
    connectionPolicy: {
      enableEndpointDiscovery: endpointDiscovery,
      ...(endpointDiscovery ? {} : { enableBackgroundEndpointRefreshing: false }),
    },
    userAgentSuffix: 'fleetmesh',
  };
}

function readCaFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError('FLEETMESH_COSMOS_CA_FILE', `cannot be read (${reason})`);
  }
}
