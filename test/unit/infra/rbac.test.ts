/**
 * Roles: infra/config/rbac.json (what main.bicep and infra/app/rbac-*.bicep assign) checked for least privilege, the
 * ABAC condition on the right to grant Network Contributor, and coverage of the ARM calls behind the gateway
 * interfaces of shared/azure/gateways.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BuiltInRoles } from '../../../shared/arm/resourceId.js';
import { ArmOperation, type ArmOperationName } from '../../../shared/azure/operations.js';
import { rbac as simulatorRbac } from '../../../local/simulator/index.js';
import { evaluateCondition, parseCondition, roleDefinitionValueSets } from './support/abac.js';
import { bicepFiles, parseBicep, propertyValue, resourceDeclarations, type BicepFile } from './support/bicep.js';
import { loadRbacConfig, type Assignment } from './support/config.js';

const rbac = loadRbacConfig();
const NETWORK_CONTRIBUTOR = BuiltInRoles.networkContributor;

/** Where each gateway operation is authorised, in the scope kinds of infra/config/rbac.json. */
const SCOPE_OF_OPERATION: Record<ArmOperationName, string> = {
  'fleetMembers.list': 'fleet',
  'fleetMembers.get': 'fleet',
  'fleetMembers.update': 'fleet',
  'clusterMeshProfiles.list': 'fleet',
  'clusterMeshProfiles.get': 'fleet',
  'clusterMeshProfiles.createOrUpdate': 'fleet',
  'clusterMeshProfiles.apply': 'fleet',
  'clusterMeshProfiles.delete': 'fleet',
  'managedClusters.get': 'memberCluster',
  'managedClusters.createOrUpdate': 'memberCluster',
  'virtualNetworks.get': 'virtualNetwork',
  'networkSecurityGroups.get': 'networkSecurityGroup',
  'routeTables.get': 'routeTable',
  'publicIPAddresses.list': 'nodeResourceGroup',
  'roleAssignments.listForScope': 'virtualNetwork',
  'roleAssignments.create': 'virtualNetwork',
  'roleDefinitions.get': 'virtualNetwork',
  'trafficManagerProfiles.get': 'trafficManagerResourceGroup',
  'trafficManagerProfiles.createOrUpdate': 'trafficManagerResourceGroup',
  'trafficManagerProfiles.update': 'trafficManagerResourceGroup',
  'trafficManagerEndpoints.get': 'trafficManagerResourceGroup',
  'trafficManagerEndpoints.createOrUpdate': 'trafficManagerResourceGroup',
  'trafficManagerEndpoints.delete': 'trafficManagerResourceGroup',
};
const RA = 'Microsoft.Authorization/roleAssignments';

/** Scope kinds assigned by the modules; anything else in rbac.json would be silently skipped by main.bicep. */
const TARGET_KINDS = [
  'fleet',
  'memberCluster',
  'memberClusterIdentity',
  'virtualNetwork',
  'networkSecurityGroup',
  'routeTable',
  'nodeResourceGroup',
  'trafficManagerResourceGroup',
];
const APP_RESOURCE_KINDS = [
  'storageAccount',
  'deadLetterContainer',
  'applicationInsights',
  'cosmosAccount',
  'outcomeTopic',
  'durableTaskHub',
];
const SUBSCRIPTION_KINDS = ['fleetSubscription'];

function roleActions(role: string): string[] {
  return rbac.customRoles[role]?.actions ?? rbac.builtInRoles[role]?.actions ?? [];
}

