/**
 * ClusterGateway against the simulator through `@azure/arm-containerservice` 25.3.0: get, and reconcile (GET, PUT of
 * the same model with If-Match, LRO) as begin/poll with the poller state restored by a fresh gateway set, and as
 * reconcileAndWait; 404, 409 and a poll that fails over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureApiError, isConflict, isNotFound } from '../../../../shared/azure/index.js';
import { ValidationError } from '../../../../shared/errors.js';
import { pollToEnd, throughJson } from './lroSupport.js';
import { startHarness, type GatewayHarness } from './support.js';

describe('ClusterGateway (two-regions)', () => {
  let h: GatewayHarness;
  let west: string;
  beforeAll(async () => {
    h = await startHarness({ scenario: 'two-regions' });
    west = h.sub('/resourceGroups/rg-west/providers/Microsoft.ContainerService/managedClusters/aks-west');
  });
  afterAll(async () => {
    await h.close();
  });

  it('gets a cluster in the SDK shape with the mesh prerequisite fields', async () => {
    const cluster = await h.gateways.clusters.getCluster(west);
    expect(cluster).toMatchObject({
      id: west,
      name: 'aks-west',
      location: 'westus',
      provisioningState: 'Succeeded',
      currentKubernetesVersion: '1.33.2',
      networkProfile: { networkPlugin: 'azure', networkDataplane: 'cilium', advancedNetworking: { enabled: true } },
      identity: { type: 'SystemAssigned' },
    });
    expect(cluster.networkProfile?.networkPluginMode).toBeUndefined();
    expect(cluster.agentPoolProfiles?.[0]?.vnetSubnetID).toBe(
      h.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west/subnets/nodes'),
    );
    expect(cluster.eTag).toMatch(/^".+"$/);
  });

  it('reconcile: begin (GET + PUT with If-Match), then polls from the serialised state in fresh gateway sets', async () => {
    const before = await h.gateways.clusters.getCluster(west);
    h.sim.control.setTimeFactor(0);
    const { value: state, calls } = await h.gateways.counters.track(() => h.gateways.clusters.beginReconcile(west));
    expect(calls).toEqual({ reads: 1, writes: 1, throttled: 0, errors: 0 });
    expect(state).toMatchObject({ kind: 'clusterReconcile', resourceId: west });
    const first = await h.fresh().clusters.pollReconcile(throughJson(state));
    expect(first.status).toBe('running');
    expect((await h.gateways.clusters.getCluster(west)).provisioningState).toBe('Updating');

    // While the PUT runs, another reconcile is refused by AKS (409), and counted as an error of the PUT.
    const busy: unknown = await h.gateways.clusters.beginReconcile(west).catch((e: unknown) => e);
    expect(isConflict(busy)).toBe(true);
    expect(busy).toMatchObject({ armCode: 'OperationNotAllowed', operation: 'managedClusters.createOrUpdate' });

    h.sim.control.setTimeFactor(100);
    const run = await pollToEnd(first.status === 'running' ? first.next : state, (s) =>
      h.fresh().clusters.pollReconcile(s),
    );
    expect(run.final.status).toBe('succeeded');
    const result = run.final.status === 'succeeded' ? run.final.result : undefined;
    expect(result).toMatchObject({ id: west, provisioningState: 'Succeeded', currentKubernetesVersion: '1.33.2' });
    expect(result?.eTag).not.toBe(before.eTag);
    expect(h.gateways.counters.snapshot()['managedClusters.createOrUpdate']?.errors).toBe(1);
  });

  it('reconcileAndWait returns the reconciled cluster', async () => {
    const before = await h.gateways.clusters.getCluster(west);
    const after = await h.gateways.clusters.reconcileAndWait(west);
    expect(after).toMatchObject({
      id: west,
      provisioningState: 'Succeeded',
      kubernetesVersion: before.kubernetesVersion,
    });
    expect(after.eTag).not.toBe(before.eTag);
  });

  it('a poll that keeps failing over HTTP is an AzureApiError, and the state stays usable', async () => {
    h.sim.control.setTimeFactor(0);
    const state = await h.gateways.clusters.beginReconcile(west);
    h.sim.control.setFaults({
      overrides: [
        { match: { operations: ['operations.get'] }, errorRates: { '503': 1 }, retryAfterSeconds: 0, times: 4 },
      ],
    });
    const error: unknown = await h.gateways.clusters.pollReconcile(state).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureApiError);
    // The pipeline tried four times (one try and three retries), then gave up.
    expect(error).toMatchObject({
      statusCode: 503,
      retryable: true,
      retryAfterMs: 0,
      operation: 'managedClusters.createOrUpdate',
    });
    h.sim.control.clearFaults();
    h.sim.control.setTimeFactor(100);
    expect((await pollToEnd(state, (s) => h.gateways.clusters.pollReconcile(s))).final.status).toBe('succeeded');
  });

  it('404 for a missing cluster; a non-cluster id never leaves the process', async () => {
    const missing = h.sub('/resourceGroups/rg-west/providers/Microsoft.ContainerService/managedClusters/nope');
    await expect(h.gateways.clusters.getCluster(missing)).rejects.toSatisfy(isNotFound);
    await expect(h.gateways.clusters.reconcileAndWait(missing)).rejects.toMatchObject({
      statusCode: 404,
      operation: 'managedClusters.get',
    });
    await expect(h.gateways.clusters.getCluster(h.sub('/resourceGroups/rg-west'))).rejects.toThrow(ValidationError);
    await expect(
      h.gateways.clusters.pollReconcile({ kind: 'meshApply', resourceId: west, state: '{"state":{}}' }),
    ).rejects.toThrow(ValidationError);
  });
});
