/**
 * Builders for domain test fixtures: fleet members, AKS clusters, VNets with subnets and peerings, NSGs, route tables,
 * role assignments, public IPs and Traffic Manager endpoints, plus `MeshBuilder`, which assembles a whole preflight
 * snapshot from a few lines (clusters in VNets, peerings, roles).
 *
 * Every builder returns a fresh object that passes the model's zod schema (checked in fixtures.test.ts).
 */
import { createHash } from 'node:crypto';
import {
  BuiltInRoles,
  clusterMeshProfileId,
  fleetMemberId,
  roleDefinitionId,
} from '../../../../shared/arm/resourceId.js';
import type {
  FleetMember,
  ManagedCluster,
  MeshMemberState,
  NetworkSecurityGroup,
  PublicIPAddress,
  RoleAssignment,
  RoleDefinition,
  Route,
  RouteTable,
  SecurityRule,
  TrafficManagerEndpoint,
  VirtualNetwork,
  VirtualNetworkPeering,
} from '../../../../shared/models/index.js';
import type { PreflightSnapshot } from '../../../../shared/domain/preflight/types.js';

export const SUB = '00000000-0000-0000-0000-000000000001';
export const PROFILE_ID = clusterMeshProfileId(SUB, 'rg-fleet', 'fleet', 'mesh');
export const OTHER_PROFILE_ID = clusterMeshProfileId(SUB, 'rg-fleet', 'fleet', 'other-mesh');

export function memberIdOf(name: string): string {
  return fleetMemberId(SUB, 'rg-fleet', 'fleet', name);
}

export function clusterIdOf(name: string): string {
  return `/subscriptions/${SUB}/resourceGroups/rg-${name}/providers/Microsoft.ContainerService/managedClusters/aks-${name}`;
}

export function vnetIdOf(name: string, resourceGroup = 'rg-net'): string {
  return `/subscriptions/${SUB}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/virtualNetworks/${name}`;
}

export function subnetIdOf(vnet: string, subnet: string, resourceGroup = 'rg-net'): string {
  return `${vnetIdOf(vnet, resourceGroup)}/subnets/${subnet}`;
}

export function nsgIdOf(name: string): string {
  return `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/${name}`;
}

export function routeTableIdOf(name: string): string {
  return `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/routeTables/${name}`;
}

