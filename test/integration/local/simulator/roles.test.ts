/**
 * Role enforcement: the two-regions app principal holds exactly the roles it needs; a principal without roles gets
 * ARM's 403 AuthorizationFailed; the role-assignment condition lets the app grant Network Contributor and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rbac, type RunningSimulator } from '../../../../local/simulator/index.js';
import { at, AUTHZ_API, start, type Arm } from './support.js';

let sim: RunningSimulator;
let arm: Arm;
let nobody: string;

const NETWORK_CONTRIBUTOR = rbac.BUILT_IN_ROLE_IDS.networkContributor;
const OWNER = rbac.BUILT_IN_ROLE_IDS.owner;

beforeAll(async () => {
  const { twoRegionsScenario } = await import('../../../../local/simulator/index.js');
  const scenario = twoRegionsScenario();
  ({ sim, arm } = await start({
    enforceRoles: true,
    scenario: {
      ...scenario,
      principals: [
        ...(scenario.principals ?? []),
        { name: 'nobody', objectId: '9a9a9a9a-0000-4000-8000-000000000001' },
      ],
    },
  }));
  nobody = sim.tokens['nobody'] ?? '';
});
afterAll(async () => {
  arm.close();
  await sim.stop();
});

function assignmentPath(scope: string, name: string): string {
  return `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
}

describe('role enforcement', () => {
  it("answers 403 AuthorizationFailed in ARM's message format when no role grants the action", async () => {
    const r = await arm.get(arm.fleet('/members'), { token: nobody });
    expect(r.status).toBe(403);
    expect(at(r.json, 'error', 'code')).toBe('AuthorizationFailed');
    const clientId = sim.control.principals()['nobody']?.clientId ?? '';
    expect(at(r.json, 'error', 'message')).toBe(
      `The client '${clientId}' with object id '9a9a9a9a-0000-4000-8000-000000000001' does not have authorization to perform action ` +
        `'Microsoft.ContainerService/fleets/members/read' over scope '${arm.fleet()}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
    expect(sim.control.calls().at(-1)?.note).toBe('forbidden');
  });

  it('lets the app do every call the reconciler makes, at the scopes it was granted', async () => {
    const cluster = arm.sub('/resourceGroups/rg-west/providers/Microsoft.ContainerService/managedClusters/aks-west');
    const checks: [string, Promise<{ status: number }>][] = [
      ['list members', arm.get(arm.fleet('/members'))],
      ['get profile', arm.get(arm.fleet('/clusterMeshProfiles/demo'))],
      ['get cluster', arm.get(cluster, { apiVersion: '2026-04-01' })],
      [
        'get vnet',
        arm.get(arm.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west'), {
          apiVersion: '2025-05-01',
        }),
      ],
      [
        'list public IPs',
        arm.get(arm.sub('/resourceGroups/MC_rg-west_aks-west_westus/providers/Microsoft.Network/publicIPAddresses'), {
          apiVersion: '2025-05-01',
        }),
      ],
      [
        'list role assignments',
        arm.get(
          `${arm.sub('/resourceGroups/rg-west')}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()`,
          { apiVersion: AUTHZ_API },
        ),
      ],
      [
        'list TM profiles',
        arm.get(arm.sub('/resourceGroups/rg-traffic/providers/Microsoft.Network/trafficmanagerprofiles'), {
          apiVersion: '2022-04-01',
        }),
      ],
    ];
    for (const [what, call] of checks) expect((await call).status, what).toBe(200);
    // But not outside its grants: a write to a cluster network is not the app's business.
    const nsg = await arm.put(
      arm.sub('/resourceGroups/rg-west/providers/Microsoft.Network/networkSecurityGroups/nsg-x'),
      { location: 'westus', properties: {} },
      { apiVersion: '2025-05-01' },
    );
    expect(nsg.status).toBe(403);
  });

  it('lets the app assign Network Contributor on a member VNet (condition satisfied) but not Owner (condition fails)', async () => {
    const vnet = arm.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west');
    const principalId = sim.control.principals()['aks-west-identity']?.objectId ?? '';
    const body = (role: string) => ({
      properties: {
        roleDefinitionId: arm.sub(`/providers/Microsoft.Authorization/roleDefinitions/${role}`),
        principalId,
        principalType: 'ServicePrincipal',
      },
    });
    const owner = await arm.put(assignmentPath(vnet, 'a1a1a1a1-0000-4000-8000-000000000001'), body(OWNER), {
      apiVersion: AUTHZ_API,
    });
    expect(owner.status).toBe(403);
    expect(String(at(owner.json, 'error', 'message'))).toContain("'Microsoft.Authorization/roleAssignments/write'");
    const nc = await arm.put(assignmentPath(vnet, 'a1a1a1a1-0000-4000-8000-000000000002'), body(NETWORK_CONTRIBUTOR), {
      apiVersion: AUTHZ_API,
    });
    expect(nc.status).toBe(201);
    // Same principal, role and scope under another name: 409 RoleAssignmentExists (the gateway counts it as success).
    const again = await arm.put(
      assignmentPath(vnet, 'a1a1a1a1-0000-4000-8000-000000000003'),
      body(NETWORK_CONTRIBUTOR),
      { apiVersion: AUTHZ_API },
    );
    expect(again.status).toBe(409);
    expect(at(again.json, 'error', 'code')).toBe('RoleAssignmentExists');
    // Not on a VNet where it has no RBAC administrator role (the fleet resource group).
    const elsewhere = await arm.put(
      assignmentPath(arm.sub('/resourceGroups/rg-fleet'), 'a1a1a1a1-0000-4000-8000-000000000004'),
      body(NETWORK_CONTRIBUTOR),
      { apiVersion: AUTHZ_API },
    );
    expect(elsewhere.status).toBe(403);
    // Delete is conditioned on the existing assignment's role: allowed for Network Contributor.
    const del = await arm.delete(assignmentPath(vnet, 'a1a1a1a1-0000-4000-8000-000000000002'), {
      apiVersion: AUTHZ_API,
    });
    expect(del.status).toBe(200);
  });

  it('is switchable at run time', async () => {
    sim.control.setRoleEnforcement(false);
    try {
      expect((await arm.get(arm.fleet('/members'), { token: nobody })).status).toBe(200);
    } finally {
      sim.control.setRoleEnforcement(true);
    }
    expect((await arm.get(arm.fleet('/members'), { token: nobody })).status).toBe(403);
  });

  it('exports the tables so infrastructure tests can check grants offline', () => {
    const appId = sim.control.principals()['fleetmesh']?.objectId ?? '';
    const decision = sim.control.checkAccess({
      principal: appId,
      action: rbac.requiredAction('clusterMeshProfiles.apply'),
      scope: `${arm.fleet()}/clusterMeshProfiles/demo`,
    });
    expect(decision).toMatchObject({
      allowed: true,
      evidence: { role: 'Azure Kubernetes Fleet Manager Contributor Role' },
    });
    const tm = sim.control.checkAccess({
      principal: 'fleetmesh',
      action: rbac.requiredAction('trafficManagerEndpoints.createOrUpdate', { endpointType: 'AzureEndpoints' }),
      scope: arm.sub(
        '/resourceGroups/rg-traffic/providers/Microsoft.Network/trafficManagerProfiles/p/azureEndpoints/e',
      ),
    });
    expect(tm.allowed).toBe(true);
  });
});
