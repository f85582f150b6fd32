/**
 * The mesh's life in the two-regions sandbox, end to end through the real app in the local host, the real SDK clients
 * against the simulator, and the real Cosmos client against the embedded server:
 *
 *  a. first apply of the two labelled members: both Connected; Traffic Manager endpoints with the configured weights;
 *  b. the West cluster lacks Network Contributor: remediated, Connected, exactly one role assignment and one reconcile;
 *  c. a new member labelled: its event (the resync timer is off) leads to one coalesced apply; a label removed under
 *     `approve`: the apply waits; approved: the member disconnects and its endpoint goes;
 *  f. drift: an endpoint edited outside fleetmesh is restored by the resync;
 *  d. clean-up: selector matching nothing, apply, no members left, profile deletable.
 *
 * The steps build on each other, so they run in order on one sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltInRoles } from '../../../shared/arm/resourceId.js';
import { arr, type E2E, obj, runResync, startE2E, waitFor } from '../support/harness.js';

const AKS_API = '2026-04-01';
const TM_API = '2022-04-01';
const FLEET_API = '2026-03-02-preview';

let e2e: E2E;

beforeAll(async () => {
  // The resync timer runs at start-up (the first apply) and then, with a TimeSpan of 100 days, never on its own: the
  // tests that need a resync run the timer function now (`/admin/functions/resync`, as the Functions host allows), and
  // everything else reaches the reconciler through fleetEvents only, so a broken event path cannot hide behind a
  // resync.
  e2e = await startE2E({ appSettings: { FLEETMESH_RESYNC_SCHEDULE: '100.00:00:00' } });
});

afterAll(async () => {
  await e2e.stop();
});

interface MeshView {
  members: { name: string; meshState: string | null; ciliumId: number | null }[];
  trafficManager: {
    endpoints: { name: string; member?: string; weight: number; status: string; targetResourceId?: string }[];
  } | null;
  lastOperationId: string | null;
  profileState: string | null;
}

async function mesh(): Promise<MeshView> {
  const r = await e2e.api('GET', '/meshes/demo');
  expect(r.status).toBe(200);
  const body = obj(r.json);
  return {
    members: arr(body.members).map((m) => {
      const o = obj(m);
      return {
        name: String(o.name),
        meshState: (o.meshState as string | null) ?? null,
        ciliumId: (o.ciliumId as number | null) ?? null,
      };
    }),
    trafficManager:
      body.trafficManager === null
        ? null
        : {
            endpoints: arr(obj(body.trafficManager).endpoints).map((e) => {
              const o = obj(e);
              return {
                name: String(o.name),
                ...(typeof o.member === 'string' ? { member: o.member } : {}),
                weight: Number(o.weight),
                status: String(o.status),
                ...(typeof o.targetResourceId === 'string' ? { targetResourceId: o.targetResourceId } : {}),
              };
            }),
          },
    lastOperationId: typeof body.lastOperationId === 'string' ? body.lastOperationId : null,
    profileState: typeof body.profileState === 'string' ? body.profileState : null,
  };
}

const connected = (view: MeshView): string[] =>
  view.members
    .filter((m) => m.meshState === 'Connected')
    .map((m) => m.name)
    .sort();

function calls(operation: string, pathPart = ''): number {
  return e2e.sandbox.sim.control
    .calls()
    .filter((c) => c.operation === operation && c.status < 300 && c.path.toLowerCase().includes(pathPart.toLowerCase()))
    .length;
}

/** Every apply POST the simulator received, whatever it answered (its counters also survive the call log's ring). */
function applies(): number {
  return e2e.sandbox.sim.control.counters()['clusterMeshProfiles.apply']?.actions ?? 0;
}

async function reconcilerCycles(): Promise<number> {
  const body = obj((await e2e.api('GET', '/meshes/demo')).json);
  return Number(obj(obj(body.reconciler).status).cycles);
}

function memberPath(member: string): string {
  return e2e.fleetPath(`/members/${member}`);
}

async function setLabels(member: string, labels: Record<string, string>): Promise<void> {
  const r = await e2e.operator.call('PATCH', memberPath(member), {
    body: { properties: { labels } },
    apiVersion: FLEET_API,
  });
  expect([200, 202]).toContain(r.status);
}

