import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  builtInScenario,
  onlyRolesCondition,
  rbac,
  generateFleetScenario,
  MISCONFIGURATIONS,
  parseGeneratedName,
  parseScenario,
  ScenarioError,
  twoRegionsScenario,
  type ScenarioInput,
} from '../../../../local/simulator/index.js';
import { loadScenario } from '../../../../local/simulator/scenario/load.js';
import { key } from '../../../../local/simulator/world.js';

const NOW = '2026-01-01T00:00:00.000Z';
const Picked = z.record(z.string(), z.array(z.string()));

function scenarioError(fn: () => unknown): ScenarioError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error('expected a ScenarioError');
}

function load(input: ScenarioInput) {
  return loadScenario(parseScenario(input), { now: NOW });
}

describe('scenario validation names the offending path', () => {
  it.each<[string, unknown, string, string]>([
    ['unknown key', { clusterz: [] }, '', "unknown key(s) 'clusterz'"],
    [
      'bad enum',
      { clusters: [{ ...twoRegionsScenario().clusters?.[0], network: { plugin: 'calico' } }] },
      'clusters[0].network.plugin',
      'Invalid option',
    ],
    [
      'bad CIDR',
      { virtualNetworks: [{ resourceGroup: 'rg', name: 'v1', location: 'eastus', addressPrefixes: ['10.0.0.0'] }] },
      'virtualNetworks[0].addressPrefixes[0]',
      'IPv4 CIDR',
    ],
    [
      'bad member name',
      {
        fleets: [
          { resourceGroup: 'rg', name: 'f', location: 'eastus', members: [{ name: 'Bad_Name', cluster: 'rg/c' }] },
        ],
      },
      'fleets[0].members[0].name',
      'must match',
    ],
    ['bad subscription id', { subscriptionId: 'nope' }, 'subscriptionId', 'GUID'],
    ['settings typo', { settings: { timing: { connectMS: 1 } } }, 'settings.timing', "'connectMS'"],
  ])('%s', (_name, input, path, fragment) => {
    const e = scenarioError(() => parseScenario(input));
    expect(e.path).toBe(path);
    expect(e.message).toContain(fragment);
  });

  it('names unresolved references when loading', () => {
    const base = twoRegionsScenario();
    const broken: ScenarioInput = {
      ...base,
      clusters: (base.clusters ?? []).map((c, i) => (i === 1 ? { ...c, nodeSubnet: 'rg-west/vnet-west/missing' } : c)),
    };
    const e = scenarioError(() => load(broken));
    expect(e.path).toBe('clusters[1].nodeSubnet');
    expect(e.message).toContain("subnet 'rg-west/vnet-west/missing' is not declared");
  });

  it('rejects a subnet outside its VNet and overlapping peered VNets', () => {
    const outside = scenarioError(() =>
      load({
        virtualNetworks: [
          {
            resourceGroup: 'rg',
            name: 'v1',
            location: 'eastus',
            addressPrefixes: ['10.0.0.0/16'],
            subnets: [{ name: 's', addressPrefix: '10.9.0.0/24' }],
          },
        ],
      }),
    );
    expect(outside.path).toBe('virtualNetworks[0].subnets[0].addressPrefix');
    const overlap = scenarioError(() =>
      load({
        virtualNetworks: [
          { resourceGroup: 'rg', name: 'va', location: 'eastus', addressPrefixes: ['10.0.0.0/16'] },
          { resourceGroup: 'rg', name: 'vb', location: 'eastus', addressPrefixes: ['10.0.128.0/17'] },
        ],
        peerings: [{ between: ['rg/va', 'rg/vb'] }],
      }),
    );
    expect(overlap.path).toBe('peerings[0]');
    expect(overlap.message).toContain('overlapping');
  });

  it('rejects an unsupported role assignment condition at its path', () => {
    const e = scenarioError(() =>
      load({
        principals: [{ name: 'app' }],
        resourceGroups: [{ name: 'rg', location: 'eastus' }],
        roleAssignments: [
          {
            principal: 'app',
            role: 'Reader',
            scope: 'resourceGroup:rg',
            condition: "@Resource[Microsoft.Storage/x:y] StringEquals 'z'",
          },
        ],
      }),
    );
    expect(e.path).toBe('roleAssignments[0].condition');
    expect(e.message).toContain('unsupported attribute');
  });
});

