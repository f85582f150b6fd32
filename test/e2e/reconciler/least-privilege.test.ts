/**
 * The roles the template grants are enough, end to end: the two-regions world, but the app principal holds exactly
 * what infra/config/rbac.json grants on its targets (custom roles as defined there, built-in roles as the simulator
 * publishes them, the Network-Contributor-only ABAC condition on the right to grant), with role enforcement on. A plan
 * and an apply then run the missing-role remediation (grant Network Contributor to West's cluster identity, reconcile
 * its cluster) and both members connect, with no call refused.
 *
 * West's cluster identity also holds Reader on its VNet, so preflight has a role definition to read: it reads it under
 * the VNet, where the app holds Reader, because the app has no role at the subscription.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltInRoles } from '../../../shared/arm/resourceId.js';
import { APP_PRINCIPAL, twoRegionsScenario, type ScenarioInput } from '../../../local/simulator/index.js';
import { Arm } from '../../integration/local/simulator/support.js';
import { loadRbacConfig } from '../../unit/infra/support/config.js';
import { deployedGrants, type DeployedRole, type Targets } from '../../unit/infra/support/grants.js';
import { arr, obj, startE2E, waitFor, type E2E } from '../support/harness.js';

const FLEET_API = '2026-03-02-preview';
const REGIONS = [
  { short: 'east', location: 'eastus' },
  { short: 'west', location: 'westus' },
  { short: 'central', location: 'centralus' },
] as const;
const sub = '/subscriptions/{subscriptionId}';
const rg = (name: string): string => `${sub}/resourceGroups/${name}`;

/** The azd parameters for the two-regions fleet: what an operator would list. No NSGs or route tables there. */
const TARGETS: Targets = {
  fleet: [`${rg('rg-fleet')}/providers/Microsoft.ContainerService/fleets/fleet-demo`],
  memberCluster: REGIONS.map(
    (r) => `${rg(`rg-${r.short}`)}/providers/Microsoft.ContainerService/managedClusters/aks-${r.short}`,
  ),
  virtualNetwork: REGIONS.map(
    (r) => `${rg(`rg-${r.short}`)}/providers/Microsoft.Network/virtualNetworks/vnet-${r.short}`,
  ),
  nodeResourceGroup: REGIONS.map((r) => rg(`MC_rg-${r.short}_aks-${r.short}_${r.location}`)),
  trafficManagerResourceGroup: [rg('rg-traffic')],
};

const grants = deployedGrants(loadRbacConfig(), TARGETS, ['always', 'networkContributorGrants']);

function leastPrivilegeScenario(): ScenarioInput {
  const base = twoRegionsScenario();
  const declared = new Map<string, DeployedRole>();
  for (const g of grants) if (!g.role.knownToSimulator) declared.set(g.role.guid, g.role);
  return {
    ...base,
    name: 'two-regions-least-privilege',
    roleDefinitions: [
      ...(base.roleDefinitions ?? []),
      ...[...declared.values()].map((role) => ({
        id: role.guid,
        roleName: role.roleName,
        actions: role.permissions.flatMap((p) => p.actions),
      })),
    ],
    roleAssignments: [
      ...(base.roleAssignments ?? []).filter((a) => a.principal !== APP_PRINCIPAL),
      // Another role of West's cluster identity on its VNet: preflight must read its definition.
      { principal: 'cluster:rg-west/aks-west', role: 'Reader', scope: 'vnet:rg-west/vnet-west' },
      ...grants.map((g) => ({
        principal: APP_PRINCIPAL,
        role: g.role.guid,
        scope: g.scope,
        description: `fleetmesh ${g.name}`,
        ...(g.condition === undefined ? {} : { condition: g.condition, conditionVersion: '2.0' as const }),
      })),
    ],
  };
}

let e2e: E2E;

beforeAll(async () => {
  // Nothing runs before the test asks: the plan comes first.
  e2e = await startE2E({ scenario: leastPrivilegeScenario(), enforceRoles: true, resyncOnStartup: false });
});

afterAll(async () => {
  await e2e.stop();
});

async function memberState(name: string): Promise<string | null> {
  const r = await e2e.operator.call('GET', e2e.fleetPath(`/members/${name}`), { apiVersion: FLEET_API });
  const mesh = obj(obj(r.json).properties).meshProperties;
  return mesh ? String(obj(obj(mesh).status).state) : null;
}

