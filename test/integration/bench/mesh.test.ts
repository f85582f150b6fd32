/**
 * The benchmark's convergence check (bench/lib/mesh.ts `meshProgress`) on a simulated fleet larger than Traffic
 * Manager allows endpoints per profile: converged means every selected member Connected and as many enabled
 * endpoints, one per routed member, as the 200-endpoint limit leaves after the endpoints fleetmesh does not own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meshProgress, type MeshTarget } from '../../../bench/lib/mesh.js';
import { endpointName } from '../../../shared/domain/index.js';
import type { RunningSimulator } from '../../../local/simulator/index.js';
import { start, type Arm } from '../local/simulator/support.js';

const TARGET: MeshTarget = {
  fleet: 'fleet-generated',
  profile: 'demo',
  trafficResourceGroup: 'rg-traffic',
  trafficProfile: 'fleetmesh-demo',
};

let sim: RunningSimulator;
let arm: Arm;
/** Member name → its demo/web public IP id, by member name. */
let backends: [string, string][];

beforeAll(async () => {
  ({ sim, arm } = await start({ scenario: 'generated:205?traffic=true&applied=true&seed=3' }));
  const world = sim.control.world();
  backends = [...world.members.values()]
    .map((m): [string, string] => {
      const cluster = world.clusters.get(m.clusterResourceId.toLowerCase());
      const ip = [...world.networkResources.values()].find(
        (r) =>
          r.resourceGroup.toLowerCase() === cluster?.nodeResourceGroup.toLowerCase() &&
          r.name.startsWith('kubernetes-demo-web-'),
      );
      return [m.name, ip?.id ?? ''];
    })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
});

afterAll(async () => {
  arm.close();
  await sim.stop();
});

/** Replaces the Traffic Manager profile with one holding `owned` endpoints (by member name) and `foreign` others. */
async function profileWith(owned: number, foreign = 0, disabled = 0): Promise<void> {
  const endpoints = [
    ...backends.slice(0, owned).map(([member, ip], i) => ({
      name: endpointName('demo', 'demo/web', member),
      type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints',
      properties: { targetResourceId: ip, weight: 5, endpointStatus: i < disabled ? 'Disabled' : 'Enabled' },
    })),
    ...Array.from({ length: foreign }, (_, i) => ({
      name: `operator-${i}`,
      type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
      properties: { target: `app-${i}.example.com`, weight: 1 },
    })),
  ];
  const res = await arm.call(
    'PUT',
    arm.sub('/resourceGroups/rg-traffic/providers/Microsoft.Network/trafficmanagerprofiles/fleetmesh-demo'),
    {
      apiVersion: '2022-04-01',
      body: {
        location: 'global',
        properties: {
          trafficRoutingMethod: 'Weighted',
          dnsConfig: { relativeName: 'fleetmesh-demo-bench', ttl: 60 },
          monitorConfig: { protocol: 'HTTP', port: 80, path: '/' },
          endpoints,
        },
      },
    },
  );
  expect(res.status).toBeLessThan(300);
}

describe('meshProgress beyond 200 members', () => {
  it('every member is Connected at load', () => {
    expect(backends).toHaveLength(205);
    expect(backends.every(([, ip]) => ip !== '')).toBe(true);
    expect(meshProgress(sim, TARGET)).toMatchObject({ selected: 205, connected: 205, expectedEndpoints: 200 });
  });

  it('converged with 200 endpoints for 205 members', async () => {
    await profileWith(200);
    expect(meshProgress(sim, TARGET)).toMatchObject({ enabledEndpoints: 200, expectedEndpoints: 200, converged: true });
  });

  it('endpoints fleetmesh does not own take room: 199 and one foreign is converged, 199 alone is not', async () => {
    await profileWith(199, 1);
    expect(meshProgress(sim, TARGET)).toMatchObject({ enabledEndpoints: 199, expectedEndpoints: 199, converged: true });
    await profileWith(199);
    expect(meshProgress(sim, TARGET)).toMatchObject({
      enabledEndpoints: 199,
      expectedEndpoints: 200,
      converged: false,
    });
  });

  it('a disabled endpoint is not converged', async () => {
    await profileWith(200, 0, 1);
    expect(meshProgress(sim, TARGET)).toMatchObject({ enabledEndpoints: 199, converged: false });
  });
});
