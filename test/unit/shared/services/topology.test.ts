/** The status page's network picture: members → VNets → peering pairs, from cluster and VNet reads. */
import { describe, expect, it } from 'vitest';
import { AzureApiError } from '../../../../shared/azure/errors.js';
import type { ClusterGateway, NetworkGateway } from '../../../../shared/azure/gateways.js';
import {
  ManagedClusterSchema,
  VirtualNetworkSchema,
  type ManagedCluster,
  type VirtualNetwork,
} from '../../../../shared/models/index.js';
import { normalizeResourceId } from '../../../../shared/arm/resourceId.js';
import { buildTopology, createTopologyReader, type Read } from '../../../../shared/services/topology.js';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000';
const vnetId = (rg: string, name: string): string =>
  `${SUB}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}`;
const clusterId = (rg: string, name: string): string =>
  `${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;

function cluster(rg: string, name: string, subnets: string[]): ManagedCluster {
  return ManagedClusterSchema.parse({
    id: clusterId(rg, name),
    name,
    agentPoolProfiles: subnets.map((s, i) => ({ name: `pool${i}`, vnetSubnetID: s })),
  });
}

function vnet(rg: string, name: string, prefix: string, peers: { to: string; state?: string }[] = []): VirtualNetwork {
  return VirtualNetworkSchema.parse({
    id: vnetId(rg, name),
    name,
    location: 'eastus',
    addressSpace: { addressPrefixes: [prefix] },
    virtualNetworkPeerings: peers.map((p, i) => ({
      id: `${vnetId(rg, name)}/virtualNetworkPeerings/p${i}`,
      name: `p${i}`,
      remoteVirtualNetwork: { id: p.to },
      peeringState: p.state ?? 'Connected',
      allowVirtualNetworkAccess: true,
    })),
  });
}

const EAST = vnetId('rg-east', 'vnet-east');
const WEST = vnetId('rg-west', 'vnet-west');
const ok = <T>(value: T): Read<T> => ({ ok: true, value });
const byId = <T extends { id: string }>(...items: T[]): Map<string, Read<T>> =>
  new Map(items.map((i) => [normalizeResourceId(i.id), ok(i)]));

const members = [
  { name: 'member-west', clusterResourceId: clusterId('rg-west', 'aks-west') },
  { name: 'member-east', clusterResourceId: clusterId('rg-east', 'aks-east') },
];
const clusters = byId(
  cluster('rg-east', 'aks-east', [`${EAST}/subnets/nodes`, `${EAST}/subnets/pods`]),
  // The id spelled differently from the VNet's own: still the same VNet.
  cluster('rg-west', 'aks-west', [`${WEST.replace('resourceGroups', 'resourcegroups')}/subnets/nodes`]),
);

describe('buildTopology', () => {
  it('places each member in its VNet and reports a pair peered both ways as peered', () => {
    const t = buildTopology(
      'demo',
      members,
      clusters,
      byId(
        vnet('rg-east', 'vnet-east', '10.1.0.0/16', [{ to: WEST }]),
        vnet('rg-west', 'vnet-west', '10.2.0.0/16', [{ to: EAST }]),
      ),
      '2026-01-01T00:00:00.000Z',
    );
    expect(t.members.map((m) => [m.name, m.vnetIds.length, m.error])).toEqual([
      ['member-east', 1, undefined],
      ['member-west', 1, undefined],
    ]);
    expect(t.vnets.map((v) => [v.name, v.resourceGroup, v.addressPrefixes, v.members])).toEqual([
      ['vnet-east', 'rg-east', ['10.1.0.0/16'], ['member-east']],
      ['vnet-west', 'rg-west', ['10.2.0.0/16'], ['member-west']],
    ]);
    expect(t.peerings).toEqual([{ vnets: [t.vnets[0]?.id, t.vnets[1]?.id], peered: true, problems: [] }]);
  });

  it('says why a pair is not peered: one side missing, or not Connected', () => {
    const t = buildTopology(
      'demo',
      members,
      clusters,
      byId(
        vnet('rg-east', 'vnet-east', '10.1.0.0/16', [{ to: WEST, state: 'Initiated' }]),
        vnet('rg-west', 'vnet-west', '10.2.0.0/16'),
      ),
      'x',
    );
    expect(t.peerings[0]?.peered).toBe(false);
    expect(t.peerings[0]?.problems).toEqual([
      "peering 'p0' of 'vnet-east' to 'vnet-west' is 'Initiated', not 'Connected'",
      "'vnet-west' has no peering to 'vnet-east'",
    ]);
  });

  it('members in one VNet make no pair; unreadable clusters and VNets are named, not fatal', () => {
    const shared = buildTopology(
      'demo',
      members,
      byId(cluster('rg-east', 'aks-east', [`${EAST}/subnets/a`]), {
        ...cluster('rg-west', 'aks-west', [`${EAST}/subnets/b`]),
      }),
      byId(vnet('rg-east', 'vnet-east', '10.1.0.0/16')),
      'x',
    );
    expect(shared.vnets.map((v) => v.members)).toEqual([['member-east', 'member-west']]);
    expect(shared.peerings).toEqual([]);

    const broken = buildTopology(
      'demo',
      [...members, { name: 'member-none' }],
      new Map([
        [normalizeResourceId(clusterId('rg-east', 'aks-east')), { ok: false, problem: '403 AuthorizationFailed' }],
      ]),
      new Map(),
      'x',
    );
    expect(broken.members.map((m) => [m.name, m.error?.code, m.error?.message])).toEqual([
      ['member-east', 'ReadFailed', 'cluster not read: 403 AuthorizationFailed'],
      ['member-none', 'NoCluster', 'the member names no AKS cluster'],
      ['member-west', 'ReadFailed', 'cluster not read: not requested'],
    ]);
  });
});

describe('createTopologyReader', () => {
  function gateways(): { calls: string[]; clusters: ClusterGateway; network: NetworkGateway } {
    const calls: string[] = [];
    const notUsed = (): never => {
      throw new Error('not used by the topology');
    };
    const clusterList = [...clusters.values()].flatMap((r) => (r.ok ? [r.value] : []));
    return {
      calls,
      clusters: {
        getCluster: (id) => {
          calls.push(`cluster ${id}`);
          const c = clusterList.find((x) => normalizeResourceId(x.id) === normalizeResourceId(id));
          return c ? Promise.resolve(c) : Promise.reject(new Error('no such cluster'));
        },
        beginReconcile: notUsed,
        pollReconcile: notUsed,
        reconcileAndWait: notUsed,
      },
      network: {
        getVirtualNetwork: (id) => {
          calls.push(`vnet ${id}`);
          if (normalizeResourceId(id) === normalizeResourceId(WEST)) {
            return Promise.reject(
              new AzureApiError({
                statusCode: 403,
                armCode: 'AuthorizationFailed',
                message: 'no',
                operation: 'virtualNetworks.get',
              }),
            );
          }
          return Promise.resolve(vnet('rg-east', 'vnet-east', '10.1.0.0/16', [{ to: WEST }]));
        },
        getNetworkSecurityGroup: notUsed,
        getRouteTable: notUsed,
        listPublicIPAddresses: notUsed,
      },
    };
  }

  it('reads each cluster and VNet once, reports a failed read, and reuses the result for a while', async () => {
    const g = gateways();
    let clock = 0;
    const reader = createTopologyReader(g, { maxAgeMs: 1000, now: () => new Date(clock) });
    const first = await reader.read('demo', members);
    expect(g.calls.filter((c) => c.startsWith('cluster'))).toHaveLength(2);
    expect(g.calls.filter((c) => c.startsWith('vnet'))).toHaveLength(2);
    expect(first.vnets.find((v) => v.name === 'vnet-west')?.error?.message).toBe(
      'VNet not read: 403 AuthorizationFailed',
    );
    expect(first.peerings[0]).toMatchObject({ peered: false, unknown: true });

    clock = 500;
    expect(await reader.read('demo', [...members].reverse())).toBe(first);
    expect(g.calls).toHaveLength(4);
    clock = 1500;
    await reader.read('demo', members);
    expect(g.calls).toHaveLength(8);
  });
});
