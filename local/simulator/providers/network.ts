/**
 * Microsoft.Network: virtual networks (with their subnets and peerings embedded), subnets, peerings, network security
 * groups, route tables and public IP addresses. Reads as `@azure/arm-network` 36.0.0 expects them; writes (subnet,
 * peering, NSG, route table and public IP PUT, peering DELETE) are long-running operations with
 * `Azure-AsyncOperation`, as the network RP answers them. Peering state is computed: `Connected` when both sides exist.
 */
import { z } from 'zod';
import type { SimContext } from '../context.js';
import { ArmError, badRequest, parentResourceNotFound, resourceNotFound } from '../http/errors.js';
import { checkPreconditions, empty, json, type ArmRequest, type ArmResponse } from '../http/request.js';
import type { Params, RouteDefinition } from '../http/router.js';
import {
  cloneJson,
  isJsonObject,
  key,
  newWeakEtag,
  omit,
  type JsonObject,
  type NetworkResourceRecord,
  type PeeringRecord,
  type SubnetRecord,
  type VirtualNetworkRecord,
} from '../world.js';
import { page, parseBody, requireResourceGroup, Tags, typedPath } from './common.js';
import {
  cidrContains,
  cidrsOverlap,
  firstAddress,
  isValidCidr,
  peeringState,
  subnetPrefixes,
  vnetPrefixes,
} from './netcheck.js';

/** The api-version `@azure/arm-network` 36.0.0 sends; 2024-05-01 (used by Pulumi azure-native 3.x) is accepted too. */
export const NETWORK_API_VERSIONS = ['2025-05-01', '2024-05-01'] as const;

const RG = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}';
const NET = `${RG}/providers/Microsoft.Network`;
const VNET = `${NET}/virtualNetworks/{virtualNetworkName}`;

export const NSG_TYPE = 'Microsoft.Network/networkSecurityGroups';
export const ROUTE_TABLE_TYPE = 'Microsoft.Network/routeTables';
export const PUBLIC_IP_TYPE = 'Microsoft.Network/publicIPAddresses';

function rgId(p: Params): string {
  return `/subscriptions/${p['subscriptionId'] ?? ''}/resourceGroups/${p['resourceGroupName'] ?? ''}`;
}

function vnetId(p: Params): string {
  return `${rgId(p)}/providers/Microsoft.Network/virtualNetworks/${p['virtualNetworkName'] ?? ''}`;
}

function requireVnet(ctx: SimContext, p: Params, asParent: boolean): VirtualNetworkRecord {
  requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
  const vnet = ctx.world.virtualNetworks.get(key(vnetId(p)));
  if (!vnet) {
    const typed = `Microsoft.Network/virtualNetworks/${p['virtualNetworkName'] ?? ''}`;
    throw asParent ? parentResourceNotFound(typed) : resourceNotFound(typed, p['resourceGroupName']);
  }
  return vnet;
}

function refId(value: unknown): string | undefined {
  return isJsonObject(value) && typeof value['id'] === 'string' ? value['id'] : undefined;
}

export function renderSubnet(subnet: SubnetRecord): Record<string, unknown> {
  return {
    id: subnet.id,
    name: subnet.name,
    etag: subnet.etag,
    type: 'Microsoft.Network/virtualNetworks/subnets',
    properties: {
      provisioningState: 'Succeeded',
      delegations: [],
      privateEndpointNetworkPolicies: 'Disabled',
      privateLinkServiceNetworkPolicies: 'Enabled',
      ...cloneJson(subnet.properties),
    },
  };
}

