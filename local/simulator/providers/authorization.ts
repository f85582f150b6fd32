/**
 * Microsoft.Authorization (api-version 2022-04-01, as `@azure/arm-authorization` 9.0.0 sends it): role assignments
 * PUT/GET/DELETE at any scope, list for a scope with `$filter` (`atScope()`, `principalId eq '{id}'`,
 * `assignedTo('{id}')`, joined by `and`), and role definitions GET/list. Duplicate assignments (same principal, role
 * and scope under another name) answer 409 `RoleAssignmentExists` (reference §6).
 */
import { z } from 'zod';
import { isScopeOf, normalizeResourceId } from '../../../shared/arm/resourceId.js';
import type { SimContext } from '../context.js';
import { ArmError, badRequest, conflict, resourceGroupNotFound, subscriptionNotFound } from '../http/errors.js';
import { empty, json, type ArmRequest } from '../http/request.js';
import type { Params, RouteDefinition } from '../http/router.js';
import { roleGuid } from '../rbac/access.js';
import { ConditionSyntaxError, parseCondition } from '../rbac/condition.js';
import { key, type RoleAssignmentRecord, type RoleDefinitionRecord, type World } from '../world.js';
import { page, parseBody } from './common.js';

export const AUTHORIZATION_API_VERSIONS = ['2022-04-01'] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RA = '{*scope}/providers/Microsoft.Authorization/roleAssignments';
const RD = '{*scope}/providers/Microsoft.Authorization/roleDefinitions';

