/**
 * e. A preflight failure (an overlay cluster, a VNet not peered) blocks the apply: the plan names each problem with
 *    its remediation, the operation is recorded as blocked (once, however many resyncs find it blocked again), and
 *    nothing is applied.
 * i. Bad input on every route and on the event endpoint answers 4xx with a message that names what is wrong.
 */
import type { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleetScenario, parseGeneratedName } from '../../../local/simulator/index.js';
import type { StateStore } from '../../../shared/state/store.js';
import { arr, type E2E, obj, openStateStore, runResync, startE2E, waitFor } from '../support/harness.js';

const scenario = generateFleetScenario(parseGeneratedName('generated:4?overlay=1&unpeered=1&seed=11'));
let e2e: E2E;
let cosmosClient: CosmosClient;
let store: StateStore;

beforeAll(async () => {
  e2e = await startE2E({
    scenario,
    fleetName: 'fleet-generated',
    policy: {
      mode: 'auto',
      debounceSeconds: 0.5,
      convergence: { pollIntervalSeconds: 0.2, maxPollIntervalSeconds: 1 },
    },
    // The resync runs on start-up (the first, blocked plan), then not again: the ARM calls counted below are the
    // event function's own, one profile list per member event acted on (no reuse across events here).
    appSettings: { FLEETMESH_RESYNC_SCHEDULE: '100.00:00:00', FLEETMESH_PROFILE_LIST_CACHE_SECONDS: '0' },
  });
  ({ client: cosmosClient, store } = openStateStore(e2e.sandbox));
});

afterAll(async () => {
  cosmosClient.dispose();
  await e2e.stop();
});

/** Every apply POST the simulator received, whatever it answered. */
function applies(): number {
  return e2e.sandbox.sim.control.counters()['clusterMeshProfiles.apply']?.actions ?? 0;
}

async function reconcilerCycles(): Promise<number> {
  const body = obj((await e2e.api('GET', '/meshes/demo')).json);
  return Number(obj(obj(body.reconciler).status).cycles);
}

function misconfigured(knob: string): string {
  const picked = arr(obj(obj(scenario.metadata).misconfigured)[knob] ?? []);
  const first = picked[0];
  if (typeof first !== 'string') throw new Error(`no member picked for ${knob}`);
  return first;
}

/** The members a plan shows as `Error`, sorted. */
function errorRows(plan: unknown): string[] {
  return arr(obj(plan).rows)
    .map((r) => obj(r))
    .filter((r) => r.action === 'Error')
    .map((r) => String(r.name))
    .sort();
}

