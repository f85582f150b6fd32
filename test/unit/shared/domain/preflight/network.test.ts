import { describe, expect, it } from 'vitest';
import { peeringProblems, runPreflight, type PreflightFinding } from '../../../../../shared/domain/preflight/index.js';
import { cluster, eastWest, MeshBuilder, peering, subnetIdOf, vnet, vnetIdOf } from '../fixtures.js';

const summary = (findings: readonly PreflightFinding[]) =>
  findings.map((f) => [f.checkId, f.severity, f.member, f.peerMember]);

/** Three clusters a, b, c in VNets A, B, C with the given peerings (both sides Connected). */
function threeVnets(peerings: [string, string][]): MeshBuilder {
  const builder = new MeshBuilder()
    .vnet('vnet-a', ['10.1.0.0/16'], [{ name: 'nodes', prefix: '10.1.0.0/24' }])
    .vnet('vnet-b', ['10.2.0.0/16'], [{ name: 'nodes', prefix: '10.2.0.0/24' }])
    .vnet('vnet-c', ['10.3.0.0/16'], [{ name: 'nodes', prefix: '10.3.0.0/24' }]);
  for (const [x, y] of peerings) builder.peer(`vnet-${x}`, `vnet-${y}`);
  return builder
    .cluster({ name: 'a', vnet: 'vnet-a', nodeSubnet: 'nodes' })
    .cluster({ name: 'b', vnet: 'vnet-b', nodeSubnet: 'nodes' })
    .cluster({ name: 'c', vnet: 'vnet-c', nodeSubnet: 'nodes' });
}

describe('flat network: peering', () => {
  it('two clusters in peered East/West VNets: no finding', () => {
    expect(runPreflight(eastWest().snapshot()).findings).toEqual([]);
  });

  it('clusters in the same VNet need no peering', () => {
    const snapshot = new MeshBuilder()
      .vnet(
        'shared',
        ['10.0.0.0/16'],
        [
          { name: 'n1', prefix: '10.0.1.0/24' },
          { name: 'n2', prefix: '10.0.2.0/24' },
        ],
      )
      .cluster({ name: 'a', vnet: 'shared', nodeSubnet: 'n1' })
      .cluster({ name: 'b', vnet: 'shared', nodeSubnet: 'n2' })
      .snapshot();
    expect(runPreflight(snapshot).findings).toEqual([]);
  });

  it('A–B and B–C peered but not A–C: only the pair a/c fails (peering is not transitive)', () => {
    const findings = runPreflight(
      threeVnets([
        ['a', 'b'],
        ['b', 'c'],
      ]).snapshot(),
    ).findings;
    expect(summary(findings)).toEqual([['network.peering', 'error', 'a', 'c']]);
    expect(findings[0]?.message).toBe(
      "members 'a' and 'c' are in virtual networks 'vnet-a' and 'vnet-c', which are not directly peered: 'vnet-a' has no peering to 'vnet-c'; 'vnet-c' has no peering to 'vnet-a' (peering is not transitive, so a path through a third network does not count)",
    );
    expect(findings[0]?.remediation).toContain("peer 'vnet-a' and 'vnet-c' directly, in both directions");
  });

  it('no peering at all: every pair fails, reported once per pair in name order', () => {
    expect(summary(runPreflight(threeVnets([]).snapshot()).findings)).toEqual([
      ['network.peering', 'error', 'a', 'b'],
      ['network.peering', 'error', 'a', 'c'],
      ['network.peering', 'error', 'b', 'c'],
    ]);
  });

  it.each<[string, string | null, string | null, string]>([
    [
      'one side only (Initiated)',
      'Initiated',
      null,
      "peering 'vnet-east-to-vnet-west' of 'vnet-east' to 'vnet-west' is 'Initiated', not 'Connected'",
    ],
    ['remote side missing', 'Connected', null, "'vnet-west' has no peering to 'vnet-east'"],
    ['Disconnected', 'Disconnected', 'Disconnected', "is 'Disconnected', not 'Connected'"],
  ])('%s', (_, eastSide, westSide, detail) => {
    const builder = new MeshBuilder()
      .vnet('vnet-east', ['10.1.0.0/16'], [{ name: 'nodes', prefix: '10.1.0.0/24' }])
      .vnet('vnet-west', ['10.2.0.0/16'], [{ name: 'nodes', prefix: '10.2.0.0/24' }])
      .peer('vnet-east', 'vnet-west', eastSide, westSide)
      .cluster({ name: 'east', vnet: 'vnet-east', nodeSubnet: 'nodes' })
      .cluster({ name: 'west', vnet: 'vnet-west', nodeSubnet: 'nodes' });
    const findings = runPreflight(builder.snapshot()).findings;
    expect(summary(findings)).toEqual([['network.peering', 'error', 'east', 'west']]);
    expect(findings[0]?.message).toContain(detail);
  });

  it('a Connected peering that does not allow VNet access does not connect', () => {
    const a = vnet('a', ['10.1.0.0/16']);
    const b = vnet('b', ['10.2.0.0/16']);
    a.virtualNetworkPeerings = [peering(a, b, 'Connected', false)];
    b.virtualNetworkPeerings = [peering(b, a)];
    expect(peeringProblems(a, b)).toEqual(["peering 'a-to-b' of 'a' to 'b' does not allow virtual network access"]);
    expect(peeringProblems(b, a)).toHaveLength(1);
  });

  it('an unknown peering state is named as such', () => {
    const a = vnet('a', ['10.1.0.0/16']);
    const b = vnet('b', ['10.2.0.0/16']);
    const { peeringState: _, ...stateless } = peering(a, b);
    a.virtualNetworkPeerings = [stateless];
    b.virtualNetworkPeerings = [peering(b, a)];
    expect(peeringProblems(a, b)).toEqual(["peering 'a-to-b' of 'a' to 'b' is in an unknown state, not 'Connected'"]);
  });
});