// Azure RBAC action matching, case-insensitive: a star matches any characters, and a whole star segment between two
// slashes also matches no segment at all (Managed Identity Operator's "userAssignedIdentities/<star>/assign/action"
// allows "userAssignedIdentities/assign/action").
function actionMatches(pattern: string, action: string): boolean {
  const source = pattern
    .split('/*/')
    .map((part) => part.split('*').map(escapeRegExp).join('.*'))
    .join('/(?:.*/)?');
  return new RegExp(`^${source}$`, 'i').test(action);
}
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('roles granted by the template (infra/config/rbac.json)', () => {
  it('references only roles that are defined, and scope kinds the modules assign', () => {
    for (const a of rbac.assignments) {
      const defined = a.role in rbac.builtInRoles || a.role in rbac.customRoles || a.role in rbac.cosmosDataPlaneRoles;
      expect(defined, `${a.name}: role ${a.role}`).toBe(true);
      expect([...TARGET_KINDS, ...APP_RESOURCE_KINDS, ...SUBSCRIPTION_KINDS], a.name).toContain(a.scope);
      expect(Object.keys(rbac.scopeKinds), a.name).toContain(a.scope);
      if (a.condition !== '') expect(Object.keys(rbac.conditions), a.name).toContain(a.condition);
    }
    expect(new Set(rbac.assignments.map((a) => a.name)).size).toBe(rbac.assignments.length);
  });

  it('grants no Owner, Contributor or User Access Administrator anywhere', () => {
    const forbidden = Object.values(rbac.forbiddenRoles).map((r) => r.id.toLowerCase());
    expect(forbidden).toEqual(
      expect.arrayContaining([BuiltInRoles.owner, BuiltInRoles.contributor, BuiltInRoles.userAccessAdministrator]),
    );
    const granted = rbac.assignments.flatMap((a) => rbac.builtInRoles[a.role]?.id.toLowerCase() ?? []);
    expect(granted.filter((id) => forbidden.includes(id))).toEqual([]);
    // The one role the app itself grants is not granted to the app by the template.
    expect(granted).not.toContain(NETWORK_CONTRIBUTOR);
  });

  it('has nothing at subscription scope by default, and only read of async operation status when switched on', () => {
    const atSubscription = rbac.assignments.filter((a) => SUBSCRIPTION_KINDS.includes(a.scope));
    for (const a of atSubscription) {
      expect(a.when, `${a.name} must be off by default`).not.toBe('always');
      expect(
        roleActions(a.role).every((action) => action.endsWith('/read')),
        a.name,
      ).toBe(true);
      expect(
        roleActions(a.role).every((action) => !action.includes('*')),
        a.name,
      ).toBe(true);
    }
  });

  it('defines custom roles with exact actions only (no wildcards, no data actions, no role writes)', () => {
    for (const [key, role] of Object.entries(rbac.customRoles)) {
      for (const action of role.actions) {
        expect(action, key).not.toContain('*');
        expect(action, key).toMatch(/^Microsoft\.[A-Za-z]+\/[A-Za-z/.]+$/);
        expect(action.startsWith('Microsoft.Authorization/'), key).toBe(false);
      }
    }
  });

  it('gives every role that can write role assignments a condition', () => {
    const canWriteAssignments = rbac.assignments.filter((a) =>
      roleActions(a.role).some((action) => actionMatches(action, `${RA}/write`)),
    );
    expect(canWriteAssignments.map((a) => a.name)).toEqual(['vnet-network-contributor-granter']);
    for (const a of canWriteAssignments) {
      expect(a.condition, a.name).not.toBe('');
      expect(a.scope, a.name).toBe('virtualNetwork');
    }
  });

  it('gives the app an explicit reason for every assignment', () => {
    for (const a of rbac.assignments) expect(a.reason.length, a.name).toBeGreaterThan(40);
  });
});

