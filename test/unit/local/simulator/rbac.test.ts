import { describe, expect, it } from 'vitest';
import { onlyRolesCondition } from '../../../../local/simulator/scenario/builtins.js';
import {
  actionMatches,
  BUILT_IN_ROLE_IDS,
  BUILT_IN_ROLES,
  checkAccess,
  ConditionSyntaxError,
  evaluateCondition,
  findBuiltInRole,
  OPERATION_ACTIONS,
  parseCondition,
  permissionsGrant,
  requiredAction,
  type AssignmentLike,
} from '../../../../local/simulator/rbac/index.js';

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
const VNET = `${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet1`;
const PRINCIPAL = '11111111-1111-1111-1111-111111111111';

function role(name: keyof typeof BUILT_IN_ROLE_IDS) {
  const r = BUILT_IN_ROLES.find((x) => x.name === BUILT_IN_ROLE_IDS[name]);
  if (!r) throw new Error(`missing built-in role ${name}`);
  return r;
}

function assignment(roleName: keyof typeof BUILT_IN_ROLE_IDS, scope: string, condition?: string): AssignmentLike {
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/a1`,
    name: 'a1',
    scope,
    roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLE_IDS[roleName]}`,
    principalId: PRINCIPAL,
    principalType: 'ServicePrincipal',
    parsedCondition: condition === undefined ? undefined : parseCondition(condition),
  };
}

const roleById = (guid: string) => BUILT_IN_ROLES.find((r) => r.name === guid);

