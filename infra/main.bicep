// fleetmesh on Azure: a Flex Consumption Function App (Node 20) next to an Azure Kubernetes Fleet Manager fleet.
//
// Security-relevant data is not written here but loaded from infra/config/*.json (app settings names, roles,
// Event Grid filters, app roles, Cosmos containers), so the unit tests in test/unit/infra/ read the same data the
// template deploys. See docs/deploy.md for the parameters, the two-pass provisioning of the Event Grid
// subscription, and the roles table.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to generate a short unique suffix for resource names.')
param environmentName string

@minLength(1)
@description('Region of the Function App and its resources (Flex Consumption must be available there).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Name of the resource group to create for fleetmesh. Default: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Subscription of the fleet. Empty: the deployment subscription.')
param fleetSubscriptionId string = ''

@minLength(1)
@description('Resource group of the fleet (the Event Grid system topic is created there).')
param fleetResourceGroup string

@minLength(1)
@maxLength(63)
@description('Name of the fleet this deployment manages (one fleet per deployment).')
param fleetName string

@description('Comma-separated resource ids of the member AKS clusters (read + reconcile PUT).')
param memberClusterIds string = ''

@description('Comma-separated resource ids of user-assigned identities used by member clusters (control plane or kubelet). Needed for the reconcile PUT of such clusters.')
param memberClusterIdentityIds string = ''

@description('Comma-separated resource ids of the member clusters\' virtual networks (read; Network Contributor grants to cluster identities).')
param virtualNetworkIds string = ''

@description('Comma-separated resource ids of network security groups on member subnets (read).')
param networkSecurityGroupIds string = ''

@description('Comma-separated resource ids of route tables on member subnets (read).')
param routeTableIds string = ''

@description('Comma-separated resource ids of the member clusters\' node resource groups (read public IPs).')
param nodeResourceGroupIds string = ''

@description('Resource id of the resource group holding the Traffic Manager profiles. Empty: no Traffic Manager rights.')
param trafficManagerResourceGroupId string = ''

@description('Let the app grant Network Contributor (and nothing else, to service principals only) on the listed virtual networks.')
param allowNetworkContributorGrants bool = true

@description('Grant reading Microsoft.ContainerService async operation status at the fleet subscription. Off unless LRO polling returns 403 (see docs/deploy.md).')
param allowLocationOperationsRead bool = false

@allowed(['AzureStorage', 'DurableTaskScheduler'])
@description('Durable Functions backend.')
param durableBackend string = 'AzureStorage'

@description('Region of the Durable Task Scheduler (when durableBackend is DurableTaskScheduler).')
param durableTaskSchedulerLocation string = location

@allowed(['Consumption', 'Dedicated'])
@description('Durable Task Scheduler SKU.')
param durableTaskSchedulerSku string = 'Consumption'

@minLength(3)
@maxLength(50)
@description('Durable Functions task hub name (FLEETMESH_TASK_HUB; host.json uses %FLEETMESH_TASK_HUB%).')
param taskHubName string = 'fleetmesh'

@description('Create an Event Grid topic for outcome CloudEvents (FLEETMESH_OUTCOME_TOPIC_ENDPOINT).')
param deployOutcomeTopic bool = false

@description('Create the Event Grid subscription to the fleetEvents function. Only possible once the code is deployed: the postdeploy hook sets it and provisions again.')
param eventSubscriptionEnabled bool = false

@description('Name of an existing Microsoft.Resources.ResourceGroups system topic in the fleet resource group (only one may exist per resource group). Empty: create one. An existing topic must have its system-assigned identity on.')
param existingFleetSystemTopicName string = ''

@description('Create the Entra ID app registration (app roles FleetMesh.Operator and FleetMesh.Reader) with the Microsoft Graph Bicep extension. Needs permission to register applications.')
param createAppRegistration bool = true

@description('Client id of an existing app registration (when createAppRegistration is false). Empty and no registration: App Service authentication is off and only function keys protect the API.')
param authClientId string = ''

@description('NCRONTAB (six fields) of the drift resync timer (FLEETMESH_RESYNC_SCHEDULE).')
param resyncSchedule string = '0 */10 * * * *'

@minValue(1)
@maxValue(100)
@description('Upper bound on concurrent member convergences (FLEETMESH_ARM_MAX_CONCURRENT_WRITES).')
param armMaxConcurrentWrites int = 8

@description('api-version for fleet members and cluster mesh profiles (FLEETMESH_FLEET_API_VERSION).')
param fleetApiVersion string = '2026-03-02-preview'

@minValue(60)
@maxValue(604800)
@description('How long processed event ids are kept (FLEETMESH_EVENT_DEDUP_TTL_SECONDS and the events container TTL).')
param eventDedupTtlSeconds int = 86400