describe('the shipped scenario file local/simulator/scenarios/two-regions.json', () => {
  const file: unknown = JSON.parse(readFileSync('local/simulator/scenarios/two-regions.json', 'utf8'));

  it('is the built-in two-regions (one source: the built-in reads the file)', () => {
    expect(builtInScenario('two-regions')).toEqual(file);
    expect(twoRegionsScenario()).toEqual(file);
  });

  it('validates against the scenario schema as it is, so a copy is a valid starting point', () => {
    expect(() => parseScenario(file)).not.toThrow();
    // Each call returns a fresh copy: a caller changing it does not change the next one.
    const first = twoRegionsScenario();
    first.fleets?.[0]?.members?.splice(0);
    expect(twoRegionsScenario().fleets?.[0]?.members).toHaveLength(3);
  });

  it("limits the app's Role Based Access Control Administrator assignments to granting Network Contributor", () => {
    const delegated = (twoRegionsScenario().roleAssignments ?? []).filter(
      (a) => a.role === 'Role Based Access Control Administrator',
    );
    expect(delegated.map((a) => a.scope)).toEqual([
      'vnet:rg-east/vnet-east',
      'vnet:rg-west/vnet-west',
      'vnet:rg-central/vnet-central',
    ]);
    for (const a of delegated) {
      expect(a.condition).toBe(onlyRolesCondition([rbac.BUILT_IN_ROLE_IDS.networkContributor]));
      expect(a.conditionVersion).toBe('2.0');
    }
  });
});

describe('two-regions', () => {
  const loaded = load(twoRegionsScenario());
  const world = loaded.world;
  const sub = `/subscriptions/${world.subscriptionId}`;

  it('has the documented topology', () => {
    const members = [...world.members.values()];
    expect(members.map((m) => [m.name, m.labels['mesh']])).toEqual([
      ['member-east', 'demo'],
      ['member-west', 'demo'],
      ['member-central', undefined],
    ]);
    const east = world.virtualNetworks.get(
      key(`${sub}/resourceGroups/rg-east/providers/Microsoft.Network/virtualNetworks/vnet-east`),
    );
    expect([...(east?.subnets.values() ?? [])].map((s) => s.name)).toEqual(['nodes', 'pods']);
    expect(east?.peerings.size).toBe(2);
    const profile = [...world.profiles.values()][0];
    expect(profile?.memberSelector).toEqual({ byLabel: 'mesh=demo' });
    expect(profile?.state).toBe('NotConnected');
    expect(profile?.lastAppliedMemberSelector).toBeUndefined();
    expect(world.resourceGroups.has(key(`${sub}/resourceGroups/rg-traffic`))).toBe(true);
    const pips = [...world.networkResources.values()].filter((r) => r.type === 'Microsoft.Network/publicIPAddresses');
    expect(pips.map((p) => p.tags['k8s-azure-service'])).toEqual(['demo/web', 'demo/web', 'demo/web']);
  });

  it('gives East, not West, Network Contributor on its VNet', () => {
    const clusterIdentity = (name: string) =>
      [...world.clusters.values()].find((c) => c.name === name)?.identityPrincipalId;
    const nc = (principal: string | undefined) =>
      [...world.roleAssignments.values()].filter(
        (a) => a.principalId === principal && a.roleDefinitionId.endsWith('4d97b98b-1d4f-4787-a291-c67834d212e7'),
      );
    expect(nc(clusterIdentity('aks-east'))).toHaveLength(1);
    expect(nc(clusterIdentity('aks-west'))).toHaveLength(0);
  });

  it('issues a token for the app principal and none for cluster identities', () => {
    expect(loaded.tokens.get('fleetmesh')).toMatch(/^sim\./);
    expect(
      [...world.principals.values()].filter((p) => p.kind === 'ManagedIdentity').every((p) => p.token === undefined),
    ).toBe(true);
  });
});

