/**
 * Fleet members and cluster mesh profiles over real HTTPS: wire shapes (parsed with the shared zod models), paging,
 * long-running operations, ETags, errors, and the documented mesh behaviour.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterMeshProfileSchema, FleetMemberSchema, parseArmResource } from '../../../../shared/models/index.js';
import { z } from 'zod';
import { generateFleetScenario, parseGeneratedName, type RunningSimulator } from '../../../../local/simulator/index.js';
import { at, pollAsyncOperation, start, waitFor, type Arm } from './support.js';

let sim: RunningSimulator;
let arm: Arm;

beforeAll(async () => {
  ({ sim, arm } = await start({ pageSize: 2 }));
});
afterAll(async () => {
  arm.close();
  await sim.stop();
});

function member(json: unknown) {
  return parseArmResource(FleetMemberSchema, 'fleet member', json);
}

function profile(json: unknown) {
  return parseArmResource(ClusterMeshProfileSchema, 'cluster mesh profile', json);
}

async function getMember(name: string) {
  const r = await arm.get(arm.fleet(`/members/${name}`));
  expect(r.status).toBe(200);
  return member(r.json);
}

async function listAllMembers(): Promise<{ pages: number; names: string[] }> {
  let url: string | undefined = arm.fleet('/members');
  const names: string[] = [];
  let pages = 0;
  while (url !== undefined) {
    const r = await arm.get(url);
    expect(r.status).toBe(200);
    pages++;
    const value = at(r.json, 'value');
    if (!Array.isArray(value)) throw new Error('no value array');
    for (const m of value) names.push(member(m).name);
    const next = at(r.json, 'nextLink');
    url = typeof next === 'string' ? next : undefined;
  }
  return { pages, names };
}

/** POST apply, then poll the Azure-AsyncOperation URL to the end; returns the 202 headers and the final status body. */
async function apply(profileName = 'demo', headers: Record<string, string> = {}) {
  const r = await arm.post(arm.fleet(`/clusterMeshProfiles/${profileName}/apply`), { headers });
  expect(r.status).toBe(202);
  const asyncUrl = r.headers['azure-asyncoperation'];
  if (asyncUrl === undefined) throw new Error('no Azure-AsyncOperation header');
  const final = await pollAsyncOperation(arm, asyncUrl);
  return { accepted: r, final };
}

