/**
 * memberConverge's paths and the live per-member progress, in the two-regions sandbox (policy `manual`, every apply
 * an operator's, so each step knows its operation):
 *
 *  1. a repair (West Failed, its role granted by hand but the cluster never reconciled: the plan adds nothing, West is
 *     a `None`/`Failed` row): while West's cluster reconcile runs, `GET /operations/{id}` shows West converging at step
 *     `reconcileCluster`; once its batch reports, West shows `needsReapply` during the shared re-apply;
 *  2. Network Contributor removed after the preflight (so fleetmesh's pre-apply grant never ran): the member fails on
 *     the 403, diagnosis finds the role missing and grants it, one reconcile, one shared re-apply, Connected;
 *  3. a member failing for a cause that is not the role (its VNet's peerings deleted after the preflight): reported
 *     with its evidence, never re-applied.
 *
 * Counts come from the simulator's call log, so each step can fail on one extra write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPolicy } from '../../../local/sandbox/sandbox.js';
import { BuiltInRoles } from '../../../shared/arm/resourceId.js';
import { arr, obj, startE2E, waitFor, type E2E } from '../support/harness.js';

const FLEET_API = '2026-03-02-preview';
const AKS_API = '2026-04-01';
const NETWORK_API = '2024-05-01';
const ROLES_API = '2022-04-01';
const TIME_FACTOR = 50;
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E({
    timeFactor: TIME_FACTOR,
    resyncOnStartup: false,
    policy: { ...demoPolicy(TIME_FACTOR), mode: 'manual' },
  });
});

afterAll(async () => {
  await e2e.stop();
});

const sim = () => e2e.sandbox.sim.control;
const mark = (): number => sim().calls().at(-1)?.seq ?? 0;

/** Successful calls of `operation` since `since` (by fleetmesh's principal unless `anyone`). */
function calls(operation: string, since: number, pathPart = '', anyone = false): number {
  return sim()
    .calls(since)
    .filter(
      (c) =>
        c.operation === operation &&
        c.status < 300 &&
        (anyone || c.principal === 'fleetmesh') &&
        c.path.toLowerCase().includes(pathPart.toLowerCase()),
    ).length;
}

const applies = (since: number): number => calls('clusterMeshProfiles.apply', since);

async function memberState(name: string): Promise<string | null> {
  const r = await e2e.operator.call('GET', e2e.fleetPath(`/members/${name}`), { apiVersion: FLEET_API });
  const mesh = obj(obj(r.json).properties).meshProperties;
  return mesh ? String(obj(obj(mesh).status).state) : null;
}

async function setLabels(member: string, labels: Record<string, string>): Promise<void> {
  const r = await e2e.operator.call('PATCH', e2e.fleetPath(`/members/${member}`), {
    body: { properties: { labels } },
    apiVersion: FLEET_API,
  });
  expect([200, 202]).toContain(r.status);
  await waitFor(`${member} labelled`, async () => {
    const m = await e2e.operator.call('GET', e2e.fleetPath(`/members/${member}`), { apiVersion: FLEET_API });
    const now = obj(obj(obj(m.json).properties).labels);
    return Object.entries(labels).every(([k, v]) => now[k] === v) &&
      (labels.mesh !== undefined || now.mesh === undefined)
      ? true
      : undefined;
  });
}

async function principalOf(cluster: string, resourceGroup: string): Promise<string> {
  const r = await e2e.operator.call(
    'GET',
    e2e.operator.sub(
      `/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${cluster}`,
    ),
    { apiVersion: AKS_API },
  );
  return String(obj(obj(r.json).identity).principalId);
}

/** Network Contributor assignments of `principalId` on `vnet`, from the simulator's world. */
function networkContributors(principalId: string, vnet: string): { id: string; name: string }[] {
  return [...sim().world().roleAssignments.values()]
    .filter(
      (a) =>
        a.principalId === principalId &&
        a.roleDefinitionId.toLowerCase().endsWith(BuiltInRoles.networkContributor) &&
        a.scope.toLowerCase().endsWith(`/virtualnetworks/${vnet}`),
    )
    .map((a) => ({ id: a.id, name: a.name }));
}

async function operation(id: string): Promise<Record<string, unknown>> {
  return obj((await e2e.api('GET', `/operations/${encodeURIComponent(id)}`)).json);
}

async function startApply(): Promise<string> {
  const r = await e2e.api('POST', '/meshes/demo/apply');
  expect(r.status).toBe(202);
  return String(obj(r.json).operationId);
}

