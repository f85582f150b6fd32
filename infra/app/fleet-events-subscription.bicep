// The Event Grid subscription from the fleet's system topic to the fleetEvents function (endpoint type
// AzureFunction), with the filters, retry policy and dead-lettering of config/fleet-events.json.
//
// One subscription with an advanced StringBeginsWith filter on the subject carrying both prefixes (members and
// cluster mesh profiles): subjectBeginsWith takes one prefix only, values in one advanced filter are ORed, and
// advanced string comparisons are case-insensitive (ARM subjects mix resourceGroups/resourcegroups). One
// subscription also means one retry policy, one dead-letter container and one delivery per ARM event.
//
// Event Grid checks that the destination function exists, so this is deployed only after the code (second pass,
// see the postdeploy hook).

param systemTopicName string
param functionAppId string
param deadLetterStorageAccountId string
param fleetSubscriptionId string
param fleetResourceGroup string
param fleetName string

var spec = loadJsonContent('../config/fleet-events.json')

// Substitutes the fleet into a subject prefix template of config/fleet-events.json.
func subjectPrefix(template string, subscriptionId string, resourceGroupName string, fleet string) string => replace(replace(replace(template, '{subscriptionId}', subscriptionId), '{resourceGroup}', resourceGroupName), '{fleetName}', fleet)

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource eventSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'fleetmesh-${spec.functionName}'
  properties: {
    eventDeliverySchema: spec.eventDeliverySchema
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/${spec.functionName}'
        maxEventsPerBatch: spec.delivery.maxEventsPerBatch
        preferredBatchSizeInKilobytes: spec.delivery.preferredBatchSizeInKilobytes
      }
    }
    filter: {
      includedEventTypes: spec.includedEventTypes
      advancedFilters: [
        {
          operatorType: spec.subjectFilter.operatorType
          key: spec.subjectFilter.key
          values: map(
            spec.subjectFilter.prefixes,
            p => subjectPrefix(p, fleetSubscriptionId, fleetResourceGroup, fleetName)
          )
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: spec.retryPolicy.maxDeliveryAttempts
      eventTimeToLiveInMinutes: spec.retryPolicy.eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: spec.deadLetterContainerName
        }
      }
    }
  }
}

output name string = eventSubscription.name