export function renderPeering(
  ctx: SimContext,
  vnet: VirtualNetworkRecord,
  peering: PeeringRecord,
): Record<string, unknown> {
  const props = cloneJson(peering.properties);
  const remoteId = refId(props['remoteVirtualNetwork']);
  const remote = remoteId === undefined ? undefined : ctx.world.virtualNetworks.get(key(remoteId));
  const state = peeringState(ctx.world, vnet, props);
  const remoteSpace = remote ? { addressPrefixes: vnetPrefixes(remote) } : { addressPrefixes: [] };
  return {
    id: peering.id,
    name: peering.name,
    etag: peering.etag,
    type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
    properties: {
      provisioningState: 'Succeeded',
      allowVirtualNetworkAccess: true,
      allowForwardedTraffic: false,
      allowGatewayTransit: false,
      useRemoteGateways: false,
      doNotVerifyRemoteGateways: false,
      peerCompleteVnets: true,
      enableOnlyIPv6Peering: false,
      ...props,
      peeringState: state,
      peeringSyncLevel: state === 'Connected' ? 'FullyInSync' : 'RemoteNotInSync',
      remoteAddressSpace: remoteSpace,
      remoteVirtualNetworkAddressSpace: remoteSpace,
      localAddressSpace: { addressPrefixes: vnetPrefixes(vnet) },
      localVirtualNetworkAddressSpace: { addressPrefixes: vnetPrefixes(vnet) },
    },
  };
}

export function renderVnet(ctx: SimContext, vnet: VirtualNetworkRecord): Record<string, unknown> {
  return {
    id: vnet.id,
    name: vnet.name,
    type: 'Microsoft.Network/virtualNetworks',
    location: vnet.location,
    tags: vnet.tags,
    etag: vnet.etag,
    properties: {
      provisioningState: 'Succeeded',
      enableDdosProtection: false,
      ...cloneJson(vnet.properties),
      subnets: [...vnet.subnets.values()].map(renderSubnet),
      virtualNetworkPeerings: [...vnet.peerings.values()].map((p) => renderPeering(ctx, vnet, p)),
    },
  };
}

const DEFAULT_RULES: readonly [string, number, 'Inbound' | 'Outbound', 'Allow' | 'Deny', string, string, string][] = [
  [
    'AllowVnetInBound',
    65000,
    'Inbound',
    'Allow',
    'VirtualNetwork',
    'VirtualNetwork',
    'Allow inbound traffic from all VMs in VNET',
  ],
  [
    'AllowAzureLoadBalancerInBound',
    65001,
    'Inbound',
    'Allow',
    'AzureLoadBalancer',
    '*',
    'Allow inbound traffic from azure load balancer',
  ],
  ['DenyAllInBound', 65500, 'Inbound', 'Deny', '*', '*', 'Deny all inbound traffic'],
  [
    'AllowVnetOutBound',
    65000,
    'Outbound',
    'Allow',
    'VirtualNetwork',
    'VirtualNetwork',
    'Allow outbound traffic from all VMs to all VMs in VNET',
  ],
  [
    'AllowInternetOutBound',
    65001,
    'Outbound',
    'Allow',
    '*',
    'Internet',
    'Allow outbound traffic from all VMs to Internet',
  ],
  ['DenyAllOutBound', 65500, 'Outbound', 'Deny', '*', '*', 'Deny all outbound traffic'],
];

function subnetsReferencing(ctx: SimContext, resourceId: string, field: string): { id: string }[] {
  const out: { id: string }[] = [];
  for (const vnet of ctx.world.virtualNetworks.values()) {
    for (const subnet of vnet.subnets.values()) {
      const ref = refId(subnet.properties[field]);
      if (ref !== undefined && key(ref) === key(resourceId)) out.push({ id: subnet.id });
    }
  }
  return out;
}

function renderChildren(parentId: string, segment: string, type: string, list: unknown): Record<string, unknown>[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isJsonObject).map((child) => {
    const name = typeof child['name'] === 'string' ? child['name'] : '';
    const props = isJsonObject(child['properties']) ? child['properties'] : {};
    return {
      id: `${parentId}/${segment}/${name}`,
      name,
      etag: typeof child['etag'] === 'string' ? child['etag'] : `W/"${name}"`,
      type,
      properties: { provisioningState: 'Succeeded', ...cloneJson(props) },
    };
  });
}