async function finished(id: string): Promise<Record<string, unknown>> {
  return waitFor(
    `operation ${id} to finish`,
    async () => {
      const op = await operation(id);
      return ['Succeeded', 'Failed'].includes(String(op.status)) && op.runtimeStatus !== 'Running' ? op : undefined;
    },
    { timeoutMs: 180_000 },
  );
}

function memberOf(op: Record<string, unknown>, member: string): Record<string, unknown> {
  return obj(arr(op.members).find((m) => obj(m).member === member));
}

const steps = (m: Record<string, unknown>): unknown[] => arr(m.remediations).map((r) => obj(r).step);

describe('member convergence', () => {
  it('1. shows per-member progress of a repair while it runs: converging at its step, then needsReapply', async () => {
    // The runbook left half done: applied outside fleetmesh (West fails on the 403), the role granted by hand.
    const outside = await e2e.operator.call('POST', e2e.fleetPath('/clusterMeshProfiles/demo/apply'), {
      apiVersion: FLEET_API,
    });
    expect(outside.status).toBe(202);
    await waitFor('East Connected and West Failed', async () =>
      (await memberState('member-east')) === 'Connected' && (await memberState('member-west')) === 'Failed'
        ? true
        : undefined,
    );
    const west = await principalOf('aks-west', 'rg-west');
    const grant = await e2e.operator.call(
      'PUT',
      e2e.operator.sub(
        '/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west/providers/Microsoft.Authorization/roleAssignments/7d4e2a10-5b7c-4c1e-9a55-3f0c2b9d8e61',
      ),
      {
        apiVersion: ROLES_API,
        body: {
          properties: {
            roleDefinitionId: e2e.operator.sub(
              `/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles.networkContributor}`,
            ),
            principalId: west,
            principalType: 'ServicePrincipal',
          },
        },
      },
    );
    expect([200, 201]).toContain(grant.status);

    // Long enough, in wall time, to look at the operation while West's reconcile and then the re-apply run.
    sim().updateSettings({ timing: { clusterReconcileMs: 300_000 } });
    const since = mark();
    const id = await startApply();
    const reconciling = await waitFor(
      "West converging at step 'reconcileCluster'",
      async () => {
        const op = await operation(id);
        const west = arr(op.progress)
          .map(obj)
          .find((p) => p.member === 'member-west');
        return west?.step === 'reconcileCluster' ? op : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    sim().setTimeFactor(0); // nothing moves while the operation is looked at
    try {
      expect(reconciling.runtimeStatus).toBe('Running');
      expect(reconciling.livePhase).toBe('converging');
      // The repair converges West only (a None/Failed row); East, None/Connected, is not part of the work.
      expect(arr(reconciling.progress)).toEqual([
        { member: 'member-west', outcome: 'converging', meshState: 'Failed', step: 'reconcileCluster' },
      ]);
      expect(arr(obj(reconciling.plan).rows).map((r) => [obj(r).name, obj(r).action, obj(r).meshState])).toEqual([
        ['member-east', 'None', 'Connected'],
        ['member-west', 'None', 'Failed'],
      ]);
      // West's batch has not reported: the apply's own status lists nobody as done yet.
      sim().updateSettings({ timing: { applyMs: 300_000, clusterReconcileMs: 30_000 } });
    } finally {
      sim().setTimeFactor(TIME_FACTOR);
    }

    const reapplying = await waitFor(
      'West reported by its batch, during the shared re-apply',
      async () => {
        const op = await operation(id);
        return String(op.livePhase).startsWith('reapplying') ? op : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    sim().setTimeFactor(0);
    try {
      expect(reapplying.livePhase).toBe('reapplying (remediation round 1)');
      expect(arr(reapplying.progress)).toEqual([
        { member: 'member-west', outcome: 'needsReapply', meshState: 'Failed' },
      ]);
    } finally {
      sim().updateSettings({ timing: { applyMs: 5_000 } });
      sim().setTimeFactor(TIME_FACTOR);
    }

    const op = await finished(id);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(await memberState('member-west')).toBe('Connected');
    expect(steps(memberOf(op, 'member-west'))).toEqual(['diagnose', 'reconcileCluster', 'reapply']);
    expect(applies(since)).toBe(2);
    expect(calls('managedClusters.createOrUpdate', since, '/managedClusters/aks-west')).toBe(1);
    expect(calls('roleAssignments.create', since)).toBe(0);
    expect(networkContributors(west, 'vnet-west')).toHaveLength(1);
  });

  it('2. the role removed after the preflight: diagnosis grants it, one reconcile, one shared re-apply, Connected', async () => {
    await setLabels('member-central', { mesh: 'demo', region: 'central' });
    const central = await principalOf('aks-central', 'rg-central');
    const byHand = networkContributors(central, 'vnet-central');
    expect(byHand).toHaveLength(1);

    // Time stands still from the apply POST to the role's removal, so the member joins without the role.
    sim().setTimeFactor(0);
    const since = mark();
    let id: string;
    try {
      id = await startApply();
      await waitFor('the apply POST', () => (applies(since) === 1 ? true : undefined), { timeoutMs: 60_000 });
      const plan = obj((await operation(id)).plan);
      expect(arr(plan.fixes)).toEqual([]); // preflight saw the role: nothing granted before the apply
      const removed = await e2e.operator.call('DELETE', byHand[0]?.id ?? '', { apiVersion: ROLES_API });
      expect([200, 204]).toContain(removed.status);
      expect(networkContributors(central, 'vnet-central')).toEqual([]);
    } finally {
      sim().setTimeFactor(TIME_FACTOR);
    }

    const op = await finished(id);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(await memberState('member-central')).toBe('Connected');
    const member = memberOf(op, 'member-central');
    expect(steps(member)).toEqual(['diagnose', 'grantNetworkContributor', 'reconcileCluster', 'reapply']);
    expect(String(arr(member.remediations).map(obj)[0]?.detail)).toMatch(/^networkRoleMissing: /);
    expect(calls('roleAssignments.create', since)).toBe(1);
    expect(calls('managedClusters.createOrUpdate', since, '/managedClusters/aks-central')).toBe(1);
    expect(calls('managedClusters.createOrUpdate', since)).toBe(1);
    expect(applies(since)).toBe(2);
    const granted = networkContributors(central, 'vnet-central');
    expect(granted).toHaveLength(1);
    expect(granted[0]?.name).not.toBe(byHand[0]?.name);
  });

  it('3. a failure that is not the role is reported with its evidence and never re-applied', async () => {
    // Central leaves the mesh, then comes back while its VNet loses its peerings (after the preflight checked them).
    await setLabels('member-central', { region: 'central' });
    const left = await finished(await startApply());
    expect(left.status, JSON.stringify(left.error)).toBe('Succeeded');
    expect(await memberState('member-central')).toBeNull();
    await setLabels('member-central', { mesh: 'demo', region: 'central' });

    const vnet = e2e.operator.sub(
      '/resourceGroups/rg-central/providers/Microsoft.Network/virtualNetworks/vnet-central',
    );
    const read = await e2e.operator.call('GET', vnet, { apiVersion: NETWORK_API });
    const peerings = arr(obj(obj(read.json).properties).virtualNetworkPeerings).map((p) => String(obj(p).id));
    expect(peerings).toHaveLength(2);

    sim().setTimeFactor(0);
    const since = mark();
    let id: string;
    try {
      id = await startApply();
      await waitFor('the apply POST', () => (applies(since) === 1 ? true : undefined), { timeoutMs: 60_000 });
      for (const peering of peerings) {
        const r = await e2e.operator.call('DELETE', peering, { apiVersion: NETWORK_API });
        expect([200, 202, 204]).toContain(r.status);
      }
    } finally {
      sim().setTimeFactor(TIME_FACTOR);
    }

    const op = await finished(id);
    expect(op.status).toBe('Failed');
    expect(obj(op.error).code).toBe('MembersNotConverged');
    expect(await memberState('member-central')).toBe('Failed');
    const member = memberOf(op, 'member-central');
    expect(member.outcome).toBe('Failed');
    expect(steps(member)).toEqual(['diagnose']);
    const diagnosis = String(arr(member.remediations).map(obj)[0]?.detail);
    expect(diagnosis).toMatch(/^unknown: member error \S+: /);
    expect(String(obj(member.error).message)).toContain('not retried');
    // Never retried blindly: one apply, no role granted, no cluster reconciled.
    expect(applies(since)).toBe(1);
    expect(calls('roleAssignments.create', since)).toBe(0);
    expect(calls('managedClusters.createOrUpdate', since)).toBe(0);
    expect(await memberState('member-east')).toBe('Connected');
    expect(await memberState('member-west')).toBe('Connected');
  });
});