describe('generator', () => {
  it('builds 255 members that load', () => {
    const loaded = load(generateFleetScenario({ members: 255 }));
    expect(loaded.world.members.size).toBe(255);
    expect(loaded.world.clusters.size).toBe(255);
    const names = [...loaded.world.members.values()].map((m) => m.name);
    expect(new Set(names).size).toBe(255);
  });

  it('picks distinct members per knob, reproducibly, and records them', () => {
    const options = { members: 40, seed: 3, misconfigured: Object.fromEntries(MISCONFIGURATIONS.map((m) => [m, 2])) };
    const a = generateFleetScenario(options);
    const b = generateFleetScenario(options);
    expect(a.metadata).toEqual(b.metadata);
    const misconfigured = Picked.parse(a.metadata?.['misconfigured']);
    const picked = Object.values(misconfigured).flat();
    expect(picked).toHaveLength(MISCONFIGURATIONS.length * 2);
    expect(new Set(picked).size).toBe(picked.length);
    const world = load(a).world;
    const overlayMember = misconfigured['overlay']?.[0];
    const member = [...world.members.values()].find((m) => m.name === overlayMember);
    const cluster = member ? world.clusters.get(key(member.clusterResourceId)) : undefined;
    expect(JSON.stringify(cluster?.properties['networkProfile'])).toContain('"networkPluginMode":"overlay"');
  });

  it('traffic=true gives every member a demo/web public IP in its node resource group, and the app its Traffic Manager role', () => {
    const options = parseGeneratedName('generated:7?traffic=true&missingRole=1&seed=5');
    expect(options).toMatchObject({ members: 7, traffic: true, misconfigured: { missingRole: 1 } });
    const { world, tokens } = load(builtInScenario('generated:7?traffic=true&missingRole=1&seed=5'));
    const ips = [...world.networkResources.values()].filter((r) => r.type === 'Microsoft.Network/publicIPAddresses');
    expect(ips).toHaveLength(7);
    for (const cluster of world.clusters.values()) {
      const mine = ips.filter((ip) => ip.resourceGroup.toLowerCase() === cluster.nodeResourceGroup.toLowerCase());
      expect(mine, cluster.name).toHaveLength(1);
      expect(mine[0]?.tags['k8s-azure-service']).toBe('demo/web');
      expect(JSON.stringify(mine[0]?.properties['dnsSettings'])).toMatch(/"domainNameLabel":"fleetmesh-demo-\d{3}"/);
    }
    const addresses = ips.map((ip) => JSON.stringify(ip.properties['ipAddress']));
    expect(new Set(addresses).size).toBe(7);
    const app = [...world.principals.values()].find((p) => p.token === tokens.get('fleetmesh'));
    const tmContributor = [...world.roleAssignments.values()].filter(
      (a) =>
        a.principalId === app?.objectId &&
        a.roleDefinitionId.endsWith('a4b10055-b0c7-44c2-b00f-c7b5b3550cf7') &&
        a.scope.toLowerCase().endsWith('/resourcegroups/rg-traffic'),
    );
    expect(tmContributor).toHaveLength(1);
    // Without the knob nothing changes: no public IPs.
    const plain = load(generateFleetScenario({ members: 7 })).world;
    expect([...plain.networkResources.values()].filter((r) => r.type.endsWith('publicIPAddresses'))).toHaveLength(0);
    expect(() => parseGeneratedName('generated:7?traffic=yes')).toThrow(/traffic must be true or false/);
  });

  it('rejects impossible knob totals and bad names', () => {
    expect(() => generateFleetScenario({ members: 3, misconfigured: { overlay: 2, oldVersion: 2 } })).toThrow(
      /add up to more than/,
    );
    expect(() => generateFleetScenario({ members: 256 })).toThrow(/1\.\.255/);
    expect(() => parseGeneratedName('generated:10?bogus=1')).toThrow(/unknown knob 'bogus'/);
    expect(parseGeneratedName('generated:10?overlay=1&regions=eastus,westus&seed=9')).toEqual({
      members: 10,
      misconfigured: { overlay: 1 },
      regions: ['eastus', 'westus'],
      seed: 9,
    });
    expect(() => builtInScenario('three-regions')).toThrow(/unknown built-in scenario/);
  });
});
