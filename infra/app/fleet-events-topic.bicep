// Event Grid system topic for ARM events of the fleet's resource group (Microsoft.Resources.ResourceGroups), with a
// system-assigned identity used to write dead letters. Deployed into the fleet's resource group. Only one such
// topic may exist per resource group: pass an existing one's name instead (createNew = false).

param name string
param createNew bool
param topicType string
param tags object = {}

module topic 'br/public:avm/res/event-grid/system-topic:0.7.0' = if (createNew) {
  name: 'fleetmesh-system-topic'
  params: {
    name: name
    location: 'global'
    source: resourceGroup().id
    topicType: topicType
    tags: tags
    managedIdentities: {
      systemAssigned: true
    }
  }
}

resource existingTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = if (!createNew) {
  name: name
}

output name string = name
output principalId string = createNew ? topic!.outputs.systemAssignedMIPrincipalId ?? '' : existingTopic!.identity.principalId
