import { describe, expect, it } from 'vitest';
import { parsePrefix, type IpRange } from '../../../../../shared/domain/cidr.js';
import {
  AZURE_DEFAULT_SECURITY_RULES,
  effectiveRules,
  evaluateFlow,
  MESH_FLOWS,
  runPreflight,
  virtualNetworkTagRanges,
  type PreflightFinding,
  type PreflightSnapshot,
} from '../../../../../shared/domain/preflight/index.js';
import type { SecurityRule } from '../../../../../shared/models/index.js';
import { eastWest, MeshBuilder, nsg, nsgIdOf, securityRule } from '../fixtures.js';

const summary = (findings: readonly PreflightFinding[]) =>
  findings.map((f) => [f.checkId, f.severity, f.member, f.peerMember]);

/** East/west with `rules` in an NSG on both east subnets. */
function eastNsgFindings(rules: SecurityRule[], withDefaults = true): readonly PreflightFinding[] {
  const snapshot = eastWest({ eastNsg: 'nsg-east' })
    .nsg(nsg('nsg-east', rules, withDefaults))
    .snapshot();
  return runPreflight(snapshot).findings;
}

const WEST = '10.2.0.0/16';

describe('NSG rules that block mesh traffic', () => {
  it('an NSG with only the default rules lets peered traffic through', () => {
    expect(eastNsgFindings([])).toEqual([]);
  });

  it('defaults are assumed when the NSG body has none', () => {
    expect(eastNsgFindings([], false)).toEqual([]);
    expect(
      summary(
        eastNsgFindings(
          [securityRule({ name: 'x', priority: 100, access: 'Allow', sourceAddressPrefix: '192.0.2.0/24' })],
          false,
        ),
      ),
    ).toEqual([]);
  });

  it.each<[string, Partial<SecurityRule>]>([
    ['deny from the peer VNet prefix', { sourceAddressPrefix: WEST }],
    ['deny from a prefix containing the peer', { sourceAddressPrefix: '10.0.0.0/8' }],
    ['deny from *', { sourceAddressPrefix: '*' }],
    ['deny from Any', { sourceAddressPrefix: 'Any' }],
    ['deny from the VirtualNetwork tag (includes the peered VNet)', { sourceAddressPrefix: 'VirtualNetwork' }],
    [
      'deny from a prefixes array covering the peer in two halves',
      { sourceAddressPrefix: '', sourceAddressPrefixes: ['10.2.0.0/17', '10.2.128.0/17'] },
    ],
    ['deny TCP from the peer, any port (TCP 2379 denied)', { sourceAddressPrefix: WEST, protocol: 'Tcp' }],
    ['deny TCP 2379 only', { sourceAddressPrefix: WEST, protocol: 'Tcp', destinationPortRange: '2379' }],
    [
      'deny a port range holding 2379',
      {
        sourceAddressPrefix: WEST,
        protocol: 'Tcp',
        destinationPortRange: '',
        destinationPortRanges: ['22', '2000-3000'],
      },
    ],
  ])('%s → inbound error on east, from west', (_, rule) => {
    const findings = eastNsgFindings([securityRule({ name: 'deny-west', priority: 100, ...rule })]);
    expect(summary(findings)).toEqual([['nsg.inbound', 'error', 'east', 'west']]);
    expect(findings[0]?.resourceId).toBe(nsgIdOf('nsg-east'));
    expect(findings[0]?.message).toContain("by rule 'deny-west' (priority 100)");
    expect(findings[0]?.message).toContain(
      "network security group 'nsg-east' on subnets 'nodes', 'pods' of member 'east' denies inbound traffic from member 'west'",
    );
  });

  it('the first matching rule by priority decides: an earlier allow wins over a later deny', () => {
    const rules = [
      securityRule({ name: 'deny-all', priority: 200 }),
      securityRule({ name: 'allow-west', priority: 100, access: 'Allow', sourceAddressPrefix: WEST }),
    ];
    expect(eastNsgFindings(rules)).toEqual([]);
  });

  it('a deny before the allow wins', () => {
    const rules = [
      securityRule({ name: 'deny-all', priority: 100 }),
      securityRule({ name: 'allow-west', priority: 200, access: 'Allow', sourceAddressPrefix: WEST }),
    ];
    expect(summary(eastNsgFindings(rules))).toEqual([['nsg.inbound', 'error', 'east', 'west']]);
  });

  it.each<[string, Partial<SecurityRule>, string]>([
    [
      'deny SSH only',
      { protocol: 'Tcp', destinationPortRange: '22' },
      "part of pod-to-pod traffic (any protocol, any port) by rule 'deny' (priority 100)",
    ],
    ['deny UDP only', { protocol: 'Udp' }, 'part of pod-to-pod traffic'],
    ['deny from part of the peer prefix', { sourceAddressPrefix: '10.2.0.0/25' }, 'part of'],
    ['deny from certain source ports', { sourcePortRange: '1000-2000' }, 'part of TCP 2379'],
    ['deny ICMP (cilium-health pings are pod traffic)', { protocol: 'Icmp' }, 'part of pod-to-pod traffic'],
  ])('%s → warning: part of the traffic is denied', (_, rule, detail) => {
    const findings = eastNsgFindings([
      securityRule({ name: 'deny', priority: 100, sourceAddressPrefix: WEST, ...rule }),
    ]);
    expect(summary(findings)).toEqual([['nsg.inbound', 'warning', 'east', 'west']]);
    expect(findings[0]?.message).toContain('partly denies inbound traffic');
    expect(findings[0]?.message).toContain(detail);
  });

  it.each<[string, Partial<SecurityRule>]>([
    ['deny from another range', { sourceAddressPrefix: '192.168.0.0/16' }],
    ['deny from Internet', { sourceAddressPrefix: 'Internet' }],
    ['deny from AzureLoadBalancer', { sourceAddressPrefix: 'AzureLoadBalancer' }],
    ['deny to another destination', { destinationAddressPrefix: '172.16.0.0/12' }],
    [
      'deny by application security group (not evaluated)',
      { sourceAddressPrefix: '', sourceApplicationSecurityGroups: [{ id: '/asg' }] },
    ],
    ['an outbound deny is not an inbound rule', { direction: 'Outbound', destinationAddressPrefix: '192.0.2.0/24' }],
    ['an unparseable port list matches nothing', { destinationPortRange: 'http' }],
  ])('%s → no finding', (_, rule) => {
    expect(eastNsgFindings([securityRule({ name: 'deny', priority: 100, ...rule })])).toEqual([]);
  });

  it('outbound: an NSG on east that denies traffic to west is an outbound error on east', () => {
    const findings = eastNsgFindings([
      securityRule({ name: 'no-west', priority: 100, direction: 'Outbound', destinationAddressPrefix: WEST }),
    ]);
    expect(summary(findings)).toEqual([['nsg.outbound', 'error', 'east', 'west']]);
    expect(findings[0]?.message).toContain('denies outbound traffic to member');
  });

  it('one finding per NSG, member, peer and direction, naming both blocked flows', () => {
    const findings = eastNsgFindings([securityRule({ name: 'deny', priority: 100, sourceAddressPrefix: WEST })]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message).toContain('TCP 2379 (clustermesh-apiserver) by rule');
    expect(findings[0]?.message).toContain('pod-to-pod traffic (any protocol, any port) by rule');
  });

  it('an NSG on west denying east is reported on west with east as the peer', () => {
    const snapshot = eastWest({ westNsg: 'nsg-west' })
      .nsg(nsg('nsg-west', [securityRule({ name: 'deny-east', priority: 100, sourceAddressPrefix: '10.1.0.0/16' })]))
      .snapshot();
    expect(summary(runPreflight(snapshot).findings)).toEqual([['nsg.inbound', 'error', 'west', 'east']]);
  });

  it('pairs that are not peered are left to the peering check', () => {
    const snapshot = new MeshBuilder()
      .vnet('a', ['10.1.0.0/16'], [{ name: 'nodes', prefix: '10.1.0.0/24', nsg: 'n' }])
      .vnet('b', ['10.2.0.0/16'], [{ name: 'nodes', prefix: '10.2.0.0/24' }])
      .cluster({ name: 'a', vnet: 'a', nodeSubnet: 'nodes' })
      .cluster({ name: 'b', vnet: 'b', nodeSubnet: 'nodes' })
      .nsg(nsg('n', []))
      .snapshot();
    expect(summary(runPreflight(snapshot).findings)).toEqual([['network.peering', 'error', 'a', 'b']]);
  });

  it('an NSG that could not be read is an error naming it, reported once per member', () => {
    const snapshot = eastWest({ eastNsg: 'nsg-east' }).snapshot({
      readFailures: [{ kind: 'networkSecurityGroup', id: nsgIdOf('nsg-east'), reason: '403 AuthorizationFailed' }],
    });
    const findings = runPreflight(snapshot).findings;
    expect(summary(findings)).toEqual([['nsg.unreadable', 'error', 'east', undefined]]);
    expect(findings[0]?.message).toContain('could not be read (403 AuthorizationFailed)');
  });
});

