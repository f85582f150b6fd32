/**
 * The Network Contributor story, end to end through the gateways, with the simulator enforcing that the app's
 * principal holds a role for every call (the roles of the `two-regions` scenario, as the infrastructure grants them):
 * apply → West fails (its cluster identity cannot read its subnet) → grant Network Contributor on the VNet → apply
 * again (still Failed: the load balancer stays pending) → reconcile the cluster → apply → every member Connected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parentResourceId } from '../../../../shared/arm/resourceId.js';
import { clusterPrincipalId, type FleetMember } from '../../../../shared/models/index.js';
import { pollToEnd } from './lroSupport.js';
import { NETWORK_CONTRIBUTOR, startHarness, type GatewayHarness } from './support.js';

describe('Network Contributor story through the gateways (roles enforced)', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startHarness({ scenario: 'two-regions', enforceRoles: true });
  });
  afterAll(async () => {
    await h.close();
  });

  const meshState = (members: FleetMember[], name: string): string | undefined =>
    members.find((m) => m.name === name)?.properties.meshProperties?.status.state;

  it('apply → member Failed → grant → reconcile → re-apply → Connected', async () => {
    const { fleet, clusters, network, authorization } = h.gateways;
    expect(h.sim.control.settings().enforceRoles).toBe(true);
    expect((await fleet.getMeshProfile('demo'))?.properties.status?.state).toBe('NotConnected');

    const first = await pollToEnd(await fleet.beginApplyMeshProfile('demo'), (s) => fleet.pollApplyMeshProfile(s));
    expect(first.final).toMatchObject({ status: 'failed', error: { code: 'ClusterMeshApplyFailed' } });
    const afterFirst = await fleet.listMembers();
    expect(meshState(afterFirst, 'member-east')).toBe('Connected');
    expect(meshState(afterFirst, 'member-west')).toBe('Failed');
    const west = afterFirst.find((m) => m.name === 'member-west');
    expect(west?.properties.meshProperties?.status.error?.message).toMatch(/AuthorizationFailed/);

    // What the remediation reads: the member's cluster, its identity, its node subnet's VNet, the identity's roles there.
    const cluster = await clusters.getCluster(west?.properties.clusterResourceId ?? '');
    const principalId = clusterPrincipalId(cluster) ?? '';
    const subnetId = cluster.agentPoolProfiles?.[0]?.vnetSubnetID ?? '';
    const vnetId = parentResourceId(subnetId) ?? '';
    const vnet = await network.getVirtualNetwork(vnetId);
    expect(vnet.subnets?.some((s) => s.id.toLowerCase() === subnetId.toLowerCase())).toBe(true);
    const roles = await authorization.listRoleAssignmentsForPrincipal(vnetId, principalId);
    expect(roles.some((r) => r.roleDefinitionId.toLowerCase().endsWith(NETWORK_CONTRIBUTOR))).toBe(false);

    const granted = await authorization.createRoleAssignment({
      scope: vnetId,
      roleDefinitionId: h.sub(`/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`),
      principalId,
      principalType: 'ServicePrincipal',
    });
    expect(granted.created).toBe(true);

    // The grant alone is not enough: the load balancer stays pending until the cluster is reconciled.
    await expect(fleet.applyMeshProfileAndWait('demo')).rejects.toMatchObject({ armCode: 'ClusterMeshApplyFailed' });
    expect(meshState(await fleet.listMembers(), 'member-west')).toBe('Failed');

    const reconciled = await pollToEnd(await clusters.beginReconcile(cluster.id), (s) => clusters.pollReconcile(s));
    expect(reconciled.final).toMatchObject({ status: 'succeeded', result: { provisioningState: 'Succeeded' } });

    const applied = await fleet.applyMeshProfileAndWait('demo');
    expect(applied.properties.status?.state).toBe('Connected');
    const members = await fleet.listMembers();
    expect([meshState(members, 'member-east'), meshState(members, 'member-west')]).toEqual(['Connected', 'Connected']);
    const ids = members.flatMap((m) =>
      m.properties.meshProperties ? [m.properties.meshProperties.ciliumProperties.id] : [],
    );
    expect(new Set(ids).size).toBe(2);

    // Every call was allowed by the roles the scenario grants the app.
    expect(h.sim.control.calls().filter((c) => c.note === 'forbidden')).toEqual([]);
    const totals = Object.values(h.gateways.counters.snapshot());
    expect(totals.reduce((n, t) => n + t.throttled, 0)).toBe(0);
    // The one counted error is the apply that failed before the reconcile.
    expect(h.gateways.counters.snapshot()['clusterMeshProfiles.apply']?.errors).toBe(1);
  });
});