describe('flat network: address spaces', () => {
  it('overlapping CIDRs between two members’ VNets are an error naming both prefixes', () => {
    const snapshot = new MeshBuilder()
      .vnet('vnet-east', ['10.1.0.0/16'], [{ name: 'nodes', prefix: '10.1.0.0/24' }])
      .vnet('vnet-west', ['10.0.0.0/8'], [{ name: 'nodes', prefix: '10.200.0.0/24' }])
      .peer('vnet-east', 'vnet-west')
      .cluster({ name: 'east', vnet: 'vnet-east', nodeSubnet: 'nodes' })
      .cluster({ name: 'west', vnet: 'vnet-west', nodeSubnet: 'nodes' })
      .snapshot();
    const findings = runPreflight(snapshot).findings;
    expect(summary(findings)).toEqual([['network.addressOverlap', 'error', 'east', 'west']]);
    expect(findings[0]?.message).toContain(
      "the address spaces of virtual networks 'vnet-east' (member 'east') and 'vnet-west' (member 'west') overlap: 10.1.0.0/16 and 10.0.0.0/8",
    );
  });

  it('IPv6 address spaces are compared too, and IPv4 never overlaps IPv6', () => {
    const build = (westSpace: string) =>
      new MeshBuilder()
        .vnet('vnet-east', ['10.1.0.0/16', 'fd00:1::/48'], [{ name: 'nodes', prefix: '10.1.0.0/24' }])
        .vnet('vnet-west', ['10.2.0.0/16', westSpace], [{ name: 'nodes', prefix: '10.2.0.0/24' }])
        .peer('vnet-east', 'vnet-west')
        .cluster({ name: 'east', vnet: 'vnet-east', nodeSubnet: 'nodes' })
        .cluster({ name: 'west', vnet: 'vnet-west', nodeSubnet: 'nodes' })
        .snapshot();
    expect(summary(runPreflight(build('fd00::/16')).findings)).toEqual([
      ['network.addressOverlap', 'error', 'east', 'west'],
    ]);
    expect(runPreflight(build('fd00:2::/48')).findings).toEqual([]);
  });
});

