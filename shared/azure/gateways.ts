/**
 * The interfaces activities depend on. Implementations live beside this file and use the real Azure SDK clients
 * (the REST client with the Azure pipeline for the preview cluster mesh API). Tests point them at the simulator.
 *
 * Conventions:
 * - Inputs are full ARM resource ids wherever a resource can live outside the fleet's subscription/resource group.
 * - Results are parsed with the schemas of `shared/models` (a malformed body is an InvalidArmResourceError).
 * - Failures are AzureApiError (see ./errors.ts) classified by the predicates there; 429/5xx are retried inside the
 *   pipeline honouring Retry-After before they surface.
 * - Long-running operations come in two forms: `begin*` returns a serialisable `LroState` that `poll*` advances by one
 *   poll (for orchestrations, which wait with durable timers between polls), and `*AndWait` for simple callers.
 */
import type {
  ClusterMeshProfile,
  FleetMember,
  ManagedCluster,
  MemberSelector,
  NetworkSecurityGroup,
  PublicIPAddress,
  RoleAssignment,
  RoleDefinition,
  RouteTable,
  TrafficManagerEndpoint,
  TrafficManagerProfile,
  VirtualNetwork,
} from '../models/index.js';
import type { EndpointType } from '../models/traffic.js';

/** Serialised poller state of a long-running operation: plain JSON, safe to pass through durable history. */
export interface LroState {
  readonly kind: 'meshApply' | 'meshDelete' | 'clusterReconcile' | 'memberLabels';
  /** The resource the operation acts on. */
  readonly resourceId: string;
  /** Opaque poller state (from @azure/core-lro `toString()`). */
  readonly state: string;
}

export type LroPoll<T> =
  | { readonly status: 'running'; readonly next: LroState; readonly retryAfterMs: number | undefined }
  | { readonly status: 'succeeded'; readonly result: T }
  | { readonly status: 'failed'; readonly error: { readonly code: string; readonly message: string } };

export interface Conditions {
  /** Send `If-Match` with this ETag (quotes included, exactly as returned). */
  readonly ifMatch?: string;
  /** `*` = create only. */
  readonly ifNoneMatch?: '*';
}

/** The fleet of this deployment (subscription, resource group and name come from configuration). */
export interface FleetGateway {
  readonly fleetId: string;
  /** All members, following `nextLink` until the last page. */
  listMembers(): Promise<FleetMember[]>;
  getMember(name: string): Promise<FleetMember>;
  /**
   * Sets (string) or removes (null) user labels. A label update replaces the whole map, so this reads the member,
   * merges, and writes the merged map (PATCH, waits for the LRO), with If-Match on the eTag it read.
   */
  updateMemberLabels(name: string, changes: Readonly<Record<string, string | null>>): Promise<FleetMember>;

  listMeshProfiles(): Promise<ClusterMeshProfile[]>;
  /** Undefined when the profile does not exist. */
  getMeshProfile(name: string): Promise<ClusterMeshProfile | undefined>;
  putMeshProfile(name: string, memberSelector: MemberSelector, conditions?: Conditions): Promise<ClusterMeshProfile>;
  beginApplyMeshProfile(name: string, conditions?: Conditions): Promise<LroState>;
  pollApplyMeshProfile(state: LroState): Promise<LroPoll<ClusterMeshProfile>>;
  applyMeshProfileAndWait(name: string, conditions?: Conditions): Promise<ClusterMeshProfile>;
  deleteMeshProfileAndWait(name: string, conditions?: Conditions): Promise<void>;
}

export interface ClusterGateway {
  getCluster(clusterResourceId: string): Promise<ManagedCluster>;
  /** `az aks update` with no arguments: GET, then PUT of the same model with If-Match on its eTag. */
  beginReconcile(clusterResourceId: string): Promise<LroState>;
  pollReconcile(state: LroState): Promise<LroPoll<ManagedCluster>>;
  reconcileAndWait(clusterResourceId: string): Promise<ManagedCluster>;
}

export interface NetworkGateway {
  /** The VNet with its subnets and peerings (one GET; fleetmesh reads VNets by id, never lists a resource group). */
  getVirtualNetwork(vnetId: string): Promise<VirtualNetwork>;
  getNetworkSecurityGroup(nsgId: string): Promise<NetworkSecurityGroup>;
  getRouteTable(routeTableId: string): Promise<RouteTable>;
  listPublicIPAddresses(subscriptionId: string, resourceGroup: string): Promise<PublicIPAddress[]>;
}

export interface RoleAssignmentRequest {
  readonly scope: string;
  /** Full role definition id (`/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}`). */
  readonly roleDefinitionId: string;
  readonly principalId: string;
  readonly principalType: 'ServicePrincipal' | 'User' | 'Group' | 'ForeignGroup' | 'Device';
}

