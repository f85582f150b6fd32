import { describe, expect, it } from 'vitest';
import { createGateways, DEFAULT_POLL_INTERVAL_MS } from '../../../../shared/azure/index.js';
import { armScope, staticTokenCredential } from '../../../../shared/azure/pipeline.js';
import { loadSettings } from '../../../../shared/config/settings.js';

const REQUIRED = {
  FLEETMESH_SUBSCRIPTION_ID: '00000000-0000-4000-8000-000000000001',
  FLEETMESH_FLEET_RESOURCE_GROUP: 'rg-fleet',
  FLEETMESH_FLEET_NAME: 'fleet-demo',
  FLEETMESH_COSMOS_ENDPOINT: 'https://cosmos.example.test',
  FLEETMESH_TASK_HUB: 'fleetmesh',
};

describe('createGateways', () => {
  it('builds every gateway for Azure (managed identity, public cloud) without calling anything', () => {
    const gateways = createGateways(loadSettings(REQUIRED));
    expect(gateways.fleet.fleetId).toBe(
      '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-demo',
    );
    for (const g of [gateways.clusters, gateways.network, gateways.authorization, gateways.traffic]) {
      expect(g).toBeTypeOf('object');
    }
    expect(gateways.counters.snapshot()).toEqual({});
    expect(DEFAULT_POLL_INTERVAL_MS).toBe(2000);
  });

  it('asks for tokens for the ARM endpoint it talks to', () => {
    expect(armScope('https://management.azure.com')).toBe('https://management.azure.com/.default');
    expect(armScope('https://management.usgovcloudapi.net/')).toBe('https://management.usgovcloudapi.net/.default');
    expect(armScope('https://127.0.0.1:8443')).toBe('https://127.0.0.1:8443/.default');
  });

  it('the static credential returns the configured token', async () => {
    const token = await staticTokenCredential('sim.abc').getToken('https://management.azure.com/.default');
    expect(token?.token).toBe('sim.abc');
    expect(token?.expiresOnTimestamp).toBeGreaterThan(Date.now());
  });
});
