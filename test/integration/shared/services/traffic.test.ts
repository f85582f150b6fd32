/**
 * Traffic Manager sync (shared/services/traffic.ts) against the simulator through the real gateways, counting the ARM
 * calls it makes: monitor status comes from the profile GET (no endpoint GET per endpoint), remembered node resource
 * groups spare the cluster GETs, a resync of an unchanged mesh writes nothing, and a remembered group that no longer
 * exists is forgotten and the cluster read again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMeshProfileId } from '../../../../shared/arm/resourceId.js';
import { parseMeshPolicy, type TrafficSettings } from '../../../../shared/domain/index.js';
import { ClusterFacts } from '../../../../shared/services/clusterFacts.js';
import { syncTraffic } from '../../../../shared/services/traffic.js';
import { FAST } from '../../local/simulator/support.js';
import { startHarness, type GatewayHarness } from '../azure/support.js';

let h: GatewayHarness;
let traffic: TrafficSettings;

beforeAll(async () => {
  h = await startHarness(
    { ...FAST, scenario: 'generated:6?traffic=true&applied=true&seed=4' },
    { FLEETMESH_FLEET_NAME: 'fleet-generated' },
  );
  const policy = parseMeshPolicy({
    traffic: {
      resourceGroup: 'rg-traffic',
      profileName: 'fleetmesh-demo',
      relativeDnsName: 'fleetmesh-demo-test',
      services: [{ service: 'demo/web', weight: 1000 }],
    },
  });
  if (!policy.traffic) throw new Error('no traffic settings');
  traffic = policy.traffic;
});

afterAll(async () => {
  await h.close();
});

function calls(operation: string): number {
  return h.sim.control.calls().filter((c) => c.operation === operation).length;
}

const profileId = (): string => clusterMeshProfileId(h.sim.subscriptionId, 'rg-fleet', 'fleet-generated', 'demo');

describe('syncTraffic', () => {
  it('creates one enabled endpoint per meshed member, reading monitor status from the profile GET', async () => {
    const facts = new ClusterFacts();
    const members = await h.gateways.fleet.listMembers();
    h.sim.control.clearCalls();
    const outcome = await syncTraffic(
      { gateways: h.gateways, clusterFacts: facts },
      { profileId: profileId(), traffic, members },
    );
    expect(outcome.written).toBe(6);
    expect(outcome.view.endpoints.map((e) => e.status)).toEqual(Array(6).fill('Enabled'));
    // Every monitor status is known although no endpoint was read on its own: the profile GET carried them.
    expect(outcome.view.endpoints.map((e) => typeof e.monitorStatus)).toEqual(Array(6).fill('string'));
    expect(calls('trafficManagerEndpoints.get')).toBe(0);
    expect(calls('managedClusters.get')).toBe(6);
    expect(facts.size).toBe(6);
  });

  it('resyncs an unchanged mesh with no write and, with remembered node resource groups, no cluster read', async () => {
    const facts = new ClusterFacts();
    for (const m of await h.gateways.fleet.listMembers()) {
      facts.remember(await h.gateways.clusters.getCluster(m.properties.clusterResourceId));
    }
    const members = await h.gateways.fleet.listMembers();
    h.sim.control.clearCalls();
    const outcome = await syncTraffic(
      { gateways: h.gateways, clusterFacts: facts },
      { profileId: profileId(), traffic, members },
    );
    expect(outcome.written).toBe(0);
    const writes = h.sim.control.calls().filter((c) => c.method !== 'GET');
    expect(writes).toEqual([]);
    expect(calls('managedClusters.get')).toBe(0);
    expect(calls('publicIPAddresses.list')).toBe(6);
  });

  it('forgets a remembered node resource group that is gone and reads the cluster again', async () => {
    const members = await h.gateways.fleet.listMembers();
    const first = members[0];
    if (!first) throw new Error('no member');
    const cluster = await h.gateways.clusters.getCluster(first.properties.clusterResourceId);
    const facts = new ClusterFacts();
    facts.remember({ ...cluster, nodeResourceGroup: 'MC_recreated_elsewhere' });
    h.sim.control.clearCalls();
    const outcome = await syncTraffic(
      { gateways: h.gateways, clusterFacts: facts },
      { profileId: profileId(), traffic, members },
    );
    expect(outcome.written).toBe(0);
    expect(outcome.plan.ineligible).toEqual([]);
    expect(facts.nodeResourceGroup(first.properties.clusterResourceId)).toBe(cluster.nodeResourceGroup);
    expect(calls('managedClusters.get')).toBe(6);
  });
});
