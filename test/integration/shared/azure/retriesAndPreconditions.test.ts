/**
 * The 429 and 412 paths through every SDK family the gateways use, against the simulator:
 *
 * - 429: one answer `429` with `Retry-After: 1`, then success, through `@azure/arm-network` (VNet GET),
 *   `@azure/arm-trafficmanager` (endpoint PUT), `@azure/arm-containerservice` (the reconcile PUT, an LRO) and
 *   `@azure/arm-authorization` (role assignment PUT). Each client is built by the gateways over the shared pipeline
 *   options, so this proves each one honours `Retry-After` (pipeline.test.ts covers the fleet REST client).
 * - 412: another writer changes the resource between the gateway's read and its write, so the gateway's `If-Match`
 *   is stale: the cluster reconcile (`reconcileAndWait`) and the member label update. The other writer's change
 *   survives (no lost update) and the error is an `AzureApiError` the callers can branch on.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CallLogEntry } from '../../../../local/simulator/index.js';
import { createGateways, isPreconditionFailed, type Gateways } from '../../../../shared/azure/index.js';
import { AKS_API } from '../../local/simulator/support.js';
import { at, NETWORK_CONTRIBUTOR, startHarness, waitFor, type GatewayHarness } from './support.js';

let h: GatewayHarness;
beforeAll(async () => {
  h = await startHarness({ scenario: 'two-regions' });
});
afterAll(async () => {
  await h.close();
});

const lastSeq = (): number => h.sim.control.calls().at(-1)?.seq ?? 0;

/**
 * Runs `fn` with the simulator answering the first request of `operation` 429 (Retry-After 1 s), and checks the
 * gateway waited that long, sent it again, succeeded, and counted one 429 and no error.
 */
async function throttledOnce<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  h.sim.control.setFaults({
    overrides: [{ match: { operations: [operation] }, errorRates: { '429': 1 }, retryAfterSeconds: 1, times: 1 }],
  });
  const since = lastSeq();
  let tracked: { value: T; calls: { throttled: number; errors: number } };
  try {
    tracked = await h.gateways.counters.track(fn);
  } finally {
    h.sim.control.clearFaults();
  }
  const log: CallLogEntry[] = h.sim.control.calls(since).filter((c) => c.operation === operation);
  expect(log.map((c) => c.status)).toEqual([429, expect.any(Number)]);
  expect(log[1]?.status).toBeLessThan(300);
  // The retry came no earlier than the 1 s the 429 asked for.
  expect(Date.parse(log[1]?.time ?? '') - Date.parse(log[0]?.time ?? '')).toBeGreaterThanOrEqual(950);
  expect(tracked.calls).toMatchObject({ throttled: 1, errors: 0 });
  return tracked.value;
}

describe('429 with Retry-After, then success, through each SDK family', () => {
  it('@azure/arm-network: getVirtualNetwork', async () => {
    const id = h.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west');
    const vnet = await throttledOnce('virtualNetworks.get', () => h.gateways.network.getVirtualNetwork(id));
    expect(vnet.name).toBe('vnet-west');
    expect(vnet.subnets?.map((s) => s.name)).toEqual(['nodes', 'pods']);
  });

  it('@azure/arm-trafficmanager: createOrUpdateEndpoint (a write)', async () => {
    await h.gateways.traffic.createOrUpdateProfile('rg-traffic', 'tm-retry', {
      location: 'global',
      profileStatus: 'Enabled',
      trafficRoutingMethod: 'Weighted',
      dnsConfig: { relativeName: 'fleetmesh-retry', ttl: 60 },
      monitorConfig: {
        protocol: 'TCP',
        port: 443,
        intervalInSeconds: 30,
        timeoutInSeconds: 10,
        toleratedNumberOfFailures: 3,
      },
    });
    const pip = h.sub(
      '/resourceGroups/MC_rg-east_aks-east_eastus/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-east',
    );
    const endpoint = await throttledOnce('trafficManagerEndpoints.createOrUpdate', () =>
      h.gateways.traffic.createOrUpdateEndpoint('rg-traffic', 'tm-retry', 'AzureEndpoints', 'fleetmesh-east', {
        targetResourceId: pip,
        endpointStatus: 'Enabled',
        weight: 100,
      }),
    );
    expect(endpoint).toMatchObject({ name: 'fleetmesh-east', weight: 100, endpointStatus: 'Enabled' });
  });

  it('@azure/arm-containerservice: reconcileAndWait, whose PUT (an LRO start) is throttled', async () => {
    const id = h.sub('/resourceGroups/rg-east/providers/Microsoft.ContainerService/managedClusters/aks-east');
    const before = await h.gateways.clusters.getCluster(id);
    const after = await throttledOnce('managedClusters.createOrUpdate', () => h.gateways.clusters.reconcileAndWait(id));
    expect(after.provisioningState).toBe('Succeeded');
    expect(after.eTag).not.toBe(before.eTag);
  });

  it('@azure/arm-authorization: createRoleAssignment (a write)', async () => {
    const vnet = h.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west');
    const result = await throttledOnce('roleAssignments.create', () =>
      h.gateways.authorization.createRoleAssignment({
        scope: vnet,
        roleDefinitionId: h.sub(`/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`),
        principalId: h.sim.control.principals()['aks-west-identity']?.objectId ?? '',
        principalType: 'ServicePrincipal',
      }),
    );
    expect(result.created).toBe(true);
  });
});

