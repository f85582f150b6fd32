// The Function App: Flex Consumption, Node 20, user-assigned identity, identity-based connections only, app settings
// named by config/app-settings.json, and App Service authentication (Microsoft Entra ID) from config/auth.json.

param name string
param location string = resourceGroup().location
param tags object = {}
param serviceName string = 'api'
param appServicePlanId string
param identityId string
param identityClientId string
@description('Primary endpoints of the runtime storage account (blob, queue, table).')
param storageEndpoints object
param deploymentContainerName string
param applicationInsightsConnectionString string
param maximumInstanceCount int
param instanceMemoryMB int

@description('Client id of the Entra ID app registration. Empty: App Service authentication is off.')
param authClientId string

param fleetSubscriptionId string
param fleetResourceGroup string
param fleetName string
param fleetApiVersion string
param armMaxConcurrentWrites int
param cosmosEndpoint string
param cosmosDatabaseName string
param taskHubName string
param resyncSchedule string
param outcomeTopicEndpoint string
param eventDedupTtlSeconds int

@description('Durable Task Scheduler endpoint; empty for the Azure Storage backend.')
param durableTaskSchedulerEndpoint string

var settingsSpec = loadJsonContent('../config/app-settings.json')
var auth = loadJsonContent('../config/auth.json')
var useDurableTaskScheduler = !empty(durableTaskSchedulerEndpoint)

// The value of every setting this template can deploy, keyed by the setting name. Which of them are deployed is
// decided by config/app-settings.json alone (a name listed there without a value here fails the deployment, and
// test/unit/infra/settings.test.ts checks that the two lists are the same). Only parameters are used here, so the
// lambda below works on deployment-time values.
var settingValues = {
  FLEETMESH_SUBSCRIPTION_ID: fleetSubscriptionId
  FLEETMESH_FLEET_RESOURCE_GROUP: fleetResourceGroup
  FLEETMESH_FLEET_NAME: fleetName
  FLEETMESH_ARM_ENDPOINT: environment().resourceManager
  FLEETMESH_ARM_AUTH: 'managedIdentity'
  FLEETMESH_FLEET_API_VERSION: fleetApiVersion
  FLEETMESH_ARM_MAX_CONCURRENT_WRITES: string(armMaxConcurrentWrites)
  FLEETMESH_COSMOS_ENDPOINT: cosmosEndpoint
  FLEETMESH_COSMOS_DATABASE: cosmosDatabaseName
  FLEETMESH_COSMOS_AUTH: 'entra'
  FLEETMESH_TASK_HUB: taskHubName
  FLEETMESH_RESYNC_SCHEDULE: resyncSchedule
  // Azure advises against runOnStartup for timers (every scale-out would trigger it); the schedule is enough.
  FLEETMESH_RESYNC_ON_STARTUP: 'false'
  FLEETMESH_OUTCOME_TOPIC_ENDPOINT: outcomeTopicEndpoint
  FLEETMESH_EVENT_DEDUP_TTL_SECONDS: string(eventDedupTtlSeconds)
  FLEETMESH_PROFILE_LIST_CACHE_SECONDS: '60'
  FLEETMESH_LOG_LEVEL: 'info'
  AzureWebJobsStorage__blobServiceUri: storageEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storageEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storageEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
}

var deployedSettingNames = concat(
  settingsSpec.application,
  settingsSpec.runtime,
  useDurableTaskScheduler ? settingsSpec.durableTaskScheduler : []
)
var appSettings = toObject(deployedSettingNames, n => n, n => settingValues[n])

// App Service authentication. API callers without a token get 401 (Return401); a browser signs in at
// /.auth/login/aad?post_login_redirect_uri=/api/ui (that route is always served, whatever the unauthenticated
// action), returning to the callback that entra-app.bicep registers. The session cookie then authenticates the
// status page and its calls.
var authSettings = {
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: auth.unauthenticatedClientAction
      excludedPaths: auth.excludedPaths
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          // v2 tokens carry the client id as audience; the identifier URI is allowed too (config/auth.json).
          allowedAudiences: [
            authClientId
            replace(auth.identifierUri, '{clientId}', authClientId)
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

module functionApp 'br/public:avm/res/web/site:0.24.0' = {
  name: '${serviceName}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: appServicePlanId
    httpsOnly: true
    managedIdentities: {
      userAssignedResourceIds: [identityId]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '20'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    basicPublishingCredentialsPolicies: [
      { name: 'ftp', allow: false }
      { name: 'scm', allow: false }
    ]
    configs: concat(
      [
        {
          name: 'appsettings'
          retainCurrentAppSettings: false
          properties: appSettings
        }
      ],
      empty(authClientId) ? [] : [authSettings]
    )
  }
}

output name string = functionApp.outputs.name
output resourceId string = functionApp.outputs.resourceId
output defaultHostname string = functionApp.outputs.defaultHostname
