import { describe, expect, it } from 'vitest';
import {
  BuiltInRoles,
  normalizeResourceId,
  roleDefinitionGuid,
  roleDefinitionId,
} from '../../../../../shared/arm/resourceId.js';
import {
  addToSnapshot,
  clusterSubnetIds,
  clusterVnetIds,
  emptySnapshot,
  isRequestEmpty,
  normaliseSnapshot,
  requiredResources,
  runPreflight,
  type FetchedResources,
  type PreflightSnapshot,
  type ResourceRequest,
} from '../../../../../shared/domain/preflight/index.js';
import { roleDefinitionReadId } from '../../../../../shared/domain/preflight/snapshot.js';
import {
  cluster,
  eastWest,
  nsg,
  nsgIdOf,
  principalOf,
  PROFILE_ID,
  roleAssignment,
  roleDefinition,
  route,
  routeTable,
  routeTableIdOf,
  SUB,
  subnetIdOf,
  vnetIdOf,
} from '../fixtures.js';

const CUSTOM = 'c0ffee00-0000-4000-8000-000000000002';

/** A world to gather from: east/west with an NSG and a route table on east, and a custom role for west. */
function world(): PreflightSnapshot {
  return eastWest({ eastNsg: 'nsg-east', eastRouteTable: 'rt-east' })
    .nsg(nsg('nsg-east', []))
    .routeTable(routeTable('rt-east', [route('r', '192.168.0.0/16', 'VirtualAppliance')]))
    .assignment(roleAssignment(principalOf('west'), vnetIdOf('vnet-west'), CUSTOM))
    .definition(roleDefinition(CUSTOM, ['Microsoft.Network/virtualNetworks/subnets/*']))
    .snapshot();
}

/** Answers a request from `source`, the way the reconciler's activity would; ids it lacks become read failures. */
function fetchFrom(source: PreflightSnapshot, request: ResourceRequest, log: ResourceRequest[]): FetchedResources {
  log.push(request);
  const failures: {
    kind: 'cluster' | 'virtualNetwork' | 'networkSecurityGroup' | 'routeTable' | 'roleAssignments' | 'roleDefinition';
    id: string;
    reason: string;
  }[] = [];
  const pick = <T>(
    record: Readonly<Record<string, T>>,
    ids: readonly string[],
    kind: (typeof failures)[number]['kind'],
  ) =>
    ids.flatMap((id) => {
      const found = record[normalizeResourceId(id)];
      if (!found) failures.push({ kind, id, reason: '404 NotFound' });
      return found ? [found] : [];
    });
  // Requested under a VNet (`{vnetId}/providers/Microsoft.Authorization/roleDefinitions/{guid}`); ARM answers with the
  // definition whatever the scope in the URL, so match by GUID.
  const definitions = request.roleDefinitions.flatMap((id) => {
    const found = Object.values(source.roleDefinitions).find(
      (d) => roleDefinitionGuid(d.id) === roleDefinitionGuid(id),
    );
    if (!found) failures.push({ kind: 'roleDefinition', id, reason: '404 NotFound' });
    return found ? [found] : [];
  });
  return {
    clusters: pick(source.clusters, request.clusters, 'cluster'),
    virtualNetworks: pick(source.virtualNetworks, request.virtualNetworks, 'virtualNetwork'),
    networkSecurityGroups: pick(source.networkSecurityGroups, request.networkSecurityGroups, 'networkSecurityGroup'),
    routeTables: pick(source.routeTables, request.routeTables, 'routeTable'),
    roleAssignments: Object.fromEntries(
      request.roleAssignments.map((r) => [r.principalId, source.roleAssignments[r.principalId.toLowerCase()] ?? []]),
    ),
    roleDefinitions: definitions,
    readFailures: failures,
  };
}

function gather(source: PreflightSnapshot): { snapshot: PreflightSnapshot; rounds: ResourceRequest[] } {
  const rounds: ResourceRequest[] = [];
  let snapshot = emptySnapshot(source.profileId, source.members);
  for (let request = requiredResources(snapshot); !isRequestEmpty(request); request = requiredResources(snapshot)) {
    if (rounds.length > 10) throw new Error('gathering does not terminate');
    snapshot = addToSnapshot(snapshot, fetchFrom(source, request, rounds));
  }
  return { snapshot, rounds };
}

