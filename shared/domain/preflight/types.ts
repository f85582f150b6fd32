/**
 * Types shared by the preflight rules: the snapshot they read and the findings they return. Both are plain JSON
 * (records and arrays, no Map/Set/bigint/Date), so they can travel through durable history.
 */
import type {
  FleetMember,
  ManagedCluster,
  NetworkSecurityGroup,
  RoleAssignment,
  RoleDefinition,
  RouteTable,
  VirtualNetwork,
} from '../../models/index.js';

export type Severity = 'error' | 'warning';

/** Every check id a finding can carry. `error` findings block an apply; `warning` findings inform. */
export const CheckIds = [
  /** error: the member is in another cluster mesh profile. */
  'membership.otherProfile',
  /** error: the mesh would hold more than 255 members (mesh-wide: no `member`). */
  'membership.limit',
  /** error: the member's AKS cluster could not be read. */
  'cluster.unreadable',
  /** error: `currentKubernetesVersion` below 1.32, or unknown. */
  'cluster.kubernetesVersion',
  /** error: `networkPlugin` is not `azure`. */
  'cluster.networkPlugin',
  /** error: `networkPluginMode` is `overlay` (not a flat network). */
  'cluster.networkPluginMode',
  /** error: `networkDataplane` is not `cilium`. */
  'cluster.networkDataplane',
  /** error: ACNS (`advancedNetworking.enabled`) is off. */
  'cluster.acns',
  /** error: the cluster names no (or a malformed) node or pod subnet. */
  'network.subnets',
  /** error: a member's virtual network could not be read. */
  'network.unreadable',
  /** error: the subnet the cluster names is not in its virtual network, or has no usable prefix. */
  'network.subnetNotFound',
  /** error (pair): the two members' VNets are neither the same nor directly peered, Connected, on both sides. */
  'network.peering',
  /** error (pair): the two members' distinct VNets have overlapping address spaces. */
  'network.addressOverlap',
  /**
   * error or warning (pair): a Connected peering is not `FullyInSync`: error when `peerMember`'s prefixes are outside
   * the remote address space it routes, warning otherwise.
   */
  'network.peeringSync',
  /** error: an NSG on a member subnet could not be read. */
  'nsg.unreadable',
  /** error (denied) or warning (partly denied) (pair): an NSG on `member`'s subnet blocks traffic from `peerMember`. */
  'nsg.inbound',
  /** error (denied) or warning (partly denied) (pair): an NSG on `member`'s subnet blocks traffic to `peerMember`. */
  'nsg.outbound',
  /** error: a route table on a member subnet could not be read. */
  'routeTable.unreadable',
  /** error (pair): a route on `member`'s subnet sends `peerMember`'s prefixes (or part of them) to next hop `None`. */
  'routeTable.blackhole',
  /** warning: the cluster has no managed identity whose role assignments can be checked. */
  'identity.unknown',
  /** warning, fixable by fleetmesh: the cluster identity lacks subnet read + join on the member's VNet. */
  'identity.networkRole',
] as const;
export type CheckId = (typeof CheckIds)[number];

export interface PreflightFinding {
  readonly checkId: CheckId;
  readonly severity: Severity;
  /** The member the finding is about (its name); absent only for mesh-wide findings (`membership.limit`). */
  readonly member?: string;
  /** The other member of a pair check. */
  readonly peerMember?: string;
  /** The Azure resource at fault (cluster, VNet, NSG, route table), when there is one. */
  readonly resourceId?: string;
  readonly message: string;
  readonly remediation: string;
  /** True when fleetmesh fixes this itself during the apply (it grants Network Contributor on the VNet). */
  readonly fixableByFleetmesh?: boolean;
}

export type ResourceKind =
  'cluster' | 'virtualNetwork' | 'networkSecurityGroup' | 'routeTable' | 'roleAssignments' | 'roleDefinition';

/** A resource the gatherer tried and failed to read. `id` is the resource id (a principal id for `roleAssignments`). */
export interface ReadFailure {
  readonly kind: ResourceKind;
  readonly id: string;
  /** Why, for the finding's message (for example `403 AuthorizationFailed` or `404 ResourceNotFound`). */
  readonly reason: string;
}

/**
 * Everything preflight reads. Records are keyed by `normalizeResourceId(id)` (lower-cased, no trailing slash);
 * `roleAssignments` by lower-cased principal id; `roleDefinitions` by lower-cased role definition GUID.
 * `runPreflight` re-keys the records itself, so a snapshot built with other spellings still works.
 * Build it with `emptySnapshot` + `requiredResources` + `addToSnapshot` (see snapshot.ts).
 */
export interface PreflightSnapshot {
  /** The cluster mesh profile being applied. */
  readonly profileId: string;
  /** The members that will be in the mesh after the apply (see `membersForPreflight`). */
  readonly members: readonly FleetMember[];
  readonly clusters: Readonly<Record<string, ManagedCluster>>;
  readonly virtualNetworks: Readonly<Record<string, VirtualNetwork>>;
  readonly networkSecurityGroups: Readonly<Record<string, NetworkSecurityGroup>>;
  readonly routeTables: Readonly<Record<string, RouteTable>>;
  readonly roleAssignments: Readonly<Record<string, readonly RoleAssignment[]>>;
  readonly roleDefinitions: Readonly<Record<string, RoleDefinition>>;
  readonly readFailures: readonly ReadFailure[];
}
