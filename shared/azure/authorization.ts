/**
 * AuthorizationGateway: role assignments and definitions through `@azure/arm-authorization` 9.0.0 (api-version
 * 2022-04-01 for both), one client per subscription.
 *
 * Creating an assignment uses a deterministic GUID name (./roleAssignmentName.ts) and sends `principalType`, which
 * avoids `PrincipalNotFound` for identities that have not replicated yet (reference §6). ARM forbids two assignments
 * with the same principal, role and scope: an existing one under another name answers 409 `RoleAssignmentExists`,
 * which counts as success (`created: false`); re-creating ours under the same name answers 200 (`created: false`).
 * Any other 409 (for example `ScopeLocked`) is an error.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { roleDefinitionGuid, tryParseResourceId } from '../arm/resourceId.js';
import { ValidationError } from '../errors.js';
import {
  parseArmResource,
  PrincipalTypes,
  RoleAssignmentSchema,
  RoleDefinitionSchema,
  type RoleAssignment,
} from '../models/index.js';
import type { AuthorizationGateway } from './gateways.js';
import { ArmOperation as Op } from './operations.js';
import { pipelineOptions } from './pipeline.js';
import { roleAssignmentName } from './roleAssignmentName.js';
import { perSubscription, type GatewayRuntime } from './runtime.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The SDK puts scopes into `/{scope}/providers/...` unescaped: pass them without the leading slash, as its samples do
 * (`subscriptions/.../resourceGroups/...`).
 */
function sdkScope(scope: string): string {
  return scope.replace(/^\/+/, '').replace(/\/+$/, '');
}

function checkScope(scope: string): { subscriptionId: string } {
  const parsed = tryParseResourceId(scope.replace(/\/+$/, ''));
  if (!parsed)
    throw new ValidationError(`not an ARM scope: '${scope}' (a subscription, resource group or resource id)`);
  return { subscriptionId: parsed.subscriptionId };
}

function checkGuid(what: string, value: string): void {
  if (typeof value !== 'string' || !GUID.test(value)) throw new ValidationError(`${what} must be a GUID: '${value}'`);
}

export function createAuthorizationGateway(runtime: GatewayRuntime): AuthorizationGateway {
  const { connection } = runtime;
  const clientFor = perSubscription(
    (subscriptionId) =>
      new AuthorizationManagementClient(connection.credential, subscriptionId, {
        ...pipelineOptions(connection),
        credentialScopes: [connection.scope],
      }),
  );

  return {
    async listRoleAssignmentsForPrincipal(scope, principalId) {
      const { subscriptionId } = checkScope(scope);
      // Checked as a GUID: it goes into an OData filter.
      checkGuid('principalId', principalId);
      return runtime.call(Op.roleAssignmentsList, scope, async () => {
        const out: RoleAssignment[] = [];
        const pages = clientFor(subscriptionId).roleAssignments.listForScope(sdkScope(scope), {
          filter: `principalId eq '${principalId}'`,
        });
        for await (const assignment of pages) {
          out.push(parseArmResource(RoleAssignmentSchema, 'role assignment', assignment));
        }
        return out;
      });
    },

    async listRoleAssignmentsForScope(scope) {
      const { subscriptionId } = checkScope(scope);
      return runtime.call(Op.roleAssignmentsList, scope, async () => {
        const out: RoleAssignment[] = [];
        for await (const assignment of clientFor(subscriptionId).roleAssignments.listForScope(sdkScope(scope))) {
          out.push(parseArmResource(RoleAssignmentSchema, 'role assignment', assignment));
        }
        return out;
      });
    },

    // Any scope form: `{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`. ARM checks the read at the
    // scope in the URL, so preflight asks under a member VNet, where the app holds Reader (infra/config/rbac.json).
    async getRoleDefinition(roleDefinitionId) {
      checkGuid('role definition id (last segment)', roleDefinitionGuid(roleDefinitionId));
      const subscriptionId = tryParseResourceId(roleDefinitionId)?.subscriptionId ?? runtime.defaultSubscriptionId;
      return runtime.call(Op.roleDefinitionsGet, roleDefinitionId, async () =>
        parseArmResource(
          RoleDefinitionSchema,
          'role definition',
          await clientFor(subscriptionId).roleDefinitions.getById(sdkScope(roleDefinitionId)),
          roleDefinitionId,
        ),
      );
    },

    async createRoleAssignment(request) {
      const { subscriptionId } = checkScope(request.scope);
      checkGuid('principalId', request.principalId);
      checkGuid('role definition id (last segment)', roleDefinitionGuid(request.roleDefinitionId));
      if (!PrincipalTypes.includes(request.principalType)) {
        throw new ValidationError(`principalType must be one of ${PrincipalTypes.join(', ')}`);
      }
      const name = roleAssignmentName(request.scope, request.principalId, request.roleDefinitionId);
      return runtime.call(
        Op.roleAssignmentsCreate,
        `${request.scope.replace(/\/+$/, '')}/providers/Microsoft.Authorization/roleAssignments/${name}`,
        async () => {
          let status = 0;
          await clientFor(subscriptionId).roleAssignments.create(
            sdkScope(request.scope),
            name,
            {
              roleDefinitionId: request.roleDefinitionId,
              principalId: request.principalId,
              principalType: request.principalType,
            },
            {
              onResponse: (raw) => {
                status = raw.status;
              },
            },
          );
          return { created: status === 201, name };
        },
        (e) =>
          e.statusCode === 409 && e.armCode === 'RoleAssignmentExists'
            ? { value: { created: false, name } }
            : undefined,
      );
    },
  };
}