describe('e. preflight blocks the apply', () => {
  let planId = '';
  let planShown: unknown;

  it('shows each problem with its remediation in the plan, and the members it blocks as Error rows', async () => {
    const r = await e2e.api('POST', '/meshes/demo/plan');
    expect(r.status).toBe(200);
    const plan = obj(r.json);
    expect(plan.blocked).toBe(true);
    const findings = arr(plan.findings).map((f) => obj(f));
    const errors = findings.filter((f) => f.severity === 'error');
    const overlay = errors.find((f) => f.checkId === 'cluster.networkPluginMode');
    expect(overlay?.member).toBe(misconfigured('overlay'));
    expect(String(overlay?.remediation)).not.toBe('');
    const peering = errors.filter((f) => f.checkId === 'network.peering');
    expect(peering.length).toBeGreaterThan(0);
    expect(
      peering.every((f) => f.member === misconfigured('unpeered') || f.peerMember === misconfigured('unpeered')),
    ).toBe(true);
    expect(obj(obj(plan.decision).onEvent).kind).toBe('blocked');
    expect(obj(obj(plan.decision).onApply).kind).toBe('blocked');

    // The rows: every member a blocking finding names shows Error, its message naming the finding and its remediation.
    const rows = arr(plan.rows).map((row) => obj(row));
    const rowOf = (member: string): Record<string, unknown> | undefined => rows.find((row) => row.name === member);
    const overlayRow = rowOf(misconfigured('overlay'));
    expect(overlayRow?.action).toBe('Error');
    expect(String(overlayRow?.errorMessage)).toContain('cluster.networkPluginMode');
    expect(String(overlayRow?.errorMessage)).toContain(`Remediation: ${String(overlay?.remediation)}`);
    const unpeeredRow = rowOf(misconfigured('unpeered'));
    expect(unpeeredRow?.action).toBe('Error');
    for (const f of peering.filter((p) => p.member === misconfigured('unpeered'))) {
      expect(String(unpeeredRow?.errorMessage)).toContain(`Remediation: ${String(f.remediation)}`);
    }
    const named = new Set(errors.flatMap((f) => [f.member, f.peerMember]).map(String));
    for (const row of rows) expect(row.action, String(row.name)).toBe(named.has(String(row.name)) ? 'Error' : 'Add');
    const summary = obj(plan.summary);
    expect(summary.error).toBe(rows.filter((row) => row.action === 'Error').length);
    expect(summary.add).toBe(rows.filter((row) => row.action === 'Add').length);

    // The plan id is the what-if plan's: the same plan again has the same id.
    planId = String(plan.planId);
    planShown = plan;
    expect(obj((await e2e.api('POST', '/meshes/demo/plan')).json).planId).toBe(planId);
  });

  it('records the blocked operation and applies nothing', async () => {
    const op = await waitFor('a blocked operation', async () => {
      const view = obj((await e2e.api('GET', '/meshes/demo')).json);
      if (typeof view.lastOperationId !== 'string') return undefined;
      const o = obj((await e2e.api('GET', `/operations/${encodeURIComponent(view.lastOperationId)}`)).json);
      return o.status === 'Failed' ? o : undefined;
    });
    expect(obj(op.error).code).toBe('PreflightBlocked');
    expect(String(obj(op.error).message)).toContain('cluster.networkPluginMode');
    expect(applies()).toBe(0);
    // The record and the view show the members preflight blocks as the plan route does: Error rows, not Add.
    const blockedMembers = [misconfigured('overlay'), misconfigured('unpeered')].sort();
    expect(errorRows(op.plan)).toEqual(expect.arrayContaining(blockedMembers));
    expect(errorRows(op.plan)).toEqual(errorRows(planShown));
    const lastPlan = obj(obj(obj((await e2e.api('GET', '/meshes/demo')).json).lastPlan).plan);
    expect(errorRows(lastPlan)).toEqual(errorRows(planShown));
    expect(obj(lastPlan.summary).error).toBe(errorRows(planShown).length);
    expect(obj(obj(op.plan).summary).error).toBe(errorRows(planShown).length);
  });

  it('records a blocked plan once: while it stays blocked, each resync refreshes the view only', async () => {
    const blockedOps = async () =>
      (await store.listOperations('demo', { limit: 100 })).filter(
        (o) => o.planId === planId && o.error?.code === 'PreflightBlocked',
      );
    const [recorded, ...more] = await blockedOps();
    expect(more).toEqual([]);
    for (let round = 1; round <= 2; round++) {
      const before = await reconcilerCycles();
      await runResync(e2e.sandbox);
      await waitFor(`resync ${round} planned`, async () => ((await reconcilerCycles()) > before ? true : undefined));
    }
    expect((await blockedOps()).map((o) => o.id)).toEqual([recorded?.id]);
    expect(obj((await e2e.api('GET', '/meshes/demo')).json).lastOperationId).toBe(recorded?.id);
    expect(applies()).toBe(0);
  });

  it("an operator's apply of that plan is blocked by preflight too (not taken for nothing to do)", async () => {
    const apply = await e2e.api('POST', '/meshes/demo/apply', { planId });
    expect(apply.status, apply.text).toBe(202);
    const id = String(obj(apply.json).operationId);
    const op = await waitFor('the apply to end', async () => {
      const o = obj((await e2e.api('GET', `/operations/${encodeURIComponent(id)}`)).json);
      return ['Failed', 'Succeeded', 'Recorded'].includes(String(o.status)) ? o : undefined;
    });
    expect(op.status).toBe('Failed');
    expect(obj(op.error).code).toBe('PreflightBlocked');
    expect(applies()).toBe(0);
  });
});

