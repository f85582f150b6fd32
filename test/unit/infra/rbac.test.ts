/**
 * Roles: infra/config/rbac.json (what main.bicep and infra/app/rbac-*.bicep assign) checked for least privilege, the
 * ABAC condition on the right to grant Network Contributor, and coverage of every ARM call the app makes: each
 * gateway operation of shared/azure/operations.ts, at the scope the ARM simulator's operation table says ARM checks it,
 * decided by the simulator's own `checkAccess` over exactly the assignments the template makes (custom roles from
 * rbac.json, built-in roles as the simulator publishes them, the ABAC condition parsed by the simulator).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { BuiltInRoles, roleDefinitionId } from '../../../shared/arm/resourceId.js';
import { ArmOperation, type ArmOperationName } from '../../../shared/azure/operations.js';
import { roleAssignmentName } from '../../../shared/azure/roleAssignmentName.js';
import { roleDefinitionReadId } from '../../../shared/domain/preflight/snapshot.js';
import type { RoleAssignment } from '../../../shared/models/index.js';
import { rbac as simulatorRbac } from '../../../local/simulator/index.js';
import { evaluateCondition, parseCondition, roleDefinitionValueSets } from './support/abac.js';
import { bicepFiles, parseBicep, propertyValue, resourceDeclarations, type BicepFile } from './support/bicep.js';
import { loadRbacConfig } from './support/config.js';
import { deployedGrants, deployedRoles, type DeployedGrant, type Switch, type Targets } from './support/grants.js';

const rbac = loadRbacConfig();
const roles = deployedRoles(rbac);
const NETWORK_CONTRIBUTOR = BuiltInRoles.networkContributor;

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

/** Whether a role of rbac.json allows an action, by the simulator's matcher (actions minus notActions). */
function roleAllows(role: string, action: string): boolean {
  const r = roles.get(role);
  return r !== undefined && simulatorRbac.permissionsGrant(r.permissions, action);
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

  it('uses as built-in roles the actions the simulator publishes for them', () => {
    for (const [key, role] of Object.entries(rbac.builtInRoles)) {
      const simulated = simulatorRbac.BUILT_IN_ROLES.find((r) => r.name === role.id.toLowerCase());
      if (!simulated || !role.actions) continue;
      expect(simulated.roleName, key).toBe(role.name);
      expect([...role.actions].sort(), key).toEqual(simulated.permissions.flatMap((p) => p.actions).sort());
    }
  });

  it('gives every role that can write role assignments a condition', () => {
    const canWriteAssignments = rbac.assignments.filter((a) => roleAllows(a.role, `${RA}/write`));
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
    // The simulator, which enforces the condition in the end-to-end tests, decides the same.
    const single = (attrs: Readonly<Record<string, readonly string[]>> | undefined) =>
      attrs && Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k.slice(`${RA}:`.length), v[0] ?? '']));
    const context = {
      action: request.action,
      ...('request' in request ? { request: single(request.request) } : {}),
      ...('resource' in request ? { resource: single(request.resource) } : {}),
    };
    expect(simulatorRbac.evaluateCondition(simulatorRbac.parseCondition(condition), context)).toBe(allowed);
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
 * Coverage of every ARM call the app makes, decided the way the simulator decides it: the scope ARM checks is derived
 * from the simulator's operation table (`resource`: the URL's resource; `parent`: the collection's parent), and the
 * simulator's `checkAccess` evaluates the app's assignments there. Only the URL of each call is written here, in the
 * sample world below; the role definition URL comes from the code that builds it.
 */
const SUB = '00000000-0000-4000-8000-0000000000aa';
const rgId = (name: string): string => `/subscriptions/${SUB}/resourceGroups/${name}`;
const FLEET = `${rgId('rg-fleet')}/providers/Microsoft.ContainerService/fleets/fleet1`;
const CLUSTER = `${rgId('rg-a')}/providers/Microsoft.ContainerService/managedClusters/aks-a`;
const CLUSTER_IDENTITY = `${rgId('rg-a')}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aks-a`;
const VNET = `${rgId('rg-net')}/providers/Microsoft.Network/virtualNetworks/vnet-a`;
const NSG = `${rgId('rg-net')}/providers/Microsoft.Network/networkSecurityGroups/nsg-a`;
const ROUTE_TABLE = `${rgId('rg-net')}/providers/Microsoft.Network/routeTables/rt-a`;
const NODE_RG = rgId('MC_rg-a_aks-a_eastus');
const TRAFFIC_RG = rgId('rg-dns');
const PROFILE = `${TRAFFIC_RG}/providers/Microsoft.Network/trafficManagerProfiles/fleetmesh-demo`;
const APP = '11111111-1111-4111-8111-111111111111';
const CLUSTER_PRINCIPAL = '22222222-2222-4222-8222-222222222222';

