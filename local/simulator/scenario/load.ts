/**
 * Turns a validated scenario into the simulator's World. Cross-references are checked here; a bad one is a
 * ScenarioError naming its path (`clusters[2].nodeSubnet: subnet 'rg/vnet/x' is not declared`).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createAssignment, roleDefinitionResourceId } from '../providers/authorization.js';
import { NSG_TYPE, PUBLIC_IP_TYPE, ROUTE_TABLE_TYPE } from '../providers/network.js';
import { cidrContains, cidrsOverlap, firstAddress, vnetPrefixes } from '../providers/netcheck.js';
import { z } from 'zod';
import { parseSelector } from '../providers/selector.js';
import { BUILT_IN_ROLES } from '../rbac/roles.js';
import type { EventSubscription } from '../events.js';
import {
  key,
  newQuotedEtag,
  newWeakEtag,
  systemDataFor,
  World,
  type ClusterRecord,
  type JsonObject,
  type Principal,
  type ProfileRecord,
  type TrafficEndpointRecord,
  type VirtualNetworkRecord,
} from '../world.js';
import { ScenarioError, type Scenario } from './schema.js';

export interface LoadOptions {
  readonly subscriptionId?: string;
  readonly tenantId?: string;
  /** Tokens by principal name from an earlier load, kept so clients keep working across reloads. */
  readonly previousTokens?: ReadonlyMap<string, string>;
  /** Simulated time at load (ISO) for createdOn and systemData. */
  readonly now: string;
}

export interface LoadedScenario {
  readonly world: World;
  readonly eventSubscriptions: readonly EventSubscription[];
  /** Profiles the scenario declares as `applied`: applied once at load. */
  readonly profilesToApply: readonly ProfileRecord[];
  /** Token by principal name. */
  readonly tokens: ReadonlyMap<string, string>;
}

/** A GUID derived from its parts (name-based, SHA-1, version 5 layout), for deterministic assignment names. */
export function deterministicGuid(...parts: string[]): string {
  const hash = createHash('sha1').update(parts.join('|').toLowerCase()).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const JsonRecord = z.record(z.string(), z.json());

/** Drops undefined values and checks the rest is JSON. */
function toJsonObject(value: Record<string, unknown>): JsonObject {
  return JsonRecord.parse(Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)));
}

export function newToken(): string {
  return `sim.${randomBytes(24).toString('base64url')}`;
}