describe('evaluateFlow', () => {
  const range = (text: string): IpRange => {
    const r = parsePrefix(text);
    if (!r) throw new Error(text);
    return r;
  };
  const [apiserver, pods] = MESH_FLOWS;
  if (!apiserver || !pods) throw new Error('flows');
  const vnetTag = [range('10.1.0.0/16'), range('10.2.0.0/16')];
  const inbound = effectiveRules(nsg('n', [], false), 'Inbound');

  it('the synthesised defaults are evaluated in priority order', () => {
    expect(inbound.map((r) => r.name)).toEqual(['AllowVnetInBound', 'AllowAzureLoadBalancerInBound', 'DenyAllInBound']);
    expect(AZURE_DEFAULT_SECURITY_RULES).toHaveLength(6);
  });

  it.each([
    ['peer inside VirtualNetwork', '10.2.0.0/24', 'allowed', 'AllowVnetInBound'],
    ['source outside VirtualNetwork', '10.9.0.0/24', 'denied', 'DenyAllInBound'],
  ])('%s (%s) → %s by %s', (_, source, outcome, rule) => {
    const verdict = evaluateFlow(inbound, apiserver, range(source), range('10.1.0.0/24'), vnetTag);
    expect(verdict.outcome).toBe(outcome);
    expect(verdict.rule?.name).toBe(rule);
  });

  it('no matching rule at all is denied', () => {
    expect(evaluateFlow([], pods, range('10.2.0.0/24'), range('10.1.0.0/24'), vnetTag)).toEqual({ outcome: 'denied' });
  });

  it('rules tied on priority are taken in name order', () => {
    const rules = effectiveRules(
      nsg('n', [
        securityRule({ name: 'b-deny', priority: 100 }),
        securityRule({ name: 'a-allow', priority: 100, access: 'Allow' }),
      ]),
      'Inbound',
    );
    expect(evaluateFlow(rules, pods, range('10.2.0.0/24'), range('10.1.0.0/24'), vnetTag).rule?.name).toBe('a-allow');
  });

  it('a port list covering every port is a full match for pod-to-pod', () => {
    const rules = [
      securityRule({
        name: 'd',
        priority: 100,
        destinationPortRange: '',
        destinationPortRanges: ['1-1000', '1001-65535'],
      }),
    ];
    expect(evaluateFlow(rules, pods, range('10.2.0.0/24'), range('10.1.0.0/24'), vnetTag).outcome).toBe('denied');
  });
});