export function renderNetworkResource(ctx: SimContext, r: NetworkResourceRecord): Record<string, unknown> {
  const props: Record<string, unknown> = { provisioningState: 'Succeeded', ...cloneJson(r.properties) };
  if (r.type === NSG_TYPE) {
    props['securityRules'] = renderChildren(
      r.id,
      'securityRules',
      `${NSG_TYPE}/securityRules`,
      r.properties['securityRules'],
    );
    props['defaultSecurityRules'] = DEFAULT_RULES.map(
      ([name, priority, direction, access, source, destination, description]) => ({
        id: `${r.id}/defaultSecurityRules/${name}`,
        name,
        etag: r.etag,
        type: `${NSG_TYPE}/defaultSecurityRules`,
        properties: {
          provisioningState: 'Succeeded',
          description,
          protocol: '*',
          sourcePortRange: '*',
          destinationPortRange: '*',
          sourceAddressPrefix: source,
          destinationAddressPrefix: destination,
          access,
          priority,
          direction,
          sourcePortRanges: [],
          destinationPortRanges: [],
          sourceAddressPrefixes: [],
          destinationAddressPrefixes: [],
        },
      }),
    );
    props['subnets'] = subnetsReferencing(ctx, r.id, 'networkSecurityGroup');
  } else if (r.type === ROUTE_TABLE_TYPE) {
    props['routes'] = renderChildren(r.id, 'routes', `${ROUTE_TABLE_TYPE}/routes`, r.properties['routes']);
    props['subnets'] = subnetsReferencing(ctx, r.id, 'routeTable');
    props['disableBgpRoutePropagation'] ??= false;
  } else if (r.type === PUBLIC_IP_TYPE) {
    const dns = r.properties['dnsSettings'];
    if (isJsonObject(dns) && typeof dns['domainNameLabel'] === 'string') {
      props['dnsSettings'] = { ...dns, fqdn: `${dns['domainNameLabel']}.${r.location}.cloudapp.azure.com` };
    }
    props['publicIPAddressVersion'] ??= 'IPv4';
    props['publicIPAllocationMethod'] ??= 'Static';
    props['idleTimeoutInMinutes'] ??= 4;
    props['ipTags'] ??= [];
  }
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    location: r.location,
    tags: r.tags,
    etag: r.etag,
    ...(r.sku ? { sku: r.sku } : {}),
    properties: props,
  };
}

/** Starts the network RP's async operation for a write: the state is already changed; the operation ends later. */
function networkWrite(
  ctx: SimContext,
  req: ArmRequest,
  resourceId: string,
  location: string,
  operationName: string,
  kind: 'write' | 'delete',
  existed: boolean,
  status: number,
  render: (() => unknown) | undefined,
): ArmResponse {
  const duration = ctx.settings.timing.networkWriteMs;
  const op = ctx.operations.start({
    namespace: 'Microsoft.Network',
    location,
    resourceId,
    principalId: req.principal.objectId,
    subscriptionId: ctx.world.subscriptionId,
    statusSegment: 'operations',
    expectedDurationMs: duration,
    result: () => (render ? json(200, render()) : empty(204)),
    onComplete: () => {
      ctx.emitFor(req, { kind, resourceUri: resourceId, operationName, existed });
    },
  });
  ctx.clock.schedule(duration, () => {
    ctx.operations.complete(op, { status: 'Succeeded' });
  });
  const headers = ctx.operations.headers(op, req.baseUrl, req.apiVersion, {
    asyncOperation: true,
    location: kind === 'delete',
  });
  return render ? json(status, render(), headers) : empty(status, headers);
}

const Ref = z.object({ id: z.string().min(1) });
const Cidr = z.string().refine(isValidCidr, 'must be an IPv4 CIDR such as 10.1.0.0/24');

const SubnetPut = z.object({
  properties: z
    .object({
      addressPrefix: Cidr.optional(),
      addressPrefixes: z.array(Cidr).optional(),
      networkSecurityGroup: Ref.nullish(),
      routeTable: Ref.nullish(),
    })
    .loose()
    .refine(
      (p) => p.addressPrefix !== undefined || (p.addressPrefixes?.length ?? 0) > 0,
      'addressPrefix or addressPrefixes is required',
    ),
});

const PeeringPut = z.object({
  properties: z
    .object({
      remoteVirtualNetwork: Ref,
      allowVirtualNetworkAccess: z.boolean().optional(),
      allowForwardedTraffic: z.boolean().optional(),
      allowGatewayTransit: z.boolean().optional(),
      useRemoteGateways: z.boolean().optional(),
    })
    .loose(),
});

