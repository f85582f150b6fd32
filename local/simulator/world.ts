/**
 * The simulator's in-memory state: every resource it serves, keyed by the lower-cased resource id (ARM ids are
 * case-insensitive) while the records keep the names exactly as they were written.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { ArmErrorDetail } from '../../shared/models/common.js';
import { normalizeResourceId } from '../../shared/arm/resourceId.js';
import type { ParsedCondition } from './rbac/condition.js';

export type JsonValue = z.core.util.JSONType;
export type JsonObject = { [key: string]: JsonValue };

export type PrincipalKind = 'ServicePrincipal' | 'User' | 'ManagedIdentity';

export interface Principal {
  readonly objectId: string;
  readonly name: string;
  readonly kind: PrincipalKind;
  /** Application (client) id: the `appid` claim. */
  readonly clientId: string;
  /** Bearer token the simulator accepts for this principal (cluster identities have none). */
  readonly token: string | undefined;
}

export interface SystemData {
  createdBy: string;
  createdByType: string;
  createdAt: string;
  lastModifiedBy: string;
  lastModifiedByType: string;
  lastModifiedAt: string;
}

export interface ResourceGroupRecord {
  readonly id: string;
  readonly name: string;
  readonly location: string;
  tags: Record<string, string>;
}

export interface FleetRecord {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  eTag: string;
  systemData: SystemData;
}

export type MeshMemberState = 'Connecting' | 'Connected' | 'Disconnecting' | 'Failed';

export interface MeshMembership {
  readonly profileKey: string;
  readonly profileId: string;
  readonly ciliumId: number;
  readonly ciliumName: string;
  state: MeshMemberState;
  lastUpdatedAt: string;
  lastOperationId: string;
  error: ArmErrorDetail | undefined;
}

export interface MemberRecord {
  readonly id: string;
  readonly name: string;
  readonly fleetKey: string;
  readonly resourceGroup: string;
  readonly clusterResourceId: string;
  group: string | undefined;
  /** User labels only; system labels are computed on read. */
  labels: Record<string, string>;
  provisioningState: string;
  lastOperationId: string | undefined;
  lastOperationError: ArmErrorDetail | undefined;
  mesh: MeshMembership | undefined;
  eTag: string;
  systemData: SystemData;
  /** Running create/update/delete operation, if any. */
  busyWith: string | undefined;
}

export type ClusterMeshState = 'NotConnected' | 'Applying' | 'Connected' | 'Degraded' | 'Failed';

export interface ProfileRecord {
  readonly id: string;
  readonly name: string;
  readonly fleetKey: string;
  readonly resourceGroup: string;
  memberSelector: { byLabel: string } | undefined;
  provisioningState: string;
  state: ClusterMeshState;
  lastAppliedMemberSelector: { byLabel: string } | undefined;
  lastOperationId: string | undefined;
  lastOperationError: ArmErrorDetail | undefined;
  eTag: string;
  systemData: SystemData;
  /** Running apply operation id. */
  applying: string | undefined;
  /** Running delete operation id. */
  deleting: string | undefined;
  /** Cilium cluster ids by member key: kept while the member is in this mesh. */
  readonly ciliumIds: Map<string, number>;
}

/** State of a cluster's `clustermesh-apiserver` internal load balancer (see docs/simulator.md, "Mesh behaviour"). */
export type MeshLoadBalancerState = 'none' | 'pending' | 'ready';

export interface ClusterRecord {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  tags: Record<string, string>;
  /** The wire `properties` minus the read-only fields the simulator computes. */
  properties: JsonObject;
  currentKubernetesVersion: string;
  readonly nodeResourceGroup: string;
  readonly identityPrincipalId: string;
  readonly kubelet: { readonly resourceId: string; readonly clientId: string; readonly objectId: string };
  readonly fqdn: string;
  provisioningState: string;
  powerState: 'Running' | 'Stopped';
  eTag: string;
  systemData: SystemData;
  meshLoadBalancer: MeshLoadBalancerState;
  meshLoadBalancerError: ArmErrorDetail | undefined;
  /** Running reconcile (PUT) operation id. */
  busyWith: string | undefined;
}

export interface SubnetRecord {
  readonly id: string;
  readonly name: string;
  properties: JsonObject;
  etag: string;
}

export interface PeeringRecord {
  readonly id: string;
  readonly name: string;
  properties: JsonObject;
  etag: string;
}

export interface VirtualNetworkRecord {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  tags: Record<string, string>;
  /** Wire properties except `subnets` and `virtualNetworkPeerings`, which are the child maps. */
  properties: JsonObject;
  readonly subnets: Map<string, SubnetRecord>;
  readonly peerings: Map<string, PeeringRecord>;
  etag: string;
}

/** NSGs, route tables, public IPs: a plain tracked resource with wire properties. */
export interface NetworkResourceRecord {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly type: string;
  tags: Record<string, string>;
  properties: JsonObject;
  sku: JsonObject | undefined;
  etag: string;
}

export type EndpointTypeSegment = 'azureEndpoints' | 'externalEndpoints' | 'nestedEndpoints';

