// Grants of config/rbac.json on fleetmesh's own resources: runtime storage, the dead-letter container (to the fleet
// system topic's identity), Application Insights, Cosmos DB (data plane), the outcome topic and the Durable Task
// Scheduler task hub. Each on the single resource that needs it, named guid(scope, principal, role).

param appPrincipalId string
param topicPrincipalId string

@description('Assignments of config/rbac.json whose scope is one of fleetmesh\'s own resources and that are switched on.')
param assignments array
param roleGuids object
param cosmosRoleGuids object

param storageAccountName string
param deadLetterContainerName string
param applicationInsightsName string
param cosmosAccountName string
@description('Empty when no outcome topic is deployed.')
param outcomeTopicName string
@description('Empty for the Azure Storage backend.')
param durableTaskSchedulerName string
param taskHubName string

func roleId(guidValue string) string => subscriptionResourceId('Microsoft.Authorization/roleDefinitions', guidValue)

var principals = {
  app: appPrincipalId
  fleetEventsTopic: topicPrincipalId
}

var storageGrants = filter(assignments, a => a.scope == 'storageAccount')
var deadLetterGrants = filter(assignments, a => a.scope == 'deadLetterContainer')
var insightsGrants = filter(assignments, a => a.scope == 'applicationInsights')
var cosmosGrants = filter(assignments, a => a.scope == 'cosmosAccount')
var outcomeTopicGrants = filter(assignments, a => a.scope == 'outcomeTopic' && !empty(outcomeTopicName))
var taskHubGrants = filter(assignments, a => a.scope == 'durableTaskHub' && !empty(durableTaskSchedulerName))

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for a in storageGrants: {
    name: guid(storage.id, principals[a.principal], roleGuids[a.role])
    scope: storage
    properties: {
      roleDefinitionId: roleId(roleGuids[a.role])
      principalId: principals[a.principal]
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${a.name}'
    }
  }
]

resource deadLetterRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for a in deadLetterGrants: {
    name: guid(storage::blobService::deadLetterContainer.id, principals[a.principal], roleGuids[a.role])
    scope: storage::blobService::deadLetterContainer
    properties: {
      roleDefinitionId: roleId(roleGuids[a.role])
      principalId: principals[a.principal]
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${a.name}'
    }
  }
]

resource insightsRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for a in insightsGrants: {
    name: guid(applicationInsights.id, principals[a.principal], roleGuids[a.role])
    scope: applicationInsights
    properties: {
      roleDefinitionId: roleId(roleGuids[a.role])
      principalId: principals[a.principal]
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${a.name}'
    }
  }
]

// Cosmos DB data-plane RBAC (not an ARM role assignment): the built-in data contributor on the whole account.
resource cosmosRoles 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [
  for a in cosmosGrants: {
    parent: cosmos
    name: guid(cosmos.id, principals[a.principal], cosmosRoleGuids[a.role])
    properties: {
      roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosRoleGuids[a.role]}'
      principalId: principals[a.principal]
      scope: cosmos.id
    }
  }
]

resource outcomeTopics 'Microsoft.EventGrid/topics@2025-02-15' existing = [
  for a in outcomeTopicGrants: { name: outcomeTopicName }
]
resource outcomeTopicRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (a, i) in outcomeTopicGrants: {
    name: guid(outcomeTopics[i].id, principals[a.principal], roleGuids[a.role])
    scope: outcomeTopics[i]
    properties: {
      roleDefinitionId: roleId(roleGuids[a.role])
      principalId: principals[a.principal]
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${a.name}'
    }
  }
]

resource schedulers 'Microsoft.DurableTask/schedulers@2026-02-01' existing = [
  for a in taskHubGrants: { name: durableTaskSchedulerName }
]
resource taskHubs 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' existing = [
  for (a, i) in taskHubGrants: {
    parent: schedulers[i]
    name: taskHubName
  }
]
resource taskHubRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (a, i) in taskHubGrants: {
    name: guid(taskHubs[i].id, principals[a.principal], roleGuids[a.role])
    scope: taskHubs[i]
    properties: {
      roleDefinitionId: roleId(roleGuids[a.role])
      principalId: principals[a.principal]
      principalType: 'ServicePrincipal'
      description: 'fleetmesh ${a.name}'
    }
  }
]
