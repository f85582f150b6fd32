/**
 * AKS managed cluster, in the shape the `@azure/arm-containerservice` client returns (`properties` flattened onto the
 * model). Only the fields fleetmesh reads are typed: the mesh prerequisites (reference §4), the identity whose role
 * assignments are checked, and the subnets that place the cluster in a VNet. The preflight rules report a missing
 * prerequisite field as a finding, so those fields are optional here.
 */
import { z } from 'zod';

export const AgentPoolProfileSchema = z.object({
  name: z.string(),
  mode: z.string().optional(),
  count: z.number().optional(),
  vmSize: z.string().optional(),
  /** Node subnet (note the capital `ID`). */
  vnetSubnetID: z.string().optional(),
  /** Pod subnet: when set, pods get VNet IPs from it and `vnetSubnetID` applies to nodes only. */
  podSubnetID: z.string().optional(),
  provisioningState: z.string().optional(),
  powerState: z.object({ code: z.string().optional() }).optional(),
});
export type AgentPoolProfile = z.output<typeof AgentPoolProfileSchema>;

export const NetworkProfileSchema = z.object({
  /** `azure | kubenet | none` */
  networkPlugin: z.string().optional(),
  /** `overlay` is the only value; absent means not overlay. */
  networkPluginMode: z.string().optional(),
  /** `azure | cilium` */
  networkDataplane: z.string().optional(),
  /** `none | calico | azure | cilium` */
  networkPolicy: z.string().optional(),
  /** ACNS. */
  advancedNetworking: z
    .object({
      enabled: z.boolean().optional(),
      observability: z.object({ enabled: z.boolean().optional() }).optional(),
      security: z.object({ enabled: z.boolean().optional() }).optional(),
    })
    .optional(),
  podCidr: z.string().optional(),
  podCidrs: z.array(z.string()).optional(),
  serviceCidr: z.string().optional(),
  serviceCidrs: z.array(z.string()).optional(),
  dnsServiceIP: z.string().optional(),
  outboundType: z.string().optional(),
  loadBalancerSku: z.string().optional(),
});
export type NetworkProfile = z.output<typeof NetworkProfileSchema>;

export const ManagedClusterIdentitySchema = z.object({
  /** `SystemAssigned | UserAssigned | None` */
  type: z.string().optional(),
  principalId: z.string().optional(),
  tenantId: z.string().optional(),
  userAssignedIdentities: z
    .record(z.string(), z.object({ principalId: z.string().optional(), clientId: z.string().optional() }))
    .optional(),
});
export type ManagedClusterIdentity = z.output<typeof ManagedClusterIdentitySchema>;

export const ManagedClusterSchema = z.object({
  id: z.string(),
  name: z.string(),
  location: z.string().optional(),
  eTag: z.string().optional(),
  identity: ManagedClusterIdentitySchema.optional(),
  provisioningState: z.string().optional(),
  powerState: z.object({ code: z.string().optional() }).optional(),
  kubernetesVersion: z.string().optional(),
  /** The actual patch version: the one the 1.32+ check uses. */
  currentKubernetesVersion: z.string().optional(),
  nodeResourceGroup: z.string().optional(),
  networkProfile: NetworkProfileSchema.optional(),
  agentPoolProfiles: z.array(AgentPoolProfileSchema).optional(),
  identityProfile: z
    .record(
      z.string(),
      z.object({ resourceId: z.string().optional(), clientId: z.string().optional(), objectId: z.string().optional() }),
    )
    .optional(),
});
export type ManagedCluster = z.output<typeof ManagedClusterSchema>;

/** The object id of the cluster (control-plane) identity: system-assigned, else the first user-assigned one. */
export function clusterPrincipalId(cluster: ManagedCluster): string | undefined {
  const identity = cluster.identity;
  if (!identity) return undefined;
  if (identity.principalId) return identity.principalId;
  for (const uai of Object.values(identity.userAssignedIdentities ?? {})) {
    if (uai.principalId) return uai.principalId;
  }
  return undefined;
}