describe('fleet members', () => {
  it('lists members with nextLink paging (page size 2) in the wire shape', async () => {
    const { pages, names } = await listAllMembers();
    expect(pages).toBe(2);
    expect(names).toEqual(['member-central', 'member-east', 'member-west']);
    const first = await arm.get(arm.fleet('/members'));
    expect(String(at(first.json, 'nextLink'))).toMatch(/api-version=2026-03-02-preview&\$skipToken=/);
  });

  it('returns user and system labels, a quoted eTag, no meshProperties before any apply', async () => {
    const m = await getMember('member-east');
    expect(m.type).toBe('Microsoft.ContainerService/fleets/members');
    expect(m.eTag).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(m.properties.labels).toMatchObject({
      mesh: 'demo',
      region: 'east',
      'fleet.azure.com/member-name': 'member-east',
      'fleet.azure.com/location': 'eastus',
    });
    expect(m.properties.meshProperties).toBeUndefined();
    expect(m.properties.clusterResourceId).toMatch(/\/managedClusters\/aks-east$/);
  });

  it('routes case-insensitively and keeps the stored casing', async () => {
    const path = arm
      .fleet('/members/member-east')
      .replace('/resourceGroups/', '/resourcegroups/')
      .replace('/Microsoft.ContainerService/', '/microsoft.containerservice/');
    const r = await arm.get(path);
    expect(r.status).toBe(200);
    expect(at(r.json, 'id')).toContain(
      '/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-demo/members/member-east',
    );
  });

  it('updates labels with a long-running PATCH (202, Azure-AsyncOperation, Location) that replaces the user labels', async () => {
    const before = await getMember('member-central');
    sim.control.setTimeFactor(0); // hold the operation open to observe 'Updating' (30 ms of wall time otherwise)
    const r = await arm.patch(
      arm.fleet('/members/member-central'),
      { properties: { labels: { region: 'central', tier: 'spare' } } },
      { headers: { 'if-match': before.eTag ?? '' } },
    );
    expect(r.status).toBe(202);
    expect(r.headers['azure-asyncoperation']).toMatch(
      /\/providers\/Microsoft\.ContainerService\/locations\/eastus\/operationResults\/[0-9a-f-]{36}\?api-version=/,
    );
    expect(r.headers['location']).toMatch(/\/locations\/eastus\/operations\/[0-9a-f-]{36}\?api-version=/);
    expect(r.headers['retry-after']).toBeDefined();
    const during = await getMember('member-central');
    expect(during.properties.provisioningState).toBe('Updating');
    sim.control.setTimeFactor(100);
    const final = await pollAsyncOperation(arm, r.headers['azure-asyncoperation'] ?? '');
    expect(final).toMatchObject({ status: 'Succeeded', percentComplete: 100 });
    const after = await getMember('member-central');
    expect(after.properties.provisioningState).toBe('Succeeded');
    expect(after.properties.labels['tier']).toBe('spare');
    expect(after.eTag).not.toBe(before.eTag);
    // Restore for the other tests (system labels in the body are ignored, as a read-merge-write sends them back).
    const restore = await arm.patch(arm.fleet('/members/member-central'), {
      properties: { labels: { ...after.properties.labels, tier: undefined } },
    });
    expect(restore.status).toBe(202);
    await pollAsyncOperation(arm, restore.headers['azure-asyncoperation'] ?? '');
    expect((await getMember('member-central')).properties.labels).not.toHaveProperty('tier');
  });

  it('answers 412 PreconditionFailed on a stale If-Match and If-None-Match * on an existing member', async () => {
    const stale = await arm.patch(
      arm.fleet('/members/member-east'),
      { properties: { labels: { mesh: 'demo' } } },
      { headers: { 'if-match': '"stale"' } },
    );
    expect(stale.status).toBe(412);
    expect(at(stale.json, 'error', 'code')).toBe('PreconditionFailed');
    const m = await getMember('member-east');
    const create = await arm.put(
      arm.fleet('/members/member-east'),
      { properties: { clusterResourceId: m.properties.clusterResourceId } },
      { headers: { 'if-none-match': '*' } },
    );
    expect(create.status).toBe(412);
  });

  it('answers 404 ResourceNotFound, ParentResourceNotFound and ResourceGroupNotFound in the ARM envelope', async () => {
    const missing = await arm.get(arm.fleet('/members/nope'));
    expect(missing.status).toBe(404);
    expect(at(missing.json, 'error', 'code')).toBe('ResourceNotFound');
    expect(String(at(missing.json, 'error', 'message'))).toContain(
      "'Microsoft.ContainerService/fleets/fleet-demo/members/nope' under resource group 'rg-fleet'",
    );
    const noFleet = await arm.get(
      arm.sub('/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/other/members'),
    );
    expect(at(noFleet.json, 'error', 'code')).toBe('ParentResourceNotFound');
    const noRg = await arm.get(
      arm.sub('/resourceGroups/rg-none/providers/Microsoft.ContainerService/fleets/f/members'),
    );
    expect(at(noRg.json, 'error', 'code')).toBe('ResourceGroupNotFound');
  });

  it('answers 401 AuthenticationFailed without a valid token', async () => {
    const none = await arm.get(arm.fleet('/members'), { token: null });
    expect(none.status).toBe(401);
    expect(at(none.json, 'error', 'code')).toBe('AuthenticationFailed');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
    const wrong = await arm.get(arm.fleet('/members'), { token: 'sim.not-a-token-of-this-simulator' });
    expect(wrong.status).toBe(401);
  });

  it('answers 400 for a missing or unknown api-version and for $filter', async () => {
    const missing = await arm.get(arm.fleet('/members'), { apiVersion: null });
    expect(at(missing.json, 'error', 'code')).toBe('MissingApiVersionParameter');
    const unknown = await arm.get(arm.fleet('/members'), { apiVersion: '2026-06-01' });
    expect(unknown.status).toBe(400);
    expect(at(unknown.json, 'error', 'code')).toBe('NoRegisteredProviderFound');
    expect((await arm.get(arm.fleet('/members'), { apiVersion: '2026-06-02-preview' })).status).toBe(200);
    // Refused on purpose: Fleet's $filter grammar is undocumented (reference §1.6), so the message says what to do.
    const filter = await arm.get(`${arm.fleet('/members')}?$filter=labels/mesh eq 'demo'`);
    expect(filter.status).toBe(400);
    expect(at(filter.json, 'error', 'code')).toBe('InvalidParameter');
    expect(at(filter.json, 'error', 'target')).toBe('$filter');
    expect(String(at(filter.json, 'error', 'message'))).toMatch(/grammar is not documented.*List all members/);
  });
});

