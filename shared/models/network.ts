/**
 * Microsoft.Network resources in the shape `@azure/arm-network` returns (`properties` flattened). Reference §5.
 */
import { z } from 'zod';
import { SubResourceSchema } from './common.js';

export const SubnetSchema = z.object({
  id: z.string(),
  name: z.string(),
  addressPrefix: z.string().optional(),
  addressPrefixes: z.array(z.string()).optional(),
  networkSecurityGroup: SubResourceSchema.optional(),
  routeTable: SubResourceSchema.optional(),
  natGateway: SubResourceSchema.optional(),
  provisioningState: z.string().optional(),
});
export type Subnet = z.output<typeof SubnetSchema>;

export const PeeringStates = ['Initiated', 'Connected', 'Disconnected'] as const;

export const VirtualNetworkPeeringSchema = z.object({
  id: z.string(),
  name: z.string(),
  allowVirtualNetworkAccess: z.boolean().optional(),
  allowForwardedTraffic: z.boolean().optional(),
  allowGatewayTransit: z.boolean().optional(),
  useRemoteGateways: z.boolean().optional(),
  remoteVirtualNetwork: SubResourceSchema.optional(),
  remoteAddressSpace: z.object({ addressPrefixes: z.array(z.string()).optional() }).optional(),
  /** `Initiated | Connected | Disconnected`; a one-sided peering shows `Initiated`. */
  peeringState: z.string().optional(),
  /** `FullyInSync | RemoteNotInSync | LocalNotInSync | LocalAndRemoteNotInSync` */
  peeringSyncLevel: z.string().optional(),
  provisioningState: z.string().optional(),
});
export type VirtualNetworkPeering = z.output<typeof VirtualNetworkPeeringSchema>;

export const VirtualNetworkSchema = z.object({
  id: z.string(),
  name: z.string(),
  location: z.string().optional(),
  etag: z.string().optional(),
  addressSpace: z.object({ addressPrefixes: z.array(z.string()).optional() }).optional(),
  subnets: z.array(SubnetSchema).optional(),
  virtualNetworkPeerings: z.array(VirtualNetworkPeeringSchema).optional(),
  provisioningState: z.string().optional(),
});
export type VirtualNetwork = z.output<typeof VirtualNetworkSchema>;

export const SecurityRuleAccess = ['Allow', 'Deny'] as const;
export const SecurityRuleDirection = ['Inbound', 'Outbound'] as const;

export const SecurityRuleSchema = z.object({
  id: z.string().optional(),
  name: z.string(),
  /** 100–4096 for custom rules; the default rules ARM returns use 65000, 65001 and 65500. */
  priority: z.int().min(100).max(65500),
  direction: z.enum(SecurityRuleDirection),
  access: z.enum(SecurityRuleAccess),
  /** `Tcp | Udp | Icmp | Esp | Ah | *` */
  protocol: z.string(),
  sourceAddressPrefix: z.string().optional(),
  sourceAddressPrefixes: z.array(z.string()).optional(),
  sourcePortRange: z.string().optional(),
  sourcePortRanges: z.array(z.string()).optional(),
  destinationAddressPrefix: z.string().optional(),
  destinationAddressPrefixes: z.array(z.string()).optional(),
  destinationPortRange: z.string().optional(),
  destinationPortRanges: z.array(z.string()).optional(),
  sourceApplicationSecurityGroups: z.array(SubResourceSchema).optional(),
  destinationApplicationSecurityGroups: z.array(SubResourceSchema).optional(),
  provisioningState: z.string().optional(),
});
export type SecurityRule = z.output<typeof SecurityRuleSchema>;

export const NetworkSecurityGroupSchema = z.object({
  id: z.string(),
  name: z.string(),
  location: z.string().optional(),
  etag: z.string().optional(),
  securityRules: z.array(SecurityRuleSchema).optional(),
  defaultSecurityRules: z.array(SecurityRuleSchema).optional(),
  subnets: z.array(SubResourceSchema).optional(),
});
export type NetworkSecurityGroup = z.output<typeof NetworkSecurityGroupSchema>;

export const RouteNextHopTypes = [
  'VirtualNetworkGateway',
  'VnetLocal',
  'Internet',
  'VirtualAppliance',
  'None',
] as const;

export const RouteSchema = z.object({
  id: z.string().optional(),
  name: z.string(),
  addressPrefix: z.string().optional(),
  nextHopType: z.string(),
  nextHopIpAddress: z.string().optional(),
});
export type Route = z.output<typeof RouteSchema>;

export const RouteTableSchema = z.object({
  id: z.string(),
  name: z.string(),
  location: z.string().optional(),
  etag: z.string().optional(),
  routes: z.array(RouteSchema).optional(),
  subnets: z.array(SubResourceSchema).optional(),
  disableBgpRoutePropagation: z.boolean().optional(),
});
export type RouteTable = z.output<typeof RouteTableSchema>;

export const PublicIPAddressSchema = z.object({
  id: z.string(),
  name: z.string(),
  location: z.string().optional(),
  etag: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  ipAddress: z.string().optional(),
  publicIPAllocationMethod: z.string().optional(),
  publicIPAddressVersion: z.string().optional(),
  dnsSettings: z
    .object({
      domainNameLabel: z.string().optional(),
      fqdn: z.string().optional(),
      reverseFqdn: z.string().optional(),
    })
    .optional(),
  ipConfiguration: SubResourceSchema.optional(),
  sku: z.object({ name: z.string().optional(), tier: z.string().optional() }).optional(),
});
export type PublicIPAddress = z.output<typeof PublicIPAddressSchema>;

/** Tag AKS's cloud provider puts on a LoadBalancer service's public IP: value `namespace/name`. */
export const AksServiceTag = 'k8s-azure-service';
/** Tag AKS's cloud provider puts on public IPs it created: the cluster name. */
export const AksClusterNameTag = 'kubernetes-cluster-name';
