// The Entra ID app registration that App Service authentication validates tokens for, with the app roles
// FleetMesh.Operator and FleetMesh.Reader (config/auth.json). Uses the Microsoft Graph Bicep extension (GA v1.0):
// the identity running `azd up` needs permission to register applications (Application.ReadWrite.All delegated, or
// the default "users can register applications" tenant setting). Without it, set createAppRegistration=false and
// pass authClientId from the manual pre-step in docs/deploy.md.
extension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0'

@description('Immutable client-provided key of the application (makes redeployments idempotent).')
param uniqueName string
param displayName string

var auth = loadJsonContent('../config/auth.json')

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  api: {
    requestedAccessTokenVersion: 2
  }
  appRoles: [
    for role in auth.appRoles: {
      id: role.id
      value: role.value
      displayName: role.displayName
      description: role.description
      allowedMemberTypes: role.allowedMemberTypes
      isEnabled: role.isEnabled
    }
  ]
}

// Only principals given one of the app roles can get a token for the API.
resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: application.appId
  appRoleAssignmentRequired: true
}

output clientId string = application.appId
