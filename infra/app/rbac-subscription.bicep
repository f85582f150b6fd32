// Subscription-scope grants of config/rbac.json (scope kind 'fleetSubscription'). Only the optional async
// operation status reader, off by default (allowLocationOperationsRead).
targetScope = 'subscription'

param principalId string
@description('Assignments of config/rbac.json with scope fleetSubscription that are switched on.')
param grants array
param roleGuids object

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for g in grants: {
    name: guid(subscription().id, principalId, roleGuids[g.role])
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleGuids[g.role])
      principalId: principalId
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${g.name}'
    }
  }
]