export interface TrafficEndpointRecord {
  readonly id: string;
  readonly name: string;
  readonly typeSegment: EndpointTypeSegment;
  properties: JsonObject;
  /** Simulated time the endpoint was created or retargeted: `CheckingEndpoint` until the first probes complete. */
  probeSince: number;
  /** Last change of its target's simulated health: probes notice it only after the probe window. */
  healthChange: { readonly previous: Health; readonly at: number } | undefined;
}

export interface TrafficProfileRecord {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string;
  tags: Record<string, string>;
  /** Wire properties except `endpoints` and the computed monitor/dns fields. */
  properties: JsonObject;
  readonly endpoints: Map<string, TrafficEndpointRecord>;
}

export interface RoleAssignmentRecord {
  readonly id: string;
  readonly name: string;
  readonly scope: string;
  readonly roleDefinitionId: string;
  readonly principalId: string;
  readonly principalType: string;
  readonly condition: string | undefined;
  readonly conditionVersion: string | undefined;
  readonly parsedCondition: ParsedCondition | undefined;
  readonly description: string | undefined;
  readonly createdOn: string;
  updatedOn: string;
  readonly createdBy: string;
  updatedBy: string;
}

export interface Permission {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly dataActions: readonly string[];
  readonly notDataActions: readonly string[];
}

export interface RoleDefinitionRecord {
  /** GUID (lower case). */
  readonly name: string;
  readonly roleName: string;
  readonly description: string;
  readonly roleType: 'BuiltInRole' | 'CustomRole';
  readonly permissions: readonly Permission[];
  readonly assignableScopes: readonly string[];
}

export type Health = 'Healthy' | 'Degraded' | 'Stopped';

export class World {
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly principals = new Map<string, Principal>();
  readonly resourceGroups = new Map<string, ResourceGroupRecord>();
  readonly fleets = new Map<string, FleetRecord>();
  readonly members = new Map<string, MemberRecord>();
  readonly profiles = new Map<string, ProfileRecord>();
  readonly clusters = new Map<string, ClusterRecord>();
  readonly virtualNetworks = new Map<string, VirtualNetworkRecord>();
  /** Key: lower-cased id; covers networkSecurityGroups, routeTables and publicIPAddresses. */
  readonly networkResources = new Map<string, NetworkResourceRecord>();
  readonly trafficProfiles = new Map<string, TrafficProfileRecord>();
  readonly roleAssignments = new Map<string, RoleAssignmentRecord>();
  /** Key: role definition GUID, lower case. */
  readonly roleDefinitions = new Map<string, RoleDefinitionRecord>();
  /** Simulated health, keyed by lower-cased public IP id, cluster id, or `target:<fqdn or ip>`. */
  readonly health = new Map<string, Health>();
  /** Sequence for addresses of public IPs created over the API. */
  publicAddressSeq = 1;

  constructor(subscriptionId: string, tenantId: string) {
    this.subscriptionId = subscriptionId;
    this.tenantId = tenantId;
  }

  principalById(objectId: string): Principal | undefined {
    return this.principals.get(objectId.toLowerCase());
  }

  /** Members of one fleet, in name order. */
  membersOf(fleetKey: string): MemberRecord[] {
    return [...this.members.values()]
      .filter((m) => m.fleetKey === fleetKey)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  profilesOf(fleetKey: string): ProfileRecord[] {
    return [...this.profiles.values()]
      .filter((p) => p.fleetKey === fleetKey)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The VNet record and subnet record of a subnet id. */
  subnet(subnetId: string): { vnet: VirtualNetworkRecord; subnet: SubnetRecord } | undefined {
    const key = normalizeResourceId(subnetId);
    const cut = key.lastIndexOf('/subnets/');
    if (cut < 0) return undefined;
    const vnet = this.virtualNetworks.get(key.slice(0, cut));
    const subnet = vnet?.subnets.get(key);
    return vnet && subnet ? { vnet, subnet } : undefined;
  }
}

export const key = normalizeResourceId;

/** A new ARM eTag for fleet and AKS resources: a quoted GUID, quotes included. */
export function newQuotedEtag(): string {
  return `"${randomUUID()}"`;
}

/** A new weak eTag as Microsoft.Network returns them: `W/"guid"`. */
export function newWeakEtag(): string {
  return `W/"${randomUUID()}"`;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function systemDataFor(principal: Principal | undefined, at: string, previous?: SystemData): SystemData {
  const by = principal ? (principal.kind === 'User' ? principal.name : principal.clientId) : 'fleetmesh-simulator';
  const byType = principal
    ? principal.kind === 'User'
      ? 'User'
      : principal.kind === 'ManagedIdentity'
        ? 'ManagedIdentity'
        : 'Application'
    : 'Application';
  return {
    createdBy: previous?.createdBy ?? by,
    createdByType: previous?.createdByType ?? byType,
    createdAt: previous?.createdAt ?? at,
    lastModifiedBy: by,
    lastModifiedByType: byType,
    lastModifiedAt: at,
  };
}

/** Deep copy of a JSON value (records never share nested objects with requests or responses). */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/** A copy of `object` without `keys`. */
export function omit(object: JsonObject, keys: readonly string[]): JsonObject {
  return Object.fromEntries(Object.entries(object).filter(([k]) => !keys.includes(k)));
}