/** One target of each kind the template assigns on (what the azd parameters would list). */
const TARGETS: Targets = {
  fleet: [FLEET],
  memberCluster: [CLUSTER],
  memberClusterIdentity: [CLUSTER_IDENTITY],
  virtualNetwork: [VNET],
  networkSecurityGroup: [NSG],
  routeTable: [ROUTE_TABLE],
  nodeResourceGroup: [NODE_RG],
  trafficManagerResourceGroup: [TRAFFIC_RG],
  fleetSubscription: [`/subscriptions/${SUB}`],
};

type ConditionAttributes = Partial<Record<'RoleDefinitionId' | 'PrincipalId' | 'PrincipalType', string>>;

/** One ARM request: its URL path, and what the operation table or a condition needs to know about it. */
interface Call {
  readonly path: string;
  readonly endpointType?: 'AzureEndpoints' | 'ExternalEndpoints' | 'NestedEndpoints';
  readonly request?: ConditionAttributes;
}

/** A role assignment of a cluster identity on its VNet, as preflight lists it before reading its role definition. */
const clusterReaderAssignment: RoleAssignment = {
  id: `${VNET}/providers/Microsoft.Authorization/roleAssignments/33333333-3333-4333-8333-333333333333`,
  name: '33333333-3333-4333-8333-333333333333',
  scope: VNET,
  roleDefinitionId: roleDefinitionId(SUB, BuiltInRoles.reader),
  principalId: CLUSTER_PRINCIPAL,
  principalType: 'ServicePrincipal',
};
const NETWORK_CONTRIBUTOR_ID = roleDefinitionId(SUB, NETWORK_CONTRIBUTOR);

/** The URL of every call behind each gateway operation (shared/azure/*.ts), in the sample world. */
const CALLS: Record<ArmOperationName, readonly Call[]> = {
  'fleetMembers.list': [{ path: `${FLEET}/members` }],
  'fleetMembers.get': [{ path: `${FLEET}/members/member-a` }],
  'fleetMembers.update': [{ path: `${FLEET}/members/member-a` }],
  'clusterMeshProfiles.list': [{ path: `${FLEET}/clusterMeshProfiles` }],
  'clusterMeshProfiles.get': [{ path: `${FLEET}/clusterMeshProfiles/demo` }],
  'clusterMeshProfiles.createOrUpdate': [{ path: `${FLEET}/clusterMeshProfiles/demo` }],
  'clusterMeshProfiles.apply': [{ path: `${FLEET}/clusterMeshProfiles/demo/apply` }],
  'clusterMeshProfiles.delete': [{ path: `${FLEET}/clusterMeshProfiles/demo` }],
  'managedClusters.get': [{ path: CLUSTER }],
  'managedClusters.createOrUpdate': [{ path: CLUSTER }],
  'virtualNetworks.get': [{ path: VNET }],
  'networkSecurityGroups.get': [{ path: NSG }],
  'routeTables.get': [{ path: ROUTE_TABLE }],
  'publicIPAddresses.list': [{ path: `${NODE_RG}/providers/Microsoft.Network/publicIPAddresses` }],
  'roleAssignments.listForScope': [{ path: `${VNET}/providers/Microsoft.Authorization/roleAssignments` }],
  'roleAssignments.create': [
    {
      path: `${VNET}/providers/Microsoft.Authorization/roleAssignments/${roleAssignmentName(VNET, CLUSTER_PRINCIPAL, NETWORK_CONTRIBUTOR_ID)}`,
      request: {
        RoleDefinitionId: NETWORK_CONTRIBUTOR_ID,
        PrincipalId: CLUSTER_PRINCIPAL,
        PrincipalType: 'ServicePrincipal',
      },
    },
  ],
  // The id preflight reads, built by the code that builds it.
  'roleDefinitions.get': [{ path: roleDefinitionReadId(clusterReaderAssignment, [VNET]) }],
  'trafficManagerProfiles.get': [{ path: PROFILE }],
  'trafficManagerProfiles.createOrUpdate': [{ path: PROFILE }],
  'trafficManagerProfiles.update': [{ path: PROFILE }],
  'trafficManagerEndpoints.get': [{ path: `${PROFILE}/azureEndpoints/member-a`, endpointType: 'AzureEndpoints' }],
  'trafficManagerEndpoints.createOrUpdate': [
    { path: `${PROFILE}/azureEndpoints/member-a`, endpointType: 'AzureEndpoints' },
  ],
  // The traffic plan deletes its own endpoints, and an endpoint of another type that carries one of its names.
  'trafficManagerEndpoints.delete': [
    { path: `${PROFILE}/azureEndpoints/member-a`, endpointType: 'AzureEndpoints' },
    { path: `${PROFILE}/externalEndpoints/member-a`, endpointType: 'ExternalEndpoints' },
    { path: `${PROFILE}/nestedEndpoints/member-a`, endpointType: 'NestedEndpoints' },
  ],
};