describe('the Network Contributor grant condition', () => {
  const granter = rbac.assignments.find((a) => a.name === 'vnet-network-contributor-granter');
  const condition = rbac.conditions[granter?.condition ?? ''] ?? '';
  const write = (role: string, principalType: string) => ({
    action: `${RA}/write`,
    request: {
      [`${RA}:RoleDefinitionId`]: [role],
      [`${RA}:PrincipalType`]: [principalType],
    },
  });
  const remove = (role: string, principalType: string) => ({
    action: `${RA}/delete`,
    resource: {
      [`${RA}:RoleDefinitionId`]: [role],
      [`${RA}:PrincipalType`]: [principalType],
    },
  });

  it('parses as a supported ABAC expression and names only Network Contributor', () => {
    expect(() => parseCondition(condition)).not.toThrow();
    const sets = roleDefinitionValueSets(condition);
    expect(sets.length).toBe(2);
    for (const set of sets) expect(set).toEqual([NETWORK_CONTRIBUTOR]);
  });

  it.each([
    ['Network Contributor to a service principal', true, write(NETWORK_CONTRIBUTOR, 'ServicePrincipal')],
    ['Network Contributor to a user', false, write(NETWORK_CONTRIBUTOR, 'User')],
    ['Network Contributor to a group', false, write(NETWORK_CONTRIBUTOR, 'Group')],
    ['Owner to a service principal', false, write(BuiltInRoles.owner, 'ServicePrincipal')],
    ['User Access Administrator', false, write(BuiltInRoles.userAccessAdministrator, 'ServicePrincipal')],
    ['Contributor', false, write(BuiltInRoles.contributor, 'ServicePrincipal')],
    [
      'Role Based Access Control Administrator (re-delegation)',
      false,
      write(rbac.builtInRoles.rbacAdministrator?.id ?? '', 'ServicePrincipal'),
    ],
    ['delete of a Network Contributor assignment', true, remove(NETWORK_CONTRIBUTOR, 'ServicePrincipal')],
    ['delete of an Owner assignment', false, remove(BuiltInRoles.owner, 'User')],
    ['reading the VNet (not a role assignment write)', true, { action: 'Microsoft.Network/virtualNetworks/read' }],
  ])('%s: allowed %s', (_label, allowed, request) => {
    expect(evaluateCondition(condition, request)).toBe(allowed);
  });
});

describe('role assignments in the Bicep files', () => {
  let files: BicepFile[];
  beforeAll(async () => {
    files = await Promise.all(bicepFiles().map((f) => parseBicep(f)));
  });

  it('name every assignment guid(scope, principal, role), set principalType, and take role ids from rbac.json', () => {
    let count = 0;
    for (const file of files) {
      for (const r of resourceDeclarations(file.root).filter((d) => d.type.startsWith(`${RA}@`))) {
        count++;
        const where = `${file.relative}:${r.line}`;
        expect(r.body, where).toBeDefined();
        if (!r.body) continue;
        const name = propertyValue(r.body, 'name');
        expect(name?.type, where).toBe('call_expression');
        expect(name?.childForFieldName('function')?.text, where).toBe('guid');
        expect(name?.childForFieldName('arguments')?.namedChildren.length, where).toBe(3);
        const properties = propertyValue(r.body, 'properties');
        expect(properties, where).toBeDefined();
        if (!properties) continue;
        expect(propertyValue(properties, 'principalType')?.text, where).toBe("'ServicePrincipal'");
        // The role comes from a lookup (roleGuids[...] from rbac.json), never a literal GUID.
        expect(propertyValue(properties, 'roleDefinitionId')?.text, where).toMatch(/roleGuids\[/);
      }
    }
    expect(count).toBeGreaterThanOrEqual(10);
  });

  it('contain no role definition GUID literal (all roles come from rbac.json)', () => {
    const knownRoleIds = [
      ...Object.values(rbac.builtInRoles),
      ...Object.values(rbac.forbiddenRoles),
      ...Object.values(rbac.grantedByTheApp),
    ].map((r) => r.id.toLowerCase());
    for (const file of files) {
      const literals = [...file.source.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)];
      expect(
        literals.map((m) => m[0].toLowerCase()).filter((g) => knownRoleIds.includes(g)),
        file.relative,
      ).toEqual([]);
    }
  });

  it('loads rbac.json where roles are assigned, and handles every scope kind', async () => {
    const main = await parseBicep('infra/main.bicep');
    expect(main.source).toContain("loadJsonContent('config/rbac.json')");
    const targets = await parseBicep('infra/app/rbac-targets.bicep');
    const app = await parseBicep('infra/app/rbac-app.bicep');
    const subscription = await parseBicep('infra/app/rbac-subscription.bicep');
    for (const kind of TARGET_KINDS) expect(targets.source + main.source, kind).toContain(`'${kind}'`);
    for (const kind of APP_RESOURCE_KINDS) expect(app.source, kind).toContain(`'${kind}'`);
    for (const kind of SUBSCRIPTION_KINDS) expect(main.source, kind).toContain(`'${kind}'`);
    expect(subscription.source).toContain('grants');
    // The condition is attached where the VNet grants are made.
    expect(targets.source).toMatch(/condition: empty\(g\.condition\) \? null : conditions\[g\.condition\]/);
    expect(targets.source).toContain("conditionVersion: empty(g.condition) ? null : '2.0'");
  });
});