@maxValue(1000)
@description('Flex Consumption maximum instance count.')
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
@description('Flex Consumption instance memory (MB).')
param instanceMemoryMB int = 2048

// ---------------------------------------------------------------------------------------------------------------
// Names and configuration data
// ---------------------------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var rbac = loadJsonContent('config/rbac.json')
var fleetEvents = loadJsonContent('config/fleet-events.json')
var cosmosConfig = loadJsonContent('config/cosmos.json')
var authConfig = loadJsonContent('config/auth.json')

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.functionApp}fleetmesh-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var useDurableTaskScheduler = durableBackend == 'DurableTaskScheduler'
var fleetSubscription = !empty(fleetSubscriptionId) ? fleetSubscriptionId : subscription().subscriptionId

var fleetResourceGroupId = '/subscriptions/${fleetSubscription}/resourceGroups/${fleetResourceGroup}'
var fleetId = '${fleetResourceGroupId}/providers/Microsoft.ContainerService/fleets/${fleetName}'

// A comma-separated list as an array of trimmed, non-empty entries.
func csv(value string) string[] => filter(map(split(value, ','), s => trim(s)), s => !empty(s))

// The resource group id (lower case) that an ARM id lives in: /subscriptions/{s}/resourceGroups/{rg}.
func resourceGroupIdOf(id string) string => toLower(join(take(split(id, '/'), 5), '/'))

// Which optional assignments of rbac.json are on (the 'when' field of an assignment).
var roleFlags = {
  always: true
  networkContributorGrants: allowNetworkContributorGrants
  locationOperationsRead: allowLocationOperationsRead
  durableAzureStorage: !useDurableTaskScheduler
  durableTaskScheduler: useDurableTaskScheduler
  outcomeTopic: deployOutcomeTopic
}

// The resources outside fleetmesh's own resource group that receive roles, by the scope kinds of rbac.json.
var targetIdsByKind = {
  fleet: [fleetId]
  memberCluster: csv(memberClusterIds)
  memberClusterIdentity: csv(memberClusterIdentityIds)
  virtualNetwork: csv(virtualNetworkIds)
  networkSecurityGroup: csv(networkSecurityGroupIds)
  routeTable: csv(routeTableIds)
  nodeResourceGroup: csv(nodeResourceGroupIds)
  trafficManagerResourceGroup: csv(trafficManagerResourceGroupId)
}

var enabledAssignments = filter(rbac.assignments, a => roleFlags[?a.when] ?? false)
var targetAssignments = filter(enabledAssignments, a => contains(targetIdsByKind, a.scope))

// One grant per (assignment, target resource).
var targetGrants = flatten(map(
  targetAssignments,
  a =>
    map(targetIdsByKind[?a.scope] ?? [], id => {
      name: a.name
      kind: a.scope
      id: id
      role: a.role
      condition: a.condition
      reason: a.reason
    })
))
var targetResourceGroupIds = union(map(targetGrants, g => resourceGroupIdOf(g.id)), [])

// Custom roles: each defined once (in the fleet subscription), assignable in every subscription it is used in.
var usedCustomRoles = filter(objectKeys(rbac.customRoles), key => length(filter(enabledAssignments, a => a.role == key)) > 0)
var targetSubscriptionIds = union(
  [toLower(fleetSubscription)],
  map(targetGrants, g => toLower(split(g.id, '/')[2]))
)
var customRoleGuids = toObject(
  objectKeys(rbac.customRoles),
  key => key,
  key => guid(tenant().tenantId, fleetSubscription, environmentName, 'fleetmesh-role', key)
)
var builtInRoleGuids = toObject(objectKeys(rbac.builtInRoles), key => key, key => rbac.builtInRoles[key].id)
var roleGuids = union(builtInRoleGuids, customRoleGuids)

// ---------------------------------------------------------------------------------------------------------------
// Resource group, identity, monitoring
// ---------------------------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourceGroup}${environmentName}'
  location: location
  tags: tags
}

module appIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0' = {
  name: 'fleetmesh-identity'
  scope: rg
  params: {
    name: '${abbrs.userAssignedIdentity}fleetmesh-${resourceToken}'
    location: location
    tags: tags
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.16.1' = {
  name: 'fleetmesh-logs'
  scope: rg
  params: {
    name: '${abbrs.logAnalyticsWorkspace}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
    features: {
      disableLocalAuth: true
    }
  }
}

module appInsights 'br/public:avm/res/insights/component:0.8.0' = {
  name: 'fleetmesh-appinsights'
  scope: rg
  params: {
    name: '${abbrs.applicationInsights}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
    retentionInDays: 90
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Storage (Functions runtime, Flex deployment package, Event Grid dead letters), Cosmos DB, Durable backend
// ---------------------------------------------------------------------------------------------------------------

module storage 'br/public:avm/res/storage/storage-account:0.33.0' = {
  name: 'fleetmesh-storage'
  scope: rg
  params: {
    name: '${abbrs.storageAccount}${resourceToken}'
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        { name: deploymentContainerName }
        { name: fleetEvents.deadLetterContainerName }
      ]
    }
  }
}