/**
 * The `parent` scope of the simulator's table for a URL: the scope in front of `/providers/{namespace}/{type}[/{name}]`
 * (a list by resource group, a role assignment list or a role definition read at a scope), else the resource the
 * collection belongs to (the fleet of `.../fleets/{f}/members[/{m}]`).
 */
function parentScope(path: string): string {
  const parts = path.split('/').filter((p) => p.length > 0);
  const providers = parts.map((p) => p.toLowerCase()).lastIndexOf('providers');
  const rest = parts.length - providers - 2;
  const keep = rest <= 2 ? providers : parts.length - (rest % 2 === 1 ? 1 : 2);
  return `/${parts.slice(0, keep).join('/')}`;
}

interface Check {
  readonly what: string;
  readonly action: string;
  readonly scope: string;
  readonly request?: ConditionAttributes;
}

/** What ARM checks for one call of an operation: the action and scope the simulator's table gives. */
function checkOf(operation: string, call: Call): Check {
  if (!simulatorRbac.isOperationId(operation))
    throw new Error(`${operation} is not in the simulator's operation table`);
  const entry = simulatorRbac.OPERATION_ACTIONS[operation];
  return {
    what: `${operation} ${call.path}`,
    action: simulatorRbac.requiredAction(operation, call.endpointType ? { endpointType: call.endpointType } : {}),
    scope: entry.scope === 'parent' ? parentScope(call.path) : call.path,
    ...(call.request ? { request: call.request } : {}),
  };
}

/**
 * Linked authorization checks: ARM checks these on other resources a request references, on top of the operation's own
 * action. Not in the simulator's table (it does not model linked checks), so written here.
 */
const LINKED: readonly Check[] = [
  ...['nodes', 'pods'].flatMap((subnet) =>
    ['Microsoft.Network/virtualNetworks/subnets/read', 'Microsoft.Network/virtualNetworks/subnets/join/action'].map(
      (action) => ({
        what: `managedClusters.createOrUpdate: linked check on the ${subnet} subnet (Azure CNI in the member's VNet)`,
        action,
        scope: `${VNET}/subnets/${subnet}`,
      }),
    ),
  ),
  {
    what: 'managedClusters.createOrUpdate: linked check on a user-assigned identity of the cluster',
    action: 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action',
    scope: CLUSTER_IDENTITY,
  },
  {
    what: 'trafficManagerEndpoints.createOrUpdate: read of the target public IP',
    action: 'Microsoft.Network/publicIPAddresses/read',
    scope: `${NODE_RG}/providers/Microsoft.Network/publicIPAddresses/kubernetes-a`,
  },
];