export interface AuthorizationGateway {
  /** Assignments of `principalId` that apply at `scope` (at the scope, above it, or below it, as ARM lists them). */
  listRoleAssignmentsForPrincipal(scope: string, principalId: string): Promise<RoleAssignment[]>;
  /**
   * Every principal's assignments that apply at `scope` (at, above or below it: ARM's list for a scope without a
   * filter). One paged list instead of one per principal when many principals share the scope.
   */
  listRoleAssignmentsForScope(scope: string): Promise<RoleAssignment[]>;
  getRoleDefinition(roleDefinitionId: string): Promise<RoleDefinition>;
  /**
   * Creates the assignment under a deterministic GUID name (uuid v5 of scope, principal and role), so a retry is a
   * no-op. `RoleAssignmentExists` (409) counts as success: `created` is false then.
   */
  createRoleAssignment(request: RoleAssignmentRequest): Promise<{ created: boolean; name: string }>;
}

export interface TrafficGateway {
  /** Undefined when the profile does not exist. */
  getProfile(resourceGroup: string, name: string): Promise<TrafficManagerProfile | undefined>;
  /** Full PUT: used to create the profile. */
  createOrUpdateProfile(
    resourceGroup: string,
    name: string,
    profile: TrafficManagerProfileInput,
  ): Promise<TrafficManagerProfile>;
  /**
   * PATCH of the fields fleetmesh owns on an existing profile. Traffic Manager has no ETags, so a full PUT would echo
   * (and could clobber) endpoints written meanwhile; a PATCH that leaves `endpoints` out cannot.
   */
  updateProfile(resourceGroup: string, name: string, patch: TrafficManagerProfilePatch): Promise<TrafficManagerProfile>;
  getEndpoint(
    resourceGroup: string,
    profile: string,
    type: EndpointType,
    name: string,
  ): Promise<TrafficManagerEndpoint | undefined>;
  createOrUpdateEndpoint(
    resourceGroup: string,
    profile: string,
    type: EndpointType,
    name: string,
    endpoint: TrafficManagerEndpointInput,
  ): Promise<TrafficManagerEndpoint>;
  /** 404 is success (already gone). */
  deleteEndpoint(resourceGroup: string, profile: string, type: EndpointType, name: string): Promise<void>;
}

export interface TrafficManagerProfileInput {
  readonly location: 'global';
  readonly tags?: Readonly<Record<string, string>>;
  readonly profileStatus: 'Enabled' | 'Disabled';
  readonly trafficRoutingMethod: 'Weighted';
  readonly dnsConfig: { readonly relativeName: string; readonly ttl: number };
  readonly monitorConfig: {
    readonly protocol: 'HTTP' | 'HTTPS' | 'TCP';
    readonly port: number;
    readonly path?: string;
    readonly intervalInSeconds: 10 | 30;
    readonly timeoutInSeconds: number;
    readonly toleratedNumberOfFailures: number;
  };
  /** Endpoints echoed from the read, so a profile PUT never drops them. */
  readonly endpoints?: readonly TrafficManagerEndpoint[];
}

export type TrafficManagerProfilePatch = Partial<
  Pick<TrafficManagerProfileInput, 'tags' | 'profileStatus' | 'trafficRoutingMethod' | 'monitorConfig'>
> & { readonly dnsConfig?: { readonly ttl: number } };

export interface TrafficManagerEndpointInput {
  readonly targetResourceId: string;
  readonly endpointStatus: 'Enabled' | 'Disabled';
  readonly weight: number;
}

/** Everything the activities need, built once by the composition root. */
export interface Gateways {
  readonly fleet: FleetGateway;
  readonly clusters: ClusterGateway;
  readonly network: NetworkGateway;
  readonly authorization: AuthorizationGateway;
  readonly traffic: TrafficGateway;
  /** Read/write counters per operation, for the benchmark and operation records. */
  readonly counters: ArmCallCounters;
}

export interface ArmCallTotals {
  readonly reads: number;
  readonly writes: number;
  readonly throttled: number;
  readonly errors: number;
}

export interface ArmCallCounters {
  /** Snapshot: operation name (for example `fleetMembers.list`) → counts, since start or the last reset. */
  snapshot(): Readonly<Record<string, ArmCallTotals>>;
  reset(): void;
  /**
   * Runs `fn` and returns, with its value, the ARM calls made inside it (counted through the async context, so
   * concurrent activities in one process are told apart). The global counters count them too.
   */
  track<T>(fn: () => Promise<T>): Promise<{ value: T; calls: ArmCallTotals }>;
}