export function principalOf(name: string): string {
  // A stable GUID-shaped object id per name.
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface MemberOptions {
  labels?: Record<string, string>;
  /** The profile it is in now (none when absent). */
  profileId?: string;
  state?: MeshMemberState;
  eTag?: string;
  clusterName?: string;
}

export function member(name: string, options: MemberOptions = {}): FleetMember {
  return {
    id: memberIdOf(name),
    name,
    type: 'Microsoft.ContainerService/fleets/members',
    eTag: options.eTag ?? `"etag-${name}"`,
    properties: {
      clusterResourceId: clusterIdOf(options.clusterName ?? name),
      labels: options.labels ?? {},
      provisioningState: 'Succeeded',
      meshProperties:
        options.profileId === undefined
          ? undefined
          : {
              ciliumProperties: { id: 1, name: `${name}-1` },
              clusterMeshProfileResourceId: options.profileId,
              status: { state: options.state ?? 'Connected' },
            },
    },
  };
}

export interface ClusterOptions {
  version?: string | undefined;
  requestedVersion?: string | undefined;
  networkPlugin?: string | undefined;
  networkPluginMode?: string | undefined;
  networkDataplane?: string | undefined;
  acns?: boolean | undefined;
  nodeSubnetId?: string | undefined;
  podSubnetId?: string | undefined;
  /** `null` = no managed identity. */
  principalId?: string | null;
  userAssigned?: boolean;
}

/** A cluster that meets every prerequisite unless told otherwise. */
export function cluster(name: string, options: ClusterOptions = {}): ManagedCluster {
  const principal = options.principalId === undefined ? principalOf(name) : options.principalId;
  const identity =
    principal === null
      ? undefined
      : options.userAssigned
        ? {
            type: 'UserAssigned',
            userAssignedIdentities: { [`/subscriptions/${SUB}/x/identities/${name}`]: { principalId: principal } },
          }
        : { type: 'SystemAssigned', principalId: principal };
  return {
    id: clusterIdOf(name),
    name: `aks-${name}`,
    location: 'eastus',
    ...(identity ? { identity } : {}),
    provisioningState: 'Succeeded',
    kubernetesVersion: options.requestedVersion ?? '1.32',
    currentKubernetesVersion: 'version' in options ? options.version : '1.32.4',
    networkProfile: {
      networkPlugin: 'networkPlugin' in options ? options.networkPlugin : 'azure',
      ...(options.networkPluginMode ? { networkPluginMode: options.networkPluginMode } : {}),
      networkDataplane: 'networkDataplane' in options ? options.networkDataplane : 'cilium',
      networkPolicy: 'cilium',
      advancedNetworking: { enabled: options.acns ?? true },
    },
    agentPoolProfiles: [
      {
        name: 'system',
        mode: 'System',
        count: 3,
        ...(options.nodeSubnetId ? { vnetSubnetID: options.nodeSubnetId } : {}),
        ...(options.podSubnetId ? { podSubnetID: options.podSubnetId } : {}),
      },
    ],
  };
}

export interface SubnetSpec {
  name: string;
  prefix: string;
  /** More prefixes (`addressPrefixes`), e.g. the IPv6 prefix of a dual-stack subnet. */
  prefixes?: readonly string[];
  nsg?: string;
  routeTable?: string;
}

export function vnet(
  name: string,
  addressSpace: readonly string[],
  subnets: readonly SubnetSpec[] = [],
): VirtualNetwork {
  return {
    id: vnetIdOf(name),
    name,
    location: 'eastus',
    addressSpace: { addressPrefixes: [...addressSpace] },
    subnets: subnets.map((s) => ({
      id: subnetIdOf(name, s.name),
      name: s.name,
      addressPrefix: s.prefix,
      ...(s.prefixes ? { addressPrefixes: [...s.prefixes] } : {}),
      ...(s.nsg ? { networkSecurityGroup: { id: nsgIdOf(s.nsg) } } : {}),
      ...(s.routeTable ? { routeTable: { id: routeTableIdOf(s.routeTable) } } : {}),
    })),
    virtualNetworkPeerings: [],
  };
}

export function peering(
  from: VirtualNetwork,
  to: VirtualNetwork,
  state = 'Connected',
  allowVirtualNetworkAccess = true,
): VirtualNetworkPeering {
  return {
    id: `${from.id}/virtualNetworkPeerings/${from.name}-to-${to.name}`,
    name: `${from.name}-to-${to.name}`,
    allowVirtualNetworkAccess,
    remoteVirtualNetwork: { id: to.id },
    remoteAddressSpace: { addressPrefixes: [...(to.addressSpace?.addressPrefixes ?? [])] },
    peeringState: state,
    peeringSyncLevel: 'FullyInSync',
    provisioningState: 'Succeeded',
  };
}

export function securityRule(rule: Partial<SecurityRule> & Pick<SecurityRule, 'name' | 'priority'>): SecurityRule {
  return {
    direction: 'Inbound',
    access: 'Deny',
    protocol: '*',
    sourceAddressPrefix: '*',
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: '*',
    ...rule,
  };
}

export function nsg(name: string, rules: readonly SecurityRule[], withDefaults = true): NetworkSecurityGroup {
  return {
    id: nsgIdOf(name),
    name,
    securityRules: [...rules],
    ...(withDefaults
      ? {
          defaultSecurityRules: [
            securityRule({
              name: 'AllowVnetInBound',
              priority: 65000,
              access: 'Allow',
              sourceAddressPrefix: 'VirtualNetwork',
              destinationAddressPrefix: 'VirtualNetwork',
            }),
            securityRule({
              name: 'AllowAzureLoadBalancerInBound',
              priority: 65001,
              access: 'Allow',
              sourceAddressPrefix: 'AzureLoadBalancer',
            }),
            securityRule({ name: 'DenyAllInBound', priority: 65500 }),
            securityRule({
              name: 'AllowVnetOutBound',
              priority: 65000,
              direction: 'Outbound',
              access: 'Allow',
              sourceAddressPrefix: 'VirtualNetwork',
              destinationAddressPrefix: 'VirtualNetwork',
            }),
            securityRule({
              name: 'AllowInternetOutBound',
              priority: 65001,
              direction: 'Outbound',
              access: 'Allow',
              destinationAddressPrefix: 'Internet',
            }),
            securityRule({ name: 'DenyAllOutBound', priority: 65500, direction: 'Outbound' }),
          ],
        }
      : {}),
  };
}

export function route(name: string, addressPrefix: string, nextHopType: string): Route {
  return { id: `${routeTableIdOf('x')}/routes/${name}`, name, addressPrefix, nextHopType };
}

export function routeTable(name: string, routes: readonly Route[]): RouteTable {
  return { id: routeTableIdOf(name), name, routes: [...routes] };
}

export function roleAssignment(principalId: string, scope: string, roleGuid: string, withScope = true): RoleAssignment {
  const name = `${roleGuid.slice(0, 8)}-0000-0000-0000-${principalId.slice(-12)}`;
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    ...(withScope ? { scope } : {}),
    roleDefinitionId: roleDefinitionId(SUB, roleGuid),
    principalId,
    principalType: 'ServicePrincipal',
  };
}