/**
 * Gateways whose credential, when asked for the token of the `nth` request (the pipeline asks once per request: the
 * tokens it gets expire at once), first runs `between`: another writer acting after the gateway's read and before
 * its write, deterministically.
 */
function gatewaysWithWriterBefore(nth: number, between: () => Promise<void>): Gateways {
  const token = h.sim.tokens['fleetmesh'] ?? '';
  let requests = 0;
  const credential: TokenCredential = {
    async getToken(): Promise<AccessToken> {
      requests += 1;
      if (requests === nth) await between();
      return { token, expiresOnTimestamp: Date.now() };
    },
  };
  return createGateways(h.settings, { credential, pollIntervalMs: 10 });
}

const ClusterBody = z.object({ eTag: z.string(), properties: z.object({ provisioningState: z.string() }) });
const MemberBody = z.object({ eTag: z.string(), properties: z.object({ labels: z.record(z.string(), z.string()) }) });

describe('412 on a stale ETag, through the gateways', () => {
  it('reconcileAndWait: the cluster changed between its GET and its PUT', async () => {
    const id = h.sub('/resourceGroups/rg-central/providers/Microsoft.ContainerService/managedClusters/aks-central');
    const since = lastSeq();
    // Request 1 is the reconcile's GET, request 2 its PUT: before the PUT, someone else reconciles the cluster.
    const gateways = gatewaysWithWriterBefore(2, async () => {
      const current = await h.arm.get(id, { apiVersion: AKS_API });
      const put = await h.arm.put(id, current.json, {
        apiVersion: AKS_API,
        headers: { 'if-match': ClusterBody.parse(current.json).eTag },
      });
      expect(put.status).toBe(200);
    });
    const { value: error, calls } = await gateways.counters.track(() =>
      gateways.clusters.reconcileAndWait(id).catch((e: unknown) => e),
    );
    expect(isPreconditionFailed(error)).toBe(true);
    expect(error).toMatchObject({
      statusCode: 412,
      armCode: 'PreconditionFailed',
      retryable: false,
      operation: 'managedClusters.createOrUpdate',
      resourceId: id,
    });
    // One GET, one PUT refused, nothing retried: a 412 is final.
    expect(calls).toEqual({ reads: 1, writes: 1, throttled: 0, errors: 1 });
    // The other writer's PUT is the one that went through; the gateway's came after it and was refused.
    const puts = h.sim.control.calls(since).filter((c) => c.operation === 'managedClusters.createOrUpdate');
    expect(puts.map((c) => c.status)).toEqual([200, 412]);
    // Once that operation has finished, a new reconcile (a fresh read) goes through.
    h.sim.control.advance(60_000);
    await waitFor(
      async () => (await h.gateways.clusters.getCluster(id)).provisioningState === 'Succeeded' || undefined,
      'the other reconcile to finish',
    );
    expect((await h.gateways.clusters.reconcileAndWait(id)).provisioningState).toBe('Succeeded');
  });

  it('updateMemberLabels: the labels changed between its read and its PATCH; the other change is not lost', async () => {
    const path = h.arm.fleet('/members/member-central');
    // Request 1 is the member GET, request 2 the label PATCH: before the PATCH, someone else adds a label.
    const gateways = gatewaysWithWriterBefore(2, async () => {
      const current = MemberBody.parse((await h.arm.get(path)).json);
      const user = Object.fromEntries(
        Object.entries(current.properties.labels).filter(([k]) => !k.startsWith('fleet.azure.com/')),
      );
      const patch = await h.arm.patch(
        path,
        { properties: { labels: { ...user, owner: 'platform-team' } } },
        { headers: { 'if-match': current.eTag } },
      );
      expect(patch.status).toBe(202);
    });
    const error: unknown = await gateways.fleet
      .updateMemberLabels('member-central', { mesh: 'demo' })
      .catch((e: unknown) => e);
    expect(isPreconditionFailed(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 412, armCode: 'PreconditionFailed', operation: 'fleetMembers.update' });
    // The gateway's merged map did not overwrite the other writer's label.
    await waitFor(
      async () => MemberBody.parse((await h.arm.get(path)).json).properties.labels['owner'],
      "the other writer's label",
    );
    const labels = MemberBody.parse((await h.arm.get(path)).json).properties.labels;
    expect(labels).toMatchObject({ owner: 'platform-team', region: 'central' });
    expect(labels['mesh']).toBeUndefined();
    // Trying again reads again and merges both changes.
    await waitFor(
      async () => at((await h.arm.get(path)).json, 'properties', 'provisioningState') === 'Succeeded' || undefined,
      'the other label update to finish',
    );
    const merged = await h.gateways.fleet.updateMemberLabels('member-central', { mesh: 'demo' });
    expect(merged.properties.labels).toMatchObject({ owner: 'platform-team', mesh: 'demo', region: 'central' });
  });
});