describe('gathering a snapshot with requiredResources', () => {
  it('asks for clusters, then VNets and role assignments, then NSGs, route tables and role definitions', () => {
    const { rounds } = gather(world());
    expect(rounds).toEqual([
      {
        clusters: [cluster('east').id, cluster('west').id],
        virtualNetworks: [],
        networkSecurityGroups: [],
        routeTables: [],
        roleAssignments: [],
        roleDefinitions: [],
      },
      {
        clusters: [],
        virtualNetworks: [vnetIdOf('vnet-east'), vnetIdOf('vnet-west')],
        networkSecurityGroups: [],
        routeTables: [],
        roleAssignments: [
          { principalId: principalOf('east'), scopes: [vnetIdOf('vnet-east')] },
          { principalId: principalOf('west'), scopes: [vnetIdOf('vnet-west')] },
        ].sort((a, b) => (a.principalId < b.principalId ? -1 : 1)),
        roleDefinitions: [],
      },
      {
        clusters: [],
        virtualNetworks: [],
        networkSecurityGroups: [nsgIdOf('nsg-east')],
        routeTables: [routeTableIdOf('rt-east')],
        roleAssignments: [],
        // Network Contributor is known and never requested; the custom role is, under the VNet it is assigned on
        // (the app holds Reader there, and nothing at the subscription).
        roleDefinitions: [`${vnetIdOf('vnet-west')}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM}`],
      },
    ]);
  });

  it('the gathered snapshot gives the same findings as the world it was gathered from', () => {
    const source = world();
    expect(runPreflight(gather(source).snapshot)).toEqual(runPreflight(source));
  });

  it('what cannot be read is recorded once, never asked again, and becomes a finding', () => {
    const source = world();
    const { [normalizeResourceId(vnetIdOf('vnet-west'))]: _, ...virtualNetworks } = source.virtualNetworks;
    const { snapshot, rounds } = gather({ ...source, virtualNetworks });
    expect(rounds.flatMap((r) => r.virtualNetworks)).toEqual([vnetIdOf('vnet-east'), vnetIdOf('vnet-west')]);
    expect(snapshot.readFailures).toEqual([
      { kind: 'virtualNetwork', id: vnetIdOf('vnet-west'), reason: '404 NotFound' },
    ]);
    expect(runPreflight(snapshot).findings.map((f) => [f.checkId, f.member])).toEqual([['network.unreadable', 'west']]);
  });

  it('a member whose cluster is missing asks for nothing more about it', () => {
    const source = world();
    const { snapshot, rounds } = gather({ ...source, clusters: {} });
    expect(rounds).toHaveLength(1);
    expect(runPreflight(snapshot).findings.map((f) => f.checkId)).toEqual(['cluster.unreadable', 'cluster.unreadable']);
  });

  it('a cluster without identity asks for no role assignments', () => {
    const source = eastWest()
      .cluster({ name: 'sp', vnet: 'vnet-east', nodeSubnet: 'nodes', cluster: { principalId: null } })
      .snapshot();
    const principals = gather(source).rounds.flatMap((r) => r.roleAssignments.map((a) => a.principalId));
    expect(principals).not.toContain(undefined);
    expect(principals).toHaveLength(2);
  });
});

describe('roleDefinitionReadId: where a role definition is read', () => {
  const principal = principalOf('west');
  const vnet = vnetIdOf('vnet-west');
  const under = (scope: string) => `${scope}/providers/Microsoft.Authorization/roleDefinitions/${CUSTOM}`;

  it.each([
    ['assigned on the VNet: under the VNet', vnet, under(vnet)],
    ['assigned at the subscription: under the VNet, not at the subscription', `/subscriptions/${SUB}`, under(vnet)],
    ['assigned on a subnet: at the subnet', subnetIdOf('vnet-west', 'nodes'), under(subnetIdOf('vnet-west', 'nodes'))],
    [
      'assigned on a management group: under the VNet, not at the subscription',
      '/providers/Microsoft.Management/managementGroups/platform',
      under(vnet),
    ],
    ['assigned on another VNet: as the assignment names it', vnetIdOf('vnet-east'), roleDefinitionId(SUB, CUSTOM)],
  ])('%s', (_label, scope, expected) => {
    expect(roleDefinitionReadId(roleAssignment(principal, scope, CUSTOM), [vnet])).toBe(expected);
    // Without `scope` on the assignment, its id says where it is.
    expect(roleDefinitionReadId(roleAssignment(principal, scope, CUSTOM, false), [vnet])).toBe(expected);
  });
});

describe('snapshot records', () => {
  it('normaliseSnapshot re-keys records however they were spelled', () => {
    const source = world();
    const shouted: PreflightSnapshot = {
      ...source,
      clusters: Object.fromEntries(Object.values(source.clusters).map((c) => [c.id.toUpperCase(), c])),
      virtualNetworks: Object.fromEntries(Object.values(source.virtualNetworks).map((v) => [`${v.id}/`, v])),
      roleDefinitions: Object.fromEntries(Object.values(source.roleDefinitions).map((d) => [d.id, d])),
      roleAssignments: Object.fromEntries(Object.entries(source.roleAssignments).map(([p, a]) => [p.toUpperCase(), a])),
    };
    expect(Object.keys(normaliseSnapshot(shouted).clusters)).toEqual(Object.keys(source.clusters));
    expect(runPreflight(shouted)).toEqual(runPreflight(source));
  });

  it('addToSnapshot merges role assignments per principal without duplicates', () => {
    const principal = principalOf('x');
    const a = roleAssignment(principal, vnetIdOf('v1'), BuiltInRoles.reader);
    const b = roleAssignment(principal, vnetIdOf('v2'), BuiltInRoles.reader);
    let snapshot = emptySnapshot(PROFILE_ID, []);
    snapshot = addToSnapshot(snapshot, { roleAssignments: { [principal.toUpperCase()]: [a] } });
    snapshot = addToSnapshot(snapshot, { roleAssignments: { [principal]: [a, b] } });
    expect(snapshot.roleAssignments).toEqual({ [principal]: [a, b] });
  });

  it('cluster subnets and VNets are de-duplicated and sorted', () => {
    const c = cluster('x', { nodeSubnetId: subnetIdOf('vnet-b', 'nodes'), podSubnetId: subnetIdOf('vnet-b', 'pods') });
    c.agentPoolProfiles?.push({
      name: 'user',
      vnetSubnetID: subnetIdOf('vnet-b', 'NODES').replace('vnet-b', 'VNET-B'),
    });
    expect(clusterSubnetIds(c)).toEqual([subnetIdOf('vnet-b', 'nodes'), subnetIdOf('vnet-b', 'pods')]);
    expect(clusterVnetIds(c)).toEqual([vnetIdOf('vnet-b')]);
  });
});
