// The Entra ID app registration that App Service authentication validates tokens for, with the app roles
// FleetMesh.Operator and FleetMesh.Reader, a delegated scope pre-authorized for the Azure CLI, the identifier URI
// api://<client id>, and the web sign-in of the Function App (all from config/auth.json). Uses the Microsoft Graph
// Bicep extension (GA v1.0): the identity running `azd up` needs permission to register applications
// (Application.ReadWrite.All delegated, or the default "users can register applications" tenant setting). Without it,
// set createAppRegistration=false and pass authClientId from the manual pre-step in docs/deploy.md.
extension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0'

@description('Immutable client-provided key of the application (makes redeployments idempotent).')
param uniqueName string
param displayName string

@description('Host name of the Function App (<name>.azurewebsites.net): browser sign-in returns to its /.auth callback.')
param appHostName string

var auth = loadJsonContent('../config/auth.json')

// Browser sign-in through App Service authentication: Easy Auth without a client secret uses the OpenID Connect
// implicit flow (response_mode=form_post to the callback), which needs ID token issuance and this redirect URI.
var web = {
  redirectUris: ['https://${appHostName}${auth.login.callbackPath}']
  implicitGrantSettings: {
    enableIdTokenIssuance: auth.login.enableIdTokenIssuance
    enableAccessTokenIssuance: false
  }
}
var appRoles = [
  for role in auth.appRoles: {
    id: role.id
    value: role.value
    displayName: role.displayName
    description: role.description
    allowedMemberTypes: role.allowedMemberTypes
    isEnabled: role.isEnabled
  }
]
var scopes = [
  for s in auth.api.oauth2PermissionScopes: {
    id: s.id
    value: s.value
    type: s.type
    isEnabled: s.isEnabled
    adminConsentDisplayName: s.adminConsentDisplayName
    adminConsentDescription: s.adminConsentDescription
    userConsentDisplayName: s.userConsentDisplayName
    userConsentDescription: s.userConsentDescription
  }
]

resource application 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  api: {
    requestedAccessTokenVersion: auth.api.requestedAccessTokenVersion
    oauth2PermissionScopes: scopes
  }
  appRoles: appRoles
  web: web
}

// Second pass on the same application (same uniqueName): the identifier URI names the application's own client id,
// which exists only once it is created, and the pre-authorization refers to the scope created above. Every property
// is given again, so either pass alone describes the whole registration.
resource applicationIdentifier 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  identifierUris: [replace(auth.identifierUri, '{clientId}', application.appId)]
  api: {
    requestedAccessTokenVersion: auth.api.requestedAccessTokenVersion
    oauth2PermissionScopes: scopes
    preAuthorizedApplications: [
      for p in auth.api.preAuthorizedApplications: {
        appId: p.appId
        delegatedPermissionIds: p.delegatedPermissionIds
      }
    ]
  }
  appRoles: appRoles
  web: web
}

// Only principals given one of the app roles can get a token for the API.
resource servicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: applicationIdentifier.appId
  appRoleAssignmentRequired: true
}

output clientId string = applicationIdentifier.appId
output identifierUri string = replace(auth.identifierUri, '{clientId}', application.appId)