/**
 * Interim coverage check, until the simulator's role-to-action table exists: the ARM operations behind each gateway
 * method (shared/azure/gateways.ts), the scope kind they act on, and whether the roles of rbac.json allow them.
 * The action names are the ARM {provider}/{type}/{verb} of the REST calls in reference/azure-api-facts.md.
 */
interface Need {
  readonly method: string;
  readonly scope: string;
  readonly actions: readonly string[];
  /** For role assignment writes: the request the ABAC condition sees. */
  readonly grant?: { readonly role: string; readonly principalType: string };
}
const NEEDS: readonly Need[] = [
  { method: 'fleet.listMembers', scope: 'fleet', actions: ['Microsoft.ContainerService/fleets/members/read'] },
  { method: 'fleet.getMember', scope: 'fleet', actions: ['Microsoft.ContainerService/fleets/members/read'] },
  {
    method: 'fleet.updateMemberLabels',
    scope: 'fleet',
    actions: ['Microsoft.ContainerService/fleets/members/read', 'Microsoft.ContainerService/fleets/members/write'],
  },
  {
    method: 'fleet.listMeshProfiles',
    scope: 'fleet',
    actions: ['Microsoft.ContainerService/fleets/clusterMeshProfiles/read'],
  },
  {
    method: 'fleet.getMeshProfile',
    scope: 'fleet',
    actions: ['Microsoft.ContainerService/fleets/clusterMeshProfiles/read'],
  },
  {
    method: 'fleet.putMeshProfile',
    scope: 'fleet',
    actions: ['Microsoft.ContainerService/fleets/clusterMeshProfiles/write'],
  },
  {
    method: 'fleet.applyMeshProfile',
    scope: 'fleet',
    actions: ['Microsoft.ContainerService/fleets/clusterMeshProfiles/apply/action'],
  },
  {
    method: 'fleet.deleteMeshProfileAndWait',
    scope: 'fleet',
    actions: ['Microsoft.ContainerService/fleets/clusterMeshProfiles/delete'],
  },
  {
    method: 'clusters.getCluster',
    scope: 'memberCluster',
    actions: ['Microsoft.ContainerService/managedClusters/read'],
  },
  {
    method: 'clusters.reconcile',
    scope: 'memberCluster',
    actions: ['Microsoft.ContainerService/managedClusters/read', 'Microsoft.ContainerService/managedClusters/write'],
  },
  {
    method: 'clusters.reconcile (linked check on user-assigned identities)',
    scope: 'memberClusterIdentity',
    actions: ['Microsoft.ManagedIdentity/userAssignedIdentities/assign/action'],
  },
  { method: 'network.getVirtualNetwork', scope: 'virtualNetwork', actions: ['Microsoft.Network/virtualNetworks/read'] },
  {
    method: 'network.getNetworkSecurityGroup',
    scope: 'networkSecurityGroup',
    actions: ['Microsoft.Network/networkSecurityGroups/read'],
  },
  { method: 'network.getRouteTable', scope: 'routeTable', actions: ['Microsoft.Network/routeTables/read'] },
  {
    method: 'network.listPublicIPAddresses',
    scope: 'nodeResourceGroup',
    actions: ['Microsoft.Network/publicIPAddresses/read'],
  },
  {
    method: 'authorization.listRoleAssignmentsForPrincipal',
    scope: 'virtualNetwork',
    actions: ['Microsoft.Authorization/roleAssignments/read'],
  },
  {
    method: 'authorization.listRoleAssignmentsForScope',
    scope: 'virtualNetwork',
    actions: ['Microsoft.Authorization/roleAssignments/read'],
  },
  {
    method: 'authorization.getRoleDefinition',
    scope: 'virtualNetwork',
    actions: ['Microsoft.Authorization/roleDefinitions/read'],
  },
  {
    method: 'authorization.createRoleAssignment',
    scope: 'virtualNetwork',
    actions: ['Microsoft.Authorization/roleAssignments/write'],
    grant: { role: NETWORK_CONTRIBUTOR, principalType: 'ServicePrincipal' },
  },
  {
    method: 'traffic.getProfile / createOrUpdateProfile',
    scope: 'trafficManagerResourceGroup',
    actions: ['Microsoft.Network/trafficManagerProfiles/read', 'Microsoft.Network/trafficManagerProfiles/write'],
  },
  {
    method: 'traffic.endpoints (get, createOrUpdate, delete)',
    scope: 'trafficManagerResourceGroup',
    actions: [
      'Microsoft.Network/trafficManagerProfiles/azureEndpoints/read',
      'Microsoft.Network/trafficManagerProfiles/azureEndpoints/write',
      'Microsoft.Network/trafficManagerProfiles/azureEndpoints/delete',
    ],
  },
];

