/**
 * AuthorizationGateway against the simulator through `@azure/arm-authorization` 9.0.0 (api-version 2022-04-01):
 * assignments of a principal at a scope, role definitions, and creating an assignment under the deterministic GUID
 * (201 created, 200 re-created, 409 RoleAssignmentExists = success, any other 409 and 403 = errors).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { roleAssignmentName, isConflict, isForbidden } from '../../../../shared/azure/index.js';
import { BuiltInRoles, roleDefinitionGuid } from '../../../../shared/arm/resourceId.js';
import { ValidationError } from '../../../../shared/errors.js';
import { at, NETWORK_CONTRIBUTOR, startHarness, type GatewayHarness } from './support.js';

const RBAC_ADMIN = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168';

describe('AuthorizationGateway (two-regions)', () => {
  let h: GatewayHarness;
  let vnetWest: string;
  let vnetEast: string;
  let ncRole: string;
  let principal: (name: string) => string;
  beforeAll(async () => {
    h = await startHarness({ scenario: 'two-regions' });
    vnetWest = h.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west');
    vnetEast = h.sub('/resourceGroups/rg-east/providers/Microsoft.Network/virtualNetworks/vnet-east');
    ncRole = h.sub(`/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`);
    principal = (name) => h.sim.control.principals()[name]?.objectId ?? '';
  });
  afterAll(async () => {
    await h.close();
  });

  /** The simulator's role assignments of `principalId` with role `roleGuid` at exactly `scope`. */
  function assignmentsInSimulator(scope: string, principalId: string, roleGuid: string): string[] {
    const all = z.array(z.unknown()).parse(at(h.sim.control.state(), 'roleAssignments'));
    return all
      .filter(
        (a) =>
          String(at(a, 'properties', 'scope')).toLowerCase() === scope.toLowerCase() &&
          at(a, 'properties', 'principalId') === principalId &&
          roleDefinitionGuid(String(at(a, 'properties', 'roleDefinitionId'))) === roleGuid,
      )
      .map((a) => String(at(a, 'name')));
  }

  it('lists the assignments of a principal that apply at a scope', async () => {
    const app = await h.gateways.authorization.listRoleAssignmentsForPrincipal(vnetWest, principal('fleetmesh'));
    const roles = app.map((a) => roleDefinitionGuid(a.roleDefinitionId));
    // Role Based Access Control Administrator on the VNet itself, Reader on the subscription above it.
    expect(roles).toEqual(expect.arrayContaining([RBAC_ADMIN, BuiltInRoles.reader]));
    const onVnet = app.find((a) => roleDefinitionGuid(a.roleDefinitionId) === RBAC_ADMIN);
    expect(onVnet).toMatchObject({ scope: vnetWest, principalType: 'ServicePrincipal', conditionVersion: '2.0' });
    expect(onVnet?.condition).toContain(NETWORK_CONTRIBUTOR);
    expect(
      await h.gateways.authorization.listRoleAssignmentsForPrincipal(vnetWest, principal('aks-west-identity')),
    ).toEqual([]);
  });

  it('reads role definitions by subscription-scoped and tenant-scoped id', async () => {
    const nc = await h.gateways.authorization.getRoleDefinition(ncRole);
    expect(nc).toMatchObject({ name: NETWORK_CONTRIBUTOR, roleName: 'Network Contributor', roleType: 'BuiltInRole' });
    expect(nc.permissions?.[0]?.actions).toContain('Microsoft.Network/*');
    const tenant = await h.gateways.authorization.getRoleDefinition(
      `/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`,
    );
    expect(tenant.roleName).toBe('Network Contributor');
  });

  it('creates under the deterministic GUID; re-creating is a no-op: exactly one assignment exists', async () => {
    const westIdentity = principal('aks-west-identity');
    const request = {
      scope: vnetWest,
      roleDefinitionId: ncRole,
      principalId: westIdentity,
      principalType: 'ServicePrincipal',
    } as const;
    const first = await h.gateways.authorization.createRoleAssignment(request);
    const name = roleAssignmentName(vnetWest, westIdentity, ncRole);
    expect(first).toEqual({ created: true, name });
    const again = await h.gateways.authorization.createRoleAssignment({ ...request, scope: `${vnetWest}/` });
    expect(again).toEqual({ created: false, name });
    expect(assignmentsInSimulator(vnetWest, westIdentity, NETWORK_CONTRIBUTOR)).toEqual([name]);
    const listed = await h.gateways.authorization.listRoleAssignmentsForPrincipal(vnetWest, westIdentity);
    expect(listed).toEqual([
      expect.objectContaining({ name, principalType: 'ServicePrincipal', roleDefinitionId: ncRole }),
    ]);
  });

  it('an equal assignment under another name (409 RoleAssignmentExists) is success, not an error', async () => {
    const eastIdentity = principal('aks-east-identity');
    const existing = assignmentsInSimulator(vnetEast, eastIdentity, NETWORK_CONTRIBUTOR);
    expect(existing).toHaveLength(1);
    const ours = roleAssignmentName(vnetEast, eastIdentity, ncRole);
    expect(existing[0]).not.toBe(ours);
    const { value, calls } = await h.gateways.counters.track(() =>
      h.gateways.authorization.createRoleAssignment({
        scope: vnetEast,
        roleDefinitionId: ncRole,
        principalId: eastIdentity,
        principalType: 'ServicePrincipal',
      }),
    );
    expect(value).toEqual({ created: false, name: ours });
    expect(calls).toEqual({ reads: 0, writes: 1, throttled: 0, errors: 0 });
    expect(assignmentsInSimulator(vnetEast, eastIdentity, NETWORK_CONTRIBUTOR)).toEqual(existing);
  });

  it('any other 409 is an error', async () => {
    h.sim.control.setFaults({
      overrides: [{ match: { operations: ['roleAssignments.create'] }, errorRates: { '409': 1 }, times: 1 }],
    });
    const error: unknown = await h.gateways.authorization
      .createRoleAssignment({
        scope: h.sub('/resourceGroups/rg-central/providers/Microsoft.Network/virtualNetworks/vnet-central'),
        roleDefinitionId: ncRole,
        principalId: principal('aks-central-identity'),
        principalType: 'ServicePrincipal',
      })
      .catch((e: unknown) => e);
    h.sim.control.clearFaults();
    expect(isConflict(error)).toBe(true);
    expect(error).toMatchObject({
      statusCode: 409,
      armCode: 'AnotherOperationInProgress',
      operation: 'roleAssignments.create',
    });
  });

  it('with role enforcement, the app may assign Network Contributor on a member VNet and nothing else (403)', async () => {
    h.sim.control.setRoleEnforcement(true);
    try {
      const centralVnet = h.sub('/resourceGroups/rg-central/providers/Microsoft.Network/virtualNetworks/vnet-central');
      const reader = h.sub(`/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.reader}`);
      const forbidden: unknown = await h.gateways.authorization
        .createRoleAssignment({
          scope: centralVnet,
          roleDefinitionId: reader,
          principalId: principal('aks-central-identity'),
          principalType: 'ServicePrincipal',
        })
        .catch((e: unknown) => e);
      expect(isForbidden(forbidden)).toBe(true);
      expect(forbidden).toMatchObject({ armCode: 'AuthorizationFailed' });
    } finally {
      h.sim.control.setRoleEnforcement(false);
    }
  });

  it('refuses bad input before calling ARM', async () => {
    const base = {
      scope: vnetWest,
      roleDefinitionId: ncRole,
      principalId: principal('aks-west-identity'),
      principalType: 'ServicePrincipal',
    } as const;
    await expect(
      h.gateways.authorization.createRoleAssignment({ ...base, principalId: "x' or 1 eq 1" }),
    ).rejects.toThrow(ValidationError);
    await expect(h.gateways.authorization.createRoleAssignment({ ...base, scope: 'vnet-west' })).rejects.toThrow(
      ValidationError,
    );
    await expect(
      h.gateways.authorization.createRoleAssignment({ ...base, roleDefinitionId: 'Network Contributor' }),
    ).rejects.toThrow(ValidationError);
    await expect(
      h.gateways.authorization.listRoleAssignmentsForPrincipal(vnetWest, "x' or principalId ne 'y"),
    ).rejects.toThrow(ValidationError);
  });
});
