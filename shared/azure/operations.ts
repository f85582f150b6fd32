/**
 * Names of the gateway operations, as they appear in `ArmCallCounters.snapshot()` and in AzureApiError.operation.
 * They follow the REST operation ids (`{group}.{verb}`), the same names the simulator's call log and counters use.
 * Long-running-operation polls are counted under the operation that started them.
 */
export const ArmOperation = {
  fleetMembersList: 'fleetMembers.list',
  fleetMembersGet: 'fleetMembers.get',
  /** Label PATCH and its polls. */
  fleetMembersUpdate: 'fleetMembers.update',
  meshProfilesList: 'clusterMeshProfiles.list',
  meshProfilesGet: 'clusterMeshProfiles.get',
  meshProfilesPut: 'clusterMeshProfiles.createOrUpdate',
  /** Apply POST and its polls. */
  meshProfilesApply: 'clusterMeshProfiles.apply',
  meshProfilesDelete: 'clusterMeshProfiles.delete',
  managedClustersGet: 'managedClusters.get',
  /** Reconcile PUT and its polls. */
  managedClustersPut: 'managedClusters.createOrUpdate',
  virtualNetworksGet: 'virtualNetworks.get',
  networkSecurityGroupsGet: 'networkSecurityGroups.get',
  routeTablesGet: 'routeTables.get',
  publicIPAddressesList: 'publicIPAddresses.list',
  roleAssignmentsList: 'roleAssignments.listForScope',
  roleAssignmentsCreate: 'roleAssignments.create',
  roleDefinitionsGet: 'roleDefinitions.get',
  trafficProfilesGet: 'trafficManagerProfiles.get',
  trafficProfilesPut: 'trafficManagerProfiles.createOrUpdate',
  trafficProfilesPatch: 'trafficManagerProfiles.update',
  trafficEndpointsGet: 'trafficManagerEndpoints.get',
  trafficEndpointsPut: 'trafficManagerEndpoints.createOrUpdate',
  trafficEndpointsDelete: 'trafficManagerEndpoints.delete',
} as const;

export type ArmOperationName = (typeof ArmOperation)[keyof typeof ArmOperation];