export function loadScenario(scenario: Scenario, options: LoadOptions): LoadedScenario {
  const subscriptionId = (options.subscriptionId ?? scenario.subscriptionId ?? randomUUID()).toLowerCase();
  const tenantId = (options.tenantId ?? scenario.tenantId ?? randomUUID()).toLowerCase();
  const world = new World(subscriptionId, tenantId);
  const sub = `/subscriptions/${subscriptionId}`;
  const rgId = (rg: string): string => `${sub}/resourceGroups/${rg}`;
  const now = options.now;
  const tokens = new Map<string, string>();

  // Roles.
  for (const role of BUILT_IN_ROLES) world.roleDefinitions.set(role.name, role);
  scenario.roleDefinitions.forEach((r, i) => {
    const id = (r.id ?? deterministicGuid('custom-role', r.roleName)).toLowerCase();
    if (
      world.roleDefinitions.has(id) ||
      [...world.roleDefinitions.values()].some((x) => x.roleName.toLowerCase() === r.roleName.toLowerCase())
    ) {
      throw new ScenarioError(
        `roleDefinitions[${i}]`,
        `a role named '${r.roleName}' or with id '${id}' already exists`,
      );
    }
    world.roleDefinitions.set(id, {
      name: id,
      roleName: r.roleName,
      description: r.description,
      roleType: 'CustomRole',
      permissions: [{ actions: r.actions, notActions: r.notActions, dataActions: [], notDataActions: [] }],
      assignableScopes: r.assignableScopes.map((s) => s.replace('{subscriptionId}', subscriptionId)),
    });
  });

  // Principals.
  const byName = new Map<string, Principal>();
  scenario.principals.forEach((p, i) => {
    if (byName.has(p.name.toLowerCase()))
      throw new ScenarioError(`principals[${i}].name`, `duplicate principal name '${p.name}'`);
    const token = p.token ?? options.previousTokens?.get(p.name) ?? newToken();
    const principal: Principal = {
      objectId: (p.objectId ?? randomUUID()).toLowerCase(),
      name: p.name,
      kind: p.type,
      clientId: (p.clientId ?? randomUUID()).toLowerCase(),
      token,
    };
    if (world.principals.has(principal.objectId))
      throw new ScenarioError(`principals[${i}].objectId`, `duplicate object id '${principal.objectId}'`);
    world.principals.set(principal.objectId, principal);
    byName.set(p.name.toLowerCase(), principal);
    tokens.set(p.name, token);
  });

  // Resource groups (referenced ones that are not declared are created in the resource's location).
  const ensureRg = (name: string, location: string): void => {
    const id = rgId(name);
    if (!world.resourceGroups.has(key(id))) world.resourceGroups.set(key(id), { id, name, location, tags: {} });
  };
  scenario.resourceGroups.forEach((rg, i) => {
    if (world.resourceGroups.has(key(rgId(rg.name))))
      throw new ScenarioError(`resourceGroups[${i}].name`, `duplicate resource group '${rg.name}'`);
    world.resourceGroups.set(key(rgId(rg.name)), {
      id: rgId(rg.name),
      name: rg.name,
      location: rg.location,
      tags: rg.tags ?? {},
    });
  });

  const netId = (type: string, ref: string): string => {
    const [rg, name] = ref.split('/');
    return `${rgId(rg ?? '')}/providers/${type}/${name ?? ''}`;
  };
  const addNetwork = (
    type: string,
    path: string,
    rg: string,
    name: string,
    location: string,
    tags: Record<string, string> | undefined,
    properties: JsonObject,
    sku?: JsonObject,
  ): void => {
    ensureRg(rg, location);
    const id = `${rgId(rg)}/providers/${type}/${name}`;
    if (world.networkResources.has(key(id))) throw new ScenarioError(path, `duplicate ${type} '${rg}/${name}'`);
    world.networkResources.set(key(id), {
      id,
      name,
      resourceGroup: rg,
      location,
      type,
      tags: tags ?? {},
      properties,
      sku,
      etag: newWeakEtag(),
    });
  };

  scenario.networkSecurityGroups.forEach((nsg, i) => {
    addNetwork(NSG_TYPE, `networkSecurityGroups[${i}]`, nsg.resourceGroup, nsg.name, nsg.location, nsg.tags, {
      securityRules: nsg.securityRules.map(({ name, ...props }) => ({
        name,
        properties: toJsonObject(props),
      })),
    });
  });
  scenario.routeTables.forEach((rt, i) => {
    addNetwork(ROUTE_TABLE_TYPE, `routeTables[${i}]`, rt.resourceGroup, rt.name, rt.location, rt.tags, {
      disableBgpRoutePropagation: false,
      routes: rt.routes.map(({ name, ...props }) => ({
        name,
        properties: toJsonObject(props),
      })),
    });
  });

  // Virtual networks, subnets, peerings.
  scenario.virtualNetworks.forEach((v, i) => {
    ensureRg(v.resourceGroup, v.location);
    const id = `${rgId(v.resourceGroup)}/providers/Microsoft.Network/virtualNetworks/${v.name}`;
    if (world.virtualNetworks.has(key(id)))
      throw new ScenarioError(`virtualNetworks[${i}]`, `duplicate virtual network '${v.resourceGroup}/${v.name}'`);
    const vnet: VirtualNetworkRecord = {
      id,
      name: v.name,
      resourceGroup: v.resourceGroup,
      location: v.location,
      tags: v.tags ?? {},
      properties: { addressSpace: { addressPrefixes: v.addressPrefixes }, resourceGuid: randomUUID() },
      subnets: new Map(),
      peerings: new Map(),
      etag: newWeakEtag(),
    };
    v.subnets.forEach((s, j) => {
      const path = `virtualNetworks[${i}].subnets[${j}]`;
      const first = firstAddress(s.addressPrefix);
      if (first === undefined || !v.addressPrefixes.some((p) => cidrContains(p, first))) {
        throw new ScenarioError(
          `${path}.addressPrefix`,
          `${s.addressPrefix} is outside the virtual network's address space ${v.addressPrefixes.join(', ')}`,
        );
      }
      for (const other of vnet.subnets.values()) {
        const op = other.properties['addressPrefix'];
        if (typeof op === 'string' && cidrsOverlap(op, s.addressPrefix)) {
          throw new ScenarioError(
            `${path}.addressPrefix`,
            `${s.addressPrefix} overlaps subnet '${other.name}' (${op})`,
          );
        }
      }
      const props: JsonObject = { addressPrefix: s.addressPrefix };
      if (s.networkSecurityGroup) {
        const nsgId = netId(NSG_TYPE, s.networkSecurityGroup);
        if (!world.networkResources.has(key(nsgId)))
          throw new ScenarioError(
            `${path}.networkSecurityGroup`,
            `network security group '${s.networkSecurityGroup}' is not declared in networkSecurityGroups`,
          );
        props['networkSecurityGroup'] = { id: nsgId };
      }
      if (s.routeTable) {
        const rtId = netId(ROUTE_TABLE_TYPE, s.routeTable);
        if (!world.networkResources.has(key(rtId)))
          throw new ScenarioError(`${path}.routeTable`, `route table '${s.routeTable}' is not declared in routeTables`);
        props['routeTable'] = { id: rtId };
      }
      const subnetId = `${id}/subnets/${s.name}`;
      if (vnet.subnets.has(key(subnetId))) throw new ScenarioError(`${path}.name`, `duplicate subnet '${s.name}'`);
      vnet.subnets.set(key(subnetId), { id: subnetId, name: s.name, properties: props, etag: newWeakEtag() });
    });
    world.virtualNetworks.set(key(id), vnet);
  });
  const vnetByRef = (ref: string, path: string): VirtualNetworkRecord => {
    const vnet = world.virtualNetworks.get(key(netId('Microsoft.Network/virtualNetworks', ref)));
    if (!vnet) throw new ScenarioError(path, `virtual network '${ref}' is not declared in virtualNetworks`);
    return vnet;
  };
  const addPeering = (
    from: VirtualNetworkRecord,
    to: VirtualNetworkRecord,
    name: string | undefined,
    path: string,
    allowVirtualNetworkAccess = true,
    allowForwardedTraffic = false,
  ): void => {
    if (from === to) throw new ScenarioError(path, `virtual network '${from.name}' cannot be peered with itself`);
    for (const a of vnetPrefixes(from)) {
      for (const b of vnetPrefixes(to)) {
        if (cidrsOverlap(a, b))
          throw new ScenarioError(
            path,
            `virtual networks '${from.name}' and '${to.name}' have overlapping address spaces (${a}, ${b}) and cannot be peered`,
          );
      }
    }
    const peeringName = name ?? `${from.name}-to-${to.name}`;
    const id = `${from.id}/virtualNetworkPeerings/${peeringName}`;
    if (from.peerings.has(key(id)))
      throw new ScenarioError(path, `duplicate peering '${peeringName}' on '${from.name}'`);
    from.peerings.set(key(id), {
      id,
      name: peeringName,
      properties: {
        remoteVirtualNetwork: { id: to.id },
        allowVirtualNetworkAccess,
        allowForwardedTraffic,
        allowGatewayTransit: false,
        useRemoteGateways: false,
      },
      etag: newWeakEtag(),
    });
  };
  scenario.virtualNetworks.forEach((v, i) => {
    const from = vnetByRef(`${v.resourceGroup}/${v.name}`, `virtualNetworks[${i}]`);
    v.peerings.forEach((p, j) => {
      const path = `virtualNetworks[${i}].peerings[${j}]`;
      addPeering(
        from,
        vnetByRef(p.remoteVirtualNetwork, `${path}.remoteVirtualNetwork`),
        p.name,
        path,
        p.allowVirtualNetworkAccess,
        p.allowForwardedTraffic,
      );
    });
  });
  scenario.peerings.forEach((p, i) => {
    const a = vnetByRef(p.between[0], `peerings[${i}].between[0]`);
    const b = vnetByRef(p.between[1], `peerings[${i}].between[1]`);
    addPeering(a, b, undefined, `peerings[${i}]`);
    addPeering(b, a, undefined, `peerings[${i}]`);
  });

  // Public IPs.
  scenario.publicIPAddresses.forEach((pip, i) => {
    const props: JsonObject = {
      ipAddress: pip.ipAddress,
      publicIPAllocationMethod: 'Static',
      publicIPAddressVersion: 'IPv4',
    };
    if (pip.domainNameLabel) props['dnsSettings'] = { domainNameLabel: pip.domainNameLabel };
    addNetwork(PUBLIC_IP_TYPE, `publicIPAddresses[${i}]`, pip.resourceGroup, pip.name, pip.location, pip.tags, props, {
      name: 'Standard',
      tier: 'Regional',
    });
    if (pip.health) world.health.set(key(netId(PUBLIC_IP_TYPE, `${pip.resourceGroup}/${pip.name}`)), pip.health);
  });

  // Clusters.
  const clusterByRef = new Map<string, ClusterRecord>();
  scenario.clusters.forEach((c, i) => {
    const path = `clusters[${i}]`;
    ensureRg(c.resourceGroup, c.location);
    const id = `${rgId(c.resourceGroup)}/providers/Microsoft.ContainerService/managedClusters/${c.name}`;
    if (world.clusters.has(key(id))) throw new ScenarioError(path, `duplicate cluster '${c.resourceGroup}/${c.name}'`);
    const subnetId = (ref: string, field: string): string => {
      const [rg, vnet, subnet] = ref.split('/');
      const sid = `${rgId(rg ?? '')}/providers/Microsoft.Network/virtualNetworks/${vnet ?? ''}/subnets/${subnet ?? ''}`;
      if (!world.subnet(sid))
        throw new ScenarioError(`${path}.${field}`, `subnet '${ref}' is not declared in virtualNetworks`);
      return sid;
    };
    const nodeSubnet = subnetId(c.nodeSubnet, 'nodeSubnet');
    const podSubnet = c.podSubnet === undefined ? undefined : subnetId(c.podSubnet, 'podSubnet');
    const nodeResourceGroup = c.nodeResourceGroup ?? `MC_${c.resourceGroup}_${c.name}_${c.location}`;
    ensureRg(nodeResourceGroup, c.location);
    const principalId = (c.identityObjectId ?? randomUUID()).toLowerCase();
    if (world.principals.has(principalId))
      throw new ScenarioError(`${path}.identityObjectId`, `object id '${principalId}' is already used`);
    world.principals.set(principalId, {
      objectId: principalId,
      name: `${c.name}-identity`,
      kind: 'ManagedIdentity',
      clientId: randomUUID(),
      token: undefined,
    });
    const current =
      c.currentKubernetesVersion ??
      (/^\d+\.\d+$/.test(c.kubernetesVersion) ? `${c.kubernetesVersion}.0` : c.kubernetesVersion);
    if (!current.startsWith(`${c.kubernetesVersion}.`) && current !== c.kubernetesVersion) {
      throw new ScenarioError(
        `${path}.currentKubernetesVersion`,
        `${current} does not match kubernetesVersion ${c.kubernetesVersion}`,
      );
    }
    const acns = c.network.acns;
    const networkProfile: JsonObject = {
      networkPlugin: c.network.plugin,
      networkDataplane: c.network.dataplane,
      networkPolicy: c.network.policy ?? (c.network.dataplane === 'cilium' ? 'cilium' : 'none'),
      advancedNetworking: { enabled: acns, observability: { enabled: acns }, security: { enabled: acns } },
      serviceCidr: c.network.serviceCidr,
      serviceCidrs: [c.network.serviceCidr],
      dnsServiceIP: c.network.dnsServiceIP,
      outboundType: 'loadBalancer',
      loadBalancerSku: 'standard',
      ipFamilies: ['IPv4'],
    };
    if (c.network.pluginMode) networkProfile['networkPluginMode'] = c.network.pluginMode;
    if (c.network.podCidr) {
      networkProfile['podCidr'] = c.network.podCidr;
      networkProfile['podCidrs'] = [c.network.podCidr];
    }
    const pool: JsonObject = {
      name: 'nodepool1',
      mode: 'System',
      count: c.nodeCount,
      vmSize: c.vmSize,
      osType: 'Linux',
      osSKU: 'Ubuntu',
      type: 'VirtualMachineScaleSets',
      vnetSubnetID: nodeSubnet,
      maxPods: 110,
      enableAutoScaling: false,
      orchestratorVersion: c.kubernetesVersion,
    };
    if (podSubnet) pool['podSubnetID'] = podSubnet;
    const cluster: ClusterRecord = {
      id,
      name: c.name,
      resourceGroup: c.resourceGroup,
      location: c.location,
      tags: c.tags ?? {},
      properties: {
        kubernetesVersion: c.kubernetesVersion,
        dnsPrefix: `${c.name}-dns`,
        enableRBAC: true,
        agentPoolProfiles: [pool],
        networkProfile,
        oidcIssuerProfile: { enabled: true },
        supportPlan: 'KubernetesOfficial',
      },
      currentKubernetesVersion: current,
      nodeResourceGroup,
      identityPrincipalId: principalId,
      kubelet: {
        resourceId: `${rgId(nodeResourceGroup)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${c.name}-agentpool`,
        clientId: randomUUID(),
        objectId: randomUUID(),
      },
      fqdn: `${c.name}-dns-${deterministicGuid(subscriptionId, id).slice(0, 8)}.hcp.${c.location}.azmk8s.io`,
      provisioningState: 'Succeeded',
      powerState: c.powerState,
      eTag: newQuotedEtag(),
      systemData: systemDataFor(undefined, now),
      meshLoadBalancer: 'none',
      meshLoadBalancerError: undefined,
      busyWith: undefined,
    };
    world.clusters.set(key(id), cluster);
    clusterByRef.set(`${c.resourceGroup}/${c.name}`.toLowerCase(), cluster);
    if (c.health) world.health.set(key(id), c.health);
  });

  // Fleets, members, profiles.
  const profilesToApply: ProfileRecord[] = [];
  const clusterMember = new Map<string, string>();
  scenario.fleets.forEach((f, i) => {
    ensureRg(f.resourceGroup, f.location);
    const fleetId = `${rgId(f.resourceGroup)}/providers/Microsoft.ContainerService/fleets/${f.name}`;
    if (world.fleets.has(key(fleetId)))
      throw new ScenarioError(`fleets[${i}]`, `duplicate fleet '${f.resourceGroup}/${f.name}'`);
    world.fleets.set(key(fleetId), {
      id: fleetId,
      name: f.name,
      resourceGroup: f.resourceGroup,
      location: f.location,
      eTag: newQuotedEtag(),
      systemData: systemDataFor(undefined, now),
    });
    f.members.forEach((m, j) => {
      const path = `fleets[${i}].members[${j}]`;
      const cluster = clusterByRef.get(m.cluster.toLowerCase());
      if (!cluster) throw new ScenarioError(`${path}.cluster`, `cluster '${m.cluster}' is not declared in clusters`);
      const other = clusterMember.get(key(cluster.id));
      if (other) throw new ScenarioError(`${path}.cluster`, `cluster '${m.cluster}' is already member '${other}'`);
      const id = `${fleetId}/members/${m.name}`;
      if (world.members.has(key(id))) throw new ScenarioError(`${path}.name`, `duplicate member '${m.name}'`);
      clusterMember.set(key(cluster.id), m.name);
      world.members.set(key(id), {
        id,
        name: m.name,
        fleetKey: key(fleetId),
        resourceGroup: f.resourceGroup,
        clusterResourceId: cluster.id,
        group: m.group,
        labels: { ...m.labels },
        provisioningState: 'Succeeded',
        lastOperationId: undefined,
        lastOperationError: undefined,
        mesh: undefined,
        eTag: newQuotedEtag(),
        systemData: systemDataFor(undefined, now),
        busyWith: undefined,
      });
    });
    f.clusterMeshProfiles.forEach((p, j) => {
      const path = `fleets[${i}].clusterMeshProfiles[${j}]`;
      if (p.memberSelector !== undefined) {
        const parsed = parseSelector(p.memberSelector);
        if (!parsed.ok) throw new ScenarioError(`${path}.memberSelector`, parsed.error);
      }
      const id = `${fleetId}/clusterMeshProfiles/${p.name}`;
      if (world.profiles.has(key(id))) throw new ScenarioError(`${path}.name`, `duplicate profile '${p.name}'`);
      const profile: ProfileRecord = {
        id,
        name: p.name,
        fleetKey: key(fleetId),
        resourceGroup: f.resourceGroup,
        memberSelector: p.memberSelector === undefined ? undefined : { byLabel: p.memberSelector },
        provisioningState: 'Succeeded',
        state: 'NotConnected',
        lastAppliedMemberSelector: undefined,
        lastOperationId: undefined,
        lastOperationError: undefined,
        eTag: newQuotedEtag(),
        systemData: systemDataFor(undefined, now),
        applying: undefined,
        deleting: undefined,
        ciliumIds: new Map(),
      };
      world.profiles.set(key(id), profile);
      if (p.state === 'applied') profilesToApply.push(profile);
    });
  });

  // Traffic Manager.
  scenario.trafficManagerProfiles.forEach((t, i) => {
    const path = `trafficManagerProfiles[${i}]`;
    ensureRg(t.resourceGroup, 'eastus');
    const id = `${rgId(t.resourceGroup)}/providers/Microsoft.Network/trafficManagerProfiles/${t.name}`;
    if (world.trafficProfiles.has(key(id)))
      throw new ScenarioError(path, `duplicate Traffic Manager profile '${t.resourceGroup}/${t.name}'`);
    const endpoints = new Map<string, TrafficEndpointRecord>();
    t.endpoints.forEach((e, j) => {
      const epath = `${path}.endpoints[${j}]`;
      const props: JsonObject = { endpointStatus: e.endpointStatus ?? 'Enabled', alwaysServe: 'Disabled' };
      if (t.trafficRoutingMethod === 'Weighted') props['weight'] = e.weight ?? 1;
      if (e.type === 'AzureEndpoints') {
        if (!e.publicIp) throw new ScenarioError(`${epath}.publicIp`, 'Azure endpoints need a publicIp');
        const pipId = netId(PUBLIC_IP_TYPE, e.publicIp);
        const pip = world.networkResources.get(key(pipId));
        const dns = pip?.properties['dnsSettings'];
        const label = dns && typeof dns === 'object' && !Array.isArray(dns) ? dns['domainNameLabel'] : undefined;
        if (!pip)
          throw new ScenarioError(
            `${epath}.publicIp`,
            `public IP '${e.publicIp}' is not declared in publicIPAddresses`,
          );
        if (typeof label !== 'string')
          throw new ScenarioError(`${epath}.publicIp`, `public IP '${e.publicIp}' has no domainNameLabel`);
        props['targetResourceId'] = pip.id;
        props['target'] = `${label}.${pip.location}.cloudapp.azure.com`;
        props['endpointLocation'] = pip.location;
      } else {
        if (!e.target) throw new ScenarioError(`${epath}.target`, 'external endpoints need a target');
        props['target'] = e.target;
      }
      const segment = e.type === 'AzureEndpoints' ? 'azureEndpoints' : 'externalEndpoints';
      endpoints.set(e.name.toLowerCase(), {
        id: `${id}/${segment}/${e.name}`,
        name: e.name,
        typeSegment: segment,
        properties: props,
        probeSince: Date.parse(now),
        healthChange: undefined,
      });
    });
    world.trafficProfiles.set(key(id), {
      id,
      name: t.name,
      resourceGroup: t.resourceGroup,
      tags: t.tags ?? {},
      properties: {
        profileStatus: 'Enabled',
        trafficRoutingMethod: t.trafficRoutingMethod,
        dnsConfig: { relativeName: t.relativeName, ttl: t.ttl },
        monitorConfig: { ...t.monitor },
        trafficViewEnrollmentStatus: 'Disabled',
      },
      endpoints,
    });
  });

  // Role assignments.
  const resolveScope = (scope: string, path: string): string => {
    if (scope === 'subscription') return sub;
    const [kind, ref] =
      scope.includes(':') && !scope.startsWith('/')
        ? [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1)]
        : ['', scope];
    const parts = ref.split('/');
    const need = (count: number): void => {
      if (parts.length !== count || parts.some((p) => p === ''))
        throw new ScenarioError(
          path,
          `scope '${scope}' must be ${kind}:${count === 2 ? '<resourceGroup>/<name>' : '<resourceGroup>/<vnet>/<subnet>'}`,
        );
    };
    let id: string;
    switch (kind) {
      case '':
        if (!scope.startsWith('/subscriptions/'))
          throw new ScenarioError(
            path,
            `scope '${scope}' is not a known shorthand or a full id starting with /subscriptions/`,
          );
        id = scope.replace('{subscriptionId}', subscriptionId);
        if (!id.toLowerCase().startsWith(sub))
          throw new ScenarioError(
            path,
            `scope '${scope}' is not in the scenario's subscription (write {subscriptionId})`,
          );
        return id;
      case 'resourceGroup':
        if (!world.resourceGroups.has(key(rgId(ref))))
          throw new ScenarioError(path, `resource group '${ref}' is not declared`);
        return rgId(ref);
      case 'vnet':
        need(2);
        id = netId('Microsoft.Network/virtualNetworks', ref);
        if (!world.virtualNetworks.has(key(id)))
          throw new ScenarioError(path, `virtual network '${ref}' is not declared`);
        return id;
      case 'subnet': {
        need(3);
        const sid = `${rgId(parts[0] ?? '')}/providers/Microsoft.Network/virtualNetworks/${parts[1] ?? ''}/subnets/${parts[2] ?? ''}`;
        if (!world.subnet(sid)) throw new ScenarioError(path, `subnet '${ref}' is not declared`);
        return sid;
      }
      case 'cluster': {
        need(2);
        const c = clusterByRef.get(ref.toLowerCase());
        if (!c) throw new ScenarioError(path, `cluster '${ref}' is not declared`);
        return c.id;
      }
      case 'fleet':
        need(2);
        id = netId('Microsoft.ContainerService/fleets', ref);
        if (!world.fleets.has(key(id))) throw new ScenarioError(path, `fleet '${ref}' is not declared`);
        return id;
      case 'publicIp':
        need(2);
        id = netId(PUBLIC_IP_TYPE, ref);
        if (!world.networkResources.has(key(id))) throw new ScenarioError(path, `public IP '${ref}' is not declared`);
        return id;
      case 'trafficManagerProfile':
        need(2);
        id = netId('Microsoft.Network/trafficManagerProfiles', ref);
        if (!world.trafficProfiles.has(key(id)))
          throw new ScenarioError(path, `Traffic Manager profile '${ref}' is not declared`);
        return id;
      default:
        throw new ScenarioError(
          path,
          `unknown scope kind '${kind}' (use subscription, resourceGroup:, vnet:, subnet:, cluster:, fleet:, publicIp:, trafficManagerProfile: or a full id)`,
        );
    }
  };
  const resolvePrincipal = (ref: string, path: string): Principal => {
    if (ref.toLowerCase().startsWith('cluster:')) {
      const c = clusterByRef.get(ref.slice('cluster:'.length).toLowerCase());
      if (!c) throw new ScenarioError(path, `cluster '${ref.slice('cluster:'.length)}' is not declared`);
      const p = world.principalById(c.identityPrincipalId);
      if (!p) throw new ScenarioError(path, `cluster identity of '${ref}' is missing`);
      return p;
    }
    const named = byName.get(ref.toLowerCase()) ?? world.principalById(ref);
    if (!named)
      throw new ScenarioError(path, `principal '${ref}' is not declared in principals (or use cluster:<rg>/<name>)`);
    return named;
  };
  scenario.roleAssignments.forEach((a, i) => {
    const path = `roleAssignments[${i}]`;
    const principal = resolvePrincipal(a.principal, `${path}.principal`);
    const scope = resolveScope(a.scope, `${path}.scope`);
    const role =
      world.roleDefinitions.get(a.role.toLowerCase()) ??
      [...world.roleDefinitions.values()].find((r) => r.roleName.toLowerCase() === a.role.toLowerCase());
    if (!role)
      throw new ScenarioError(
        `${path}.role`,
        `role '${a.role}' is neither a built-in role the simulator knows nor declared in roleDefinitions`,
      );
    try {
      createAssignment(world, {
        scope,
        name: a.name ?? deterministicGuid(scope, principal.objectId, role.name),
        roleDefinitionId: roleDefinitionResourceId(subscriptionId, role.name),
        principalId: principal.objectId,
        principalType: principal.kind === 'User' ? 'User' : 'ServicePrincipal',
        description: a.description,
        condition: a.condition,
        conditionVersion: a.conditionVersion,
        by: 'scenario',
        at: now,
      });
    } catch (error) {
      throw new ScenarioError(
        a.condition !== undefined ? `${path}.condition` : path,
        error instanceof Error ? error.message : String(error),
      );
    }
  });

  return { world, eventSubscriptions: scenario.eventSubscriptions, profilesToApply, tokens };
}
