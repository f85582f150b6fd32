/**
 * TrafficGateway against the simulator through `@azure/arm-trafficmanager` 6.1.0 pinned to api-version 2022-04-01:
 * profile get/PUT/PATCH, endpoint PUT/GET (monitor status)/DELETE, 404 as absent, 400s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureApiError, type TrafficManagerProfileInput } from '../../../../shared/azure/index.js';
import { ValidationError } from '../../../../shared/errors.js';
import { startHarness, type GatewayHarness } from './support.js';

const RG = 'rg-traffic';
const PROFILE: TrafficManagerProfileInput = {
  location: 'global',
  tags: { owner: 'fleetmesh' },
  profileStatus: 'Enabled',
  trafficRoutingMethod: 'Weighted',
  dnsConfig: { relativeName: 'fleetmesh-demo-gw', ttl: 60 },
  monitorConfig: {
    protocol: 'HTTP',
    port: 80,
    path: '/healthz',
    intervalInSeconds: 30,
    timeoutInSeconds: 10,
    toleratedNumberOfFailures: 3,
  },
};

describe('TrafficGateway (two-regions)', () => {
  let h: GatewayHarness;
  let pip: (region: string) => string;
  beforeAll(async () => {
    h = await startHarness({ scenario: 'two-regions' });
    pip = (region) =>
      h.sub(
        `/resourceGroups/MC_rg-${region}_aks-${region}_${region}us/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-${region}`,
      );
  });
  afterAll(async () => {
    await h.close();
  });

  it('an absent profile is undefined; a missing resource group is an error', async () => {
    expect(await h.gateways.traffic.getProfile(RG, 'tm-demo')).toBeUndefined();
    const error: unknown = await h.gateways.traffic.getProfile('rg-nope', 'tm-demo').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureApiError);
    expect(error).toMatchObject({
      statusCode: 404,
      armCode: 'ResourceGroupNotFound',
      operation: 'trafficManagerProfiles.get',
    });
  });

  it('creates a profile and Azure endpoints; the endpoint GET carries the monitor status as probes see it', async () => {
    const created = await h.gateways.traffic.createOrUpdateProfile(RG, 'tm-demo', PROFILE);
    expect(created).toMatchObject({
      name: 'tm-demo',
      location: 'global',
      trafficRoutingMethod: 'Weighted',
      dnsConfig: { relativeName: 'fleetmesh-demo-gw', fqdn: 'fleetmesh-demo-gw.trafficmanager.net', ttl: 60 },
      monitorConfig: { protocol: 'HTTP', path: '/healthz', profileMonitorStatus: 'Inactive' },
      tags: { owner: 'fleetmesh' },
    });
    const east = await h.gateways.traffic.createOrUpdateEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'fleetmesh-east', {
      targetResourceId: pip('east'),
      endpointStatus: 'Enabled',
      weight: 60,
    });
    expect(east).toMatchObject({
      name: 'fleetmesh-east',
      type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints',
      targetResourceId: pip('east'),
      target: 'fleetmesh-demo-east.eastus.cloudapp.azure.com',
      endpointStatus: 'Enabled',
      weight: 60,
      endpointMonitorStatus: 'CheckingEndpoint',
    });
    await h.gateways.traffic.createOrUpdateEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'fleetmesh-west', {
      targetResourceId: pip('west'),
      endpointStatus: 'Disabled',
      weight: 40,
    });
    h.sim.control.advance(5_000);
    expect(
      (await h.gateways.traffic.getEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'fleetmesh-east'))?.endpointMonitorStatus,
    ).toBe('Online');
    expect(
      (await h.gateways.traffic.getEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'fleetmesh-west'))?.endpointMonitorStatus,
    ).toBe('Disabled');
    const profile = await h.gateways.traffic.getProfile(RG, 'tm-demo');
    expect(profile?.endpoints?.map((e) => [e.name, e.weight, e.endpointStatus])).toEqual([
      ['fleetmesh-east', 60, 'Enabled'],
      ['fleetmesh-west', 40, 'Disabled'],
    ]);
    expect(await h.gateways.traffic.getEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'nope')).toBeUndefined();
  });

  it('PATCH changes what fleetmesh owns and never drops endpoints; a PUT echoing the endpoints keeps them', async () => {
    const patched = await h.gateways.traffic.updateProfile(RG, 'tm-demo', {
      tags: { owner: 'ops' },
      profileStatus: 'Enabled',
    });
    expect(patched.tags).toEqual({ owner: 'ops' });
    expect(patched.endpoints?.map((e) => e.name)).toEqual(['fleetmesh-east', 'fleetmesh-west']);
    const { value: ttl, calls } = await h.gateways.counters.track(() =>
      h.gateways.traffic.updateProfile(RG, 'tm-demo', { dnsConfig: { ttl: 30 } }),
    );
    expect(ttl.dnsConfig).toMatchObject({ relativeName: 'fleetmesh-demo-gw', ttl: 30 });
    expect(ttl.endpoints).toHaveLength(2);
    // The TTL change reads the profile first for its relative DNS name.
    expect(calls).toEqual({ reads: 1, writes: 1, throttled: 0, errors: 0 });

    const read = await h.gateways.traffic.getProfile(RG, 'tm-demo');
    const put = await h.gateways.traffic.createOrUpdateProfile(RG, 'tm-demo', {
      ...PROFILE,
      monitorConfig: { ...PROFILE.monitorConfig, path: '/ready' },
      endpoints: read?.endpoints ?? [],
    });
    expect(put.monitorConfig?.path).toBe('/ready');
    expect(put.endpoints?.map((e) => [e.name, e.weight, e.endpointStatus])).toEqual([
      ['fleetmesh-east', 60, 'Enabled'],
      ['fleetmesh-west', 40, 'Disabled'],
    ]);
  });

  it('deletes endpoints; an absent endpoint or profile counts as deleted', async () => {
    await h.gateways.traffic.deleteEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'fleetmesh-west');
    expect(await h.gateways.traffic.getEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'fleetmesh-west')).toBeUndefined();
    await h.gateways.traffic.deleteEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'fleetmesh-west');
    await h.gateways.traffic.deleteEndpoint(RG, 'tm-gone', 'AzureEndpoints', 'fleetmesh-west');
    expect(h.gateways.counters.snapshot()['trafficManagerEndpoints.delete']).toMatchObject({ writes: 3, errors: 0 });
    expect((await h.gateways.traffic.getProfile(RG, 'tm-demo'))?.endpoints?.map((e) => e.name)).toEqual([
      'fleetmesh-east',
    ]);
  });

  it("round-trips fleetmesh's owner-prefixed names: '#' is percent-encoded in the path, never a fragment", async () => {
    const name = 'fleetmesh#demo#demo#web#member-east';
    await h.gateways.traffic.createOrUpdateEndpoint(RG, 'tm-demo', 'AzureEndpoints', name, {
      targetResourceId: pip('east'),
      endpointStatus: 'Enabled',
      weight: 500,
    });
    expect(await h.gateways.traffic.getEndpoint(RG, 'tm-demo', 'AzureEndpoints', name)).toMatchObject({
      name,
      weight: 500,
    });
    expect((await h.gateways.traffic.getProfile(RG, 'tm-demo'))?.endpoints?.map((e) => e.name)).toContain(name);
    await h.gateways.traffic.deleteEndpoint(RG, 'tm-demo', 'AzureEndpoints', name);
    expect(await h.gateways.traffic.getEndpoint(RG, 'tm-demo', 'AzureEndpoints', name)).toBeUndefined();
  });

  it('refuses bad endpoints before calling ARM; ARM refuses a public IP without a DNS name (400)', async () => {
    const ok = { targetResourceId: pip('east'), endpointStatus: 'Enabled', weight: 1 } as const;
    await expect(
      h.gateways.traffic.createOrUpdateEndpoint(RG, 'tm-demo', 'ExternalEndpoints', 'x', ok),
    ).rejects.toThrow(ValidationError);
    await expect(
      h.gateways.traffic.createOrUpdateEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'x', { ...ok, weight: 0 }),
    ).rejects.toThrow(/weight/);
    await expect(
      h.gateways.traffic.createOrUpdateEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'x', {
        ...ok,
        targetResourceId: 'pip',
      }),
    ).rejects.toThrow(ValidationError);
    await expect(h.gateways.traffic.createOrUpdateEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'a/b', ok)).rejects.toThrow(
      ValidationError,
    );
    const noDns = h.sub('/resourceGroups/rg-east/providers/Microsoft.Network/publicIPAddresses/none');
    const error: unknown = await h.gateways.traffic
      .createOrUpdateEndpoint(RG, 'tm-demo', 'AzureEndpoints', 'x', { ...ok, targetResourceId: noDns })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, operation: 'trafficManagerEndpoints.createOrUpdate' });
  });
});