export function roleDefinition(
  guid: string,
  actions: readonly string[],
  notActions: readonly string[] = [],
): RoleDefinition {
  return {
    id: roleDefinitionId(SUB, guid),
    name: guid,
    roleName: `custom-${guid.slice(0, 4)}`,
    roleType: 'CustomRole',
    permissions: [{ actions: [...actions], notActions: [...notActions] }],
    assignableScopes: [`/subscriptions/${SUB}`],
  };
}

export function publicIp(
  name: string,
  resourceGroup: string,
  options: { service?: string; dnsLabel?: string; version?: 'IPv4' | 'IPv6'; tagKey?: string } = {},
): PublicIPAddress {
  return {
    id: `/subscriptions/${SUB}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/publicIPAddresses/${name}`,
    name,
    location: 'eastus',
    tags: options.service === undefined ? {} : { [options.tagKey ?? 'k8s-azure-service']: options.service },
    ipAddress: '20.0.0.1',
    publicIPAddressVersion: options.version ?? 'IPv4',
    ...(options.dnsLabel === undefined ? {} : { dnsSettings: { domainNameLabel: options.dnsLabel } }),
  };
}

export function endpoint(
  name: string,
  targetResourceId: string,
  weight: number,
  endpointStatus: 'Enabled' | 'Disabled' = 'Enabled',
  type = 'Microsoft.Network/trafficManagerProfiles/azureEndpoints',
): TrafficManagerEndpoint {
  return { id: `/tm/${name}`, name, type, targetResourceId, weight, endpointStatus };
}

export interface MeshClusterSpec {
  /** Member name (cluster is `aks-<name>`). */
  name: string;
  vnet: string;
  /** Node subnet name in that VNet. */
  nodeSubnet: string;
  podSubnet?: string;
  cluster?: ClusterOptions;
  member?: MemberOptions;
  /** Give the identity Network Contributor on its VNet (default true). */
  networkContributor?: boolean;
}

/**
 * Assembles a preflight snapshot. VNets are declared with their subnets, clusters placed in them, and peerings added
 * with `peer` (both sides by default). Every cluster identity gets Network Contributor on its VNet unless told not to.
 */
export class MeshBuilder {
  private readonly vnets = new Map<string, VirtualNetwork>();
  private readonly specs: MeshClusterSpec[] = [];
  private readonly nsgs: NetworkSecurityGroup[] = [];
  private readonly tables: RouteTable[] = [];
  private readonly extraAssignments: RoleAssignment[] = [];
  private readonly definitions: RoleDefinition[] = [];

  vnet(name: string, addressSpace: readonly string[], subnets: readonly SubnetSpec[]): this {
    this.vnets.set(name, vnet(name, addressSpace, subnets));
    return this;
  }

  /** Peers two VNets; `stateAtoB`/`stateBtoA` are each side's peeringState (`null` = that side has no peering). */
  peer(a: string, b: string, stateAtoB: string | null = 'Connected', stateBtoA: string | null = 'Connected'): this {
    const va = this.requireVnet(a);
    const vb = this.requireVnet(b);
    if (stateAtoB !== null) va.virtualNetworkPeerings?.push(peering(va, vb, stateAtoB));
    if (stateBtoA !== null) vb.virtualNetworkPeerings?.push(peering(vb, va, stateBtoA));
    return this;
  }

  cluster(spec: MeshClusterSpec): this {
    this.specs.push(spec);
    return this;
  }

