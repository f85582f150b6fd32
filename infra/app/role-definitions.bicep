// The custom roles of config/rbac.json that this deployment uses, defined in the fleet's subscription and
// assignable in every subscription that holds a target resource. Assignable scopes only say where the role may be
// assigned; the assignments themselves are on single resources (rbac-targets.bicep).
targetScope = 'subscription'

@description('[{ guid, roleName, description, actions, assignableScopes }]')
param definitions array

resource roleDefinitions 'Microsoft.Authorization/roleDefinitions@2022-04-01' = [
  for d in definitions: {
    name: d.guid
    properties: {
      roleName: d.roleName
      description: d.description
      type: 'CustomRole'
      permissions: [
        {
          actions: d.actions
          notActions: []
          dataActions: []
          notDataActions: []
        }
      ]
      assignableScopes: d.assignableScopes
    }
  }
]
