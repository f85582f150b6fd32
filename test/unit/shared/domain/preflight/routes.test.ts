import { describe, expect, it } from 'vitest';
import { runPreflight, type PreflightFinding } from '../../../../../shared/domain/preflight/index.js';
import type { Route } from '../../../../../shared/models/index.js';
import { eastWest, MeshBuilder, route, routeTable, routeTableIdOf } from '../fixtures.js';

const summary = (findings: readonly PreflightFinding[]) =>
  findings.map((f) => [f.checkId, f.severity, f.member, f.peerMember]);

/** East/west with a route table holding `routes` on both east subnets. */
function eastRouteFindings(routes: Route[]): readonly PreflightFinding[] {
  const snapshot = eastWest({ eastRouteTable: 'rt-east' }).routeTable(routeTable('rt-east', routes)).snapshot();
  return runPreflight(snapshot).findings;
}

describe('route tables that blackhole a peer', () => {
  it.each<[string, Route[], string]>([
    [
      'the peer VNet prefix to None',
      [route('drop-west', '10.2.0.0/16', 'None')],
      "10.2.0.0/24 by route 'drop-west' (10.2.0.0/16 → None)",
    ],
    [
      'exactly the peer pod subnet to None',
      [route('drop-pods', '10.2.64.0/18', 'None')],
      "10.2.64.0/18 by route 'drop-pods'",
    ],
    ['a route with next hop type in other casing', [route('drop', '10.2.0.0/16', 'none')], "by route 'drop'"],
  ])('%s → error on east towards west', (_, routes, detail) => {
    const findings = eastRouteFindings(routes);
    expect(summary(findings)).toEqual([['routeTable.blackhole', 'error', 'east', 'west']]);
    expect(findings[0]?.resourceId).toBe(routeTableIdOf('rt-east'));
    expect(findings[0]?.message).toContain(detail);
    expect(findings[0]?.message).toContain(
      "route table 'rt-east' on subnets 'nodes', 'pods' of member 'east' drops traffic to member 'west'",
    );
  });

  it('a None route inside a peer prefix drops part of it: still an error, saying so', () => {
    const findings = eastRouteFindings([route('drop-some-pods', '10.2.65.0/24', 'None')]);
    expect(summary(findings)).toEqual([['routeTable.blackhole', 'error', 'east', 'west']]);
    expect(findings[0]?.message).toContain('drops part of the traffic');
    expect(findings[0]?.message).toContain("part of 10.2.64.0/18 by route 'drop-some-pods' (10.2.65.0/24 → None)");
  });

  it.each<[string, Route[]]>([
    [
      'a broad None route loses to the more specific peering system route',
      [route('drop-private', '10.0.0.0/8', 'None')],
    ],
    ['a None route to somewhere else', [route('drop-other', '192.168.0.0/16', 'None')]],
    ['the peer through a virtual appliance', [route('via-fw', '10.2.0.0/16', 'VirtualAppliance')]],
    [
      'a None route overridden by a more specific user route',
      [
        route('drop-some', '10.2.65.0/24', 'None'),
        route('but-this', '10.2.65.0/25', 'VirtualAppliance'),
        route('and-this', '10.2.65.128/25', 'VirtualAppliance'),
      ],
    ],
    ['a route whose prefix is a service tag', [route('tag', 'AzureCloud', 'None')]],
  ])('%s → no finding', (_, routes) => {
    expect(eastRouteFindings(routes)).toEqual([]);
  });

  it('a user route wins a tie with the system route of the same prefix', () => {
    expect(summary(eastRouteFindings([route('same', '10.2.0.0/16', 'None')]))).toHaveLength(1);
  });

  it('within one VNet, a None route for the other cluster’s subnet beats VnetLocal', () => {
    const snapshot = new MeshBuilder()
      .vnet(
        'v',
        ['10.0.0.0/16'],
        [
          { name: 'a', prefix: '10.0.1.0/24', routeTable: 'rt' },
          { name: 'b', prefix: '10.0.2.0/24' },
        ],
      )
      .cluster({ name: 'a', vnet: 'v', nodeSubnet: 'a' })
      .cluster({ name: 'b', vnet: 'v', nodeSubnet: 'b' })
      .routeTable(routeTable('rt', [route('drop-b', '10.0.2.0/24', 'None')]))
      .snapshot();
    expect(summary(runPreflight(snapshot).findings)).toEqual([['routeTable.blackhole', 'error', 'a', 'b']]);
  });

  it('a route table that could not be read is an error naming it', () => {
    const snapshot = eastWest({ eastRouteTable: 'rt-east' }).snapshot({
      readFailures: [{ kind: 'routeTable', id: routeTableIdOf('rt-east'), reason: '404 NotFound' }],
    });
    const findings = runPreflight(snapshot).findings;
    expect(summary(findings)).toEqual([['routeTable.unreadable', 'error', 'east', undefined]]);
    expect(findings[0]?.message).toContain(
      `route table ${routeTableIdOf('rt-east')} on subnet 'nodes' of member 'east' could not be read (404 NotFound)`,
    );
  });
});

describe('system routes when a peering does not carry remoteAddressSpace', () => {
  it('the peered VNet’s address space still beats a broader None route', () => {
    const snapshot = eastWest({ eastRouteTable: 'rt-east' })
      .routeTable(routeTable('rt-east', [route('drop-private', '10.0.0.0/8', 'None')]))
      .snapshot();
    const virtualNetworks = Object.fromEntries(
      Object.entries(snapshot.virtualNetworks).map(([id, v]) => [
        id,
        { ...v, virtualNetworkPeerings: (v.virtualNetworkPeerings ?? []).map(({ remoteAddressSpace: _, ...p }) => p) },
      ]),
    );
    expect(runPreflight({ ...snapshot, virtualNetworks }).findings).toEqual([]);
  });
});