describe('placement data that is missing or wrong', () => {
  it('a VNet that could not be read is one error naming it and the reason, and no pair finding', () => {
    const snapshot = eastWest().snapshot();
    const west = vnetIdOf('vnet-west').toLowerCase();
    const { [west]: _, ...virtualNetworks } = snapshot.virtualNetworks;
    const findings = runPreflight({
      ...snapshot,
      virtualNetworks,
      readFailures: [{ kind: 'virtualNetwork', id: vnetIdOf('vnet-west'), reason: '403 AuthorizationFailed' }],
    }).findings;
    expect(summary(findings)).toEqual([['network.unreadable', 'error', 'west', undefined]]);
    expect(findings[0]?.message).toBe(
      `the virtual network ${vnetIdOf('vnet-west')} of member 'west' could not be read (403 AuthorizationFailed), so its peering, address space, NSGs and routes cannot be checked`,
    );
  });

  it('a VNet missing with no recorded failure is reported as not read', () => {
    const snapshot = eastWest().snapshot({ virtualNetworks: {} });
    const findings = runPreflight(snapshot).findings;
    expect(summary(findings)).toEqual([
      ['network.unreadable', 'error', 'east', undefined],
      ['network.unreadable', 'error', 'west', undefined],
    ]);
    expect(findings[0]?.message).toContain('was not read');
  });

  it('a cluster that could not be read is one error, and its member takes part in no other check', () => {
    const snapshot = eastWest().snapshot();
    const findings = runPreflight({
      ...snapshot,
      clusters: Object.fromEntries(Object.entries(snapshot.clusters).filter(([id]) => !id.endsWith('aks-west'))),
      readFailures: [{ kind: 'cluster', id: cluster('west').id, reason: '404 ResourceNotFound' }],
    }).findings;
    expect(summary(findings)).toEqual([['cluster.unreadable', 'error', 'west', undefined]]);
    expect(findings[0]?.message).toContain('could not be read (404 ResourceNotFound)');
  });

  it('a cluster with no vnetSubnetID (AKS-managed VNet) cannot be checked', () => {
    const findings = runPreflight(
      eastWest()
        .cluster({ name: 'managed', vnet: 'vnet-east', nodeSubnet: 'nodes', cluster: { nodeSubnetId: '' } })
        .snapshot(),
    ).findings;
    expect(summary(findings)).toEqual([['network.subnets', 'error', 'managed', undefined]]);
    expect(findings[0]?.message).toContain('name no vnetSubnetID');
  });

  it('a subnet id that is not a subnet id', () => {
    const findings = runPreflight(
      eastWest()
        .cluster({
          name: 'odd',
          vnet: 'vnet-east',
          nodeSubnet: 'nodes',
          cluster: { nodeSubnetId: vnetIdOf('vnet-east') },
        })
        .snapshot(),
    ).findings;
    expect(summary(findings)).toEqual([['network.subnets', 'error', 'odd', undefined]]);
  });

  it('a subnet that is not in its VNet', () => {
    const findings = runPreflight(
      eastWest()
        .cluster({
          name: 'lost',
          vnet: 'vnet-east',
          nodeSubnet: 'nodes',
          cluster: { nodeSubnetId: subnetIdOf('vnet-east', 'gone') },
        })
        .snapshot(),
    ).findings;
    expect(summary(findings)).toEqual([['network.subnetNotFound', 'error', 'lost', undefined]]);
    expect(findings[0]?.message).toContain("is not among the subnets of virtual network 'vnet-east'");
  });

  it('a subnet without a usable prefix', () => {
    const findings = runPreflight(
      new MeshBuilder()
        .vnet('v', ['10.0.0.0/16'], [{ name: 'nodes', prefix: 'not-a-prefix' }])
        .cluster({ name: 'a', vnet: 'v', nodeSubnet: 'nodes' })
        .snapshot(),
    ).findings;
    expect(summary(findings)).toEqual([['network.subnetNotFound', 'error', 'a', undefined]]);
    expect(findings[0]?.message).toContain('has no usable address prefix');
  });
});