  nsg(group: NetworkSecurityGroup): this {
    this.nsgs.push(group);
    return this;
  }

  routeTable(table: RouteTable): this {
    this.tables.push(table);
    return this;
  }

  assignment(assignment: RoleAssignment): this {
    this.extraAssignments.push(assignment);
    return this;
  }

  definition(definition: RoleDefinition): this {
    this.definitions.push(definition);
    return this;
  }

  members(): FleetMember[] {
    return this.specs.map((s) => member(s.name, { profileId: PROFILE_ID, ...s.member }));
  }

  clusters(): ManagedCluster[] {
    return this.specs.map((s) =>
      cluster(s.name, {
        nodeSubnetId: subnetIdOf(s.vnet, s.nodeSubnet),
        ...(s.podSubnet ? { podSubnetId: subnetIdOf(s.vnet, s.podSubnet) } : {}),
        ...s.cluster,
      }),
    );
  }

  snapshot(overrides: Partial<PreflightSnapshot> = {}): PreflightSnapshot {
    const clusters = this.clusters();
    const roleAssignments: Record<string, RoleAssignment[]> = {};
    this.specs.forEach((spec, i) => {
      const principal = clusterPrincipalOf(clusters[i]);
      if (principal === undefined) return;
      const list = (roleAssignments[principal.toLowerCase()] ??= []);
      if (spec.networkContributor !== false) {
        list.push(roleAssignment(principal, vnetIdOf(spec.vnet), BuiltInRoles.networkContributor));
      }
    });
    for (const a of this.extraAssignments) (roleAssignments[a.principalId.toLowerCase()] ??= []).push(a);
    return {
      profileId: PROFILE_ID,
      members: this.members(),
      clusters: Object.fromEntries(clusters.map((c) => [c.id.toLowerCase(), c])),
      virtualNetworks: Object.fromEntries([...this.vnets.values()].map((v) => [v.id.toLowerCase(), v])),
      networkSecurityGroups: Object.fromEntries(this.nsgs.map((n) => [n.id.toLowerCase(), n])),
      routeTables: Object.fromEntries(this.tables.map((t) => [t.id.toLowerCase(), t])),
      roleAssignments,
      roleDefinitions: Object.fromEntries(this.definitions.map((d) => [d.name.toLowerCase(), d])),
      readFailures: [],
      ...overrides,
    };
  }

  private requireVnet(name: string): VirtualNetwork {
    const found = this.vnets.get(name);
    if (!found) throw new Error(`fixture: no vnet ${name}`);
    return found;
  }
}

function clusterPrincipalOf(c: ManagedCluster | undefined): string | undefined {
  if (!c?.identity) return undefined;
  return c.identity.principalId ?? Object.values(c.identity.userAssignedIdentities ?? {})[0]?.principalId;
}

export interface EastWestOptions {
  /** NSG name on both subnets of the east / west cluster. */
  eastNsg?: string;
  westNsg?: string;
  eastRouteTable?: string;
  westRouteTable?: string;
}

/** Two clusters in peered East/West VNets: the documented happy path. */
export function eastWest(options: EastWestOptions = {}): MeshBuilder {
  const extras = (nsgName: string | undefined, table: string | undefined) => ({
    ...(nsgName ? { nsg: nsgName } : {}),
    ...(table ? { routeTable: table } : {}),
  });
  const east = extras(options.eastNsg, options.eastRouteTable);
  const west = extras(options.westNsg, options.westRouteTable);
  return new MeshBuilder()
    .vnet(
      'vnet-east',
      ['10.1.0.0/16'],
      [
        { name: 'nodes', prefix: '10.1.0.0/24', ...east },
        { name: 'pods', prefix: '10.1.64.0/18', ...east },
      ],
    )
    .vnet(
      'vnet-west',
      ['10.2.0.0/16'],
      [
        { name: 'nodes', prefix: '10.2.0.0/24', ...west },
        { name: 'pods', prefix: '10.2.64.0/18', ...west },
      ],
    )
    .peer('vnet-east', 'vnet-west')
    .cluster({ name: 'east', vnet: 'vnet-east', nodeSubnet: 'nodes', podSubnet: 'pods' })
    .cluster({ name: 'west', vnet: 'vnet-west', nodeSubnet: 'nodes', podSubnet: 'pods' });
}