const refused = (): string[] =>
  e2e.sandbox.sim.control
    .calls()
    .filter((c) => c.status === 403)
    .map((c) => `${c.method} ${c.operation} ${c.path}`);

describe('with exactly the roles the template grants', () => {
  it('the app holds nothing at the subscription or on a resource group other than the node and Traffic Manager ones', () => {
    const app = e2e.sandbox.sim.control.principals()[APP_PRINCIPAL]?.objectId;
    expect(app).toBeDefined();
    const scopes = [...e2e.sandbox.sim.control.world().roleAssignments.values()]
      .filter((a) => a.principalId === app)
      .map((a) => a.scope.toLowerCase());
    expect(scopes.length).toBe(grants.length);
    expect(scopes.filter((s) => s.split('/').length <= 3)).toEqual([]);
    const resourceGroups = scopes.filter((s) => s.split('/').length === 5).map((s) => s.split('/')[4]);
    expect(resourceGroups.sort()).toEqual([
      'mc_rg-central_aks-central_centralus',
      'mc_rg-east_aks-east_eastus',
      'mc_rg-west_aks-west_westus',
      'rg-traffic',
    ]);
  });

  it("plans West's missing role as a fix fleetmesh makes, reading role definitions under the VNet", async () => {
    const r = await e2e.api('POST', '/meshes/demo/plan');
    expect(r.status, r.text).toBe(200);
    const plan = obj(r.json);
    expect(plan.blocked).toBe(false);
    expect(arr(plan.fixes).map((f) => obj(f).member)).toEqual(['member-west']);
    const unreadable = arr(plan.findings)
      .map((f) => obj(f))
      .filter((f) => String(f.checkId).endsWith('unreadable') || String(f.message).includes('could not be read'));
    expect(unreadable).toEqual([]);
    const definitionReads = e2e.sandbox.sim.control.calls().filter((c) => c.operation === 'roleDefinitions.get');
    expect(definitionReads.length).toBeGreaterThan(0);
    for (const read of definitionReads) {
      expect(read.status, read.path).toBe(200);
      expect(read.path.toLowerCase()).toContain('/virtualnetworks/vnet-west/providers/microsoft.authorization/');
    }
    expect(refused()).toEqual([]);
  });

  it('applies: grants Network Contributor through the condition, reconciles West, and both members connect', async () => {
    const started = await e2e.api('POST', '/meshes/demo/apply');
    expect(started.status, started.text).toBe(202);
    const id = String(obj(started.json).operationId);
    const op = await waitFor(
      'the apply to finish',
      async () => {
        const o = obj((await e2e.api('GET', `/operations/${encodeURIComponent(id)}`)).json);
        return o.status === 'Succeeded' || o.status === 'Failed' ? o : undefined;
      },
      { timeoutMs: 180_000 },
    );
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    const west = obj(arr(op.members).find((m) => obj(m).member === 'member-west'));
    expect(arr(west.remediations).map((r) => obj(r).step)).toEqual(['grantNetworkContributor', 'reconcileCluster']);
    expect(await memberState('member-east')).toBe('Connected');
    expect(await memberState('member-west')).toBe('Connected');

    // Traffic Manager, with the custom writer role: one enabled endpoint per member.
    const view = await waitFor('two enabled Traffic Manager endpoints', async () => {
      const v = obj((await e2e.api('GET', '/meshes/demo')).json);
      const endpoints = v.trafficManager === null ? [] : arr(obj(v.trafficManager).endpoints).map((e) => obj(e));
      return endpoints.filter((e) => e.status === 'Enabled').length === 2 ? endpoints : undefined;
    });
    expect(view.map((e) => e.member).sort()).toEqual(['member-east', 'member-west']);
    expect(refused()).toEqual([]);
  });

  it('cannot grant any other role with the same right: the condition refuses Owner', async () => {
    const app = new Arm(e2e.sandbox.sim, APP_PRINCIPAL);
    const r = await app.call(
      'PUT',
      app.sub(
        '/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west/providers/Microsoft.Authorization/roleAssignments/5c0f2b1e-7a8d-4c3b-9e2f-1a2b3c4d5e6f',
      ),
      {
        apiVersion: '2022-04-01',
        body: {
          properties: {
            roleDefinitionId: app.sub(`/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.owner}`),
            principalId: e2e.sandbox.sim.control.principals()[APP_PRINCIPAL]?.objectId,
            principalType: 'ServicePrincipal',
          },
        },
      },
    );
    expect(r.status).toBe(403);
  });
});
