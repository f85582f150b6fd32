// Durable Task Scheduler backend (optional; durableBackend = 'DurableTaskScheduler'). No AVM module exists for it.
// The task hub is named like FLEETMESH_TASK_HUB, which host.json uses as hubName.

param name string
param location string
param tags object = {}
@allowed(['Consumption', 'Dedicated'])
param skuName string
param taskHubName string

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: skuName
    }
    // An empty list denies all traffic; access is controlled by Entra ID roles on the task hub.
    ipAllowlist: ['0.0.0.0/0']
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' = {
  parent: scheduler
  name: taskHubName
}

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