describe('the VirtualNetwork tag when a peering does not carry remoteAddressSpace', () => {
  /** east/west with an NSG of default rules on east, and peerings stripped of their remote address space. */
  function stripped(): PreflightSnapshot {
    const snapshot = eastWest({ eastNsg: 'nsg-east' }).nsg(nsg('nsg-east', [])).snapshot();
    const virtualNetworks = Object.fromEntries(
      Object.entries(snapshot.virtualNetworks).map(([id, v]) => [
        id,
        { ...v, virtualNetworkPeerings: (v.virtualNetworkPeerings ?? []).map(({ remoteAddressSpace: _, ...p }) => p) },
      ]),
    );
    return { ...snapshot, virtualNetworks };
  }

  it('takes the remote VNet’s address space from the snapshot', () => {
    expect(runPreflight(stripped()).findings).toEqual([]);
  });

  it('the tag covers exactly the own and peered address spaces', () => {
    const snapshot = stripped();
    const east = Object.values(snapshot.virtualNetworks).find((v) => v.name === 'vnet-east');
    if (!east) throw new Error('fixture');
    expect(virtualNetworkTagRanges(east, snapshot.virtualNetworks).map((r) => r.text)).toEqual([
      '10.1.0.0/16',
      '10.2.0.0/16',
    ]);
    expect(virtualNetworkTagRanges(east).map((r) => r.text)).toEqual(['10.1.0.0/16']);
  });
});
