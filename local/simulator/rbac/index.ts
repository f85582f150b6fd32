/**
 * Role enforcement tables and evaluation, exported so infrastructure tests can prove the roles they grant cover the
 * app's calls: `OPERATION_ACTIONS` (operation → action), `BUILT_IN_ROLES` (actions/notActions as published),
 * `checkAccess` (assignments at or above the scope, wildcards, conditions).
 */
export {
  OPERATION_ACTIONS,
  requiredAction,
  isOperationId,
  type OperationAction,
  type OperationId,
  type OperationKind,
} from './actions.js';
export { BUILT_IN_ROLES, BUILT_IN_ROLE_IDS, findBuiltInRole } from './roles.js';
export { actionMatches, permissionsGrant } from './match.js';
export {
  checkAccess,
  authorizationFailedMessage,
  roleGuid,
  type AccessDecision,
  type AccessEvidence,
  type AccessRequest,
  type AssignmentLike,
  type RoleLike,
} from './access.js';
export {
  parseCondition,
  evaluateCondition,
  ConditionSyntaxError,
  type ConditionContext,
  type ParsedCondition,
} from './condition.js';