describe('a mesh from first apply to clean-up', () => {
  it('a+b. converges both labelled members, remediating West, and sets the Traffic Manager endpoints', async () => {
    const view = await waitFor(
      'both members Connected and two enabled endpoints',
      async () => {
        const v = await mesh();
        const enabled = v.trafficManager?.endpoints.filter((e) => e.status === 'Enabled') ?? [];
        return connected(v).join() === 'member-east,member-west' && enabled.length === 2 ? v : undefined;
      },
      { timeoutMs: 120_000 },
    );
    // Weights: backend 1000 shared by two members of weight 1: ceil(1000 × 1 / 2) = 500 each.
    expect(view.trafficManager?.endpoints.map((e) => [e.member, e.weight, e.status])).toEqual([
      ['member-east', 500, 'Enabled'],
      ['member-west', 500, 'Enabled'],
    ]);
    expect(new Set(view.members.map((m) => m.ciliumId)).size).toBe(view.members.length);

    // b. exactly one role assignment for West's cluster identity on its VNet, and exactly one reconcile of its cluster.
    const cluster = await e2e.operator.call(
      'GET',
      e2e.operator.sub('/resourceGroups/rg-west/providers/Microsoft.ContainerService/managedClusters/aks-west'),
      { apiVersion: AKS_API },
    );
    const principalId = String(obj(obj(cluster.json).identity).principalId);
    const grants = [...e2e.sandbox.sim.control.world().roleAssignments.values()].filter(
      (a) =>
        a.principalId === principalId &&
        a.roleDefinitionId.toLowerCase().endsWith(BuiltInRoles.networkContributor) &&
        a.scope.toLowerCase().endsWith('/virtualnetworks/vnet-west'),
    );
    expect(grants).toHaveLength(1);
    expect(calls('managedClusters.createOrUpdate', '/managedClusters/aks-west')).toBe(1);
    expect(calls('managedClusters.createOrUpdate', '/managedClusters/aks-east')).toBe(0);

    // The operation record tells the story: West remediated before the apply, both members succeeded.
    expect(view.lastOperationId).not.toBeNull();
    const op = await e2e.api('GET', `/operations/${encodeURIComponent(view.lastOperationId ?? '')}`);
    expect(op.status).toBe(200);
    const record = obj(op.json);
    expect(record.status).toBe('Succeeded');
    expect(arr(obj(record.plan).fixes).map((f) => obj(f).member)).toEqual(['member-west']);
    expect(arr(record.members).map((m) => [obj(m).member, obj(m).outcome])).toEqual([
      ['member-east', 'Succeeded'],
      ['member-west', 'Succeeded'],
    ]);
    const steps = (member: string): unknown[] =>
      arr(obj(arr(record.members).find((m) => obj(m).member === member)).remediations).map((r) => obj(r).step);
    expect(steps('member-west')).toEqual(['grantNetworkContributor', 'reconcileCluster']);
    expect(steps('member-east')).toEqual([]);
    expect(obj(record.armCalls).writes).toBeGreaterThan(0);
  });

  it('c. labels a new member: its event leads to one coalesced apply that adds it and rebalances the weights', async () => {
    const appliesBefore = applies();
    await setLabels('member-central', { mesh: 'demo', region: 'central' });
    const view = await waitFor(
      'member-central Connected with an enabled endpoint',
      async () => {
        const v = await mesh();
        const central = v.trafficManager?.endpoints.find((e) => e.member === 'member-central');
        return connected(v).includes('member-central') && central?.status === 'Enabled' && central.weight === 334
          ? v
          : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(view.trafficManager?.endpoints.map((e) => e.weight)).toEqual([334, 334, 334]);
    expect(applies() - appliesBefore).toBe(1);
  });

  it('c. under approve, a removed label waits for approval; approved, the member leaves and its endpoint goes', async () => {
    const policy = await e2e.api('GET', '/meshes/demo');
    const current = obj(obj(policy.json).policy);
    const put = await e2e.api('PUT', '/meshes/demo/policy', { ...current, mode: 'approve' });
    expect(put.status).toBe(200);
    const appliesBefore = applies();

    await setLabels('member-central', { region: 'central' });
    const waiting = await waitFor('an operation awaiting approval', async () => {
      const v = await mesh();
      if (!v.lastOperationId) return undefined;
      const op = obj((await e2e.api('GET', `/operations/${encodeURIComponent(v.lastOperationId)}`)).json);
      return op.status === 'AwaitingApproval' ? op : undefined;
    });
    expect(
      arr(obj(waiting.plan).rows)
        .filter((r) => obj(r).action === 'Remove')
        .map((r) => obj(r).name),
    ).toEqual(['member-central']);
    // Nothing is applied while it waits.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(applies()).toBe(appliesBefore);
    expect(connected(await mesh())).toContain('member-central');

    const approve = await e2e.api('POST', `/operations/${encodeURIComponent(String(waiting.id))}/approve`, {
      comment: 'central leaves the mesh',
    });
    expect(approve.status).toBe(202);
    const after = await waitFor(
      'member-central out of the mesh and its endpoint deleted',
      async () => {
        const v = await mesh();
        const gone = !v.members.some((m) => m.name === 'member-central' && m.meshState !== null);
        const noEndpoint = !(v.trafficManager?.endpoints ?? []).some((e) => e.member === 'member-central');
        return gone && noEndpoint && connected(v).length === 2 ? v : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(after.trafficManager?.endpoints.map((e) => e.weight)).toEqual([500, 500]);
    const op = obj((await e2e.api('GET', `/operations/${encodeURIComponent(String(waiting.id))}`)).json);
    expect(op.status).toBe('Succeeded');
    expect(arr(op.approvals).map((a) => obj(a).decision)).toEqual(['approve']);
  });

  it('resyncs a converged mesh without the preflight reads (no VNet is read when nothing would change)', async () => {
    const vnetReads = (): number => calls('virtualNetworks.get');
    const before = vnetReads();
    for (let round = 1; round <= 2; round++) {
      const start = await reconcilerCycles();
      await runResync(e2e.sandbox);
      await waitFor(`the reconciler cycle of resync ${round}`, async () =>
        (await reconcilerCycles()) > start ? true : undefined,
      );
    }
    expect(vnetReads()).toBe(before);
  });

  it('f. restores a Traffic Manager endpoint edited outside fleetmesh on the next resync', async () => {
    const view = await mesh();
    const endpoint = view.trafficManager?.endpoints.find((e) => e.member === 'member-east');
    expect(endpoint).toBeDefined();
    const url = e2e.operator.sub(
      `/resourceGroups/rg-traffic/providers/Microsoft.Network/trafficmanagerprofiles/fleetmesh-demo/AzureEndpoints/${encodeURIComponent(endpoint?.name ?? '')}`,
    );
    const edited = await e2e.operator.call('PATCH', url, { body: { properties: { weight: 7 } }, apiVersion: TM_API });
    expect(edited.status).toBe(200);
    // Traffic Manager raises no event fleetmesh takes: only the resync notices the drift.
    await runResync(e2e.sandbox);
    const restored = await waitFor(
      'the endpoint weight restored to 500',
      async () => {
        const r = await e2e.operator.call('GET', url, { apiVersion: TM_API });
        return Number(obj(obj(r.json).properties).weight) === 500 ? r : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(obj(obj(restored.json).properties).endpointStatus).toBe('Enabled');
  });

  it('d. clean-up: an operator applies a selector that matches nothing; the members leave and the profile can be deleted', async () => {
    const profileUrl = e2e.fleetPath('/clusterMeshProfiles/demo');
    const refused = await e2e.operator.call('DELETE', profileUrl, { apiVersion: FLEET_API });
    expect(refused.status).toBe(409);

    const plan = await e2e.api('POST', '/meshes/demo/plan', { memberSelector: '' });
    expect(plan.status).toBe(200);
    const planBody = obj(plan.json);
    expect(arr(planBody.rows).map((r) => obj(r).action)).toEqual(['Remove', 'Remove']);
    const apply = await e2e.api('POST', '/meshes/demo/apply', { planId: planBody.planId, memberSelector: '' });
    expect(apply.status).toBe(202);
    const operationId = String(obj(apply.json).operationId);
    const statusUrl = apply.headers.get('location') ?? '';
    expect(statusUrl).toContain(`/api/operations/${encodeURIComponent(operationId)}`);
    // The app's own status URL, and nothing that carries the durabletask system key (valid for every instance).
    expect(obj(apply.json)).toEqual({ operationId, status: 'Pending', statusUrl });
    expect(apply.text).not.toMatch(/runtime\/webhooks\/durabletask|code=/);

    await waitFor(
      'the operation to succeed with no member left',
      async () => {
        const op = obj((await e2e.api('GET', `/operations/${encodeURIComponent(operationId)}`)).json);
        if (op.status === 'Failed') throw new Error(JSON.stringify(op.error));
        const v = await mesh();
        return op.status === 'Succeeded' && v.members.every((m) => m.meshState === null) ? op : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const deleted = await e2e.operator.call('DELETE', profileUrl, { apiVersion: FLEET_API });
    expect([200, 202, 204]).toContain(deleted.status);
  });
});