module cosmos 'br/public:avm/res/document-db/database-account:0.20.1' = {
  name: 'fleetmesh-cosmos'
  scope: rg
  params: {
    name: '${abbrs.cosmosAccount}${resourceToken}'
    location: location
    tags: tags
    capabilitiesToAdd: ['EnableServerless']
    disableLocalAuthentication: true
    disableKeyBasedMetadataWriteAccess: true
    zoneRedundant: false
    backupPolicyType: 'Continuous'
    backupPolicyContinuousTier: 'Continuous7Days'
    networkRestrictions: {
      publicNetworkAccess: 'Enabled'
      networkAclBypass: 'None'
      ipRules: []
      virtualNetworkRules: []
    }
    sqlDatabases: [
      {
        name: cosmosConfig.database
        containers: [
          for c in cosmosConfig.containers: {
            name: c.name
            paths: [c.partitionKey]
            defaultTtl: c.ttl == 'eventDedup' ? eventDedupTtlSeconds : null
          }
        ]
      }
    ]
  }
}

module durableTaskScheduler 'app/durable-task-scheduler.bicep' = if (useDurableTaskScheduler) {
  name: 'fleetmesh-dts'
  scope: rg
  params: {
    name: '${abbrs.durableTaskScheduler}${resourceToken}'
    location: durableTaskSchedulerLocation
    tags: tags
    skuName: durableTaskSchedulerSku
    taskHubName: taskHubName
  }
}

