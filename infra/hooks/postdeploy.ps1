# azd postdeploy hook (Windows). Same as postdeploy.sh: Event Grid accepts a subscription to an Azure Functions
# endpoint only once that function exists, so provision again now that fleetEvents is deployed.
$ErrorActionPreference = 'Stop'

if ($env:FLEETMESH_EVENT_SUBSCRIPTION_ENABLED -eq 'true') {
  Write-Host 'fleetmesh: the Event Grid subscription to fleetEvents is already part of the deployment.'
  exit 0
}

Write-Host "fleetmesh: fleetEvents is deployed; provisioning again to subscribe it to the fleet's ARM events."
azd env set FLEETMESH_EVENT_SUBSCRIPTION_ENABLED true
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
azd provision --no-prompt
exit $LASTEXITCODE