const RulePut = z.object({
  name: z.string().min(1).max(80),
  properties: z
    .object({
      priority: z.int().min(100).max(4096),
      direction: z.enum(['Inbound', 'Outbound']),
      access: z.enum(['Allow', 'Deny']),
      protocol: z.enum(['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', '*']),
    })
    .loose(),
});
const NsgPut = z.object({
  location: z.string().min(1),
  tags: Tags.nullish(),
  properties: z
    .object({ securityRules: z.array(RulePut).optional() })
    .loose()
    .default({}),
});
const RouteTablePut = z.object({
  location: z.string().min(1),
  tags: Tags.nullish(),
  properties: z
    .object({
      routes: z
        .array(
          z.object({
            name: z.string().min(1).max(80),
            properties: z
              .object({
                addressPrefix: Cidr,
                nextHopType: z.enum(['VirtualNetworkGateway', 'VnetLocal', 'Internet', 'VirtualAppliance', 'None']),
                nextHopIpAddress: z.string().optional(),
              })
              .loose(),
          }),
        )
        .optional(),
      disableBgpRoutePropagation: z.boolean().optional(),
    })
    .loose()
    .default({}),
});
const PublicIpPut = z.object({
  location: z.string().min(1),
  tags: Tags.nullish(),
  sku: z
    .object({ name: z.enum(['Basic', 'Standard']).optional(), tier: z.enum(['Regional', 'Global']).optional() })
    .nullish(),
  properties: z
    .object({
      publicIPAllocationMethod: z.enum(['Static', 'Dynamic']).optional(),
      dnsSettings: z
        .object({
          domainNameLabel: z
            .string()
            .regex(/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/)
            .optional(),
        })
        .loose()
        .nullish(),
    })
    .loose()
    .default({}),
});

function stripJson(value: unknown): JsonObject {
  const parsed = z.record(z.string(), z.json()).safeParse(value);
  return parsed.success ? parsed.data : {};
}