export function roleDefinitionResourceId(subscriptionId: string | undefined, guid: string): string {
  return `${subscriptionId ? `/subscriptions/${subscriptionId}` : ''}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
}

export function renderRoleAssignment(a: RoleAssignmentRecord): Record<string, unknown> {
  return {
    id: a.id,
    name: a.name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId: a.roleDefinitionId,
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: a.condition ?? null,
      conditionVersion: a.conditionVersion ?? null,
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: a.createdBy,
      updatedBy: a.updatedBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description ?? null,
    },
  };
}

export function renderRoleDefinition(
  role: RoleDefinitionRecord,
  subscriptionId: string | undefined,
): Record<string, unknown> {
  return {
    id: roleDefinitionResourceId(subscriptionId, role.name),
    name: role.name,
    type: 'Microsoft.Authorization/roleDefinitions',
    properties: {
      roleName: role.roleName,
      type: role.roleType,
      description: role.description,
      assignableScopes: role.assignableScopes,
      permissions: role.permissions.map((p) => ({ ...p })),
      createdOn: '2015-02-02T21:55:09.8806423Z',
      updatedOn: '2025-01-01T00:00:00.0000000Z',
      createdBy: null,
      updatedBy: null,
    },
  };
}

/** Checks the scope is in the simulated subscription and its resource group exists. */
function checkScope(ctx: SimContext, scope: string): void {
  if (scope === '') {
    throw badRequest(
      'InvalidScope',
      'Role assignments at the tenant root are not simulated: use a subscription, resource group or resource scope.',
    );
  }
  const parts = scope.split('/').filter((p) => p.length > 0);
  const sub = parts[1] ?? '';
  if (sub.toLowerCase() !== ctx.world.subscriptionId.toLowerCase()) throw subscriptionNotFound(sub);
  if (parts[2]?.toLowerCase() === 'resourcegroups') {
    const rg = parts[3] ?? '';
    if (!ctx.world.resourceGroups.has(key(`/subscriptions/${sub}/resourceGroups/${rg}`)))
      throw resourceGroupNotFound(rg);
  }
}

const CreateBody = z.object({
  properties: z.object({
    roleDefinitionId: z.string().min(1),
    principalId: z.string().regex(GUID, 'must be a GUID'),
    principalType: z.enum(['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device']).nullish(),
    description: z.string().max(2048).nullish(),
    condition: z.string().max(8192).nullish(),
    conditionVersion: z.string().nullish(),
  }),
});

function assignmentId(scope: string, name: string): string {
  return `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

function findRole(world: World, roleDefinitionId: string): RoleDefinitionRecord | undefined {
  return world.roleDefinitions.get(roleGuid(roleDefinitionId));
}

/** Parses the role assignment list `$filter`: terms joined by `and`. */
function parseFilter(filter: string | null): { atScope: boolean; principalId: string | undefined } {
  const result = { atScope: false, principalId: undefined as string | undefined };
  if (filter === null || filter.trim() === '') return result;
  for (const raw of filter.split(/\s+and\s+/i)) {
    const term = raw.trim();
    let m: RegExpExecArray | null;
    if (/^atScope\(\)$/i.test(term)) result.atScope = true;
    else if ((m = /^principalId\s+eq\s+'([^']+)'$/i.exec(term))) result.principalId = m[1];
    else if ((m = /^assignedTo\('([^']+)'\)$/i.exec(term))) result.principalId = m[1];
    else {
      throw new ArmError(
        400,
        'UnsupportedQuery',
        `The filter '${filter}' is not supported. Supported filters are 'atScope()', "principalId eq '{value}'" and "assignedTo('{value}')", joined by 'and'.`,
      );
    }
  }
  return result;
}

export function createAssignment(
  world: World,
  input: {
    scope: string;
    name: string;
    roleDefinitionId: string;
    principalId: string;
    principalType: string | undefined;
    description: string | undefined;
    condition: string | undefined;
    conditionVersion: string | undefined;
    by: string;
    at: string;
  },
): { record: RoleAssignmentRecord; created: boolean } {
  if (!GUID.test(input.name)) {
    throw badRequest(
      'InvalidRoleAssignmentId',
      `The role assignment ID '${input.name}' is not valid. The role assignment ID must be a GUID.`,
    );
  }
  const role = findRole(world, input.roleDefinitionId);
  if (!role)
    throw badRequest(
      'RoleDefinitionDoesNotExist',
      `The specified role definition with ID '${roleGuid(input.roleDefinitionId)}' does not exist.`,
    );
  if (!role.assignableScopes.some((s) => s === '/' || isScopeOf(s, input.scope))) {
    throw badRequest(
      'InvalidCreateRoleAssignmentRequest',
      `The role '${role.roleName}' is not assignable at scope '${input.scope}'.`,
    );
  }
  const principal = world.principalById(input.principalId);
  if (!principal) {
    throw badRequest(
      'PrincipalNotFound',
      `Principal ${input.principalId.replace(/-/g, '')} does not exist in the directory ${world.tenantId}. Check that you have the correct principal ID.`,
    );
  }
  let parsedCondition;
  if (input.condition !== undefined) {
    if ((input.conditionVersion ?? '2.0') !== '2.0') {
      throw badRequest(
        'InvalidConditionVersion',
        `The condition version '${input.conditionVersion ?? ''}' is not supported; use '2.0'.`,
      );
    }
    try {
      parsedCondition = parseCondition(input.condition);
    } catch (error) {
      if (error instanceof ConditionSyntaxError) {
        throw badRequest(
          'InvalidCondition',
          `The role assignment condition is invalid or not supported by the simulator: ${error.message}.`,
          'properties.condition',
        );
      }
      throw error;
    }
  }
  const id = assignmentId(input.scope, input.name);
  const fullRoleId = roleDefinitionResourceId(world.subscriptionId, role.name);
  const existing = world.roleAssignments.get(key(id));
  if (existing) {
    if (
      existing.principalId.toLowerCase() !== input.principalId.toLowerCase() ||
      roleGuid(existing.roleDefinitionId) !== role.name
    ) {
      throw conflict(
        'RoleAssignmentUpdateNotPermitted',
        'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
      );
    }
  } else {
    const duplicate = [...world.roleAssignments.values()].find(
      (a) =>
        a.principalId.toLowerCase() === input.principalId.toLowerCase() &&
        roleGuid(a.roleDefinitionId) === role.name &&
        normalizeResourceId(a.scope) === normalizeResourceId(input.scope),
    );
    if (duplicate) throw conflict('RoleAssignmentExists', 'The role assignment already exists.');
  }
  const record: RoleAssignmentRecord = {
    id,
    name: input.name.toLowerCase(),
    scope: input.scope,
    roleDefinitionId: fullRoleId,
    principalId: input.principalId.toLowerCase(),
    principalType: input.principalType ?? (principal.kind === 'User' ? 'User' : 'ServicePrincipal'),
    condition: input.condition,
    conditionVersion: input.condition === undefined ? undefined : (input.conditionVersion ?? '2.0'),
    parsedCondition,
    description: input.description,
    createdOn: existing?.createdOn ?? input.at,
    updatedOn: input.at,
    createdBy: existing?.createdBy ?? input.by,
    updatedBy: input.by,
  };
  world.roleAssignments.set(key(id), record);
  return { record, created: existing === undefined };
}

function scopeOf(p: Params): string {
  return p['scope'] ?? '';
}

function requestAttributes(req: ArmRequest): {
  request: { RoleDefinitionId?: string; PrincipalId?: string; PrincipalType?: string };
} {
  const parsed = CreateBody.safeParse(req.body);
  if (!parsed.success) return { request: {} };
  const props = parsed.data.properties;
  return {
    request: {
      RoleDefinitionId: props.roleDefinitionId,
      PrincipalId: props.principalId,
      ...(props.principalType ? { PrincipalType: props.principalType } : {}),
    },
  };
}

export function authorizationRoutes(): RouteDefinition[] {
  const v = AUTHORIZATION_API_VERSIONS;
  return [
    {
      operation: 'roleAssignments.listForScope',
      method: 'GET',
      pattern: RA,
      apiVersions: v,
      scope: (p) => scopeOf(p),
      handle: (req, p, ctx) => {
        const scope = scopeOf(p);
        checkScope(ctx, scope);
        const filter = parseFilter(req.query.get('$filter'));
        const items = [...ctx.world.roleAssignments.values()]
          .filter((a) =>
            filter.atScope ? isScopeOf(a.scope, scope) : isScopeOf(a.scope, scope) || isScopeOf(scope, a.scope),
          )
          .filter(
            (a) => filter.principalId === undefined || a.principalId.toLowerCase() === filter.principalId.toLowerCase(),
          )
          .sort((a, b) => a.id.localeCompare(b.id))
          .map(renderRoleAssignment);
        return json(200, page(items, req, ctx.settings.pageSize));
      },
    },
    {
      operation: 'roleAssignments.get',
      method: 'GET',
      pattern: `${RA}/{roleAssignmentName}`,
      apiVersions: v,
      handle: (_req, p, ctx) => {
        const scope = scopeOf(p);
        checkScope(ctx, scope);
        const a = ctx.world.roleAssignments.get(key(assignmentId(scope, p['roleAssignmentName'] ?? '')));
        if (!a)
          throw new ArmError(
            404,
            'RoleAssignmentNotFound',
            `The role assignment '${p['roleAssignmentName'] ?? ''}' is not found.`,
          );
        return json(200, renderRoleAssignment(a));
      },
    },
    {
      operation: 'roleAssignments.create',
      method: 'PUT',
      pattern: `${RA}/{roleAssignmentName}`,
      apiVersions: v,
      conditionAttributes: (req) => requestAttributes(req),
      handle: (req, p, ctx) => {
        const scope = scopeOf(p);
        checkScope(ctx, scope);
        const body = parseBody(CreateBody, req.body);
        const props = body.properties;
        const by = req.principal.objectId;
        const { record, created } = createAssignment(ctx.world, {
          scope,
          name: p['roleAssignmentName'] ?? '',
          roleDefinitionId: props.roleDefinitionId,
          principalId: props.principalId,
          principalType: props.principalType ?? undefined,
          description: props.description ?? undefined,
          condition: props.condition ?? undefined,
          conditionVersion: props.conditionVersion ?? undefined,
          by,
          at: ctx.clock.nowIso(),
        });
        ctx.emitFor(req, {
          kind: 'write',
          resourceUri: record.id,
          operationName: 'Microsoft.Authorization/roleAssignments/write',
          existed: !created,
        });
        return json(created ? 201 : 200, renderRoleAssignment(record));
      },
    },
    {
      operation: 'roleAssignments.delete',
      method: 'DELETE',
      pattern: `${RA}/{roleAssignmentName}`,
      apiVersions: v,
      conditionAttributes: (_req, p, ctx) => {
        const a = ctx.world.roleAssignments.get(key(assignmentId(scopeOf(p), p['roleAssignmentName'] ?? '')));
        return a
          ? {
              resource: {
                RoleDefinitionId: a.roleDefinitionId,
                PrincipalId: a.principalId,
                PrincipalType: a.principalType,
              },
            }
          : {};
      },
      handle: (req, p, ctx) => {
        const scope = scopeOf(p);
        checkScope(ctx, scope);
        const id = assignmentId(scope, p['roleAssignmentName'] ?? '');
        const a = ctx.world.roleAssignments.get(key(id));
        if (!a) return empty(204);
        ctx.world.roleAssignments.delete(key(id));
        ctx.emitFor(req, {
          kind: 'delete',
          resourceUri: a.id,
          operationName: 'Microsoft.Authorization/roleAssignments/delete',
          existed: true,
        });
        return json(200, renderRoleAssignment(a));
      },
    },
    {
      operation: 'roleDefinitions.list',
      method: 'GET',
      pattern: RD,
      apiVersions: v,
      scope: (p) => scopeOf(p) || undefined,
      handle: (req, p, ctx) => {
        const scope = scopeOf(p);
        if (scope !== '') checkScope(ctx, scope);
        const filter = req.query.get('$filter');
        let roles = [...ctx.world.roleDefinitions.values()];
        if (filter !== null && filter.trim() !== '') {
          const byName = /^roleName\s+eq\s+'([^']*)'$/i.exec(filter.trim());
          const byType = /^type\s+eq\s+'(BuiltInRole|CustomRole)'$/i.exec(filter.trim());
          if (byName) roles = roles.filter((r) => r.roleName.toLowerCase() === (byName[1] ?? '').toLowerCase());
          else if (byType) roles = roles.filter((r) => r.roleType.toLowerCase() === (byType[1] ?? '').toLowerCase());
          else
            throw new ArmError(
              400,
              'UnsupportedQuery',
              `The filter '${filter}' is not supported: use "roleName eq '{name}'" or "type eq 'BuiltInRole|CustomRole'".`,
            );
        }
        const sub = scope === '' ? undefined : ctx.world.subscriptionId;
        return json(
          200,
          page(
            roles.sort((a, b) => a.roleName.localeCompare(b.roleName)).map((r) => renderRoleDefinition(r, sub)),
            req,
            ctx.settings.pageSize,
          ),
        );
      },
    },
    {
      operation: 'roleDefinitions.get',
      method: 'GET',
      pattern: `${RD}/{roleDefinitionId}`,
      apiVersions: v,
      scope: (p) => scopeOf(p) || undefined,
      handle: (_req, p, ctx) => {
        const scope = scopeOf(p);
        if (scope !== '') checkScope(ctx, scope);
        const guid = (p['roleDefinitionId'] ?? '').toLowerCase();
        const role = ctx.world.roleDefinitions.get(guid);
        if (!role)
          throw new ArmError(404, 'RoleDefinitionDoesNotExist', `The role definition '${guid}' could not be found.`);
        return json(200, renderRoleDefinition(role, scope === '' ? undefined : ctx.world.subscriptionId));
      },
    },
  ];
}
