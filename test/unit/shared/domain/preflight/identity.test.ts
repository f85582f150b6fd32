import { describe, expect, it } from 'vitest';
import { BuiltInRoles } from '../../../../../shared/arm/resourceId.js';
import {
  actionMatches,
  roleDefinitionGrants,
  runPreflight,
  type PreflightFinding,
} from '../../../../../shared/domain/preflight/index.js';
import type { RoleAssignment, RoleDefinition } from '../../../../../shared/models/index.js';
import { eastWest, principalOf, roleAssignment, roleDefinition, SUB, vnetIdOf } from '../fixtures.js';

const CUSTOM = 'c0ffee00-0000-4000-8000-000000000001';
const EAST_VNET = vnetIdOf('vnet-east');

/** East/west where east's identity has only `assignments` (west keeps Network Contributor). */
function eastIdentityFindings(
  assignments: RoleAssignment[],
  definitions: RoleDefinition[] = [],
): readonly PreflightFinding[] {
  const builder = eastWest();
  const snapshot = builder.snapshot();
  const east = principalOf('east');
  const roleAssignments = { ...snapshot.roleAssignments, [east]: assignments };
  const withDefinitions = definitions.reduce((b, d) => b.definition(d), builder).snapshot({ roleAssignments });
  return runPreflight(withDefinitions).findings;
}

const east = principalOf('east');
const rg = `/subscriptions/${SUB}/resourceGroups/rg-net`;
const MANAGEMENT_GROUP = '/providers/Microsoft.Management/managementGroups/platform';

describe('cluster identity needs subnet read + join on its VNet', () => {
  it.each<[string, RoleAssignment[], RoleDefinition[]]>([
    ['Network Contributor on the VNet', [roleAssignment(east, EAST_VNET, BuiltInRoles.networkContributor)], []],
    ['Network Contributor on the resource group', [roleAssignment(east, rg, BuiltInRoles.networkContributor)], []],
    [
      'Network Contributor on the subscription',
      [roleAssignment(east, `/subscriptions/${SUB}`, BuiltInRoles.networkContributor)],
      [],
    ],
    ['Network Contributor at the root scope', [roleAssignment(east, '/', BuiltInRoles.networkContributor)], []],
    [
      'Network Contributor on a management group (ARM lists it at the VNet only when it applies there)',
      [roleAssignment(east, MANAGEMENT_GROUP, BuiltInRoles.networkContributor)],
      [],
    ],
    ['Contributor on the resource group', [roleAssignment(east, rg, BuiltInRoles.contributor)], []],
    ['Owner on the VNet', [roleAssignment(east, EAST_VNET, BuiltInRoles.owner)], []],
    [
      'an assignment without a scope field (scope taken from its id)',
      [roleAssignment(east, EAST_VNET, BuiltInRoles.networkContributor, false)],
      [],
    ],
    [
      'a custom role listing both actions',
      [roleAssignment(east, EAST_VNET, CUSTOM)],
      [
        roleDefinition(CUSTOM, [
          'Microsoft.Network/virtualNetworks/subnets/read',
          'Microsoft.Network/virtualNetworks/subnets/join/action',
        ]),
      ],
    ],
    [
      'a custom role with Microsoft.Network/*',
      [roleAssignment(east, EAST_VNET, CUSTOM)],
      [roleDefinition(CUSTOM, ['Microsoft.Network/*'])],
    ],
    [
      'a custom role with a wildcard in other casing',
      [roleAssignment(east, EAST_VNET, CUSTOM)],
      [roleDefinition(CUSTOM, ['microsoft.network/virtualnetworks/subnets/*'])],
    ],
  ])('%s → no finding', (_, assignments, definitions) => {
    expect(eastIdentityFindings(assignments, definitions)).toEqual([]);
  });

  it.each<[string, RoleAssignment[], RoleDefinition[]]>([
    ['no assignment at all (the documented AuthorizationFailed case)', [], []],
    [
      'Network Contributor on another VNet',
      [roleAssignment(east, vnetIdOf('vnet-west'), BuiltInRoles.networkContributor)],
      [],
    ],
    [
      'Network Contributor on a subnet only (below the VNet)',
      [roleAssignment(east, `${EAST_VNET}/subnets/nodes`, BuiltInRoles.networkContributor)],
      [],
    ],
    ['Reader only', [roleAssignment(east, EAST_VNET, BuiltInRoles.reader)], []],
    [
      'a custom role with read but not join',
      [roleAssignment(east, EAST_VNET, CUSTOM)],
      [roleDefinition(CUSTOM, ['Microsoft.Network/virtualNetworks/subnets/read'])],
    ],
    [
      'a custom role whose notActions subtract join',
      [roleAssignment(east, EAST_VNET, CUSTOM)],
      [roleDefinition(CUSTOM, ['Microsoft.Network/*'], ['Microsoft.Network/virtualNetworks/subnets/join/action'])],
    ],
    ['a custom role whose definition was not read', [roleAssignment(east, EAST_VNET, CUSTOM)], []],
  ])('%s → fixable warning', (_, assignments, definitions) => {
    const findings = eastIdentityFindings(assignments, definitions);
    expect(findings).toEqual([
      {
        checkId: 'identity.networkRole',
        severity: 'warning',
        member: 'east',
        resourceId: EAST_VNET,
        fixableByFleetmesh: true,
        message: `the identity of cluster 'aks-east' (principal ${east}) has no role assignment granting Microsoft.Network/virtualNetworks/subnets/read and Microsoft.Network/virtualNetworks/subnets/join/action on virtual network 'vnet-east'; without it the clustermesh-apiserver internal load balancer stays pending (403 AuthorizationFailed) and the member fails to connect`,
        remediation: `fleetmesh will grant Network Contributor (${BuiltInRoles.networkContributor}) on virtual network ${EAST_VNET} to principal ${east}; to grant it yourself: az role assignment create --assignee-object-id ${east} --assignee-principal-type ServicePrincipal --role "Network Contributor" --scope ${EAST_VNET}`,
      },
    ]);
    expect(runPreflight(eastWest().snapshot()).blocked).toBe(false);
  });

  it('role assignments that could not be read: the same fixable warning, with the reason', () => {
    const snapshot = eastWest().snapshot();
    const { [east]: _, ...others } = snapshot.roleAssignments;
    const findings = runPreflight({
      ...snapshot,
      roleAssignments: others,
      readFailures: [{ kind: 'roleAssignments', id: east.toUpperCase(), reason: '403 AuthorizationFailed' }],
    }).findings;
    expect(findings.map((f) => [f.checkId, f.severity, f.member, f.fixableByFleetmesh])).toEqual([
      ['identity.networkRole', 'warning', 'east', true],
    ]);
    expect(findings[0]?.message).toContain(
      'may lack a role assignment (its role assignments could not be read (403 AuthorizationFailed))',
    );
  });

  it('a user-assigned cluster identity is checked the same way', () => {
    const snapshot = eastWest()
      .cluster({
        name: 'ua',
        vnet: 'vnet-east',
        nodeSubnet: 'nodes',
        cluster: { userAssigned: true },
        networkContributor: false,
      })
      .snapshot();
    expect(runPreflight(snapshot).findings.map((f) => [f.checkId, f.member])).toEqual([['identity.networkRole', 'ua']]);
  });

  it('a cluster without a managed identity: a warning that fleetmesh cannot check or grant', () => {
    const snapshot = eastWest()
      .cluster({ name: 'sp', vnet: 'vnet-east', nodeSubnet: 'nodes', cluster: { principalId: null } })
      .snapshot();
    const findings = runPreflight(snapshot).findings;
    expect(findings.map((f) => [f.checkId, f.severity, f.member, f.fixableByFleetmesh])).toEqual([
      ['identity.unknown', 'warning', 'sp', undefined],
    ]);
  });
});

