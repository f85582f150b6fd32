import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCosmosServer } from '../../../../local/cosmos/server.js';
import { ConfigurationError } from '../../../../shared/errors.js';
import { createCosmosClient } from '../../../../shared/state/client.js';
import { ensureContainers, STATE_CONTAINERS, verifyContainers } from '../../../../shared/state/containers.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('fleetmesh-server-test');
});
afterAll(async () => {
  await h.close();
});

describe('embedded Cosmos server', () => {
  it('listens on loopback https and serves the real client through the trusted certificate', async () => {
    expect(h.server.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(h.server.certificatePem).toContain('-----BEGIN CERTIFICATE-----');
    const { resource } = await h.client().getDatabaseAccount();
    expect(resource?.writableLocations.length).toBeGreaterThan(0);
  });

  it('is refused by a client that does not trust its certificate (TLS checks stay on)', async () => {
    const untrusting = new CosmosClient({
      endpoint: h.server.endpoint,
      key: h.server.key,
      connectionPolicy: { enableEndpointDiscovery: false, retryOptions: { maxRetryAttemptCount: 0 } },
    });
    try {
      await expect(untrusting.database(h.databaseId).read()).rejects.toThrow(/certificate/i);
    } finally {
      untrusting.dispose();
    }
  });

  it('is also reachable by a client that trusts it through a CA file (FLEETMESH_COSMOS_CA_FILE)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fm-cosmos-'));
    try {
      const caFile = join(dir, 'cosmos.pem');
      await writeFile(caFile, h.server.certificatePem);
      const client = createCosmosClient({
        endpoint: h.server.endpoint,
        database: h.databaseId,
        auth: { kind: 'key', key: h.server.key },
        caFile,
      });
      try {
        const { resource } = await client.database(h.databaseId).read();
        expect(resource?.id).toBe(h.databaseId);
      } finally {
        client.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stop() closes the server (idempotent) and the data goes with it', async () => {
    const other = await startCosmosServer();
    const client = createCosmosClient(
      { endpoint: other.endpoint, database: 'x', auth: { kind: 'key', key: other.key }, caFile: undefined },
      { caPem: other.certificatePem, endpointDiscovery: false },
    );
    await ensureContainers(client, 'x');
    await Promise.all([other.stop(), other.stop()]);
    await expect(client.database('x').read()).rejects.toThrow();
    client.dispose();
  });
});

describe('ensureContainers / verifyContainers', () => {
  it('creates the containers with their partition keys and TTL, and is idempotent', async () => {
    const client = h.client();
    await ensureContainers(client, h.databaseId);
    await ensureContainers(client, h.databaseId);
    const { resources } = await client.database(h.databaseId).containers.readAll().fetchAll();
    expect(resources.map((c) => c.id).sort()).toEqual(['events', 'meshes', 'operations']);
    for (const def of STATE_CONTAINERS) {
      const { resource } = await client.database(h.databaseId).container(def.id).read();
      expect(resource?.partitionKey?.paths).toEqual([def.partitionKeyPath]);
      expect(resource?.defaultTtl).toBe(def.defaultTtl);
    }
    expect(STATE_CONTAINERS.find((c) => c.id === 'events')?.defaultTtl).toBe(-1);
  });

  it('tolerates concurrent callers on a fresh database', async () => {
    const clients = [h.client(), h.client(), h.client()];
    await Promise.all(clients.map((c) => ensureContainers(c, 'concurrent-db')));
    await verifyContainers(h.client(), 'concurrent-db');
  });

  it('reports a missing container by name', async () => {
    const client = h.client();
    await client.databases.createIfNotExists({ id: 'empty-db' });
    await expect(verifyContainers(client, 'empty-db')).rejects.toThrow(/container 'empty-db\/meshes' does not exist/);
    await expect(verifyContainers(client, 'empty-db')).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('reports a container with the wrong partition key or without TTL', async () => {
    const client = h.client();
    const { database } = await client.databases.createIfNotExists({ id: 'wrong-db' });
    await database.containers.create({ id: 'meshes', partitionKey: { paths: ['/id'] } });
    await expect(verifyContainers(client, 'wrong-db')).rejects.toThrow(
      /'wrong-db\/meshes' has partition key \["\/id"\], expected \["\/profile"\]/,
    );
    const { database: noTtl } = await client.databases.createIfNotExists({ id: 'nottl-db' });
    await noTtl.containers.create({ id: 'meshes', partitionKey: { paths: ['/profile'] } });
    await noTtl.containers.create({ id: 'operations', partitionKey: { paths: ['/profile'] } });
    await noTtl.containers.create({ id: 'events', partitionKey: { paths: ['/id'] } });
    await expect(verifyContainers(client, 'nottl-db')).rejects.toThrow(/'nottl-db\/events' must have TTL enabled/);
  });
});
