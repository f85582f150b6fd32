/**
 * Traffic Manager sync (shared/services/traffic.ts) against the simulator through the real gateways, counting the ARM
 * calls it makes: monitor status comes from the profile GET (no endpoint GET per endpoint), remembered node resource
 * groups spare the cluster GETs, a resync of an unchanged mesh writes nothing, and a remembered group that no longer
 * exists is forgotten and the cluster read again. The last enabled endpoint of a service is disabled only once its
 * successor is enabled, and not at all when that fails. A fleet of 230 members fits Traffic Manager's 200 endpoints
 * per profile: endpoints of others counted, the rest reported as not routed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMeshProfileId } from '../../../../shared/arm/resourceId.js';
import {
  ENDPOINT_LIMIT_REASON,
  endpointName,
  parseMeshPolicy,
  servicePublicIp,
  type TrafficSettings,
} from '../../../../shared/domain/index.js';
import { createLogger } from '../../../../shared/log.js';
import type { FleetMember, MeshMemberState } from '../../../../shared/models/index.js';
import { ClusterFacts } from '../../../../shared/services/clusterFacts.js';
import { ensureProfile, syncTraffic } from '../../../../shared/services/traffic.js';
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

describe('syncTraffic write order', () => {
  it('enables the new endpoint before it disables the last enabled one, and leaves that one when the enable fails', async () => {
    const settings = { ...traffic, profileName: 'fleetmesh-swap', relativeDnsName: 'fleetmesh-swap-test' };
    const all = await h.gateways.fleet.listMembers();
    const [a, b] = [...all].sort((x, y) => (x.name < y.name ? -1 : 1));
    if (!a || !b) throw new Error('two members needed');
    const inState = (member: FleetMember, state: MeshMemberState): FleetMember => {
      const mesh = member.properties.meshProperties;
      if (!mesh) throw new Error(`${member.name} is in no mesh`);
      return {
        ...member,
        properties: { ...member.properties, meshProperties: { ...mesh, status: { ...mesh.status, state } } },
      };
    };
    /** Member name → endpoint status, in the simulator. */
    const status = (): Record<string, string> => {
      const tm = [...h.sim.control.world().trafficProfiles.values()].find((p) => p.name === settings.profileName);
      const result: Record<string, string> = {};
      for (const e of tm?.endpoints.values() ?? []) {
        const value = e.properties['endpointStatus'];
        result[e.name.split('#').pop() ?? ''] = typeof value === 'string' ? value : '';
      }
      return result;
    };
    // Only A and B, in the mesh states given: the other members are left out, so they have no endpoints.
    const sync = (stateA: MeshMemberState, stateB: MeshMemberState) =>
      syncTraffic(
        { gateways: h.gateways },
        { profileId: profileId(), traffic: settings, members: [inState(a, stateA), inState(b, stateB)] },
      );
    const lowerA = a.name.toLowerCase();
    const lowerB = b.name.toLowerCase();

    await sync('Connected', 'Connecting');
    expect(status()).toEqual({ [lowerA]: 'Enabled', [lowerB]: 'Disabled' });

    // A fails and B connects, but Traffic Manager refuses B's enable: A stays enabled (it is not even written).
    h.sim.control.setFaults({
      overrides: [
        {
          match: { operations: ['trafficManagerEndpoints.createOrUpdate'], pathPattern: `%23${lowerB}$` },
          errorRates: { '400': 1 },
        },
      ],
    });
    const since = h.sim.control.calls().at(-1)?.seq ?? 0;
    try {
      await expect(sync('Failed', 'Connected')).rejects.toMatchObject({ statusCode: 400 });
    } finally {
      h.sim.control.clearFaults();
    }
    expect(status()).toEqual({ [lowerA]: 'Enabled', [lowerB]: 'Disabled' });
    const writes = () =>
      h.sim.control
        .calls(since)
        .filter((c) => c.operation === 'trafficManagerEndpoints.createOrUpdate')
        .map((c) => [decodeURIComponent(c.path).split('#').pop(), c.status]);
    expect(writes()).toEqual([[lowerB, 400]]);

    // Once B's enable succeeds, A is disabled: after it, never before.
    await sync('Failed', 'Connected');
    expect(status()).toEqual({ [lowerA]: 'Disabled', [lowerB]: 'Enabled' });
    expect(writes()).toEqual([
      [lowerB, 400],
      [lowerB, 200],
      [lowerA, 200],
    ]);
  });
});