describe('flat network: peering sync', () => {
  /** east/west where east's peering to west has the given sync level and remote address space. */
  function eastPeeringToWest(
    syncLevel: string,
    remoteAddressSpace: string[] | undefined,
    westPods = '10.2.64.0/18',
    peeringState = 'Connected',
  ) {
    const builder = new MeshBuilder()
      .vnet('vnet-east', ['10.1.0.0/16'], [{ name: 'nodes', prefix: '10.1.0.0/24' }])
      .vnet(
        'vnet-west',
        ['10.2.0.0/16', '10.20.0.0/16'],
        [
          { name: 'nodes', prefix: '10.2.0.0/24' },
          { name: 'pods', prefix: westPods },
        ],
      )
      .peer('vnet-east', 'vnet-west')
      .cluster({ name: 'east', vnet: 'vnet-east', nodeSubnet: 'nodes' })
      .cluster({ name: 'west', vnet: 'vnet-west', nodeSubnet: 'nodes', podSubnet: 'pods' });
    const snapshot = builder.snapshot();
    const eastId = Object.keys(snapshot.virtualNetworks).find((id) => id.endsWith('/vnet-east'));
    const east = eastId === undefined ? undefined : snapshot.virtualNetworks[eastId];
    if (!eastId || !east) throw new Error('fixture');
    const peerings = (east.virtualNetworkPeerings ?? []).map(({ remoteAddressSpace: _, ...p }) => ({
      ...p,
      peeringSyncLevel: syncLevel,
      peeringState,
      ...(remoteAddressSpace ? { remoteAddressSpace: { addressPrefixes: remoteAddressSpace } } : {}),
    }));
    return runPreflight({
      ...snapshot,
      virtualNetworks: { ...snapshot.virtualNetworks, [eastId]: { ...east, virtualNetworkPeerings: peerings } },
    }).findings;
  }

  it('fully in sync: no finding', () => {
    expect(eastPeeringToWest('FullyInSync', ['10.2.0.0/16', '10.20.0.0/16'], '10.20.0.0/18')).toEqual([]);
  });

  it('not in sync, but every prefix of the peer is in the routed space: a warning with the sync command', () => {
    const findings = eastPeeringToWest('LocalNotInSync', ['10.2.0.0/16']);
    expect(summary(findings)).toEqual([['network.peeringSync', 'warning', 'east', 'west']]);
    expect(findings[0]?.message).toContain(
      "peering 'vnet-east-to-vnet-west' of 'vnet-east' to 'vnet-west' is 'LocalNotInSync'",
    );
    expect(findings[0]?.remediation).toContain(
      'az network vnet peering sync --resource-group rg-net --vnet-name vnet-east --name vnet-east-to-vnet-west',
    );
  });

  it('not in sync, and the peer’s pod subnet is in address space added since: an error naming the prefix', () => {
    const findings = eastPeeringToWest('RemoteNotInSync', ['10.2.0.0/16'], '10.20.0.0/18');
    expect(summary(findings)).toEqual([['network.peeringSync', 'error', 'east', 'west']]);
    expect(findings[0]?.message).toContain("leaves out 10.20.0.0/18 of member 'west'");
  });

  it('not in sync and no remote address space to tell: a warning', () => {
    const findings = eastPeeringToWest('LocalAndRemoteNotInSync', undefined);
    expect(summary(findings)).toEqual([['network.peeringSync', 'warning', 'east', 'west']]);
    expect(findings[0]?.message).toContain('carries no remote address space');
  });

  it('a peering that is not Connected is reported by the peering check alone', () => {
    expect(summary(eastPeeringToWest('LocalNotInSync', ['10.2.0.0/16'], '10.20.0.0/18', 'Disconnected'))).toEqual([
      ['network.peering', 'error', 'east', 'west'],
    ]);
  });
});