module outcomeTopic 'br/public:avm/res/event-grid/topic:0.10.0' = if (deployOutcomeTopic) {
  name: 'fleetmesh-outcome-topic'
  scope: rg
  params: {
    name: '${abbrs.eventGridTopic}fleetmesh-${resourceToken}'
    location: location
    tags: tags
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    inputSchema: 'CloudEventSchemaV1_0'
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Entra ID app registration (App Service authentication) and the Function App
// ---------------------------------------------------------------------------------------------------------------

module entraApp 'app/entra-app.bicep' = if (createAppRegistration) {
  name: 'fleetmesh-entra-app'
  scope: rg
  params: {
    uniqueName: 'fleetmesh-${environmentName}-${resourceToken}'
    displayName: 'fleetmesh (${environmentName})'
    // The Function App's default host name (api.bicep leaves autoGeneratedDomainNameLabelScope unset, so it is the
    // classic <name>.azurewebsites.net); the app registration must exist before the app, which takes its client id.
    appHostName: '${functionAppName}.azurewebsites.net'
  }
}

var effectiveAuthClientId = createAppRegistration ? entraApp!.outputs.clientId : authClientId

module appServicePlan 'br/public:avm/res/web/serverfarm:0.7.0' = {
  name: 'fleetmesh-plan'
  scope: rg
  params: {
    name: '${abbrs.appServicePlan}${resourceToken}'
    location: location
    tags: tags
    skuName: 'FC1'
    kind: 'functionapp'
    reserved: true
  }
}

module api 'app/api.bicep' = {
  name: 'fleetmesh-api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    appServicePlanId: appServicePlan.outputs.resourceId
    identityId: appIdentity.outputs.resourceId
    identityClientId: appIdentity.outputs.clientId
    storageEndpoints: storage.outputs.serviceEndpoints
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: appInsights.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    authClientId: effectiveAuthClientId
    fleetSubscriptionId: fleetSubscription
    fleetResourceGroup: fleetResourceGroup
    fleetName: fleetName
    fleetApiVersion: fleetApiVersion
    armMaxConcurrentWrites: armMaxConcurrentWrites
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmosConfig.database
    taskHubName: taskHubName
    resyncSchedule: resyncSchedule
    outcomeTopicEndpoint: deployOutcomeTopic ? outcomeTopic!.outputs.endpoint : ''
    eventDedupTtlSeconds: eventDedupTtlSeconds
    durableTaskSchedulerEndpoint: useDurableTaskScheduler ? durableTaskScheduler!.outputs.endpoint : ''
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Event Grid: system topic on the fleet's resource group; the subscription to fleetEvents (second pass)
// ---------------------------------------------------------------------------------------------------------------

module fleetTopic 'app/fleet-events-topic.bicep' = {
  name: 'fleetmesh-fleet-topic-${resourceToken}'
  scope: resourceGroup(fleetSubscription, fleetResourceGroup)
  params: {
    name: !empty(existingFleetSystemTopicName) ? existingFleetSystemTopicName : '${abbrs.eventGridSystemTopic}fleetmesh-${resourceToken}'
    createNew: empty(existingFleetSystemTopicName)
    topicType: fleetEvents.systemTopicType
    tags: tags
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Roles (all from config/rbac.json)
// ---------------------------------------------------------------------------------------------------------------

module customRoles 'app/role-definitions.bicep' = {
  name: 'fleetmesh-role-definitions-${resourceToken}'
  scope: subscription(fleetSubscription)
  params: {
    definitions: [
      for key in usedCustomRoles: {
        guid: customRoleGuids[key]
        roleName: '${rbac.customRoles[key].title} (${environmentName}-${resourceToken})'
        description: rbac.customRoles[key].description
        actions: rbac.customRoles[key].actions
        assignableScopes: map(targetSubscriptionIds, s => '/subscriptions/${s}')
      }
    ]
  }
}

module appResourceRoles 'app/rbac-app.bicep' = {
  name: 'fleetmesh-roles-app'
  scope: rg
  params: {
    appPrincipalId: appIdentity.outputs.principalId
    topicPrincipalId: fleetTopic.outputs.principalId
    assignments: filter(enabledAssignments, a => !contains(targetIdsByKind, a.scope) && a.scope != 'fleetSubscription')
    roleGuids: roleGuids
    cosmosRoleGuids: toObject(
      objectKeys(rbac.cosmosDataPlaneRoles),
      key => key,
      key => rbac.cosmosDataPlaneRoles[key].id
    )
    storageAccountName: storage.outputs.name
    deadLetterContainerName: fleetEvents.deadLetterContainerName
    applicationInsightsName: appInsights.outputs.name
    cosmosAccountName: cosmos.outputs.name
    outcomeTopicName: deployOutcomeTopic ? outcomeTopic!.outputs.name : ''
    durableTaskSchedulerName: useDurableTaskScheduler ? durableTaskScheduler!.outputs.name : ''
    taskHubName: taskHubName
  }
}

module targetRoles 'app/rbac-targets.bicep' = [
  for rgId in targetResourceGroupIds: {
    name: 'fleetmesh-roles-${uniqueString(rgId, resourceToken)}'
    scope: resourceGroup(split(rgId, '/')[2], split(rgId, '/')[4])
    params: {
      principalId: appIdentity.outputs.principalId
      grants: filter(targetGrants, g => resourceGroupIdOf(g.id) == rgId)
      roleGuids: roleGuids
      conditions: rbac.conditions
    }
    dependsOn: [customRoles]
  }
]

module subscriptionRoles 'app/rbac-subscription.bicep' = {
  name: 'fleetmesh-roles-subscription-${resourceToken}'
  scope: subscription(fleetSubscription)
  params: {
    principalId: appIdentity.outputs.principalId
    grants: filter(enabledAssignments, a => a.scope == 'fleetSubscription')
    roleGuids: roleGuids
  }
  dependsOn: [customRoles]
}

module fleetEventsSubscription 'app/fleet-events-subscription.bicep' = if (eventSubscriptionEnabled) {
  name: 'fleetmesh-fleet-events-${resourceToken}'
  scope: resourceGroup(fleetSubscription, fleetResourceGroup)
  params: {
    systemTopicName: fleetTopic.outputs.name
    functionAppId: api.outputs.resourceId
    deadLetterStorageAccountId: storage.outputs.resourceId
    fleetSubscriptionId: fleetSubscription
    fleetResourceGroup: fleetResourceGroup
    fleetName: fleetName
  }
  dependsOn: [appResourceRoles]
}

// ---------------------------------------------------------------------------------------------------------------
// Outputs (azd stores them in the environment; the hooks and docs/deploy.md use them)
// ---------------------------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output FLEETMESH_API_BASE_URL string = 'https://${api.outputs.defaultHostname}/api'
output FLEETMESH_APP_PRINCIPAL_ID string = appIdentity.outputs.principalId
output FLEETMESH_APP_CLIENT_ID string = appIdentity.outputs.clientId
output FLEETMESH_AUTH_CLIENT_ID string = effectiveAuthClientId
// The audience a caller asks a token for: az account get-access-token --resource <this> (docs/deploy.md).
output FLEETMESH_API_AUDIENCE string = empty(effectiveAuthClientId) ? '' : replace(authConfig.identifierUri, '{clientId}', effectiveAuthClientId)
output FLEETMESH_FLEET_SYSTEM_TOPIC_NAME string = fleetTopic.outputs.name
output FLEETMESH_DEAD_LETTER_CONTAINER string = '${storage.outputs.name}/${fleetEvents.deadLetterContainerName}'
output APPLICATIONINSIGHTS_NAME string = appInsights.outputs.name
