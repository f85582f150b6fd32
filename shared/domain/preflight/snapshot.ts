/**
 * Building and reading the preflight snapshot.
 *
 * What to fetch depends on what was fetched before (a cluster names its subnets, a VNet names its subnets' NSGs and
 * route tables, a role assignment names its role definition), so gathering is a loop:
 *
 * ```ts
 * let snapshot = emptySnapshot(profileId, members);
 * for (let request = requiredResources(snapshot); !isRequestEmpty(request); request = requiredResources(snapshot)) {
 *   snapshot = addToSnapshot(snapshot, await fetch(request)); // every id: the resource, or a ReadFailure
 * }
 * ```
 *
 * It ends after at most four rounds (clusters → VNets and role assignments → NSGs, route tables and role definitions),
 * because every requested id comes back either as a resource or as a ReadFailure, and neither is requested again.
 *
 * Role definitions of Network Contributor, Contributor and Owner are never requested: their permissions are known
 * (all three grant subnet read and join). The others are read under the member VNet the assignment applies to
 * (`{vnetId}/providers/Microsoft.Authorization/roleDefinitions/{guid}`), not at the subscription-level id the
 * assignment names: ARM authorises a role definition GET at the scope in its URL, and the app holds Reader on member
 * VNets only (infra/config/rbac.json), nothing at the subscription.
 */
import {
  assignmentCovers,
  isScopeOf,
  normalizeResourceId,
  parentResourceId,
  roleDefinitionGuid,
  tryParseResourceId,
} from '../../arm/resourceId.js';
import { BuiltInRoles } from '../../arm/resourceId.js';
import {
  clusterPrincipalId,
  type FleetMember,
  type ManagedCluster,
  type NetworkSecurityGroup,
  type RoleAssignment,
  type RoleDefinition,
  type RouteTable,
  type VirtualNetwork,
} from '../../models/index.js';
import { compareText } from '../order.js';
import type { PreflightSnapshot, ReadFailure, ResourceKind } from './types.js';

/** Role definition GUIDs known to grant subnet read + join without reading their definition. */
export const ROLES_GRANTING_SUBNET_JOIN: readonly string[] = [
  BuiltInRoles.networkContributor,
  BuiltInRoles.contributor,
  BuiltInRoles.owner,
];

export interface ResourceRequest {
  readonly clusters: readonly string[];
  readonly virtualNetworks: readonly string[];
  readonly networkSecurityGroups: readonly string[];
  readonly routeTables: readonly string[];
  /** List the principal's assignments at each scope (its clusters' VNets) and store them all under the principal. */
  readonly roleAssignments: readonly { readonly principalId: string; readonly scopes: readonly string[] }[];
  /**
   * Role definition ids to read, under the member VNet the assignment applies to (see `roleDefinitionReadId`); the
   * last segment is the role definition GUID.
   */
  readonly roleDefinitions: readonly string[];
}

/** What a gathering round brings back: resources read, and the ids that could not be read. */
export interface FetchedResources {
  readonly clusters?: readonly ManagedCluster[];
  readonly virtualNetworks?: readonly VirtualNetwork[];
  readonly networkSecurityGroups?: readonly NetworkSecurityGroup[];
  readonly routeTables?: readonly RouteTable[];
  /** Keyed by principal id. */
  readonly roleAssignments?: Readonly<Record<string, readonly RoleAssignment[]>>;
  readonly roleDefinitions?: readonly RoleDefinition[];
  readonly readFailures?: readonly ReadFailure[];
}

export function emptySnapshot(profileId: string, members: readonly FleetMember[]): PreflightSnapshot {
  return {
    profileId,
    members: [...members],
    clusters: {},
    virtualNetworks: {},
    networkSecurityGroups: {},
    routeTables: {},
    roleAssignments: {},
    roleDefinitions: {},
    readFailures: [],
  };
}

/** A new snapshot with the fetched resources added (keyed the normalised way). */
export function addToSnapshot(snapshot: PreflightSnapshot, fetched: FetchedResources): PreflightSnapshot {
  const assignments: Record<string, RoleAssignment[]> = {};
  for (const [principal, list] of Object.entries(snapshot.roleAssignments)) assignments[principal] = [...list];
  for (const [principal, list] of Object.entries(fetched.roleAssignments ?? {})) {
    const key = principalKey(principal);
    assignments[key] = dedupeById([...(assignments[key] ?? []), ...list]);
  }
  return normaliseSnapshot({
    ...snapshot,
    clusters: { ...snapshot.clusters, ...byResourceId(fetched.clusters) },
    virtualNetworks: { ...snapshot.virtualNetworks, ...byResourceId(fetched.virtualNetworks) },
    networkSecurityGroups: { ...snapshot.networkSecurityGroups, ...byResourceId(fetched.networkSecurityGroups) },
    routeTables: { ...snapshot.routeTables, ...byResourceId(fetched.routeTables) },
    roleAssignments: assignments,
    roleDefinitions: { ...snapshot.roleDefinitions, ...byRoleGuid(fetched.roleDefinitions) },
    readFailures: [...snapshot.readFailures, ...(fetched.readFailures ?? [])],
  });
}