describe('action wildcard matching', () => {
  it.each([
    ['*', 'Microsoft.Network/virtualNetworks/read', true],
    ['*/read', 'Microsoft.Network/virtualNetworks/subnets/read', true],
    ['*/read', 'Microsoft.Network/virtualNetworks/write', false],
    ['Microsoft.Network/*', 'Microsoft.Network/virtualNetworks/subnets/read', true],
    ['Microsoft.Network/*', 'Microsoft.ContainerService/managedClusters/read', false],
    ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/roleAssignments/write', true],
    ['Microsoft.ContainerService/fleets/*', 'Microsoft.ContainerService/fleets/clusterMeshProfiles/apply/action', true],
    ['Microsoft.ContainerService/managedClusters/read', 'microsoft.containerservice/MANAGEDCLUSTERS/read', true],
  ])('%s matches %s: %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });
});

describe('built-in roles', () => {
  it('Contributor cannot write role assignments (notActions) but can write clusters', () => {
    const c = role('contributor');
    expect(permissionsGrant(c.permissions, 'Microsoft.Authorization/roleAssignments/write')).toBe(false);
    expect(permissionsGrant(c.permissions, 'Microsoft.ContainerService/managedClusters/write')).toBe(true);
  });

  it('Network Contributor grants the subnet read the clustermesh-apiserver load balancer needs', () => {
    expect(
      permissionsGrant(role('networkContributor').permissions, 'Microsoft.Network/virtualNetworks/subnets/read'),
    ).toBe(true);
    expect(permissionsGrant(role('reader').permissions, 'Microsoft.Network/virtualNetworks/subnets/read')).toBe(true);
    expect(
      permissionsGrant(role('trafficManagerContributor').permissions, 'Microsoft.Network/virtualNetworks/subnets/read'),
    ).toBe(false);
  });

  it('every operation in the action table is granted by Owner and no read by a role without it', () => {
    for (const [op, entry] of Object.entries(OPERATION_ACTIONS)) {
      const action = entry.action.replace('{endpointType}', 'azureEndpoints');
      expect(permissionsGrant(role('owner').permissions, action), op).toBe(true);
    }
    expect(
      permissionsGrant(role('fleetManagerContributor').permissions, requiredAction('clusterMeshProfiles.apply')),
    ).toBe(true);
    expect(
      permissionsGrant(role('fleetManagerContributor').permissions, requiredAction('managedClusters.createOrUpdate')),
    ).toBe(false);
    expect(permissionsGrant(role('aksContributor').permissions, requiredAction('managedClusters.createOrUpdate'))).toBe(
      true,
    );
    expect(requiredAction('trafficManagerEndpoints.createOrUpdate', { endpointType: 'AzureEndpoints' })).toBe(
      'Microsoft.Network/trafficManagerProfiles/azureEndpoints/write',
    );
  });

  it('finds roles by name or id', () => {
    expect(findBuiltInRole('network contributor')?.name).toBe(BUILT_IN_ROLE_IDS.networkContributor);
    expect(findBuiltInRole(BUILT_IN_ROLE_IDS.reader.toUpperCase())?.roleName).toBe('Reader');
    expect(findBuiltInRole('Nonexistent Role')).toBeUndefined();
  });
});

describe('checkAccess', () => {
  it('applies an assignment at the scope or above, not below', () => {
    const atRg = [assignment('networkContributor', `${SUB}/resourceGroups/rg-net`)];
    expect(
      checkAccess(
        {
          principalId: PRINCIPAL,
          action: 'Microsoft.Network/virtualNetworks/subnets/read',
          scope: `${VNET}/subnets/nodes`,
        },
        atRg,
        roleById,
      ).allowed,
    ).toBe(true);
    const belowOnly = [assignment('networkContributor', `${VNET}/subnets/nodes`)];
    expect(
      checkAccess(
        { principalId: PRINCIPAL, action: 'Microsoft.Network/virtualNetworks/read', scope: VNET },
        belowOnly,
        roleById,
      ).allowed,
    ).toBe(false);
  });

  it('compares scopes case-insensitively and reports the evidence', () => {
    const decision = checkAccess(
      {
        principalId: PRINCIPAL.toUpperCase(),
        action: 'Microsoft.Network/virtualNetworks/read',
        scope: VNET.toLowerCase(),
      },
      [assignment('reader', SUB)],
      roleById,
    );
    expect(decision).toMatchObject({
      allowed: true,
      evidence: { role: 'Reader', roleAssignmentScope: SUB, roleDefinitionId: BUILT_IN_ROLE_IDS.reader },
    });
  });

  it('ignores other principals', () => {
    const other = { ...assignment('owner', SUB), principalId: '22222222-2222-2222-2222-222222222222' };
    expect(
      checkAccess(
        { principalId: PRINCIPAL, action: 'Microsoft.Network/virtualNetworks/read', scope: VNET },
        [other],
        roleById,
      ).allowed,
    ).toBe(false);
  });
});

describe('role assignment conditions', () => {
  const condition = onlyRolesCondition([BUILT_IN_ROLE_IDS.networkContributor]);
  const rbacAdmin = [assignment('roleBasedAccessControlAdministrator', VNET, condition)];
  const write = 'Microsoft.Authorization/roleAssignments/write';
  const del = 'Microsoft.Authorization/roleAssignments/delete';
  const ncId = `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLE_IDS.networkContributor}`;
  const ownerId = `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLE_IDS.owner}`;

  it('allows assigning the listed role', () => {
    const d = checkAccess(
      { principalId: PRINCIPAL, action: write, scope: VNET, request: { RoleDefinitionId: ncId } },
      rbacAdmin,
      roleById,
    );
    expect(d.allowed).toBe(true);
  });

  it('denies assigning another role, and says a condition failed', () => {
    const d = checkAccess(
      { principalId: PRINCIPAL, action: write, scope: VNET, request: { RoleDefinitionId: ownerId } },
      rbacAdmin,
      roleById,
    );
    expect(d).toEqual({ allowed: false, conditionFailed: true });
  });

  it('checks deletes against the existing assignment (@Resource)', () => {
    expect(
      checkAccess(
        { principalId: PRINCIPAL, action: del, scope: VNET, resource: { RoleDefinitionId: ncId } },
        rbacAdmin,
        roleById,
      ).allowed,
    ).toBe(true);
    expect(
      checkAccess(
        { principalId: PRINCIPAL, action: del, scope: VNET, resource: { RoleDefinitionId: ownerId } },
        rbacAdmin,
        roleById,
      ).allowed,
    ).toBe(false);
  });

  it('does not restrict reads', () => {
    expect(
      checkAccess(
        { principalId: PRINCIPAL, action: 'Microsoft.Network/virtualNetworks/read', scope: VNET },
        rbacAdmin,
        roleById,
      ).allowed,
    ).toBe(true);
  });

  it('evaluates quantifiers and negated comparisons', () => {
    const notOwner = parseCondition(
      `@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals {${BUILT_IN_ROLE_IDS.owner}, ${BUILT_IN_ROLE_IDS.userAccessAdministrator}}`,
    );
    expect(evaluateCondition(notOwner, { action: write, request: { RoleDefinitionId: ncId } })).toBe(true);
    expect(evaluateCondition(notOwner, { action: write, request: { RoleDefinitionId: ownerId } })).toBe(false);
    const spOnly = parseCondition(
      `@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}`,
    );
    expect(evaluateCondition(spOnly, { action: write, request: { PrincipalType: 'servicePrincipal' } })).toBe(true);
    expect(evaluateCondition(spOnly, { action: write, request: { PrincipalType: 'User' } })).toBe(false);
    expect(evaluateCondition(spOnly, { action: write })).toBe(false);
  });

  it.each([
    [
      "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'x'",
      'unsupported attribute',
    ],
    ["SubOperationMatches{'x'}", 'unsupported function'],
    ['@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] GuidLike {x}', 'unsupported operator'],
    ["(ActionMatches{'a'}", "expected ')'"],
    ['', 'empty'],
  ])('rejects %s naming the problem', (text, fragment) => {
    expect(() => parseCondition(text)).toThrow(ConditionSyntaxError);
    expect(() => parseCondition(text)).toThrow(fragment);
  });
});