/**
 * Gateway methods the template deliberately does not cover at resource scope. Listing VNets of a resource group is
 * authorized at the resource group, and granting Reader on whole network resource groups is broader than the app
 * needs: the app should get each VNet by the id in the cluster's agentPoolProfiles[].vnetSubnetID instead.
 */
const NOT_COVERED: readonly Need[] = [
  {
    method: 'network.listVirtualNetworks(subscriptionId, resourceGroup)',
    scope: 'resourceGroupOfVirtualNetworks',
    actions: ['Microsoft.Network/virtualNetworks/read'],
  },
];

function allowed(need: Need, assignments: readonly Assignment[]): boolean {
  return need.actions.every((action) =>
    assignments.some((a) => {
      if (a.scope !== need.scope || a.principal !== 'app') return false;
      if (!roleActions(a.role).some((pattern) => actionMatches(pattern, action))) return false;
      if (a.condition === '') return true;
      const condition = rbac.conditions[a.condition] ?? '';
      return evaluateCondition(condition, {
        action,
        request: need.grant
          ? { [`${RA}:RoleDefinitionId`]: [need.grant.role], [`${RA}:PrincipalType`]: [need.grant.principalType] }
          : {},
      });
    }),
  );
}

describe('coverage of the gateway operations', () => {
  const always = rbac.assignments.filter((a) => a.when === 'always' || a.when === 'networkContributorGrants');

  it.each(NEEDS.map((n) => [n.method, n] as const))('%s is allowed', (_method, need) => {
    expect(allowed(need, always)).toBe(true);
  });

  it.each(NOT_COVERED.map((n) => [n.method, n] as const))('%s is knowingly not covered', (_method, need) => {
    expect(allowed(need, always)).toBe(false);
  });

  it('does not let the app grant Network Contributor when the grant switch is off', () => {
    const withoutGrants = rbac.assignments.filter((a) => a.when === 'always');
    const grant = NEEDS.find((n) => n.method === 'authorization.createRoleAssignment');
    expect(grant).toBeDefined();
    if (grant) expect(allowed(grant, withoutGrants)).toBe(false);
  });

  it('covers every ARM action the app performs: each gateway operation, by the simulator role-to-action table', () => {
    const missing: string[] = [];
    const scopes = new Map<string, string>(Object.entries(SCOPE_OF_OPERATION));
    const operations: readonly string[] = Object.values(ArmOperation);
    for (const operation of operations) {
      if (!simulatorRbac.isOperationId(operation)) {
        missing.push(`${operation}: not in the simulator's operation table`);
        continue;
      }
      const scope = scopes.get(operation) ?? 'unmapped';
      const action = simulatorRbac.requiredAction(operation, { endpointType: 'AzureEndpoints' });
      const need: Need = {
        method: operation,
        scope,
        actions: [action],
        ...(operation === 'roleAssignments.create'
          ? { grant: { role: NETWORK_CONTRIBUTOR, principalType: 'ServicePrincipal' } }
          : {}),
      };
      if (!allowed(need, always)) missing.push(`${operation} (${action} at ${scope})`);
    }
    expect(missing).toEqual([]);
  });
});
