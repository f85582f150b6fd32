/**
 * Remediation when the apply did not come from fleetmesh: the manual runbook was followed up to the failing step.
 *
 * 1. An operator applied the profile directly through ARM: East connects, West stays Failed on the 403 (its cluster
 *    identity lacks Network Contributor). That apply ends Failed (a ResourceActionFailure event, which fleetEvents does
 *    not take), so the next resync notices it; under policy `manual`, fleetmesh records the repair it would make.
 * 2. The operator then granted the role by hand but never reconciled the cluster, so West stays Failed. An operator's
 *    apply through fleetmesh re-applies; West still fails; memberConverge diagnoses it (role present, 403 pending),
 *    reconciles the cluster, and the members that needed it share one re-apply: West connects. fleetmesh adds no
 *    second role assignment and reconciles the cluster exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltInRoles } from '../../../shared/arm/resourceId.js';
import { arr, obj, startE2E, waitFor, type E2E } from '../support/harness.js';

const FLEET_API = '2026-03-02-preview';
const AKS_API = '2026-04-01';
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E({
    resyncOnStartup: false,
    // A failed apply emits ResourceActionFailure, which fleetEvents does not take: the resync notices it.
    appSettings: { FLEETMESH_RESYNC_SCHEDULE: '*/2 * * * * *' },
    policy: {
      mode: 'manual',
      debounceSeconds: 0.5,
      convergence: { pollIntervalSeconds: 0.2, maxPollIntervalSeconds: 1 },
    },
  });
});

afterAll(async () => {
  await e2e.stop();
});

async function memberState(name: string): Promise<string | null> {
  const r = await e2e.operator.call('GET', e2e.fleetPath(`/members/${name}`), { apiVersion: FLEET_API });
  const mesh = obj(obj(r.json).properties).meshProperties;
  return mesh ? String(obj(obj(mesh).status).state) : null;
}

async function westPrincipal(): Promise<string> {
  const r = await e2e.operator.call(
    'GET',
    e2e.operator.sub('/resourceGroups/rg-west/providers/Microsoft.ContainerService/managedClusters/aks-west'),
    { apiVersion: AKS_API },
  );
  return String(obj(obj(r.json).identity).principalId);
}

function westNetworkContributors(principalId: string): number {
  return [...e2e.sandbox.sim.control.world().roleAssignments.values()].filter(
    (a) =>
      a.principalId === principalId &&
      a.roleDefinitionId.toLowerCase().endsWith(BuiltInRoles.networkContributor) &&
      a.scope.toLowerCase().endsWith('/virtualnetworks/vnet-west'),
  ).length;
}

function reconciles(cluster: string): number {
  return e2e.sandbox.sim.control
    .calls()
    .filter((c) => c.operation === 'managedClusters.createOrUpdate' && c.status < 300 && c.path.includes(cluster))
    .length;
}

describe('remediation of a runbook left half done', () => {
  it('1. records the repair it would make when an operator applied outside fleetmesh and West failed', async () => {
    const apply = await e2e.operator.call('POST', e2e.fleetPath('/clusterMeshProfiles/demo/apply'), {
      apiVersion: FLEET_API,
    });
    expect(apply.status).toBe(202);
    await waitFor('East Connected and West Failed', async () =>
      (await memberState('member-east')) === 'Connected' && (await memberState('member-west')) === 'Failed'
        ? true
        : undefined,
    );
    const recorded = await waitFor('a recorded repair plan', async () => {
      const view = obj((await e2e.api('GET', '/meshes/demo')).json);
      if (typeof view.lastOperationId !== 'string') return undefined;
      const op = obj((await e2e.api('GET', `/operations/${encodeURIComponent(view.lastOperationId)}`)).json);
      return op.status === 'Recorded' ? op : undefined;
    });
    expect(arr(obj(recorded.plan).fixes).map((f) => obj(f).member)).toEqual(['member-west']);
    expect(reconciles('aks-west')).toBe(0);
  });

  it('2. repairs West on an operator apply: diagnosis, reconcile, one shared re-apply', async () => {
    const principalId = await westPrincipal();
    // The operator grants the role by hand (the runbook's step), and stops there: no reconcile.
    const grant = await e2e.operator.call(
      'PUT',
      e2e.operator.sub(
        '/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west/providers/Microsoft.Authorization/roleAssignments/2b7f1b4c-1b2a-4c3d-9e8f-0a1b2c3d4e5f',
      ),
      {
        apiVersion: '2022-04-01',
        body: {
          properties: {
            roleDefinitionId: e2e.operator.sub(
              `/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.networkContributor}`,
            ),
            principalId,
            principalType: 'ServicePrincipal',
          },
        },
      },
    );
    expect([200, 201]).toContain(grant.status);
    expect(await memberState('member-west')).toBe('Failed');

    const started = await e2e.api('POST', '/meshes/demo/apply');
    expect(started.status).toBe(202);
    const id = String(obj(started.json).operationId);
    const op = await waitFor(
      'the repair to finish',
      async () => {
        const o = obj((await e2e.api('GET', `/operations/${encodeURIComponent(id)}`)).json);
        return o.status === 'Succeeded' || o.status === 'Failed' ? o : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(await memberState('member-west')).toBe('Connected');
    const west = obj(arr(op.members).find((m) => obj(m).member === 'member-west'));
    expect(arr(west.remediations).map((r) => obj(r).step)).toEqual(['diagnose', 'reconcileCluster', 'reapply']);
    expect(reconciles('aks-west')).toBe(1);
    expect(westNetworkContributors(principalId)).toBe(1);
  });
});