/** Allocates a public address for a new public IP (deterministic per simulator instance). */
export function allocatePublicAddress(ctx: SimContext): string {
  const n = ctx.world.publicAddressSeq++;
  return `20.${100 + (Math.floor(n / 65536) % 100)}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

function listByResourceGroup(type: string, operation: string, segment: string): RouteDefinition {
  return {
    operation,
    method: 'GET',
    pattern: `${NET}/${segment}`,
    apiVersions: NETWORK_API_VERSIONS,
    handle: (req, p, ctx) => {
      requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
      const prefix = `${key(rgId(p))}/providers/`;
      const items = [...ctx.world.networkResources.values()]
        .filter((r) => r.type === type && key(r.id).startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((r) => renderNetworkResource(ctx, r));
      return json(200, page(items, req, ctx.settings.pageSize));
    },
  };
}

function getOne(type: string, operation: string, segment: string, param: string): RouteDefinition {
  return {
    operation,
    method: 'GET',
    pattern: `${NET}/${segment}/{${param}}`,
    apiVersions: NETWORK_API_VERSIONS,
    handle: (_req, p, ctx) => {
      requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
      const id = `${rgId(p)}/providers/${type}/${p[param] ?? ''}`;
      const r = ctx.world.networkResources.get(key(id));
      if (r?.type !== type) throw resourceNotFound(typedPath(id), p['resourceGroupName']);
      return json(200, renderNetworkResource(ctx, r));
    },
  };
}

function putTracked(
  type: string,
  operation: string,
  segment: string,
  param: string,
  build: (
    body: unknown,
    existing: NetworkResourceRecord | undefined,
    ctx: SimContext,
  ) => {
    properties: JsonObject;
    sku: JsonObject | undefined;
    tags: Record<string, string> | undefined;
    location: string;
  },
): RouteDefinition {
  return {
    operation,
    method: 'PUT',
    pattern: `${NET}/${segment}/{${param}}`,
    apiVersions: NETWORK_API_VERSIONS,
    handle: (req, p, ctx) => {
      const rg = requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
      const name = p[param] ?? '';
      if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/.test(name)) {
        throw badRequest('InvalidResourceName', `Resource name '${name}' is invalid.`, 'name');
      }
      const id = `${rgId(p)}/providers/${type}/${name}`;
      const existing = ctx.world.networkResources.get(key(id));
      checkPreconditions(req, existing?.etag, `${type.split('/')[1] ?? type} '${name}'`);
      const built = build(req.body, existing, ctx);
      const location = built.location.toLowerCase().replace(/\s/g, '');
      if (existing && existing.location !== location) {
        throw badRequest(
          'InvalidRequestFormat',
          `The location of '${name}' cannot be changed from '${existing.location}' to '${location}'.`,
          'location',
        );
      }
      const record: NetworkResourceRecord = {
        id,
        name,
        resourceGroup: rg.name,
        location,
        type,
        tags: built.tags ?? existing?.tags ?? {},
        properties: built.properties,
        sku: built.sku,
        etag: newWeakEtag(),
      };
      ctx.world.networkResources.set(key(id), record);
      return networkWrite(
        ctx,
        req,
        id,
        location,
        `${type}/write`,
        'write',
        existing !== undefined,
        existing ? 200 : 201,
        () => renderNetworkResource(ctx, record),
      );
    },
  };
}

export function networkRoutes(): RouteDefinition[] {
  const v = NETWORK_API_VERSIONS;
  return [
    {
      operation: 'virtualNetworks.list',
      method: 'GET',
      pattern: `${NET}/virtualNetworks`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
        const prefix = `${key(rgId(p))}/providers/`;
        const items = [...ctx.world.virtualNetworks.values()]
          .filter((n) => key(n.id).startsWith(prefix))
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((n) => renderVnet(ctx, n));
        return json(200, page(items, req, ctx.settings.pageSize));
      },
    },
    {
      operation: 'virtualNetworks.get',
      method: 'GET',
      pattern: VNET,
      apiVersions: v,
      handle: (_req, p, ctx) => json(200, renderVnet(ctx, requireVnet(ctx, p, false))),
    },
    {
      operation: 'subnets.list',
      method: 'GET',
      pattern: `${VNET}/subnets`,
      apiVersions: v,
      handle: (req, p, ctx) =>
        json(200, page([...requireVnet(ctx, p, true).subnets.values()].map(renderSubnet), req, ctx.settings.pageSize)),
    },
    {
      operation: 'subnets.get',
      method: 'GET',
      pattern: `${VNET}/subnets/{subnetName}`,
      apiVersions: v,
      handle: (_req, p, ctx) => {
        const vnet = requireVnet(ctx, p, true);
        const id = `${vnet.id}/subnets/${p['subnetName'] ?? ''}`;
        const subnet = vnet.subnets.get(key(id));
        if (!subnet) throw resourceNotFound(typedPath(id), p['resourceGroupName']);
        return json(200, renderSubnet(subnet));
      },
    },
    {
      operation: 'subnets.createOrUpdate',
      method: 'PUT',
      pattern: `${VNET}/subnets/{subnetName}`,
      apiVersions: v,
      scope: (p) => `${vnetId(p)}/subnets/${p['subnetName'] ?? ''}`,
      handle: (req, p, ctx) => {
        const vnet = requireVnet(ctx, p, true);
        const name = p['subnetName'] ?? '';
        const id = `${vnet.id}/subnets/${name}`;
        const existing = vnet.subnets.get(key(id));
        checkPreconditions(req, existing?.etag, `subnet '${name}'`);
        const body = parseBody(SubnetPut, req.body);
        let props = stripJson(body.properties);
        const prefixes = subnetPrefixes({ id, name, properties: props, etag: '' });
        for (const prefix of prefixes) {
          const first = firstAddress(prefix);
          if (first === undefined || !vnetPrefixes(vnet).some((vp) => cidrContains(vp, first))) {
            throw badRequest(
              'NetcfgSubnetRangeOutsideVnet',
              `Subnet '${name}' is not valid because its IP address range ${prefix} is outside the range of virtual network '${vnet.name}'.`,
            );
          }
          for (const other of vnet.subnets.values()) {
            if (other === existing) continue;
            if (subnetPrefixes(other).some((o) => cidrsOverlap(o, prefix))) {
              throw badRequest(
                'NetcfgSubnetRangesOverlap',
                `Subnet '${name}' is not valid because its IP address range ${prefix} overlaps with that of subnet '${other.name}'.`,
              );
            }
          }
        }
        for (const [field, type] of [
          ['networkSecurityGroup', NSG_TYPE],
          ['routeTable', ROUTE_TABLE_TYPE],
        ] as const) {
          const ref = refId(props[field]);
          if (ref !== undefined && ctx.world.networkResources.get(key(ref))?.type !== type) {
            throw badRequest(
              'InvalidResourceReference',
              `Resource '${ref}' referenced by subnet '${name}' (properties.${field}) was not found.`,
              `properties.${field}`,
            );
          }
          if (props[field] === null) props = omit(props, [field]);
        }
        const subnet: SubnetRecord = { id, name, properties: props, etag: newWeakEtag() };
        vnet.subnets.set(key(id), subnet);
        vnet.etag = newWeakEtag();
        return networkWrite(
          ctx,
          req,
          id,
          vnet.location,
          'Microsoft.Network/virtualNetworks/subnets/write',
          'write',
          existing !== undefined,
          existing ? 200 : 201,
          () => renderSubnet(subnet),
        );
      },
    },
    {
      operation: 'virtualNetworkPeerings.list',
      method: 'GET',
      pattern: `${VNET}/virtualNetworkPeerings`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const vnet = requireVnet(ctx, p, true);
        return json(
          200,
          page(
            [...vnet.peerings.values()].map((x) => renderPeering(ctx, vnet, x)),
            req,
            ctx.settings.pageSize,
          ),
        );
      },
    },
    {
      operation: 'virtualNetworkPeerings.get',
      method: 'GET',
      pattern: `${VNET}/virtualNetworkPeerings/{peeringName}`,
      apiVersions: v,
      handle: (_req, p, ctx) => {
        const vnet = requireVnet(ctx, p, true);
        const id = `${vnet.id}/virtualNetworkPeerings/${p['peeringName'] ?? ''}`;
        const peering = vnet.peerings.get(key(id));
        if (!peering) throw resourceNotFound(typedPath(id), p['resourceGroupName']);
        return json(200, renderPeering(ctx, vnet, peering));
      },
    },
    {
      operation: 'virtualNetworkPeerings.createOrUpdate',
      method: 'PUT',
      pattern: `${VNET}/virtualNetworkPeerings/{peeringName}`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const vnet = requireVnet(ctx, p, true);
        const name = p['peeringName'] ?? '';
        const id = `${vnet.id}/virtualNetworkPeerings/${name}`;
        const existing = vnet.peerings.get(key(id));
        checkPreconditions(req, existing?.etag, `virtual network peering '${name}'`);
        const body = parseBody(PeeringPut, req.body);
        const remoteId = body.properties.remoteVirtualNetwork.id;
        const remote = ctx.world.virtualNetworks.get(key(remoteId));
        if (!remote) {
          throw badRequest(
            'InvalidResourceReference',
            `The remote virtual network '${remoteId}' of peering '${name}' was not found.`,
            'properties.remoteVirtualNetwork.id',
          );
        }
        if (remote === vnet)
          throw badRequest(
            'CannotPeerVirtualNetworkWithItself',
            `Virtual network '${vnet.name}' cannot be peered with itself.`,
          );
        for (const a of vnetPrefixes(vnet)) {
          for (const b of vnetPrefixes(remote)) {
            if (cidrsOverlap(a, b)) {
              throw badRequest(
                'VnetAddressSpacesOverlap',
                `Cannot create or update peering '${name}': virtual networks '${vnet.name}' and '${remote.name}' have overlapping address spaces (${a} and ${b}).`,
              );
            }
          }
        }
        const duplicate = [...vnet.peerings.values()].find(
          (x) =>
            x !== existing &&
            refId(x.properties['remoteVirtualNetwork']) !== undefined &&
            key(refId(x.properties['remoteVirtualNetwork']) ?? '') === key(remoteId),
        );
        if (duplicate) {
          throw new ArmError(
            400,
            'VnetPeeringAlreadyExists',
            `Virtual network '${vnet.name}' already has peering '${duplicate.name}' to '${remote.name}'.`,
          );
        }
        const props = omit(stripJson(body.properties), [
          'peeringState',
          'peeringSyncLevel',
          'provisioningState',
          'remoteAddressSpace',
          'remoteVirtualNetworkAddressSpace',
        ]);
        props['remoteVirtualNetwork'] = { id: remote.id };
        const peering: PeeringRecord = { id, name, properties: props, etag: newWeakEtag() };
        vnet.peerings.set(key(id), peering);
        return networkWrite(
          ctx,
          req,
          id,
          vnet.location,
          'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write',
          'write',
          existing !== undefined,
          existing ? 200 : 201,
          () => renderPeering(ctx, vnet, peering),
        );
      },
    },
    {
      operation: 'virtualNetworkPeerings.delete',
      method: 'DELETE',
      pattern: `${VNET}/virtualNetworkPeerings/{peeringName}`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const vnet = requireVnet(ctx, p, true);
        const id = `${vnet.id}/virtualNetworkPeerings/${p['peeringName'] ?? ''}`;
        const existing = vnet.peerings.get(key(id));
        checkPreconditions(req, existing?.etag, `virtual network peering '${p['peeringName'] ?? ''}'`);
        if (!existing) return empty(204);
        vnet.peerings.delete(key(id));
        return networkWrite(
          ctx,
          req,
          id,
          vnet.location,
          'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete',
          'delete',
          true,
          202,
          undefined,
        );
      },
    },
    listByResourceGroup(NSG_TYPE, 'networkSecurityGroups.list', 'networkSecurityGroups'),
    getOne(NSG_TYPE, 'networkSecurityGroups.get', 'networkSecurityGroups', 'networkSecurityGroupName'),
    putTracked(
      NSG_TYPE,
      'networkSecurityGroups.createOrUpdate',
      'networkSecurityGroups',
      'networkSecurityGroupName',
      (body) => {
        const b = parseBody(NsgPut, body);
        const props = omit(stripJson(b.properties), [
          'defaultSecurityRules',
          'subnets',
          'networkInterfaces',
          'provisioningState',
        ]);
        return { properties: props, sku: undefined, tags: b.tags ?? undefined, location: b.location };
      },
    ),
    listByResourceGroup(ROUTE_TABLE_TYPE, 'routeTables.list', 'routeTables'),
    getOne(ROUTE_TABLE_TYPE, 'routeTables.get', 'routeTables', 'routeTableName'),
    putTracked(ROUTE_TABLE_TYPE, 'routeTables.createOrUpdate', 'routeTables', 'routeTableName', (body) => {
      const b = parseBody(RouteTablePut, body);
      const props = omit(stripJson(b.properties), ['subnets', 'provisioningState']);
      return { properties: props, sku: undefined, tags: b.tags ?? undefined, location: b.location };
    }),
    listByResourceGroup(PUBLIC_IP_TYPE, 'publicIPAddresses.list', 'publicIPAddresses'),
    getOne(PUBLIC_IP_TYPE, 'publicIPAddresses.get', 'publicIPAddresses', 'publicIpAddressName'),
    putTracked(
      PUBLIC_IP_TYPE,
      'publicIPAddresses.createOrUpdate',
      'publicIPAddresses',
      'publicIpAddressName',
      (body, existing, ctx) => {
        const b = parseBody(PublicIpPut, body);
        const props = omit(stripJson(b.properties), ['provisioningState', 'ipConfiguration', 'resourceGuid']);
        const address =
          existing && typeof existing.properties['ipAddress'] === 'string'
            ? existing.properties['ipAddress']
            : allocatePublicAddress(ctx);
        props['ipAddress'] = address;
        if (existing && existing.properties['ipConfiguration'] !== undefined)
          props['ipConfiguration'] = existing.properties['ipConfiguration'];
        const sku = b.sku ? stripJson(b.sku) : (existing?.sku ?? { name: 'Standard', tier: 'Regional' });
        return { properties: props, sku, tags: b.tags ?? undefined, location: b.location };
      },
    ),
  ];
}