describe('syncTraffic with more members than Traffic Manager allows endpoints', () => {
  let big: GatewayHarness;
  const rg = 'rg-traffic';
  const profileName = 'fleetmesh-big';

  beforeAll(async () => {
    big = await startHarness(
      { ...FAST, scenario: 'generated:230?traffic=true&applied=true&seed=5' },
      { FLEETMESH_FLEET_NAME: 'fleet-generated' },
    );
  });

  afterAll(async () => {
    await big.close();
  });

  function simEndpoints(): string[] {
    const tm = [...big.sim.control.world().trafficProfiles.values()].find((p) => p.name === profileName);
    return [...(tm?.endpoints.values() ?? [])].map((e) => e.name);
  }

  it('routes 200 minus the foreign endpoints, existing ones first, and reports the rest as not routed', async () => {
    const settings = { ...traffic, profileName, relativeDnsName: 'fleetmesh-big-test' };
    const members = await big.gateways.fleet.listMembers();
    expect(members).toHaveLength(230);
    const names = members.map((m) => m.name.toLowerCase()).sort();
    const id = clusterMeshProfileId(big.sim.subscriptionId, 'rg-fleet', 'fleet-generated', 'demo');
    const deps = { gateways: big.gateways, clusterFacts: new ClusterFacts() };

    // Before the sync: the profile holds 5 endpoints of an operator's (they count, untouched) and endpoints of the 5
    // members last by name (routed earlier; they are kept although others come first by name).
    await ensureProfile(deps, settings);
    const late = names.slice(-5);
    let target = '';
    for (const name of late) {
      const member = members.find((m) => m.name.toLowerCase() === name);
      if (!member) throw new Error(`no member ${name}`);
      const cluster = await big.gateways.clusters.getCluster(member.properties.clusterResourceId);
      const ip = servicePublicIp(
        'demo/web',
        await big.gateways.network.listPublicIPAddresses(big.sim.subscriptionId, cluster.nodeResourceGroup ?? ''),
      );
      if (!ip) throw new Error(`no public IP for ${name}`);
      target = ip.id;
      await big.gateways.traffic.createOrUpdateEndpoint(
        rg,
        profileName,
        'AzureEndpoints',
        endpointName('demo', 'demo/web', name),
        {
          targetResourceId: ip.id,
          weight: 1,
          endpointStatus: 'Enabled',
        },
      );
    }
    for (let i = 0; i < 5; i++) {
      await big.gateways.traffic.createOrUpdateEndpoint(rg, profileName, 'AzureEndpoints', `operator-${i}`, {
        targetResourceId: target,
        weight: 1,
        endpointStatus: 'Enabled',
      });
    }

    const lines: string[] = [];
    const logger = createLogger({ sink: (_level, line) => lines.push(line), minLevel: 'warn' });
    const outcome = await syncTraffic({ ...deps, logger }, { profileId: id, traffic: settings, members });
    const byAction = (action: string) => outcome.plan.changes.filter((c) => c.action === action).map((c) => c.member);
    expect(byAction('delete')).toEqual([]);
    expect(byAction('update')).toEqual(late);
    expect(byAction('create')).toEqual(names.slice(0, 190));
    expect(simEndpoints()).toHaveLength(200);
    expect(simEndpoints().filter((n) => n.startsWith('operator-'))).toHaveLength(5);
    expect(outcome.view.endpoints).toHaveLength(195);
    // Weights over the 195 routed members: ceil(1000 / 195).
    expect(outcome.view.endpoints.every((e) => e.status === 'Enabled' && e.weight === 6)).toBe(true);
    const notRouted = names.slice(190, 225);
    expect(outcome.view.notRouted).toEqual(
      notRouted.map((member) => ({ service: 'demo/web', member, reason: ENDPOINT_LIMIT_REASON })),
    );
    expect(outcome.plan.notRouted).toEqual(outcome.view.notRouted);
    const warning = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['level'] === 'warn');
    expect(warning).toMatchObject({ message: 'traffic members not routed', count: 35, reason: ENDPOINT_LIMIT_REASON });

    // The operator removes their endpoints: the room goes to the next members by name.
    for (let i = 0; i < 5; i++) {
      await big.gateways.traffic.deleteEndpoint(rg, profileName, 'AzureEndpoints', `operator-${i}`);
    }
    const after = await syncTraffic(deps, { profileId: id, traffic: settings, members });
    expect(after.plan.changes.filter((c) => c.action === 'create').map((c) => c.member)).toEqual(notRouted.slice(0, 5));
    expect(after.view.endpoints).toHaveLength(200);
    expect(after.view.notRouted?.map((n) => n.member)).toEqual(notRouted.slice(5));
    expect(simEndpoints()).toHaveLength(200);
  });
});
