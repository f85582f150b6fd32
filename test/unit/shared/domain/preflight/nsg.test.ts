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

  it('allow TCP and UDP from the peer, then deny all → a warning for the rest (ICMP), not an error', () => {
    const findings = eastNsgFindings([
      securityRule({ name: 'tcp', priority: 100, access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: WEST }),
      securityRule({ name: 'udp', priority: 110, access: 'Allow', protocol: 'Udp', sourceAddressPrefix: WEST }),
      securityRule({ name: 'deny-all', priority: 4000 }),
    ]);
    expect(summary(findings)).toEqual([['nsg.inbound', 'warning', 'east', 'west']]);
    expect(findings[0]?.message).toContain("part of pod-to-pod traffic (any protocol, any port) by rule 'deny-all'");
    expect(findings[0]?.message).not.toContain('TCP 2379');
  });

  it('two allows that each cover half of the peer’s pod subnet, then deny all → no finding', () => {
    expect(
      eastNsgFindings([
        securityRule({
          name: 'a',
          priority: 100,
          access: 'Allow',
          sourceAddressPrefix: '',
          sourceAddressPrefixes: ['10.2.0.0/24', '10.2.64.0/19'],
        }),
        securityRule({ name: 'b', priority: 110, access: 'Allow', sourceAddressPrefix: '10.2.96.0/19' }),
        securityRule({ name: 'deny-all', priority: 4000 }),
      ]),
    ).toEqual([]);
  });

  it('allows that leave half of the peer’s pod subnet out, then deny all → a warning naming the deny', () => {
    const findings = eastNsgFindings([
      securityRule({ name: 'a', priority: 100, access: 'Allow', sourceAddressPrefix: '10.2.0.0/24' }),
      securityRule({ name: 'b', priority: 110, access: 'Allow', sourceAddressPrefix: '10.2.64.0/19' }),
      securityRule({ name: 'deny-all', priority: 4000 }),
    ]);
    expect(summary(findings)).toEqual([['nsg.inbound', 'warning', 'east', 'west']]);
    expect(findings[0]?.message).toContain(
      "part of TCP 2379 (clustermesh-apiserver) by rule 'deny-all' (priority 4000)",
    );
  });

  it('a flow denied by several rules names each of them', () => {
    const findings = eastNsgFindings([
      securityRule({ name: 'no-tcp', priority: 100, protocol: 'Tcp', sourceAddressPrefix: WEST }),
      securityRule({ name: 'no-rest', priority: 200, sourceAddressPrefix: WEST }),
    ]);
    expect(summary(findings)).toEqual([['nsg.inbound', 'error', 'east', 'west']]);
    expect(findings[0]?.message).toContain(
      "pod-to-pod traffic (any protocol, any port) by rules 'no-tcp' (priority 100), 'no-rest' (priority 200)",
    );
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

  it('dual stack: IPv4 and IPv6 allows, then deny all → no finding (an IPv4 prefix never talks to an IPv6 one)', () => {
    const dual = (name: string, v4: string, v6: string, nsgName?: string) =>
      [
        `vnet-${name}`,
        [`${v4}.0.0/16`, `${v6}::/48`],
        [
          { name: 'nodes', prefix: `${v4}.0.0/24`, prefixes: [`${v6}::/64`], ...(nsgName ? { nsg: nsgName } : {}) },
          { name: 'pods', prefix: `${v4}.64.0/18`, prefixes: [`${v6}:1::/64`], ...(nsgName ? { nsg: nsgName } : {}) },
        ],
      ] as const;
    const rules = [
      securityRule({
        name: 'v4',
        priority: 100,
        access: 'Allow',
        sourceAddressPrefix: '10.0.0.0/8',
        destinationAddressPrefix: '10.0.0.0/8',
      }),
      securityRule({
        name: 'v6',
        priority: 110,
        access: 'Allow',
        sourceAddressPrefix: 'fd00::/8',
        destinationAddressPrefix: 'fd00::/8',
      }),
      securityRule({ name: 'deny-all', priority: 4000 }),
      securityRule({ name: 'deny-all-out', priority: 4000, direction: 'Outbound' }),
      securityRule({
        name: 'v4-out',
        priority: 100,
        direction: 'Outbound',
        access: 'Allow',
        sourceAddressPrefix: '10.0.0.0/8',
        destinationAddressPrefix: '10.0.0.0/8',
      }),
      securityRule({
        name: 'v6-out',
        priority: 110,
        direction: 'Outbound',
        access: 'Allow',
        sourceAddressPrefix: 'fd00::/8',
        destinationAddressPrefix: 'fd00::/8',
      }),
    ];
    const build = (withV6Allows: boolean) =>
      new MeshBuilder()
        .vnet(...dual('east', '10.1', 'fd00:1', 'nsg-east'))
        .vnet(...dual('west', '10.2', 'fd00:2'))
        .peer('vnet-east', 'vnet-west')
        .cluster({ name: 'east', vnet: 'vnet-east', nodeSubnet: 'nodes', podSubnet: 'pods' })
        .cluster({ name: 'west', vnet: 'vnet-west', nodeSubnet: 'nodes', podSubnet: 'pods' })
        .nsg(nsg('nsg-east', withV6Allows ? rules : rules.filter((r) => !r.name.startsWith('v6'))))
        .snapshot();
    expect(runPreflight(build(true)).findings).toEqual([]);
    // Without the IPv6 allows, the IPv6 flows are denied: the check still looks at them.
    expect(summary(runPreflight(build(false)).findings)).toEqual([
      ['nsg.inbound', 'error', 'east', 'west'],
      ['nsg.outbound', 'error', 'east', 'west'],
    ]);
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
    ['peer inside VirtualNetwork', '10.2.0.0/24', 'allowed', ['AllowVnetInBound'], []],
    ['source outside VirtualNetwork', '10.9.0.0/24', 'denied', [], ['DenyAllInBound']],
    ['source half inside VirtualNetwork', '10.1.128.0/17', 'allowed', ['AllowVnetInBound'], []],
    ['source straddling VirtualNetwork', '10.0.0.0/15', 'partly', ['AllowVnetInBound'], ['DenyAllInBound']],
  ])('%s (%s) → %s', (_, source, outcome, allowedBy, deniedBy) => {
    const verdict = evaluateFlow(inbound, apiserver, range(source), range('10.1.0.0/24'), vnetTag);
    expect(verdict.outcome).toBe(outcome);
    expect(verdict.allowedBy.map((r) => r.name)).toEqual(allowedBy);
    expect(verdict.deniedBy.map((r) => r.name)).toEqual(deniedBy);
  });

  it('no matching rule at all is denied', () => {
    expect(evaluateFlow([], pods, range('10.2.0.0/24'), range('10.1.0.0/24'), vnetTag)).toEqual({
      outcome: 'denied',
      allowedBy: [],
      deniedBy: [],
    });
  });

  it('a part no rule matches is denied: allow TCP only, no other rule', () => {
    const rules = [securityRule({ name: 'tcp', priority: 100, access: 'Allow', protocol: 'Tcp' })];
    const verdict = evaluateFlow(rules, pods, range('10.2.0.0/24'), range('10.1.0.0/24'), vnetTag);
    expect(verdict).toMatchObject({ outcome: 'partly', deniedBy: [] });
    expect(evaluateFlow(rules, apiserver, range('10.2.0.0/24'), range('10.1.0.0/24'), vnetTag).outcome).toBe('allowed');
  });

  it('allows that together cover the flow win over a later deny-all, whatever their order', () => {
    const rules = [
      securityRule({ name: 'upper', priority: 100, access: 'Allow', sourceAddressPrefix: '10.2.128.0/17' }),
      securityRule({ name: 'lower', priority: 110, access: 'Allow', sourceAddressPrefix: '10.2.0.0/17' }),
      securityRule({ name: 'deny-all', priority: 4000 }),
    ];
    const verdict = evaluateFlow(rules, pods, range('10.2.0.0/16'), range('10.1.0.0/24'), vnetTag);
    expect(verdict).toMatchObject({ outcome: 'allowed', deniedBy: [] });
    expect(verdict.allowedBy.map((r) => r.name)).toEqual(['upper', 'lower']);
  });

  it('a rule that only matches what earlier rules decided takes no part', () => {
    const rules = [
      securityRule({ name: 'allow-all', priority: 100, access: 'Allow' }),
      securityRule({ name: 'deny-west', priority: 200, sourceAddressPrefix: '10.2.0.0/16' }),
    ];
    expect(evaluateFlow(rules, pods, range('10.2.0.0/24'), range('10.1.0.0/24'), vnetTag)).toMatchObject({
      outcome: 'allowed',
      deniedBy: [],
    });
  });

  it('an IPv6 rule does not match an IPv4 flow', () => {
    const rules = [securityRule({ name: 'v6', priority: 100, sourceAddressPrefix: 'fd00::/8' })];
    expect(evaluateFlow(rules, pods, range('10.2.0.0/24'), range('10.1.0.0/24'), vnetTag)).toEqual({
      outcome: 'denied',
      allowedBy: [],
      deniedBy: [],
    });
  });

  it('rules tied on priority are taken in name order', () => {
    const rules = effectiveRules(
      nsg('n', [
        securityRule({ name: 'b-deny', priority: 100 }),
        securityRule({ name: 'a-allow', priority: 100, access: 'Allow' }),
      ]),
      'Inbound',
    );
    expect(evaluateFlow(rules, pods, range('10.2.0.0/24'), range('10.1.0.0/24'), vnetTag)).toMatchObject({
      outcome: 'allowed',
      allowedBy: [{ name: 'a-allow' }],
      deniedBy: [],
    });
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