describe('managed cluster api-versions', () => {
  it('answers every recent stable api-version that shares the model (KnownVersions of @azure/arm-containerservice 25.3.0), and refuses others', async () => {
    const cluster = arm.sub('/resourceGroups/rg-east/providers/Microsoft.ContainerService/managedClusters/aks-east');
    for (const apiVersion of ['2025-10-01', '2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01']) {
      const r = await arm.get(cluster, { apiVersion });
      expect(r.status, apiVersion).toBe(200);
      expect(at(r.json, 'properties', 'networkProfile', 'advancedNetworking', 'enabled'), apiVersion).toBe(true);
    }
    for (const apiVersion of ['2024-05-01', '2026-04-02-preview']) {
      const r = await arm.get(cluster, { apiVersion });
      expect(r.status, apiVersion).toBe(400);
      expect(at(r.json, 'error', 'code')).toBe('NoRegisteredProviderFound');
      expect(String(at(r.json, 'error', 'message'))).toContain(
        '2025-10-01, 2026-01-01, 2026-02-01, 2026-03-01, 2026-04-01',
      );
    }
  });
});

describe('fleet member create and delete', () => {
  it('joins a cluster as a member (201, Azure-AsyncOperation) and removes it (202 + Location, then 204)', async () => {
    const rg = await arm.get(arm.sub('/resourceGroups/rg-extra'), { apiVersion: '2021-04-01' });
    expect(rg.status).toBe(404);
    // Create a cluster to join (AKS PUT creates it; the identity is generated).
    const created = await arm.put(
      arm.sub('/resourceGroups/rg-east/providers/Microsoft.ContainerService/managedClusters/aks-extra'),
      {
        location: 'eastus',
        properties: {
          kubernetesVersion: '1.33',
          agentPoolProfiles: [
            {
              name: 'system',
              mode: 'System',
              count: 1,
              vmSize: 'Standard_D4s_v5',
              vnetSubnetID: arm.sub(
                '/resourceGroups/rg-east/providers/Microsoft.Network/virtualNetworks/vnet-east/subnets/nodes',
              ),
            },
          ],
          networkProfile: { networkPlugin: 'azure', networkDataplane: 'cilium', advancedNetworking: { enabled: true } },
        },
      },
      { apiVersion: '2026-04-01' },
    );
    expect(created.status).toBe(201);
    expect(at(created.json, 'properties', 'provisioningState')).toBe('Creating');
    await pollAsyncOperation(arm, created.headers['azure-asyncoperation'] ?? '');
    const clusterId = String(at(created.json, 'id'));
    const join = await arm.put(arm.fleet('/members/member-extra'), {
      properties: { clusterResourceId: clusterId, labels: { team: 'x' } },
    });
    expect(join.status).toBe(201);
    expect(member(join.json).properties.provisioningState).toBe('Joining');
    expect(join.headers['azure-asyncoperation']).toBeDefined();
    await pollAsyncOperation(arm, join.headers['azure-asyncoperation'] ?? '');
    expect((await getMember('member-extra')).properties.provisioningState).toBe('Succeeded');
    const twice = await arm.put(arm.fleet('/members/member-extra-2'), { properties: { clusterResourceId: clusterId } });
    expect(twice.status).toBe(409);
    // Pause simulated time to observe the transient state: at time factor 100 the leave takes 100 ms of wall time,
    // which a loaded machine can overshoot between the DELETE and the GET.
    sim.control.setTimeFactor(0);
    const leave = await arm.delete(arm.fleet('/members/member-extra'));
    expect(leave.status).toBe(202);
    expect(leave.headers['location']).toBeDefined();
    expect((await getMember('member-extra')).properties.provisioningState).toBe('Leaving');
    sim.control.setTimeFactor(100);
    const done = await waitFor(async () => {
      const r = await arm.get(leave.headers['location'] ?? '');
      return r.status === 202 ? undefined : r;
    }, 'member delete');
    expect(done.status).toBe(204);
    expect((await arm.get(arm.fleet('/members/member-extra'))).status).toBe(404);
    expect((await arm.delete(arm.fleet('/members/member-extra'))).status).toBe(204);
  });
});

