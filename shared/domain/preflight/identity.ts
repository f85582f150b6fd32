/**
 * The cluster identity needs subnet read and join on its VNet, or `clustermesh-apiserver`'s internal load balancer
 * stays pending with a 403 `AuthorizationFailed` on `Microsoft.Network/virtualNetworks/subnets/read` (reference §4).
 *
 * The identity is `clusterPrincipalId(cluster)` (system-assigned, else the first user-assigned). It has what it needs
 * on a VNet when one of its role assignments, at the VNet or any scope above it (`assignmentCovers`: a management
 * group counts), is for a role that grants both `Microsoft.Network/virtualNetworks/subnets/read` and `.../subnets/join/action`: Network Contributor,
 * Contributor or Owner (known), or a role whose definition has a permission block whose `actions` match both
 * (wildcards such as `Microsoft.Network/*` or `*` count, case-insensitively) and whose `notActions` match neither.
 * Assignment conditions are not evaluated.
 *
 * A missing grant is a **warning** with `fixableByFleetmesh: true`: fleetmesh grants Network Contributor on the VNet
 * itself (an idempotent, deterministic role assignment). When the role assignments could not be read, the same
 * warning is given (the grant is harmless if the role was there after all), with the read failure in the message.
 */
import { assignmentCovers, BuiltInRoles, roleDefinitionGuid, tryParseResourceId } from '../../arm/resourceId.js';
import { clusterPrincipalId, type RoleAssignment, type RoleDefinition } from '../../models/index.js';
import { missingText, type MemberView, type PreflightContext } from './context.js';
import { assignmentScope, clusterVnetIds, principalKey, ROLES_GRANTING_SUBNET_JOIN } from './snapshot.js';
import type { PreflightFinding, PreflightSnapshot } from './types.js';

export const SUBNET_ACTIONS = [
  'Microsoft.Network/virtualNetworks/subnets/read',
  'Microsoft.Network/virtualNetworks/subnets/join/action',
] as const;

export function checkClusterIdentity(context: PreflightContext): PreflightFinding[] {
  return context.members.flatMap((view) => identityFindings(context.snapshot, view));
}

/** True when a permission block of the role grants `action` (its actions match it and its notActions do not). */
export function roleDefinitionGrants(definition: RoleDefinition, action: string): boolean {
  return (definition.permissions ?? []).some(
    (p) =>
      (p.actions ?? []).some((pattern) => actionMatches(pattern, action)) &&
      !(p.notActions ?? []).some((pattern) => actionMatches(pattern, action)),
  );
}

/** ARM action pattern matching: `*` matches any run of characters; case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i').test(action);
}

function identityFindings(snapshot: PreflightSnapshot, view: MemberView): PreflightFinding[] {
  const cluster = view.cluster;
  if (!cluster) return [];
  const vnetIds = clusterVnetIds(cluster);
  if (vnetIds.length === 0) return [];
  const principal = clusterPrincipalId(cluster);
  if (principal === undefined) {
    return [
      {
        checkId: 'identity.unknown',
        severity: 'warning',
        member: view.name,
        resourceId: cluster.id,
        message: `cluster '${cluster.name}' has no managed identity with a principal id, so fleetmesh cannot check or grant the role it needs on its virtual network`,
        remediation: `give the cluster's identity Network Contributor on its virtual network yourself, or move the cluster to a managed identity (az aks update --resource-group <rg> --name ${cluster.name} --enable-managed-identity)`,
      },
    ];
  }
  const assignments = snapshot.roleAssignments[principalKey(principal)];
  return vnetIds
    .filter((vnetId) => !assignments || !hasSubnetJoin(snapshot, assignments, vnetId))
    .map((vnetId) => {
      const vnetName = tryParseResourceId(vnetId)?.name ?? vnetId;
      const why = assignments
        ? 'has no role assignment'
        : `may lack a role assignment (its role assignments ${missingText(snapshot, 'roleAssignments', principal)})`;
      return {
        checkId: 'identity.networkRole',
        severity: 'warning',
        member: view.name,
        resourceId: vnetId,
        message: `the identity of cluster '${cluster.name}' (principal ${principal}) ${why} granting ${SUBNET_ACTIONS.join(' and ')} on virtual network '${vnetName}'; without it the clustermesh-apiserver internal load balancer stays pending (403 AuthorizationFailed) and the member fails to connect`,
        remediation: `fleetmesh will grant Network Contributor (${BuiltInRoles.networkContributor}) on virtual network ${vnetId} to principal ${principal}; to grant it yourself: az role assignment create --assignee-object-id ${principal} --assignee-principal-type ServicePrincipal --role "Network Contributor" --scope ${vnetId}`,
        fixableByFleetmesh: true,
      } satisfies PreflightFinding;
    });
}

function hasSubnetJoin(snapshot: PreflightSnapshot, assignments: readonly RoleAssignment[], vnetId: string): boolean {
  return assignments.some((assignment) => {
    const scope = assignmentScope(assignment);
    return (
      scope !== undefined &&
      assignmentCovers(scope, vnetId) &&
      roleGrantsSubnetJoin(snapshot, assignment.roleDefinitionId)
    );
  });
}

function roleGrantsSubnetJoin(snapshot: PreflightSnapshot, roleDefinitionId: string): boolean {
  const guid = roleDefinitionGuid(roleDefinitionId);
  if (ROLES_GRANTING_SUBNET_JOIN.includes(guid)) return true;
  const definition = snapshot.roleDefinitions[guid];
  return definition !== undefined && SUBNET_ACTIONS.every((action) => roleDefinitionGrants(definition, action));
}
