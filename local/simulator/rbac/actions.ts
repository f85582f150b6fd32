/**
 * The ARM action each simulated operation needs, and the scope it is checked at. Infrastructure tests import this
 * table to prove that the roles they grant cover every call the app makes.
 *
 * `{endpointType}` in a Traffic Manager action stands for `azureEndpoints`, `externalEndpoints` or `nestedEndpoints`.
 * Scope `resource` means the resource the URL names; `parent` means the collection's parent (the fleet for a member
 * list, the resource group for a list by resource group, the given scope for role assignment lists).
 *
 * Operation status URLs (`.../locations/{loc}/operations/{id}` and `operationResults`) need only a valid token: they
 * are readable by the principal that started the operation (see docs/simulator.md).
 */

export type OperationKind = 'read' | 'write' | 'delete' | 'action';

export interface OperationAction {
  readonly action: string;
  readonly kind: OperationKind;
  readonly scope: 'resource' | 'parent';
}

export const OPERATION_ACTIONS = {
  'resourceGroups.get': {
    action: 'Microsoft.Resources/subscriptions/resourceGroups/read',
    kind: 'read',
    scope: 'resource',
  },

  'fleets.get': { action: 'Microsoft.ContainerService/fleets/read', kind: 'read', scope: 'resource' },
  'fleetMembers.get': { action: 'Microsoft.ContainerService/fleets/members/read', kind: 'read', scope: 'resource' },
  'fleetMembers.list': { action: 'Microsoft.ContainerService/fleets/members/read', kind: 'read', scope: 'parent' },
  'fleetMembers.create': {
    action: 'Microsoft.ContainerService/fleets/members/write',
    kind: 'write',
    scope: 'resource',
  },
  'fleetMembers.update': {
    action: 'Microsoft.ContainerService/fleets/members/write',
    kind: 'write',
    scope: 'resource',
  },
  'fleetMembers.delete': {
    action: 'Microsoft.ContainerService/fleets/members/delete',
    kind: 'delete',
    scope: 'resource',
  },
  'clusterMeshProfiles.get': {
    action: 'Microsoft.ContainerService/fleets/clusterMeshProfiles/read',
    kind: 'read',
    scope: 'resource',
  },
  'clusterMeshProfiles.list': {
    action: 'Microsoft.ContainerService/fleets/clusterMeshProfiles/read',
    kind: 'read',
    scope: 'parent',
  },
  'clusterMeshProfiles.createOrUpdate': {
    action: 'Microsoft.ContainerService/fleets/clusterMeshProfiles/write',
    kind: 'write',
    scope: 'resource',
  },
  'clusterMeshProfiles.delete': {
    action: 'Microsoft.ContainerService/fleets/clusterMeshProfiles/delete',
    kind: 'delete',
    scope: 'resource',
  },
  'clusterMeshProfiles.apply': {
    action: 'Microsoft.ContainerService/fleets/clusterMeshProfiles/apply/action',
    kind: 'action',
    scope: 'resource',
  },

  'managedClusters.get': { action: 'Microsoft.ContainerService/managedClusters/read', kind: 'read', scope: 'resource' },
  'managedClusters.createOrUpdate': {
    action: 'Microsoft.ContainerService/managedClusters/write',
    kind: 'write',
    scope: 'resource',
  },

  'virtualNetworks.get': { action: 'Microsoft.Network/virtualNetworks/read', kind: 'read', scope: 'resource' },
  'virtualNetworks.list': { action: 'Microsoft.Network/virtualNetworks/read', kind: 'read', scope: 'parent' },
  'subnets.get': { action: 'Microsoft.Network/virtualNetworks/subnets/read', kind: 'read', scope: 'resource' },
  'subnets.list': { action: 'Microsoft.Network/virtualNetworks/subnets/read', kind: 'read', scope: 'parent' },
  'virtualNetworkPeerings.get': {
    action: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read',
    kind: 'read',
    scope: 'resource',
  },
  'virtualNetworkPeerings.list': {
    action: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read',
    kind: 'read',
    scope: 'parent',
  },
  'virtualNetworkPeerings.createOrUpdate': {
    action: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write',
    kind: 'write',
    scope: 'resource',
  },
  'virtualNetworkPeerings.delete': {
    action: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete',
    kind: 'delete',
    scope: 'resource',
  },
  'networkSecurityGroups.get': {
    action: 'Microsoft.Network/networkSecurityGroups/read',
    kind: 'read',
    scope: 'resource',
  },
  'networkSecurityGroups.list': {
    action: 'Microsoft.Network/networkSecurityGroups/read',
    kind: 'read',
    scope: 'parent',
  },
  'networkSecurityGroups.createOrUpdate': {
    action: 'Microsoft.Network/networkSecurityGroups/write',
    kind: 'write',
    scope: 'resource',
  },
  'routeTables.get': { action: 'Microsoft.Network/routeTables/read', kind: 'read', scope: 'resource' },
  'routeTables.list': { action: 'Microsoft.Network/routeTables/read', kind: 'read', scope: 'parent' },
  'routeTables.createOrUpdate': { action: 'Microsoft.Network/routeTables/write', kind: 'write', scope: 'resource' },
  'publicIPAddresses.get': { action: 'Microsoft.Network/publicIPAddresses/read', kind: 'read', scope: 'resource' },
  'publicIPAddresses.list': { action: 'Microsoft.Network/publicIPAddresses/read', kind: 'read', scope: 'parent' },
  'publicIPAddresses.createOrUpdate': {
    action: 'Microsoft.Network/publicIPAddresses/write',
    kind: 'write',
    scope: 'resource',
  },

  'roleAssignments.get': { action: 'Microsoft.Authorization/roleAssignments/read', kind: 'read', scope: 'resource' },
  'roleAssignments.listForScope': {
    action: 'Microsoft.Authorization/roleAssignments/read',
    kind: 'read',
    scope: 'parent',
  },
  'roleAssignments.create': {
    action: 'Microsoft.Authorization/roleAssignments/write',
    kind: 'write',
    scope: 'resource',
  },
  'roleAssignments.delete': {
    action: 'Microsoft.Authorization/roleAssignments/delete',
    kind: 'delete',
    scope: 'resource',
  },
  'roleDefinitions.get': { action: 'Microsoft.Authorization/roleDefinitions/read', kind: 'read', scope: 'parent' },
  'roleDefinitions.list': { action: 'Microsoft.Authorization/roleDefinitions/read', kind: 'read', scope: 'parent' },

  'trafficManagerProfiles.get': {
    action: 'Microsoft.Network/trafficManagerProfiles/read',
    kind: 'read',
    scope: 'resource',
  },
  'trafficManagerProfiles.list': {
    action: 'Microsoft.Network/trafficManagerProfiles/read',
    kind: 'read',
    scope: 'parent',
  },
  'trafficManagerProfiles.createOrUpdate': {
    action: 'Microsoft.Network/trafficManagerProfiles/write',
    kind: 'write',
    scope: 'resource',
  },
  'trafficManagerProfiles.update': {
    action: 'Microsoft.Network/trafficManagerProfiles/write',
    kind: 'write',
    scope: 'resource',
  },
  'trafficManagerProfiles.delete': {
    action: 'Microsoft.Network/trafficManagerProfiles/delete',
    kind: 'delete',
    scope: 'resource',
  },
  'trafficManagerEndpoints.get': {
    action: 'Microsoft.Network/trafficManagerProfiles/{endpointType}/read',
    kind: 'read',
    scope: 'resource',
  },
  'trafficManagerEndpoints.createOrUpdate': {
    action: 'Microsoft.Network/trafficManagerProfiles/{endpointType}/write',
    kind: 'write',
    scope: 'resource',
  },
  'trafficManagerEndpoints.update': {
    action: 'Microsoft.Network/trafficManagerProfiles/{endpointType}/write',
    kind: 'write',
    scope: 'resource',
  },
  'trafficManagerEndpoints.delete': {
    action: 'Microsoft.Network/trafficManagerProfiles/{endpointType}/delete',
    kind: 'delete',
    scope: 'resource',
  },
} as const satisfies Record<string, OperationAction>;

export type OperationId = keyof typeof OPERATION_ACTIONS;

export function isOperationId(value: string): value is OperationId {
  return Object.prototype.hasOwnProperty.call(OPERATION_ACTIONS, value);
}

/** The concrete action for an operation (fills `{endpointType}`: `AzureEndpoints` → `azureEndpoints`). */
export function requiredAction(operation: OperationId, params: { endpointType?: string } = {}): string {
  const template: string = OPERATION_ACTIONS[operation].action;
  if (!template.includes('{endpointType}')) return template;
  const type = params.endpointType;
  if (!type) throw new Error(`operation ${operation} needs an endpointType`);
  return template.replace('{endpointType}', type.charAt(0).toLowerCase() + type.slice(1));
}
