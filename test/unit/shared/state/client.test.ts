import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../shared/errors.js';
import { cosmosClientOptions } from '../../../../shared/state/client.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const credential: TokenCredential = {
  getToken: (): Promise<AccessToken> => Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }),
};
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fm-client-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cosmosClientOptions', () => {
  it('Azure: Entra credential, no key, endpoint discovery on, default TLS trust', () => {
    const options = cosmosClientOptions(
      {
        endpoint: 'https://acct.documents.azure.com:443/',
        database: 'fleetmesh',
        auth: { kind: 'entra' },
        caFile: undefined,
      },
      { credential },
    );
    expect(options.aadCredentials).toBe(credential);
    expect(options.key).toBeUndefined();
    expect(options.agent).toBeUndefined();
    expect(options.connectionPolicy?.enableEndpointDiscovery).toBe(true);
  });

  it('embedded server: key, discovery and background refresh off, the given certificate trusted by its own agent', () => {
    const options = cosmosClientOptions(
      {
        endpoint: 'https://127.0.0.1:8081/',
        database: 'fleetmesh',
        auth: { kind: 'key', key: 'a2V5' },
        caFile: undefined,
      },
      { caPem: PEM },
    );
    expect(options.key).toBe('a2V5');
    expect(options.aadCredentials).toBeUndefined();
    expect(options.connectionPolicy).toMatchObject({
      enableEndpointDiscovery: false,
      enableBackgroundEndpointRefreshing: false,
    });
    expect(options.agent).toBeInstanceOf(Agent);
    expect(options.agent instanceof Agent ? options.agent.options.ca : undefined).toBe(PEM);
    expect(options.agent instanceof Agent ? options.agent.options.rejectUnauthorized : undefined).toBeUndefined();
  });

  it('reads the certificate from caFile', async () => {
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, PEM);
    const options = cosmosClientOptions({
      endpoint: 'https://127.0.0.1:8081/',
      database: 'fleetmesh',
      auth: { kind: 'key', key: 'a2V5' },
      caFile,
    });
    expect(options.agent instanceof Agent ? options.agent.options.ca : undefined).toBe(PEM);
  });

  it('names FLEETMESH_COSMOS_CA_FILE when the file is missing or not PEM', async () => {
    const missing = {
      endpoint: 'https://h/',
      database: 'd',
      auth: { kind: 'entra' as const },
      caFile: join(dir, 'nope'),
    };
    expect(() => cosmosClientOptions(missing, { credential })).toThrow(ConfigurationError);
    expect(() => cosmosClientOptions(missing, { credential })).toThrow(/FLEETMESH_COSMOS_CA_FILE: cannot be read/);
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'hello');
    expect(() => cosmosClientOptions({ ...missing, caFile: notPem }, { credential })).toThrow(
      /FLEETMESH_COSMOS_CA_FILE: does not contain a PEM certificate/,
    );
  });
});