/** The same snapshot with every record keyed the normalised way (later duplicates win). */
export function normaliseSnapshot(snapshot: PreflightSnapshot): PreflightSnapshot {
  const assignments: Record<string, RoleAssignment[]> = {};
  for (const [principal, list] of Object.entries(snapshot.roleAssignments)) {
    const key = principalKey(principal);
    assignments[key] = dedupeById([...(assignments[key] ?? []), ...list]);
  }
  const definitions: Record<string, RoleDefinition> = {};
  for (const [id, definition] of Object.entries(snapshot.roleDefinitions))
    definitions[roleDefinitionGuid(id)] = definition;
  return {
    ...snapshot,
    clusters: rekey(snapshot.clusters),
    virtualNetworks: rekey(snapshot.virtualNetworks),
    networkSecurityGroups: rekey(snapshot.networkSecurityGroups),
    routeTables: rekey(snapshot.routeTables),
    roleAssignments: assignments,
    roleDefinitions: definitions,
  };
}

/** What is still to be read for `snapshot` (nothing already read or already failed). Ids are sorted and unique. */
export function requiredResources(snapshot: PreflightSnapshot): ResourceRequest {
  const s = normaliseSnapshot(snapshot);
  const known = (kind: ResourceKind, id: string) => isRead(s, kind, id) || readFailure(s, kind, id) !== undefined;
  const clusters = new Set<string>();
  const vnets = new Set<string>();
  const nsgs = new Set<string>();
  const routeTables = new Set<string>();
  const assignmentScopes = new Map<string, Set<string>>();
  /** Role definition GUID → the id to read it at (the first member VNet that needs it). */
  const definitions = new Map<string, string>();

  for (const member of s.members) {
    const clusterId = member.properties.clusterResourceId;
    const cluster = s.clusters[normalizeResourceId(clusterId)];
    if (!cluster) {
      if (!known('cluster', clusterId)) clusters.add(clusterId);
      continue;
    }
    const vnetIds = clusterVnetIds(cluster);
    for (const vnetId of vnetIds) {
      const vnet = s.virtualNetworks[normalizeResourceId(vnetId)];
      if (!vnet) {
        if (!known('virtualNetwork', vnetId)) vnets.add(vnetId);
        continue;
      }
      for (const subnet of vnet.subnets ?? []) {
        if (!clusterSubnetIds(cluster).some((id) => normalizeResourceId(id) === normalizeResourceId(subnet.id)))
          continue;
        const nsgId = subnet.networkSecurityGroup?.id;
        if (nsgId && !known('networkSecurityGroup', nsgId)) nsgs.add(nsgId);
        const routeTableId = subnet.routeTable?.id;
        if (routeTableId && !known('routeTable', routeTableId)) routeTables.add(routeTableId);
      }
    }
    const principal = clusterPrincipalId(cluster);
    if (principal === undefined) continue;
    const assignments = s.roleAssignments[principalKey(principal)];
    if (!assignments) {
      if (!known('roleAssignments', principal)) {
        const scopes = assignmentScopes.get(principal) ?? new Set<string>();
        for (const vnetId of vnetIds) scopes.add(vnetId);
        if (scopes.size > 0) assignmentScopes.set(principal, scopes);
      }
      continue;
    }
    for (const assignment of assignments) {
      const guid = roleDefinitionGuid(assignment.roleDefinitionId);
      if (ROLES_GRANTING_SUBNET_JOIN.includes(guid) || definitions.has(guid)) continue;
      if (!known('roleDefinition', assignment.roleDefinitionId))
        definitions.set(guid, roleDefinitionReadId(assignment, vnetIds));
    }
  }
  return {
    clusters: uniqueSorted(clusters),
    virtualNetworks: uniqueSorted(vnets),
    networkSecurityGroups: uniqueSorted(nsgs),
    routeTables: uniqueSorted(routeTables),
    roleAssignments: [...assignmentScopes.entries()]
      .map(([principalId, scopes]) => ({ principalId, scopes: uniqueSorted(scopes) }))
      .sort((a, b) => compareText(a.principalId, b.principalId)),
    roleDefinitions: uniqueSorted(definitions.values()),
  };
}

/** The scope of an assignment: its `scope`, else the part of its id before `/providers/Microsoft.Authorization/...`. */
export function assignmentScope(assignment: RoleAssignment): string | undefined {
  if (assignment.scope) return assignment.scope;
  const marker = '/providers/microsoft.authorization/roleassignments/';
  const at = assignment.id.toLowerCase().lastIndexOf(marker);
  if (at < 0) return undefined;
  return at === 0 ? '/' : assignment.id.slice(0, at);
}

/**
 * Where to read the role definition of an assignment listed at one of the cluster's VNets: under the VNet it applies
 * to (assigned at or above it), or at its own scope when it lies inside the VNet (a subnet). The assignment's
 * subscription-level id is kept only when it relates to none of the VNets.
 */