describe('cluster mesh profiles', () => {
  it('creates (201), updates (200) and lists profiles; rejects a bad selector naming the field', async () => {
    const created = await arm.put(arm.fleet('/clusterMeshProfiles/spare'), {
      properties: { memberSelector: { byLabel: 'region=central' } },
    });
    expect(created.status).toBe(201);
    const p = profile(created.json);
    expect(p.properties).toMatchObject({
      provisioningState: 'Succeeded',
      memberSelector: { byLabel: 'region=central' },
      status: { state: 'NotConnected' },
    });
    expect(at(created.json, 'properties', 'status', 'lastAppliedMemberSelector')).toBeNull();
    const updated = await arm.put(
      arm.fleet('/clusterMeshProfiles/spare'),
      { properties: { memberSelector: { byLabel: 'region=nowhere' } } },
      { headers: { 'if-match': p.eTag ?? '' } },
    );
    expect(updated.status).toBe(200);
    expect(profile(updated.json).eTag).not.toBe(p.eTag);
    const list = await arm.get(arm.fleet('/clusterMeshProfiles'));
    expect(
      z
        .array(z.unknown())
        .parse(at(list.json, 'value'))
        .map((x) => profile(x).name),
    ).toEqual(['demo', 'spare']);
    const bad = await arm.put(arm.fleet('/clusterMeshProfiles/spare'), {
      properties: { memberSelector: { byLabel: 'env!=prod' } },
    });
    expect(bad.status).toBe(400);
    expect(at(bad.json, 'error', 'target')).toBe('properties.memberSelector.byLabel');
    const badName = await arm.put(arm.fleet('/clusterMeshProfiles/Bad_Name'), { properties: {} });
    expect(at(badName.json, 'error', 'code')).toBe('InvalidResourceName');
  });

  it('deletes an empty profile with 202 + Location, then 204 on the Location and on a second delete', async () => {
    const r = await arm.delete(arm.fleet('/clusterMeshProfiles/spare'));
    expect(r.status).toBe(202);
    expect(r.headers['location']).toBeDefined();
    expect(r.headers['retry-after']).toBeDefined();
    const done = await waitFor(async () => {
      const poll = await arm.get(r.headers['location'] ?? '');
      return poll.status === 202 ? undefined : poll;
    }, 'profile delete');
    expect(done.status).toBe(204);
    expect((await arm.get(arm.fleet('/clusterMeshProfiles/spare'))).status).toBe(404);
    expect((await arm.delete(arm.fleet('/clusterMeshProfiles/spare'))).status).toBe(204);
  });

  it('applies: 202 with Location, Retry-After and Azure-AsyncOperation; Applying, then Connecting members', async () => {
    sim.control.setTimeFactor(0);
    try {
      const r = await arm.post(arm.fleet('/clusterMeshProfiles/demo/apply'));
      expect(r.status).toBe(202);
      expect(r.text).toBe('');
      expect(r.headers['location']).toMatch(/\/locations\/eastus\/operations\//);
      expect(r.headers['azure-asyncoperation']).toMatch(/\/locations\/eastus\/operationResults\//);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(0);
      const p = profile((await arm.get(arm.fleet('/clusterMeshProfiles/demo'))).json);
      expect(p.properties.status?.state).toBe('Applying');
      expect(p.properties.status?.lastAppliedMemberSelector).toEqual({ byLabel: 'mesh=demo' });
      const east = await getMember('member-east');
      expect(east.properties.meshProperties?.status.state).toBe('Connecting');
      expect(east.properties.meshProperties?.ciliumProperties.id).toBe(1);
      expect((await getMember('member-central')).properties.meshProperties).toBeUndefined();
      const again = await arm.post(arm.fleet('/clusterMeshProfiles/demo/apply'));
      expect(again.status).toBe(409);
      expect(at(again.json, 'error', 'code')).toBe('AnotherOperationInProgress');
      const locationPoll = await arm.get(r.headers['location'] ?? '');
      expect(locationPoll.status).toBe(202);
      sim.control.advance(60_000);
      const status = await arm.get(r.headers['azure-asyncoperation'] ?? '');
      expect(at(status.json, 'status')).toBe('Failed');
    } finally {
      sim.control.setTimeFactor(100);
    }
  });

  it('West fails on the 403, stays Failed after the grant until reconcile + re-apply, then connects', async () => {
    // After the first apply (previous test): East Connected, West Failed with the load balancer message.
    const west1 = await getMember('member-west');
    const mesh1 = west1.properties.meshProperties;
    expect(mesh1?.status.state).toBe('Failed');
    expect(mesh1?.status.error?.message).toContain('clustermesh-apiserver');
    expect(mesh1?.status.error?.message).toContain('403 AuthorizationFailed');
    expect(mesh1?.status.error?.message).toContain("'Microsoft.Network/virtualNetworks/subnets/read'");
    expect((await getMember('member-east')).properties.meshProperties?.status.state).toBe('Connected');
    const p1 = profile((await arm.get(arm.fleet('/clusterMeshProfiles/demo'))).json);
    expect(p1.properties.status?.state).toBe('Degraded');
    expect(p1.properties.status?.lastOperationError?.code).toBe('ClusterMeshApplyFailed');
    const westId = mesh1?.ciliumProperties.id;

    // Grant Network Contributor to West's cluster identity on its VNet (as the operator).
    const operator = sim.tokens['operator'] ?? '';
    const cluster = await arm.get(west1.properties.clusterResourceId, { apiVersion: '2026-04-01' });
    const principalId = String(at(cluster.json, 'identity', 'principalId'));
    const vnet = arm.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west');
    const grant = await arm.put(
      `${vnet}/providers/Microsoft.Authorization/roleAssignments/7d0fd3c5-2b39-4f63-9a1a-1d7b2a9c3e10`,
      {
        properties: {
          roleDefinitionId: arm.sub(
            '/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7',
          ),
          principalId,
          principalType: 'ServicePrincipal',
        },
      },
      { apiVersion: '2022-04-01', token: operator },
    );
    expect(grant.status).toBe(201);

    // Re-apply without reconcile: still Failed.
    const second = await apply();
    expect(at(second.final, 'status')).toBe('Failed');
    expect((await getMember('member-west')).properties.meshProperties?.status.state).toBe('Failed');

    // Reconcile the cluster (GET + PUT of the same model with If-Match), wait for the LRO.
    const put = await arm.put(west1.properties.clusterResourceId, cluster.json, {
      apiVersion: '2026-04-01',
      headers: { 'if-match': String(at(cluster.json, 'eTag')) },
    });
    expect(put.status).toBe(200);
    expect(at(put.json, 'properties', 'provisioningState')).toBe('Updating');
    expect(put.headers['azure-asyncoperation']).toBeDefined();
    await pollAsyncOperation(arm, put.headers['azure-asyncoperation'] ?? '');
    // Reconciled but not re-applied: still Failed.
    expect((await getMember('member-west')).properties.meshProperties?.status.state).toBe('Failed');

    const third = await apply();
    expect(at(third.final, 'status')).toBe('Succeeded');
    const west3 = await getMember('member-west');
    expect(west3.properties.meshProperties?.status.state).toBe('Connected');
    expect(west3.properties.meshProperties?.status.error).toBeUndefined();
    expect(west3.properties.meshProperties?.ciliumProperties.id).toBe(westId);
    const loc = await arm.get(third.accepted.headers['location'] ?? '');
    expect(loc.status).toBe(200);
    expect(profile(loc.json).properties.status?.state).toBe('Connected');
  });

  it('refuses to delete a profile with members and to remove a mesh member from the fleet (409)', async () => {
    const del = await arm.delete(arm.fleet('/clusterMeshProfiles/demo'));
    expect(del.status).toBe(409);
    expect(String(at(del.json, 'error', 'message'))).toContain('still has 2 member(s)');
    const remove = await arm.delete(arm.fleet('/members/member-east'));
    expect(remove.status).toBe(409);
    expect(String(at(remove.json, 'error', 'message'))).toContain('cannot be removed from the fleet');
  });

  it('labels a new member in, then disconnects everyone with a match-nothing selector', async () => {
    const central = await getMember('member-central');
    const label = await arm.patch(arm.fleet('/members/member-central'), {
      properties: { labels: { ...central.properties.labels, mesh: 'demo' } },
    });
    await pollAsyncOperation(arm, label.headers['azure-asyncoperation'] ?? '');
    expect(at((await apply()).final, 'status')).toBe('Succeeded');
    const c = await getMember('member-central');
    expect(c.properties.meshProperties).toMatchObject({
      ciliumProperties: { id: 3, name: 'member-central-3' },
      status: { state: 'Connected' },
    });

    const p = profile((await arm.get(arm.fleet('/clusterMeshProfiles/demo'))).json);
    await arm.put(
      arm.fleet('/clusterMeshProfiles/demo'),
      { properties: { memberSelector: { byLabel: 'mesh=none' } } },
      { headers: { 'if-match': p.eTag ?? '' } },
    );
    sim.control.setTimeFactor(0);
    try {
      const r = await arm.post(arm.fleet('/clusterMeshProfiles/demo/apply'));
      expect(r.status).toBe(202);
      expect((await getMember('member-east')).properties.meshProperties?.status.state).toBe('Disconnecting');
      sim.control.advance(60_000);
    } finally {
      sim.control.setTimeFactor(100);
    }
    for (const name of ['member-east', 'member-west', 'member-central'])
      expect((await getMember(name)).properties.meshProperties).toBeUndefined();
    const after = profile((await arm.get(arm.fleet('/clusterMeshProfiles/demo'))).json);
    expect(after.properties.status?.state).toBe('NotConnected');
    expect(after.properties.status?.lastAppliedMemberSelector).toEqual({ byLabel: 'mesh=none' });
  });
});

const GENERATED =
  'generated:24?overlay=1&oldVersion=1&notCilium=1&acnsOff=1&unpeered=1&overlappingCidr=1&nsgDeny=1&blackholeRoute=1&missingRole=1&unlabelled=1&seed=5';

describe('mesh prerequisites and conflicts', () => {
  let gsim: RunningSimulator;
  let garm: Arm;
  beforeAll(async () => {
    ({ sim: gsim, arm: garm } = await start({ scenario: GENERATED }));
  });
  afterAll(async () => {
    garm.close();
    await gsim.stop();
  });

  const fleet = (path: string): string =>
    garm.sub(`/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-generated${path}`);

  it('fails exactly the misconfigured members, each with a message saying why', async () => {
    const r = await garm.post(fleet('/clusterMeshProfiles/demo/apply'));
    expect(r.status).toBe(202);
    const final = await pollAsyncOperation(garm, r.headers['azure-asyncoperation'] ?? '');
    expect(at(final, 'status')).toBe('Failed');
    const list = await garm.get(fleet('/members'));
    const members = z.array(z.unknown()).parse(at(list.json, 'value')).map(member);
    const byName = new Map(members.map((m) => [m.name, m]));
    const expectations: [string, RegExp][] = [
      ['overlay', /Azure CNI Overlay/],
      ['oldVersion', /Kubernetes 1\.31\.4; cluster mesh needs 1\.32 or later/],
      ['notCilium', /dataplane 'azure'/],
      ['acnsOff', /Advanced Container Networking Services/],
      ['unpeered', /is not peered with virtual network/],
      ['overlappingCidr', /overlaps/],
      ['nsgDeny', /denies inbound TCP 2379/],
      ['blackholeRoute', /next hop None/],
      ['missingRole', /403 AuthorizationFailed/],
    ];
    const generated = generateFleetScenario(parseGeneratedName(GENERATED));
    const picked = z.record(z.string(), z.array(z.string())).parse(generated.metadata?.['misconfigured']);
    const failedNames = new Set<string>();
    for (const [knob, pattern] of expectations) {
      const name = picked[knob]?.[0] ?? '';
      const m = byName.get(name);
      expect(m?.properties.meshProperties?.status.state, `${knob} ${name}`).toBe('Failed');
      expect(m?.properties.meshProperties?.status.error?.message, knob).toMatch(pattern);
      failedNames.add(name);
    }
    const unlabelled = byName.get(picked['unlabelled']?.[0] ?? '');
    expect(unlabelled?.properties.meshProperties).toBeUndefined();
    const connected = members.filter((m) => m.properties.meshProperties?.status.state === 'Connected');
    expect(connected).toHaveLength(24 - failedNames.size - 1);
    const ids = members.flatMap((m) =>
      m.properties.meshProperties ? [m.properties.meshProperties.ciliumProperties.id] : [],
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.min(...ids)).toBe(1);
    expect(Math.max(...ids)).toBe(23);
    const p = profile((await garm.get(fleet('/clusterMeshProfiles/demo'))).json);
    expect(p.properties.status?.state).toBe('Degraded');
  });

  it('does not take a member that is already in another profile, and reports it', async () => {
    await garm.put(fleet('/clusterMeshProfiles/other'), { properties: { memberSelector: { byLabel: 'index=001' } } });
    const r = await garm.post(fleet('/clusterMeshProfiles/other/apply'));
    const final = await pollAsyncOperation(garm, r.headers['azure-asyncoperation'] ?? '');
    expect(at(final, 'status')).toBe('Failed');
    const details = at(final, 'error', 'details');
    expect(JSON.stringify(details)).toContain('MemberInAnotherClusterMesh');
    const m = member((await garm.get(fleet('/members/member-001'))).json);
    expect(m.properties.meshProperties?.clusterMeshProfileResourceId).toMatch(/clusterMeshProfiles\/demo$/);
  });
});

describe('a 255-member mesh', () => {
  it('converges: every member Connected with distinct Cilium ids 1..255, profile Connected', async () => {
    const { sim: big, arm: bigArm } = await start({ scenario: 'generated:255', timeFactor: 1000 });
    try {
      const f = (path: string): string =>
        bigArm.sub(`/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-generated${path}`);
      const r = await bigArm.post(f('/clusterMeshProfiles/demo/apply'));
      expect(r.status).toBe(202);
      const final = await pollAsyncOperation(bigArm, r.headers['azure-asyncoperation'] ?? '');
      expect(at(final, 'status')).toBe('Succeeded');
      const ids: number[] = [];
      let url: string | undefined = f('/members');
      while (url !== undefined) {
        const page = await bigArm.get(url);
        for (const m of z.array(z.unknown()).parse(at(page.json, 'value')).map(member)) {
          expect(m.properties.meshProperties?.status.state).toBe('Connected');
          ids.push(m.properties.meshProperties?.ciliumProperties.id ?? 0);
        }
        const next = at(page.json, 'nextLink');
        url = typeof next === 'string' ? next : undefined;
      }
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 255 }, (_, i) => i + 1));
      expect(profile((await bigArm.get(f('/clusterMeshProfiles/demo'))).json).properties.status?.state).toBe(
        'Connected',
      );
    } finally {
      bigArm.close();
      await big.stop();
    }
  });
});

