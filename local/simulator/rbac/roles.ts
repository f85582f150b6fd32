/**
 * Built-in Azure roles the simulator knows, with their actions and notActions exactly as Microsoft publishes them.
 *
 * Source: MicrosoftDocs/azure-docs `articles/role-based-access-control/built-in-roles/*.md` (generated reference, the
 * JSON block under each role):
 * - `privileged.md`: Owner, Contributor, Role Based Access Control Administrator, User Access Administrator
 * - `general.md`: Reader
 * - `networking.md`: Network Contributor, Traffic Manager Contributor
 * - `containers.md`: Azure Kubernetes Fleet Manager Contributor Role, Azure Kubernetes Service Contributor Role
 * Only control-plane actions matter here: data actions are listed for completeness and never evaluated.
 */
import type { RoleDefinitionRecord } from '../world.js';

const none: readonly string[] = [];

export const BUILT_IN_ROLE_IDS = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  userAccessAdministrator: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  roleBasedAccessControlAdministrator: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  networkContributor: '4d97b98b-1d4f-4787-a291-c67834d212e7',
  trafficManagerContributor: 'a4b10055-b0c7-44c2-b00f-c7b5b3550cf7',
  fleetManagerContributor: '63bb64ad-9799-4770-b5c3-24ed299a07bf',
  aksContributor: 'ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8',
} as const;

function builtIn(
  name: string,
  roleName: string,
  description: string,
  actions: string[],
  notActions: readonly string[] = none,
): RoleDefinitionRecord {
  return {
    name,
    roleName,
    description,
    roleType: 'BuiltInRole',
    permissions: [{ actions, notActions, dataActions: none, notDataActions: none }],
    assignableScopes: ['/'],
  };
}

export const BUILT_IN_ROLES: readonly RoleDefinitionRecord[] = [
  // privileged.md "Owner"
  builtIn(
    BUILT_IN_ROLE_IDS.owner,
    'Owner',
    'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.',
    ['*'],
  ),
  // privileged.md "Contributor"
  builtIn(
    BUILT_IN_ROLE_IDS.contributor,
    'Contributor',
    'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    ['*'],
    [
      'Microsoft.Authorization/*/Delete',
      'Microsoft.Authorization/*/Write',
      'Microsoft.Authorization/elevateAccess/Action',
      'Microsoft.Blueprint/blueprintAssignments/write',
      'Microsoft.Blueprint/blueprintAssignments/delete',
      'Microsoft.Compute/galleries/share/action',
      'Microsoft.Purview/consents/write',
      'Microsoft.Purview/consents/delete',
      'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
      'Microsoft.Subscription/cancel/action',
      'Microsoft.Subscription/enable/action',
    ],
  ),
  // general.md "Reader"
  builtIn(BUILT_IN_ROLE_IDS.reader, 'Reader', 'View all resources, but does not allow you to make any changes.', [
    '*/read',
  ]),
  // privileged.md "User Access Administrator"
  builtIn(
    BUILT_IN_ROLE_IDS.userAccessAdministrator,
    'User Access Administrator',
    'Lets you manage user access to Azure resources.',
    ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'],
  ),
  // privileged.md "Role Based Access Control Administrator"
  builtIn(
    BUILT_IN_ROLE_IDS.roleBasedAccessControlAdministrator,
    'Role Based Access Control Administrator',
    'Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.',
    [
      'Microsoft.Authorization/roleAssignments/write',
      'Microsoft.Authorization/roleAssignments/delete',
      '*/read',
      'Microsoft.Support/*',
    ],
  ),
  // networking.md "Network Contributor"
  builtIn(
    BUILT_IN_ROLE_IDS.networkContributor,
    'Network Contributor',
    'Lets you manage networks, but not access to them.',
    [
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Network/*',
      'Microsoft.ResourceHealth/availabilityStatuses/read',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
    ],
  ),
  // networking.md "Traffic Manager Contributor"
  builtIn(
    BUILT_IN_ROLE_IDS.trafficManagerContributor,
    'Traffic Manager Contributor',
    'Lets you manage Traffic Manager profiles, but does not let you control who has access to them.',
    [
      'Microsoft.Authorization/*/read',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Network/trafficManagerProfiles/*',
      'Microsoft.ResourceHealth/availabilityStatuses/read',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
    ],
  ),
  // containers.md "Azure Kubernetes Fleet Manager Contributor Role"
  builtIn(
    BUILT_IN_ROLE_IDS.fleetManagerContributor,
    'Azure Kubernetes Fleet Manager Contributor Role',
    'Grants read/write access to Azure resources provided by Azure Kubernetes Fleet Manager, including fleets, fleet members, fleet update strategies, fleet update runs, etc.',
    ['Microsoft.ContainerService/fleets/*', 'Microsoft.Resources/deployments/*'],
  ),
  // containers.md "Azure Kubernetes Service Contributor Role"
  builtIn(
    BUILT_IN_ROLE_IDS.aksContributor,
    'Azure Kubernetes Service Contributor Role',
    'Grants access to read and write Azure Kubernetes Service clusters',
    [
      'Microsoft.ContainerService/managedClusters/read',
      'Microsoft.ContainerService/managedClusters/write',
      'Microsoft.Resources/deployments/*',
    ],
  ),
];

/** Looks a built-in role up by GUID or by role name (case-insensitive). */
export function findBuiltInRole(nameOrId: string): RoleDefinitionRecord | undefined {
  const needle = nameOrId.toLowerCase();
  return BUILT_IN_ROLES.find((r) => r.name === needle || r.roleName.toLowerCase() === needle);
}