describe('role definition matching', () => {
  it.each([
    ['*', 'Microsoft.Network/virtualNetworks/subnets/read', true],
    ['*/read', 'Microsoft.Network/virtualNetworks/subnets/read', true],
    ['*/read', 'Microsoft.Network/virtualNetworks/subnets/join/action', false],
    ['Microsoft.Network/virtualNetworks/*/read', 'Microsoft.Network/virtualNetworks/subnets/read', true],
    ['Microsoft.Network/virtualNetworks/subnets/read', 'Microsoft.Network/virtualNetworks/subnets/read', true],
    ['Microsoft.Network/virtualNetworks/subnets/read', 'Microsoft.Network/virtualNetworks/subnetsXread', false],
    ['Microsoft.Compute/*', 'Microsoft.Network/virtualNetworks/subnets/read', false],
  ])('%s matches %s: %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });

  it('evaluates notActions within the same permission block only', () => {
    const definition: RoleDefinition = {
      id: 'x',
      name: 'x',
      permissions: [
        { actions: ['Microsoft.Network/*'], notActions: ['Microsoft.Network/virtualNetworks/subnets/join/action'] },
        { actions: ['Microsoft.Network/virtualNetworks/subnets/join/action'] },
      ],
    };
    expect(roleDefinitionGrants(definition, 'Microsoft.Network/virtualNetworks/subnets/join/action')).toBe(true);
    expect(roleDefinitionGrants({ id: 'y', name: 'y' }, 'Microsoft.Network/virtualNetworks/subnets/read')).toBe(false);
  });
});