export function roleDefinitionReadId(assignment: RoleAssignment, vnetIds: readonly string[]): string {
  const scope = assignmentScope(assignment);
  if (scope === undefined) return assignment.roleDefinitionId;
  const vnetId = vnetIds.find((id) => assignmentCovers(scope, id) || isScopeOf(id, scope));
  if (vnetId === undefined) return assignment.roleDefinitionId;
  const at = isScopeOf(vnetId, scope) ? scope : vnetId;
  return `${at.replace(/\/+$/, '')}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid(assignment.roleDefinitionId)}`;
}

export function isRequestEmpty(request: ResourceRequest): boolean {
  return (
    request.clusters.length === 0 &&
    request.virtualNetworks.length === 0 &&
    request.networkSecurityGroups.length === 0 &&
    request.routeTables.length === 0 &&
    request.roleAssignments.length === 0 &&
    request.roleDefinitions.length === 0
  );
}

/** The read failure recorded for a resource, if any. */
export function readFailure(snapshot: PreflightSnapshot, kind: ResourceKind, id: string): ReadFailure | undefined {
  const key = failureKey(kind, id);
  return snapshot.readFailures.find((f) => f.kind === kind && failureKey(f.kind, f.id) === key);
}

/** Node and pod subnet ids of every agent pool (as written, de-duplicated case-insensitively, sorted). */
export function clusterSubnetIds(cluster: ManagedCluster): string[] {
  const seen = new Map<string, string>();
  for (const pool of cluster.agentPoolProfiles ?? []) {
    for (const id of [pool.vnetSubnetID, pool.podSubnetID]) {
      if (id && !seen.has(normalizeResourceId(id))) seen.set(normalizeResourceId(id), id);
    }
  }
  return [...seen.entries()].sort(([a], [b]) => compareText(a, b)).map(([, id]) => id);
}

/** The VNets of the cluster's subnets (parent ids), de-duplicated case-insensitively, sorted. */
export function clusterVnetIds(cluster: ManagedCluster): string[] {
  const seen = new Map<string, string>();
  for (const subnetId of clusterSubnetIds(cluster)) {
    const vnetId = subnetVnetId(subnetId);
    if (vnetId && !seen.has(normalizeResourceId(vnetId))) seen.set(normalizeResourceId(vnetId), vnetId);
  }
  return [...seen.entries()].sort(([a], [b]) => compareText(a, b)).map(([, id]) => id);
}

/** The VNet id of a subnet id, or undefined when the id is not `.../virtualNetworks/{v}/subnets/{s}`. */
export function subnetVnetId(subnetId: string): string | undefined {
  const parsed = tryParseResourceId(subnetId);
  if (parsed?.fullType?.toLowerCase() !== 'microsoft.network/virtualnetworks/subnets') return undefined;
  return parentResourceId(subnetId);
}

export function principalKey(principalId: string): string {
  return principalId.toLowerCase();
}

function isRead(snapshot: PreflightSnapshot, kind: ResourceKind, id: string): boolean {
  switch (kind) {
    case 'cluster':
      return normalizeResourceId(id) in snapshot.clusters;
    case 'virtualNetwork':
      return normalizeResourceId(id) in snapshot.virtualNetworks;
    case 'networkSecurityGroup':
      return normalizeResourceId(id) in snapshot.networkSecurityGroups;
    case 'routeTable':
      return normalizeResourceId(id) in snapshot.routeTables;
    case 'roleAssignments':
      return principalKey(id) in snapshot.roleAssignments;
    case 'roleDefinition':
      return roleDefinitionGuid(id) in snapshot.roleDefinitions;
  }
}

function failureKey(kind: ResourceKind, id: string): string {
  if (kind === 'roleAssignments') return principalKey(id);
  if (kind === 'roleDefinition') return roleDefinitionGuid(id);
  return normalizeResourceId(id);
}

function rekey<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [id, value] of Object.entries(record)) out[normalizeResourceId(id)] = value;
  return out;
}

function byResourceId<T extends { readonly id: string }>(items: readonly T[] | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const item of items ?? []) out[normalizeResourceId(item.id)] = item;
  return out;
}

function byRoleGuid(items: readonly RoleDefinition[] | undefined): Record<string, RoleDefinition> {
  const out: Record<string, RoleDefinition> = {};
  for (const item of items ?? []) out[roleDefinitionGuid(item.id)] = item;
  return out;
}

function dedupeById(list: readonly RoleAssignment[]): RoleAssignment[] {
  const seen = new Map<string, RoleAssignment>();
  for (const a of list) seen.set(normalizeResourceId(a.id), a);
  return [...seen.values()];
}

function uniqueSorted(ids: Iterable<string>): string[] {
  const seen = new Map<string, string>();
  for (const id of ids) if (!seen.has(id.toLowerCase())) seen.set(id.toLowerCase(), id);
  return [...seen.entries()].sort(([a], [b]) => compareText(a, b)).map(([, id]) => id);
}
