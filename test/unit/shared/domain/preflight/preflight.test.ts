import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emptySnapshot,
  hasBlockingFindings,
  runPreflight,
  sortFindings,
  type PreflightFinding,
  type PreflightSnapshot,
} from '../../../../../shared/domain/preflight/index.js';
import { eastWest, MeshBuilder, member, OTHER_PROFILE_ID, PROFILE_ID } from '../fixtures.js';

const summary = (findings: readonly PreflightFinding[]) =>
  findings.map((f) => [f.checkId, f.severity, f.member ?? '-', f.peerMember ?? '-']);

/** The documented scenarios, end to end through runPreflight. */
describe('documented topologies', () => {
  const scenarios: [string, PreflightSnapshot, string[][], boolean][] = [
    ['two clusters in peered East/West VNets (happy path)', eastWest().snapshot(), [], false],
    [
      'the cluster whose identity lacks Network Contributor',
      (() => {
        const b = new MeshBuilder()
          .vnet('vnet-east', ['10.1.0.0/16'], [{ name: 'nodes', prefix: '10.1.0.0/24' }])
          .vnet('vnet-west', ['10.2.0.0/16'], [{ name: 'nodes', prefix: '10.2.0.0/24' }])
          .peer('vnet-east', 'vnet-west')
          .cluster({ name: 'east', vnet: 'vnet-east', nodeSubnet: 'nodes' })
          .cluster({ name: 'west', vnet: 'vnet-west', nodeSubnet: 'nodes', networkContributor: false });
        return b.snapshot();
      })(),
      [['identity.networkRole', 'warning', 'west', '-']],
      false,
    ],
    [
      'three VNets peered A–B and B–C but not A–C',
      new MeshBuilder()
        .vnet('a', ['10.1.0.0/16'], [{ name: 'n', prefix: '10.1.0.0/24' }])
        .vnet('b', ['10.2.0.0/16'], [{ name: 'n', prefix: '10.2.0.0/24' }])
        .vnet('c', ['10.3.0.0/16'], [{ name: 'n', prefix: '10.3.0.0/24' }])
        .peer('a', 'b')
        .peer('b', 'c')
        .cluster({ name: 'a', vnet: 'a', nodeSubnet: 'n' })
        .cluster({ name: 'b', vnet: 'b', nodeSubnet: 'n' })
        .cluster({ name: 'c', vnet: 'c', nodeSubnet: 'n' })
        .snapshot(),
      [['network.peering', 'error', 'a', 'c']],
      true,
    ],
    [
      'overlapping CIDRs',
      new MeshBuilder()
        .vnet('east', ['10.0.0.0/16'], [{ name: 'n', prefix: '10.0.0.0/24' }])
        .vnet('west', ['10.0.0.0/16'], [{ name: 'n', prefix: '10.0.0.0/24' }])
        .peer('east', 'west')
        .cluster({ name: 'east', vnet: 'east', nodeSubnet: 'n' })
        .cluster({ name: 'west', vnet: 'west', nodeSubnet: 'n' })
        .snapshot(),
      [['network.addressOverlap', 'error', 'east', 'west']],
      true,
    ],
    [
      'an overlay cluster',
      eastWest()
        .cluster({ name: 'overlay', vnet: 'vnet-east', nodeSubnet: 'nodes', cluster: { networkPluginMode: 'overlay' } })
        .snapshot(),
      [['cluster.networkPluginMode', 'error', 'overlay', '-']],
      true,
    ],
    [
      'version 1.31',
      eastWest()
        .cluster({ name: 'old', vnet: 'vnet-west', nodeSubnet: 'nodes', cluster: { version: '1.31.7' } })
        .snapshot(),
      [['cluster.kubernetesVersion', 'error', 'old', '-']],
      true,
    ],
    [
      'a member already in another profile',
      eastWest()
        .cluster({ name: 'taken', vnet: 'vnet-west', nodeSubnet: 'nodes', member: { profileId: OTHER_PROFILE_ID } })
        .snapshot(),
      [['membership.otherProfile', 'error', 'taken', '-']],
      true,
    ],
    [
      '256 members',
      (() => {
        const b = new MeshBuilder().vnet('v', ['10.0.0.0/8'], [{ name: 'n', prefix: '10.0.0.0/16' }]);
        for (let i = 0; i < 256; i++) b.cluster({ name: `m${i}`, vnet: 'v', nodeSubnet: 'n' });
        return b.snapshot();
      })(),
      [['membership.limit', 'error', '-', '-']],
      true,
    ],
  ];

  it.each(scenarios)('%s', (_, snapshot, expected, blocked) => {
    const result = runPreflight(snapshot);
    expect(summary(result.findings)).toEqual(expected);
    expect(result.blocked).toBe(blocked);
    expect(hasBlockingFindings(result.findings)).toBe(blocked);
    expect(result.errors + result.warnings).toBe(result.findings.length);
  });
});

describe('robustness and order', () => {
  it('a snapshot with nothing read yet gives one error per member, never a crash', () => {
    const result = runPreflight(emptySnapshot(PROFILE_ID, [member('b'), member('a')]));
    expect(summary(result.findings)).toEqual([
      ['cluster.unreadable', 'error', 'a', '-'],
      ['cluster.unreadable', 'error', 'b', '-'],
    ]);
    expect(result.findings[0]?.message).toContain('was not read');
  });

  it('findings are sorted errors first, then by check, member, peer, resource and message', () => {
    const f = (checkId: PreflightFinding['checkId'], severity: 'error' | 'warning', m?: string): PreflightFinding => ({
      checkId,
      severity,
      ...(m ? { member: m } : {}),
      message: 'x',
      remediation: 'y',
    });
    const sorted = sortFindings([
      f('identity.networkRole', 'warning', 'a'),
      f('cluster.acns', 'error', 'b'),
      f('membership.limit', 'error'),
      f('cluster.acns', 'error', 'a'),
    ]);
    expect(sorted.map((x) => [x.checkId, x.member])).toEqual([
      ['cluster.acns', 'a'],
      ['cluster.acns', 'b'],
      ['membership.limit', undefined],
      ['identity.networkRole', 'a'],
    ]);
  });

  it('the result does not depend on the order of members (property) and is plain JSON', () => {
    const snapshot = eastWest()
      .cluster({ name: 'c', vnet: 'vnet-west', nodeSubnet: 'nodes', cluster: { version: '1.30.0', acns: false } })
      .cluster({ name: 'd', vnet: 'vnet-east', nodeSubnet: 'nodes', networkContributor: false })
      .snapshot();
    const expected = runPreflight(snapshot);
    expect(JSON.parse(JSON.stringify(expected))).toStrictEqual(expected);
    fc.assert(
      fc.property(fc.shuffledSubarray([...snapshot.members], { minLength: 4, maxLength: 4 }), (members) => {
        expect(runPreflight({ ...snapshot, members })).toEqual(expected);
      }),
    );
  });
});