describe('mesh size limit', () => {
  it('answers 400 when a selector matches more than 255 members', async () => {
    const base = generateFleetScenario({
      members: 255,
      regions: ['eastus', 'westus', 'northeurope', 'westeurope', 'centralus'],
    });
    const extraCluster = {
      resourceGroup: 'rg-eastus',
      name: 'aks-extra',
      location: 'eastus',
      kubernetesVersion: '1.33',
      nodeSubnet: 'rg-eastus/vnet-extra/nodes',
    };
    const scenario = {
      ...base,
      virtualNetworks: [
        ...(base.virtualNetworks ?? []),
        {
          resourceGroup: 'rg-eastus',
          name: 'vnet-extra',
          location: 'eastus',
          addressPrefixes: ['10.250.0.0/16'],
          subnets: [{ name: 'nodes', addressPrefix: '10.250.0.0/24' }],
        },
      ],
      clusters: [...(base.clusters ?? []), extraCluster],
      fleets: (base.fleets ?? []).map((f) => ({
        ...f,
        members: [
          ...(f.members ?? []),
          { name: 'member-extra', cluster: 'rg-eastus/aks-extra', labels: { mesh: 'demo' } },
        ],
      })),
    };
    const { sim: big, arm: bigArm } = await start({ scenario });
    try {
      const r = await bigArm.post(
        bigArm.sub(
          '/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-generated/clusterMeshProfiles/demo/apply',
        ),
      );
      expect(r.status).toBe(400);
      expect(at(r.json, 'error', 'code')).toBe('ClusterMeshMemberLimitExceeded');
      expect(String(at(r.json, 'error', 'message'))).toContain('selects 256 members');
    } finally {
      bigArm.close();
      await big.stop();
    }
  });
});
