#!/bin/sh
# azd postdeploy hook. Event Grid accepts a subscription to an Azure Functions endpoint only once that function
# exists, so the first `azd up` provisions without it; now that fleetEvents is deployed, switch it on and provision
# again (idempotent: everything else is unchanged). Later `azd up`/`azd provision` runs include it from the start.
set -eu

if [ "${FLEETMESH_EVENT_SUBSCRIPTION_ENABLED:-false}" = "true" ]; then
  echo "fleetmesh: the Event Grid subscription to fleetEvents is already part of the deployment."
  exit 0
fi

echo "fleetmesh: fleetEvents is deployed; provisioning again to subscribe it to the fleet's ARM events."
azd env set FLEETMESH_EVENT_SUBSCRIPTION_ENABLED true
azd provision --no-prompt
