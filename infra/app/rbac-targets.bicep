// Grants of config/rbac.json on resources outside fleetmesh's resource group: the fleet, member clusters and their
// identities, VNets, NSGs, route tables, node resource groups, the Traffic Manager resource group. Deployed once per
// resource group that holds such a target (main.bicep groups them), so members may live in any resource group or
// subscription of the tenant. Each assignment is on the single resource named in the grant, named
// guid(scope, principal, role), with principalType ServicePrincipal.

@description('Object id of fleetmesh\'s user-assigned identity.')
param principalId string

@description('[{ name, kind, id, role, condition, reason }] for targets in this resource group.')
param grants array

@description('Role key of config/rbac.json -> role definition GUID.')
param roleGuids object

@description('Condition key of config/rbac.json -> ABAC condition.')
param conditions object

func roleId(guidValue string) string => subscriptionResourceId('Microsoft.Authorization/roleDefinitions', guidValue)
func nameOf(id string) string => last(split(id, '/'))

var fleetGrants = filter(grants, g => g.kind == 'fleet')
var clusterGrants = filter(grants, g => g.kind == 'memberCluster')
var identityGrants = filter(grants, g => g.kind == 'memberClusterIdentity')
var vnetGrants = filter(grants, g => g.kind == 'virtualNetwork')
var nsgGrants = filter(grants, g => g.kind == 'networkSecurityGroup')
var routeTableGrants = filter(grants, g => g.kind == 'routeTable')
var resourceGroupGrants = filter(grants, g => g.kind == 'nodeResourceGroup' || g.kind == 'trafficManagerResourceGroup')

resource fleets 'Microsoft.ContainerService/fleets@2024-04-01' existing = [
  for g in fleetGrants: { name: nameOf(g.id) }
]
resource fleetRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (g, i) in fleetGrants: {
    name: guid(fleets[i].id, principalId, roleGuids[g.role])
    scope: fleets[i]
    properties: {
      roleDefinitionId: roleId(roleGuids[g.role])
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${g.name}'
    }
  }
]

resource clusters 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = [
  for g in clusterGrants: { name: nameOf(g.id) }
]
resource clusterRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (g, i) in clusterGrants: {
    name: guid(clusters[i].id, principalId, roleGuids[g.role])
    scope: clusters[i]
    properties: {
      roleDefinitionId: roleId(roleGuids[g.role])
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${g.name}'
    }
  }
]

resource identities 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = [
  for g in identityGrants: { name: nameOf(g.id) }
]
resource identityRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (g, i) in identityGrants: {
    name: guid(identities[i].id, principalId, roleGuids[g.role])
    scope: identities[i]
    properties: {
      roleDefinitionId: roleId(roleGuids[g.role])
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${g.name}'
    }
  }
]

resource vnets 'Microsoft.Network/virtualNetworks@2024-05-01' existing = [
  for g in vnetGrants: { name: nameOf(g.id) }
]
resource vnetRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (g, i) in vnetGrants: {
    name: guid(vnets[i].id, principalId, roleGuids[g.role])
    scope: vnets[i]
    properties: {
      roleDefinitionId: roleId(roleGuids[g.role])
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${g.name}'
      // The Network Contributor grant right carries its ABAC condition (config/rbac.json conditions).
      condition: empty(g.condition) ? null : conditions[g.condition]
      conditionVersion: empty(g.condition) ? null : '2.0'
    }
  }
]

resource nsgs 'Microsoft.Network/networkSecurityGroups@2024-05-01' existing = [
  for g in nsgGrants: { name: nameOf(g.id) }
]
resource nsgRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (g, i) in nsgGrants: {
    name: guid(nsgs[i].id, principalId, roleGuids[g.role])
    scope: nsgs[i]
    properties: {
      roleDefinitionId: roleId(roleGuids[g.role])
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${g.name}'
    }
  }
]

resource routeTables 'Microsoft.Network/routeTables@2024-05-01' existing = [
  for g in routeTableGrants: { name: nameOf(g.id) }
]
resource routeTableRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (g, i) in routeTableGrants: {
    name: guid(routeTables[i].id, principalId, roleGuids[g.role])
    scope: routeTables[i]
    properties: {
      roleDefinitionId: roleId(roleGuids[g.role])
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${g.name}'
    }
  }
]

// Node resource group and Traffic Manager resource group grants: this deployment's resource group is the target.
resource resourceGroupRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for g in resourceGroupGrants: {
    name: guid(resourceGroup().id, principalId, roleGuids[g.role])
    properties: {
      roleDefinitionId: roleId(roleGuids[g.role])
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${g.name}'
    }
  }
]
