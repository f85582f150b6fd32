/**
 * Access decisions: a principal may perform `action` on `scope` when one of its role assignments is at that scope or
 * above it, the assigned role grants the action (actions minus notActions, wildcards allowed), and the assignment's
 * condition, if any, holds for the request. There are no deny assignments and no group memberships.
 */
import { isScopeOf } from '../../../shared/arm/resourceId.js';
import type { Permission } from '../world.js';
import { evaluateCondition, type ConditionContext, type ParsedCondition } from './condition.js';
import { permissionsGrant } from './match.js';

export interface AssignmentLike {
  readonly id: string;
  readonly name: string;
  readonly scope: string;
  readonly roleDefinitionId: string;
  readonly principalId: string;
  readonly principalType: string;
  readonly parsedCondition?: ParsedCondition | undefined;
}

export interface RoleLike {
  readonly name: string;
  readonly roleName: string;
  readonly permissions: readonly Permission[];
}

export interface AccessRequest {
  readonly principalId: string;
  readonly action: string;
  /** The resource (or collection parent) the action applies to. */
  readonly scope: string;
  /** Attributes for conditions (role assignment writes and deletes). */
  readonly request?: ConditionContext['request'];
  readonly resource?: ConditionContext['resource'];
}

export interface AccessEvidence {
  readonly role: string;
  readonly roleAssignmentScope: string;
  readonly roleAssignmentId: string;
  readonly roleDefinitionId: string;
  readonly principalId: string;
  readonly principalType: string;
}

export type AccessDecision =
  | { readonly allowed: true; readonly evidence: AccessEvidence }
  | { readonly allowed: false; readonly conditionFailed: boolean };

export function checkAccess(
  request: AccessRequest,
  assignments: Iterable<AssignmentLike>,
  roleById: (guid: string) => RoleLike | undefined,
): AccessDecision {
  let conditionFailed = false;
  const principal = request.principalId.toLowerCase();
  for (const assignment of assignments) {
    if (assignment.principalId.toLowerCase() !== principal) continue;
    if (!isScopeOf(assignment.scope, request.scope)) continue;
    const role = roleById(roleGuid(assignment.roleDefinitionId));
    if (!role || !permissionsGrant(role.permissions, request.action)) continue;
    if (assignment.parsedCondition) {
      const context: ConditionContext = {
        action: request.action,
        ...(request.request ? { request: request.request } : {}),
        ...(request.resource ? { resource: request.resource } : {}),
      };
      if (!evaluateCondition(assignment.parsedCondition, context)) {
        conditionFailed = true;
        continue;
      }
    }
    return {
      allowed: true,
      evidence: {
        role: role.roleName,
        roleAssignmentScope: assignment.scope,
        roleAssignmentId: assignment.name,
        roleDefinitionId: role.name,
        principalId: assignment.principalId,
        principalType: assignment.principalType,
      },
    };
  }
  return { allowed: false, conditionFailed };
}

/** ARM's 403 message for a denied action. */
export function authorizationFailedMessage(
  clientName: string,
  objectId: string,
  action: string,
  scope: string,
): string {
  return (
    `The client '${clientName}' with object id '${objectId}' does not have authorization to perform action '${action}' ` +
    `over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
  );
}

export function roleGuid(roleDefinitionId: string): string {
  return (roleDefinitionId.replace(/\/+$/, '').split('/').pop() ?? roleDefinitionId).toLowerCase();
}
