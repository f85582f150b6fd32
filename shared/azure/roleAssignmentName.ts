/**
 * Deterministic role assignment names: the same scope, principal and role always give the same GUID, so creating an
 * assignment is retry-safe (a retry PUTs the same name; reference §6 "a deterministic one gives retry-safe writes").
 *
 * The name is a UUID version 5 (RFC 9562, SHA-1) of `<scope>|<principalId>|<roleGuid>`, all lower-cased, the scope
 * without a trailing slash, under fleetmesh's own namespace UUID below. Never change the namespace or the input
 * format: assignments created earlier would no longer be recognised as ours.
 */
import { v5 as uuidv5 } from 'uuid';
import { normalizeResourceId, roleDefinitionGuid } from '../arm/resourceId.js';

/** fleetmesh's UUID v5 namespace for role assignment names (a random v4, fixed forever). */
export const ROLE_ASSIGNMENT_NAMESPACE = '319ccfa1-0360-43df-9f48-8722b1f9a039';

/** The name input, exposed for tests and for operators who want to recompute a name. */
export function roleAssignmentNameInput(scope: string, principalId: string, roleDefinitionId: string): string {
  return `${normalizeResourceId(scope)}|${principalId.toLowerCase()}|${roleDefinitionGuid(roleDefinitionId)}`;
}

/** The GUID name fleetmesh gives the assignment of `roleDefinitionId` to `principalId` at `scope`. */
export function roleAssignmentName(scope: string, principalId: string, roleDefinitionId: string): string {
  return uuidv5(roleAssignmentNameInput(scope, principalId, roleDefinitionId), ROLE_ASSIGNMENT_NAMESPACE);
}