describe('i. bad input gets a clear 4xx', () => {
  const principal = (roles: string[]): string =>
    Buffer.from(
      JSON.stringify({
        auth_typ: 'aad',
        name_typ: 'name',
        role_typ: 'roles',
        claims: [{ typ: 'name', val: 'eve' }, ...roles.map((r) => ({ typ: 'roles', val: r }))],
      }),
    ).toString('base64');

  it.each([
    ['GET', '/meshes/Bad_Name', undefined, {}, 400, /profile/],
    ['GET', '/meshes/no-such-mesh', undefined, {}, 404, /does not exist/],
    ['POST', '/meshes/demo/plan', '{not json', {}, 400, /not valid JSON/],
    ['POST', '/meshes/demo/plan', { memberSelector: 'env=a,env=b' }, {}, 400, /env/],
    ['POST', '/meshes/demo/plan', { memberSelector: 'bad key=x' }, {}, 400, /memberSelector/],
    ['POST', '/meshes/demo/plan', { surprise: true }, {}, 400, /surprise/],
    ['POST', '/meshes/demo/plan', 'memberSelector=x', { 'content-type': 'text/plain' }, 400, /not valid JSON/],
    ['POST', '/meshes/demo/apply', { planId: 'yesterday' }, {}, 400, /planId/],
    ['POST', '/meshes/demo/apply', { planId: 'a'.repeat(64) }, {}, 409, /changed since plan/],
    ['POST', '/meshes/missing-mesh/apply', {}, {}, 404, /memberSelector to create it/],
    ['PUT', '/meshes/demo/policy', { mode: 'yolo' }, {}, 400, /mode/],
    ['PUT', '/meshes/demo/policy', { debounceSeconds: 3600 }, {}, 400, /debounceSeconds/],
    ['PUT', '/meshes/demo/policy', { traffic: { resourceGroup: 'rg' } }, {}, 400, /traffic\.profileName/],
    ['PUT', '/meshes/demo/policy', { mode: 'auto' }, { 'if-match': '"stale"' }, 412, /.+/],
    ['GET', '/operations/not-an-operation', undefined, {}, 400, /operation id/],
    ['GET', '/operations/demo.00000000-0000-0000-0000-000000000000', undefined, {}, 404, /does not exist/],
    ['POST', '/operations/demo.00000000-0000-0000-0000-000000000000/approve', {}, {}, 404, /does not exist/],
    [
      'POST',
      '/operations/demo.00000000-0000-0000-0000-000000000000/reject',
      { comment: 'x'.repeat(2000) },
      {},
      400,
      /comment/,
    ],
    [
      'POST',
      '/meshes/demo/apply',
      {},
      { 'x-ms-client-principal': principal(['FleetMesh.Reader']) },
      403,
      /FleetMesh\.Operator/,
    ],
    ['GET', '/meshes/demo', undefined, { 'x-ms-client-principal': principal([]) }, 403, /FleetMesh\.Reader/],
    ['GET', '/meshes/demo', undefined, { 'x-ms-client-principal': 'not base64 json' }, 401, /x-ms-client-principal/],
  ])('%s %s %j → %i', async (method, route, body, headers, status, message) => {
    const r = await e2e.api(method, route, body, headers);
    expect(r.status, r.text).toBe(status);
    const error = obj(obj(r.json).error);
    expect(typeof error.code).toBe('string');
    expect(String(error.message)).toMatch(message);
  });

  it('approving an operation that is not waiting is a conflict', async () => {
    const view = obj((await e2e.api('GET', '/meshes/demo')).json);
    const id = String(view.lastOperationId);
    const r = await e2e.api('POST', `/operations/${encodeURIComponent(id)}/approve`, {});
    expect(r.status).toBe(409);
    expect(String(obj(obj(r.json).error).message)).toContain('not waiting for approval');
  });

  it('needs the function key', async () => {
    const none = await fetch(`${e2e.sandbox.apiBaseUrl}/meshes`);
    expect(none.status).toBe(401);
    const wrong = await fetch(`${e2e.sandbox.apiBaseUrl}/meshes`, { headers: { 'x-functions-key': 'wrong' } });
    expect(wrong.status).toBe(401);
    const health = await fetch(`${e2e.sandbox.apiBaseUrl}/health`);
    expect(health.status).toBe(200);
  });

  it('the event endpoint refuses a missing key and a malformed body, and ignores foreign events', async () => {
    const url = `${e2e.sandbox.host.url}/runtime/webhooks/eventgrid?functionName=fleetEvents`;
    const headers = { 'aeg-event-type': 'Notification', 'content-type': 'application/json' };
    expect((await fetch(url, { method: 'POST', headers, body: '[]' })).status).toBe(401);
    const keyed = `${url}&code=${e2e.sandbox.eventGridKey}`;
    const garbage = await fetch(keyed, { method: 'POST', headers, body: '{{{' });
    expect(garbage.status).toBe(400);
    expect(String(obj(await garbage.json()).error)).toMatch(/request body is not JSON/);

    // The webhook answers once the function has run, and the function looks the fleet's profiles up before it
    // signals anything: so right after the answer, "no lookup and no processed-event record" means "not acted on".
    const event = (id: string, subscriptionId: string): unknown => ({
      id,
      topic: `/subscriptions/${subscriptionId}`,
      subject: `/subscriptions/${subscriptionId}/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-generated/members/member-001`,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      eventTime: new Date().toISOString(),
      data: { subscriptionId },
      dataVersion: '2',
      metadataVersion: '1',
    });
    const lookups = (): number => e2e.sandbox.sim.control.counters()['clusterMeshProfiles.list']?.reads ?? 0;
    const before = lookups();
    const foreignId = `foreign-${Date.now()}`;
    const foreign = await fetch(keyed, {
      method: 'POST',
      headers,
      body: JSON.stringify([event(foreignId, '11111111-1111-1111-1111-111111111111')]),
    });
    expect(foreign.status).toBe(202);
    expect(lookups()).toBe(before);
    expect(await store.isEventProcessed(foreignId)).toBe(false);

    // The control: the same event from the fleet's own subscription is acted on by the time the answer comes.
    const ownId = `own-${Date.now()}`;
    const own = await fetch(keyed, {
      method: 'POST',
      headers,
      body: JSON.stringify([event(ownId, e2e.sandbox.subscriptionId)]),
    });
    expect(own.status).toBe(202);
    expect(lookups()).toBe(before + 1);
    expect(await store.isEventProcessed(ownId)).toBe(true);
  });
});