/** Calls the template deliberately does not cover (the app does not make them), with the reason. */
const NOT_COVERED: readonly Check[] = [
  {
    // Listing VNets is authorised at their resource group; Reader there is broader than the app needs, so the app
    // gets each VNet by the id in the cluster's agentPoolProfiles[].vnetSubnetID instead.
    ...checkOf('virtualNetworks.list', { path: `${rgId('rg-net')}/providers/Microsoft.Network/virtualNetworks` }),
    what: 'listing the VNets of a resource group',
  },
  {
    // What preflight used to read: the subscription-level id the assignment names needs a role at the subscription.
    ...checkOf('roleDefinitions.get', { path: clusterReaderAssignment.roleDefinitionId }),
    what: 'reading a role definition at the subscription',
  },
];

function allowedWith(check: Check, grants: readonly DeployedGrant[]) {
  const byGuid = new Map(
    [...roles.values()].map((r) => [r.guid, { name: r.guid, roleName: r.roleName, permissions: r.permissions }]),
  );
  const assignments = grants.map((g, i) => ({
    id: `${g.scope}/providers/Microsoft.Authorization/roleAssignments/${i}`,
    name: `${g.name}-${i}`,
    scope: g.scope,
    roleDefinitionId: roleDefinitionId(SUB, g.role.guid),
    principalId: APP,
    principalType: 'ServicePrincipal',
    ...(g.condition === undefined ? {} : { parsedCondition: simulatorRbac.parseCondition(g.condition) }),
  }));
  return simulatorRbac.checkAccess(
    {
      principalId: APP,
      action: check.action,
      scope: check.scope,
      ...(check.request ? { request: check.request } : {}),
    },
    assignments,
    (guid) => byGuid.get(guid),
  );
}

const grantsWith = (switches: readonly Switch[]): DeployedGrant[] => deployedGrants(rbac, TARGETS, switches);
const DEFAULT = grantsWith(['always', 'networkContributorGrants']);
const OPERATION_CHECKS: readonly Check[] = Object.values(ArmOperation).flatMap((op) =>
  CALLS[op].map((call) => checkOf(op, call)),
);

describe('coverage of every ARM call the app makes (the simulator decides)', () => {
  it("knows every gateway operation in the simulator's operation table", () => {
    expect(Object.values(ArmOperation).filter((op) => !simulatorRbac.isOperationId(op))).toEqual([]);
  });

  it.each(OPERATION_CHECKS.map((c) => [c.what, c] as const))('%s is allowed', (_what, check) => {
    const decision = allowedWith(check, DEFAULT);
    expect(decision.allowed, `${check.action} at ${check.scope}`).toBe(true);
  });

  it.each(LINKED.map((c) => [c.what, c] as const))('%s is allowed', (_what, check) => {
    expect(allowedWith(check, DEFAULT).allowed, `${check.action} at ${check.scope}`).toBe(true);
  });

  it.each(NOT_COVERED.map((c) => [c.what, c] as const))('%s is knowingly not allowed', (_what, check) => {
    expect(allowedWith(check, DEFAULT).allowed, `${check.action} at ${check.scope}`).toBe(false);
  });

  it('reads role definitions under the VNet, where the app holds Reader and nothing else', () => {
    const read = checkOf('roleDefinitions.get', { path: roleDefinitionReadId(clusterReaderAssignment, [VNET]) });
    expect(read.scope).toBe(VNET);
    const decision = allowedWith(read, DEFAULT);
    expect(decision.allowed && decision.evidence.role).toBe('Reader');
  });

  it('grants Network Contributor only through the condition, and not at all when the switch is off', () => {
    const grant = checkOf('roleAssignments.create', CALLS['roleAssignments.create'][0] ?? { path: '' });
    expect(allowedWith(grant, DEFAULT).allowed).toBe(true);
    expect(allowedWith(grant, grantsWith(['always'])).allowed).toBe(false);
    const owner = {
      ...grant,
      request: { ...grant.request, RoleDefinitionId: roleDefinitionId(SUB, BuiltInRoles.owner) },
    };
    expect(allowedWith(owner, DEFAULT)).toEqual({ allowed: false, conditionFailed: true });
  });

  it('does not need the optional subscription-level role for any call', () => {
    const atSubscription = DEFAULT.filter((g) => g.kind === 'fleetSubscription');
    expect(atSubscription).toEqual([]);
  });
});
