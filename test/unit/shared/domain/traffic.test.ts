import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeResourceId } from '../../../../shared/arm/resourceId.js';
import type {
  FleetMember,
  MeshMemberState,
  PublicIPAddress,
  TrafficManagerEndpoint,
} from '../../../../shared/models/index.js';
import type { TrafficService } from '../../../../shared/domain/policy.js';
import {
  computeTrafficPlan,
  ENDPOINT_LIMIT_REASON,
  endpointName,
  MAX_ENDPOINTS_PER_PROFILE,
  MAX_ENDPOINT_NAME_LENGTH,
  MEMBER_WEIGHT_LABEL,
  memberWeight,
  ownerPrefix,
  parseEndpointName,
  proportionalWeight,
  servicePublicIp,
  type EndpointChange,
  type TrafficPlan,
  type TrafficPlanInput,
  writePhases,
} from '../../../../shared/domain/traffic.js';
import { clusterIdOf, endpoint, member, OTHER_PROFILE_ID, PROFILE_ID, publicIp } from './fixtures.js';

const WEB = 'shop/web';

function meshMember(
  name: string,
  state: MeshMemberState = 'Connected',
  labels: Record<string, string> = {},
): FleetMember {
  return member(name, { profileId: PROFILE_ID, state, labels });
}

/** The public IP AKS made for `service` in the member's node resource group; `dnsLabel` null = none. */
function pip(memberName: string, service = WEB, dnsLabel: string | null = `${memberName}-web`): PublicIPAddress {
  return publicIp(`pip-${memberName}-${service.replace('/', '-')}`, `mc_${memberName}`, {
    service,
    ...(dnsLabel === null ? {} : { dnsLabel }),
  });
}

/** Public IPs for each member name: one per service, with a DNS label. */
function ipsFor(names: readonly string[], services: readonly string[] = [WEB]): Record<string, PublicIPAddress[]> {
  return Object.fromEntries(names.map((n) => [normalizeResourceId(clusterIdOf(n)), services.map((s) => pip(n, s))]));
}

function input(overrides: Partial<TrafficPlanInput> & Pick<TrafficPlanInput, 'members'>): TrafficPlanInput {
  return {
    profileId: PROFILE_ID,
    services: [{ service: WEB, weight: 1000 }],
    publicIps: ipsFor(overrides.members.map((m) => m.name)),
    endpoints: [],
    ...overrides,
  };
}

const nameOf = (m: string, service = WEB) => endpointName('mesh', service, m);
const actions = (plan: TrafficPlan) =>
  plan.changes.map((c) => [c.action, c.member, c.desired?.weight, c.desired?.endpointStatus]);

describe('desired endpoints and weights', () => {
  it('creates one Azure endpoint per eligible member, named with the owner prefix, targeting the public IP', () => {
    const plan = computeTrafficPlan(input({ members: [meshMember('east'), meshMember('west')] }));
    expect(plan.changes).toEqual([
      {
        action: 'create',
        name: 'fleetmesh#mesh#shop#web#east',
        endpointType: 'AzureEndpoints',
        service: WEB,
        member: 'east',
        desired: { targetResourceId: pip('east').id, weight: 500, endpointStatus: 'Enabled' },
        reason: 'no endpoint yet',
        phase: 2,
      },
      {
        action: 'create',
        name: 'fleetmesh#mesh#shop#web#west',
        endpointType: 'AzureEndpoints',
        service: WEB,
        member: 'west',
        desired: { targetResourceId: pip('west').id, weight: 500, endpointStatus: 'Enabled' },
        reason: 'no endpoint yet',
        phase: 2,
      },
    ]);
    expect(plan.services).toEqual([
      {
        service: WEB,
        backendWeight: 1000,
        totalMemberWeight: 2,
        eligibleMembers: ['east', 'west'],
        enabledAfter: 2,
        keptEnabled: false,
      },
    ]);
    expect(plan.ineligible).toEqual([]);
  });

  it("fleet-networking's example: backend 500, member weights 100/200 → 167/334", () => {
    const plan = computeTrafficPlan(
      input({
        members: [meshMember('a'), meshMember('b')],
        services: [{ service: WEB, weight: 500 }],
        memberWeights: { a: 100, b: 200 },
      }),
    );
    expect(actions(plan)).toEqual([
      ['create', 'a', 167, 'Enabled'],
      ['create', 'b', 334, 'Enabled'],
    ]);
  });

  it('weights come from the policy first, then the member label, then 1', () => {
    const members = [
      meshMember('a', 'Connected', { [MEMBER_WEIGHT_LABEL]: '3' }),
      meshMember('b'),
      meshMember('c', 'Connected', { [MEMBER_WEIGHT_LABEL]: '9' }),
    ];
    const plan = computeTrafficPlan(input({ members, memberWeights: { c: 1 } }));
    expect(actions(plan)).toEqual([
      ['create', 'a', 600, 'Enabled'],
      ['create', 'b', 200, 'Enabled'],
      ['create', 'c', 200, 'Enabled'],
    ]);
  });

  it('a member not Connected gets a Disabled endpoint, without reweighting the others', () => {
    const plan = computeTrafficPlan(input({ members: [meshMember('a'), meshMember('b', 'Connecting')] }));
    expect(actions(plan)).toEqual([
      ['create', 'a', 500, 'Enabled'],
      ['create', 'b', 500, 'Disabled'],
    ]);
  });

  it('members outside this mesh are not backends', () => {
    const members = [meshMember('a'), member('b', { profileId: OTHER_PROFILE_ID }), member('c')];
    expect(actions(computeTrafficPlan(input({ members })))).toEqual([['create', 'a', 1000, 'Enabled']]);
  });

  it('each configured service is planned separately', () => {
    const services: TrafficService[] = [
      { service: 'shop/web', weight: 1000 },
      { service: 'api/gw', weight: 10 },
    ];
    const members = [meshMember('a'), meshMember('b')];
    const plan = computeTrafficPlan(
      input({ members, services, publicIps: ipsFor(['a', 'b'], ['shop/web', 'api/gw']) }),
    );
    expect(plan.changes.map((c) => [c.service, c.member, c.desired?.weight])).toEqual([
      ['api/gw', 'a', 5],
      ['api/gw', 'b', 5],
      ['shop/web', 'a', 500],
      ['shop/web', 'b', 500],
    ]);
  });
});

describe('members that are not eligible', () => {
  const stale = (m: string) => endpoint(nameOf(m), pip(m).id, 500);

  it.each<[string, Partial<TrafficPlanInput>, string, string]>([
    ['weight 0 from policy', { memberWeights: { b: 0 } }, 'weightZero', 'the member weight is 0'],
    [
      'no public IP tagged for the service',
      { publicIps: { ...ipsFor(['a']), [normalizeResourceId(clusterIdOf('b'))]: [pip('b', 'other/svc')] } },
      'noPublicIp',
      'tagged k8s-azure-service=shop/web',
    ],
    [
      'public IP without DNS label',
      { publicIps: { ...ipsFor(['a']), [normalizeResourceId(clusterIdOf('b'))]: [pip('b', WEB, null)] } },
      'noDnsLabel',
      'DNS label is not configured',
    ],
    [
      'public IP with an empty DNS label',
      { publicIps: { ...ipsFor(['a']), [normalizeResourceId(clusterIdOf('b'))]: [pip('b', WEB, ' ')] } },
      'noDnsLabel',
      'DNS label is not configured',
    ],
  ])(
    '%s: reported with a reason, its stale endpoint deleted, weights over the rest',
    (_, overrides, reason, message) => {
      const plan = computeTrafficPlan(
        input({ members: [meshMember('a'), meshMember('b')], endpoints: [stale('a'), stale('b')], ...overrides }),
      );
      expect(plan.ineligible).toHaveLength(1);
      expect(plan.ineligible[0]).toMatchObject({ service: WEB, member: 'b', reason });
      expect(plan.ineligible[0]?.message).toContain(message);
      expect(actions(plan)).toEqual([
        ['update', 'a', 1000, 'Enabled'],
        ['delete', 'b', undefined, undefined],
      ]);
    },
  );

  it('weight 0 from the member label', () => {
    const plan = computeTrafficPlan(input({ members: [meshMember('a', 'Connected', { [MEMBER_WEIGHT_LABEL]: '0' })] }));
    expect(plan.ineligible.map((i) => i.reason)).toEqual(['weightZero']);
    expect(plan.changes).toEqual([]);
  });

  it('an invalid weight label holds the member: its endpoint is left as it is and it is not counted', () => {
    const members = [meshMember('a'), meshMember('b', 'Connecting', { [MEMBER_WEIGHT_LABEL]: 'heavy' })];
    const plan = computeTrafficPlan(
      input({ members, endpoints: [endpoint(nameOf('b'), pip('b').id, 700, 'Enabled')] }),
    );
    expect(actions(plan)).toEqual([
      ['create', 'a', 1000, 'Enabled'],
      ['none', 'b', 700, 'Enabled'],
    ]);
    expect(plan.changes[1]?.reason).toBe('held: the member label is not a valid weight');
    expect(plan.ineligible).toEqual([
      {
        service: WEB,
        member: 'b',
        reason: 'invalidWeightLabel',
        message: `label ${MEMBER_WEIGHT_LABEL}='heavy' is not an integer 0–1000; the member's endpoints are left as they are`,
      },
    ]);
  });

  it('public IPs that could not be read hold the member: its endpoint is left as it is, not deleted', () => {
    const plan = computeTrafficPlan(
      input({
        members: [meshMember('a'), meshMember('b')],
        endpoints: [stale('a'), endpoint(nameOf('b'), pip('b').id, 500, 'Enabled')],
        publicIps: ipsFor(['a']),
      }),
    );
    expect(actions(plan)).toEqual([
      ['update', 'a', 1000, 'Enabled'],
      ['none', 'b', 500, 'Enabled'],
    ]);
    expect(plan.changes[1]?.reason).toBe('held: the public IPs of its node resource group could not be read');
    expect(plan.ineligible).toMatchObject([{ member: 'b', reason: 'publicIpsUnknown' }]);
    expect(plan.ineligible[0]?.message).toContain("were not read; the member's endpoints are left as they are");
  });

  it('a held member without an endpoint gets none', () => {
    const members = [meshMember('b', 'Connected', { [MEMBER_WEIGHT_LABEL]: '1001' })];
    expect(computeTrafficPlan(input({ members })).changes).toEqual([]);
  });
});

describe('diff against the actual endpoints', () => {
  const members = [meshMember('a'), meshMember('b', 'Connecting')];

  it('equal endpoints need nothing; names and target ids compare case-insensitively', () => {
    const endpoints = [
      endpoint(nameOf('a').toUpperCase(), pip('a').id.toUpperCase(), 500, 'Enabled'),
      endpoint(nameOf('b'), pip('b').id, 500, 'Disabled'),
    ];
    expect(actions(computeTrafficPlan(input({ members, endpoints })))).toEqual([
      ['none', 'a', 500, 'Enabled'],
      ['none', 'b', 500, 'Disabled'],
    ]);
  });

  it('a missing status is Traffic Manager’s default, Enabled', () => {
    const { endpointStatus: _, ...noStatus } = endpoint(nameOf('a'), pip('a').id, 1000);
    expect(actions(computeTrafficPlan(input({ members: [meshMember('a')], endpoints: [noStatus] })))).toEqual([
      ['none', 'a', 1000, 'Enabled'],
    ]);
  });

  it('weight or target changes are updates; status-only changes are enable/disable', () => {
    const endpoints = [
      endpoint(nameOf('a'), pip('a').id, 999, 'Enabled'),
      endpoint(nameOf('b'), pip('b').id, 500, 'Enabled'),
    ];
    const plan = computeTrafficPlan(input({ members, endpoints }));
    expect(actions(plan)).toEqual([
      ['update', 'a', 500, 'Enabled'],
      ['disable', 'b', 500, 'Disabled'],
    ]);
    const moved = computeTrafficPlan(
      input({ members: [meshMember('a')], endpoints: [endpoint(nameOf('a'), '/old/pip', 1000, 'Disabled')] }),
    );
    expect(actions(moved)).toEqual([['update', 'a', 1000, 'Enabled']]);
    const enabled = computeTrafficPlan(
      input({ members: [meshMember('a')], endpoints: [endpoint(nameOf('a'), pip('a').id, 1000, 'Disabled')] }),
    );
    expect(actions(enabled)).toEqual([['enable', 'a', 1000, 'Enabled']]);
  });

  it('only owned endpoints are touched: other prefixes, other profiles and manual endpoints are left alone', () => {
    const endpoints = [
      endpoint('manual-endpoint', '/x', 5),
      endpoint('fleet-1234#web#a', '/y', 5),
      endpoint(endpointName('other-mesh', WEB, 'a'), '/z', 5),
      { name: undefined, targetResourceId: '/nameless' },
    ];
    expect(actions(computeTrafficPlan(input({ members: [meshMember('a')], endpoints })))).toEqual([
      ['create', 'a', 1000, 'Enabled'],
    ]);
  });

  it('owned endpoints of a service no longer configured are deleted, even the last enabled one', () => {
    const endpoints = [endpoint(nameOf('a', 'old/svc'), pip('a', 'old/svc').id, 1000, 'Enabled')];
    const plan = computeTrafficPlan(input({ members: [meshMember('a')], endpoints }));
    expect(plan.changes.find((c) => c.service === 'old/svc')).toEqual({
      action: 'delete',
      name: 'fleetmesh#mesh#old#svc#a',
      endpointType: 'AzureEndpoints',
      service: 'old/svc',
      member: 'a',
      reason: 'the service is no longer configured',
      phase: 1,
    });
  });

  it('an owned name fleetmesh would not write is deleted', () => {
    const plan = computeTrafficPlan(
      input({ members: [], endpoints: [endpoint(`${ownerPrefix('mesh')}junk`, '/x', 1)] }),
    );
    expect(plan.changes).toEqual([
      {
        action: 'delete',
        name: 'fleetmesh#mesh#junk',
        endpointType: 'AzureEndpoints',
        reason: 'the name has the owner prefix but is not one fleetmesh would write',
        phase: 1,
      },
    ]);
  });

  it('an owned endpoint of another type is replaced (delete, then create)', () => {
    const external = endpoint(
      nameOf('a'),
      pip('a').id,
      1000,
      'Disabled',
      'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
    );
    const plan = computeTrafficPlan(input({ members: [meshMember('a')], endpoints: [external] }));
    expect(plan.changes.map((c) => [c.action, c.endpointType])).toEqual([
      ['create', 'AzureEndpoints'],
      ['delete', 'ExternalEndpoints'],
    ]);
  });

  it('a nested-type owned endpoint that is the last enabled one is kept, and its replacement waits', () => {
    const nested = endpoint(
      nameOf('a'),
      pip('a').id,
      1000,
      'Enabled',
      'Microsoft.Network/trafficManagerProfiles/nestedEndpoints',
    );
    const plan = computeTrafficPlan(input({ members: [meshMember('a', 'Failed')], endpoints: [nested] }));
    expect(plan.changes.map((c) => [c.action, c.endpointType, c.desired?.endpointStatus])).toEqual([
      ['none', 'NestedEndpoints', 'Enabled'],
    ]);
  });
});

describe('never disable or delete the last enabled endpoint of a service', () => {
  it('no member Connected: the enabled endpoint stays enabled', () => {
    const plan = computeTrafficPlan(
      input({ members: [meshMember('a', 'Failed')], endpoints: [endpoint(nameOf('a'), pip('a').id, 1000, 'Enabled')] }),
    );
    expect(actions(plan)).toEqual([['none', 'a', 1000, 'Enabled']]);
    expect(plan.changes[0]?.reason).toContain('kept enabled');
    expect(plan.services[0]).toMatchObject({ enabledAfter: 1, keptEnabled: true });
  });

  it('every endpoint enabled now stays enabled, and a weight change still applies', () => {
    const plan = computeTrafficPlan(
      input({
        members: [meshMember('a', 'Connecting'), meshMember('b', 'Disconnecting'), meshMember('c', 'Connecting')],
        endpoints: [
          endpoint(nameOf('a'), pip('a').id, 1000, 'Enabled'),
          endpoint(nameOf('b'), pip('b').id, 334, 'Enabled'),
        ],
      }),
    );
    expect(actions(plan)).toEqual([
      ['update', 'a', 334, 'Enabled'],
      ['none', 'b', 334, 'Enabled'],
      ['create', 'c', 334, 'Disabled'],
    ]);
  });

  it('the last enabled endpoint of a member that left the mesh is kept rather than deleted', () => {
    const plan = computeTrafficPlan(
      input({
        members: [member('a'), meshMember('b', 'Connecting')],
        endpoints: [endpoint(nameOf('a'), pip('a').id, 1000, 'Enabled')],
      }),
    );
    expect(actions(plan)).toEqual([
      ['none', 'a', 1000, 'Enabled'],
      ['create', 'b', 1000, 'Disabled'],
    ]);
  });

  it('once another member is Connected, the old one is disabled', () => {
    const plan = computeTrafficPlan(
      input({
        members: [meshMember('a', 'Failed'), meshMember('b')],
        endpoints: [endpoint(nameOf('a'), pip('a').id, 500, 'Enabled')],
      }),
    );
    expect(actions(plan)).toEqual([
      ['disable', 'a', 500, 'Disabled'],
      ['create', 'b', 500, 'Enabled'],
    ]);
  });

  it('a service with nothing enabled now is not forced on', () => {
    const plan = computeTrafficPlan(
      input({
        members: [meshMember('a', 'Failed')],
        endpoints: [endpoint(nameOf('a'), pip('a').id, 1000, 'Disabled')],
      }),
    );
    expect(actions(plan)).toEqual([['none', 'a', 1000, 'Disabled']]);
  });
});

describe('write order: a service that has an enabled endpoint has one at every moment', () => {
  const external = (name: string, status: 'Enabled' | 'Disabled' = 'Enabled') =>
    endpoint(name, pip('a').id, 1000, status, 'Microsoft.Network/trafficManagerProfiles/externalEndpoints');
  const phases = (plan: TrafficPlan) =>
    writePhases(plan.changes).map((writes) => writes.map((c) => [c.phase, c.action, c.member]));

  it.each([
    {
      title: 'A (enabled) leaves the mesh, B is newly Connected: create B, then delete A',
      members: [member('a'), meshMember('b')],
      endpoints: [endpoint(nameOf('a'), pip('a').id, 1000, 'Enabled')],
      phases: [[[2, 'create', 'b']], [[3, 'delete', 'a']]],
    },
    {
      title: 'A (enabled) Failed, B Connected: enable B, then disable A',
      members: [meshMember('a', 'Failed'), meshMember('b')],
      endpoints: [
        endpoint(nameOf('a'), pip('a').id, 500, 'Enabled'),
        endpoint(nameOf('b'), pip('b').id, 500, 'Disabled'),
      ],
      phases: [[[2, 'enable', 'b']], [[3, 'disable', 'a']]],
    },
    {
      title: 'A and B (enabled) leave, C is newly Connected: B goes first (room), A only once C is enabled',
      members: [meshMember('c')],
      endpoints: [
        endpoint(nameOf('a'), pip('a').id, 500, 'Enabled'),
        endpoint(nameOf('b'), pip('b').id, 500, 'Enabled'),
      ],
      phases: [[[1, 'delete', 'b']], [[2, 'create', 'c']], [[3, 'delete', 'a']]],
    },
    {
      title:
        'A (enabled) Failed and B (enabled) leaves, C Connected: A, whose disable holds no room, is the one kept last',
      members: [meshMember('a', 'Failed'), meshMember('c')],
      endpoints: [
        endpoint(nameOf('a'), pip('a').id, 500, 'Enabled'),
        endpoint(nameOf('b'), pip('b').id, 500, 'Enabled'),
      ],
      phases: [[[1, 'delete', 'b']], [[2, 'create', 'c']], [[3, 'disable', 'a']]],
    },
    {
      title: 'A stays enabled: it keeps the service lit, so deletes go first and everything else after',
      members: [meshMember('a'), meshMember('c', 'Failed'), meshMember('d')],
      endpoints: [
        endpoint(nameOf('a'), pip('a').id, 334, 'Enabled'),
        endpoint(nameOf('b'), pip('b').id, 334, 'Enabled'),
        endpoint(nameOf('c'), pip('c').id, 334, 'Enabled'),
      ],
      phases: [
        [[1, 'delete', 'b']],
        [
          [2, 'disable', 'c'],
          [2, 'create', 'd'],
        ],
      ],
    },
    {
      title: 'A (enabled) of another type is replaced, B Connected: B enabled, then A deleted, then A created again',
      members: [meshMember('a'), meshMember('b')],
      endpoints: [external(nameOf('a'))],
      phases: [[[2, 'create', 'b']], [[3, 'delete', 'a']], [[4, 'create', 'a']]],
    },
    {
      title: 'A and B (enabled) of another type are both replaced: B first (A lights the service), then A',
      members: [meshMember('a'), meshMember('b')],
      endpoints: [external(nameOf('a')), external(nameOf('b'))],
      phases: [[[1, 'delete', 'b']], [[2, 'create', 'b']], [[3, 'delete', 'a']], [[4, 'create', 'a']]],
    },
  ])('$title', ({ members, endpoints, phases: expected }) => {
    const scenario = input({ members, endpoints });
    const plan = computeTrafficPlan(scenario);
    expect(phases(plan)).toEqual(expected);
    expect(plan.services[0]?.keptEnabled).toBe(false);
    // Carried out in order, and with any one write failing, the service is never dark, not even between writes.
    for (const failing of [undefined, ...writePhases(plan.changes).flat()]) {
      for (const reverse of [false, true]) {
        const run = carryOut(scenario.endpoints, plan, (c) => c === failing, reverse);
        for (const state of run.afterWrite) expect(enabledOwned(state, WEB)).not.toEqual([]);
        if (!failing)
          expect(sortedNames(run.afterWrite.at(-1) ?? [])).toEqual(sortedNames(applyChanges(endpoints, plan.changes)));
      }
    }
  });

  it('a failed create of B is not followed by the delete of A that only B made safe', () => {
    const endpoints = [endpoint(nameOf('a'), pip('a').id, 1000, 'Enabled')];
    const plan = computeTrafficPlan(input({ members: [member('a'), meshMember('b')], endpoints }));
    const run = carryOut(endpoints, plan, (c) => c.member === 'b');
    expect(run.skipped.map((c) => [c.action, c.member])).toEqual([['delete', 'a']]);
    expect(run.afterPhase.at(-1)).toEqual(endpoints);
  });

  it('a failed enable of B is not followed by the disable of A', () => {
    const endpoints = [
      endpoint(nameOf('a'), pip('a').id, 500, 'Enabled'),
      endpoint(nameOf('b'), pip('b').id, 500, 'Disabled'),
    ];
    const plan = computeTrafficPlan(input({ members: [meshMember('a', 'Failed'), meshMember('b')], endpoints }));
    const run = carryOut(endpoints, plan, (c) => c.action === 'enable');
    expect(run.skipped.map((c) => [c.action, c.member])).toEqual([['disable', 'a']]);
    expect(enabledOwned(run.afterPhase.at(-1) ?? [], WEB).map((e) => e.name)).toEqual([nameOf('a')]);
  });

  it('the only enabled endpoint, of another type, is kept when its replacement would be the only one enabled', () => {
    const plan = computeTrafficPlan(input({ members: [meshMember('a')], endpoints: [external(nameOf('a'))] }));
    expect(plan.changes.map((c) => [c.action, c.endpointType, c.desired?.endpointStatus])).toEqual([
      ['none', 'ExternalEndpoints', 'Enabled'],
    ]);
    expect(plan.changes[0]?.reason).toContain('its replacement by an endpoint of another type waits');
    expect(plan.services[0]).toMatchObject({ keptEnabled: true, enabledAfter: 1 });
  });

  it('a replacement is given up when the profile has no room for it while the endpoint it replaces is still there', () => {
    // 199 endpoints of others and A: B fits once A is gone, but A may go only once B is enabled.
    const endpoints = [...foreign(199), endpoint(nameOf('a'), pip('a').id, 1000, 'Enabled')];
    const plan = computeTrafficPlan(input({ members: [member('a'), meshMember('b')], endpoints }));
    expect(actions(plan)).toEqual([['none', 'a', 1000, 'Enabled']]);
    expect(plan.notRouted).toEqual([{ service: WEB, member: 'b', reason: ENDPOINT_LIMIT_REASON }]);
    expect(plan.services[0]).toMatchObject({ keptEnabled: true });
  });

  it('creates that need the room the last delete frees wait for it; the one that lights the service does not', () => {
    // 198 endpoints of others and A (enabled, leaving); B and C newly Connected: 201 if both came before A went.
    const endpoints = [...foreign(198), endpoint(nameOf('a'), pip('a').id, 1000, 'Enabled')];
    const plan = computeTrafficPlan(input({ members: [member('a'), meshMember('b'), meshMember('c')], endpoints }));
    expect(plan.notRouted).toEqual([]);
    expect(phases(plan)).toEqual([[[2, 'create', 'b']], [[3, 'delete', 'a']], [[4, 'create', 'c']]]);
    const run = carryOut(endpoints, plan);
    expect(run.refused).toEqual([]);
    expect(Math.max(...run.afterWrite.map((state) => state.length))).toBe(200);
  });
});

describe('at most 200 endpoints per profile', () => {
  /** `m001`, `m002`, ...: name order is number order. */
  const names = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `m${String(from + i).padStart(3, '0')}`);
  /** Endpoints in the profile once the plan is carried out (the deletes written first). */
  const endpointsAfter = (plan: TrafficPlan, foreign = 0) =>
    foreign + plan.changes.filter((c) => c.action !== 'delete').length;
  const routedMembers = (plan: TrafficPlan) =>
    plan.changes.filter((c) => c.action !== 'delete').map((c) => c.member ?? '');
  const notRouted = (plan: TrafficPlan) => plan.notRouted.map((n) => n.member);
  const foreignEndpoints = (count: number) =>
    Array.from({ length: count }, (_, i) =>
      endpoint(`other-${i}`, '', 1, 'Enabled', 'Microsoft.Network/trafficManagerProfiles/externalEndpoints'),
    );

  it('creates 200 endpoints for 250 eligible members, by member name, and reports the other 50 as not routed', () => {
    const plan = computeTrafficPlan(input({ members: names(1, 250).map((n) => meshMember(n)) }));
    expect(MAX_ENDPOINTS_PER_PROFILE).toBe(200);
    expect(endpointsAfter(plan)).toBe(200);
    expect(plan.changes.every((c) => c.action === 'create')).toBe(true);
    expect(routedMembers(plan)).toEqual(names(1, 200));
    expect(plan.notRouted).toEqual(
      names(201, 250).map((member) => ({ service: WEB, member, reason: ENDPOINT_LIMIT_REASON })),
    );
    expect(ENDPOINT_LIMIT_REASON).toBe('Traffic Manager allows 200 endpoints per profile');
    // Weights are over the routed members only: ceil(1000 × 1 / 200).
    expect(new Set(plan.changes.map((c) => c.desired?.weight))).toEqual(new Set([5]));
    expect(plan.services[0]).toMatchObject({ totalMemberWeight: 200, enabledAfter: 200 });
    expect(plan.services[0]?.eligibleMembers).toEqual(names(1, 200));
    expect(plan.ineligible).toEqual([]);
  });

  it('200 or fewer eligible members: nothing is left out', () => {
    const plan = computeTrafficPlan(input({ members: names(1, 200).map((n) => meshMember(n)) }));
    expect(endpointsAfter(plan)).toBe(200);
    expect(plan.notRouted).toEqual([]);
  });

  it('keeps the existing endpoints first (never deleted to make room), then fills the rest by member name', () => {
    const existing = names(201, 250).map((n) => endpoint(nameOf(n), pip(n).id, 5, 'Enabled'));
    const plan = computeTrafficPlan(input({ members: names(1, 250).map((n) => meshMember(n)), endpoints: existing }));
    expect(endpointsAfter(plan)).toBe(200);
    expect(plan.changes.filter((c) => c.action === 'delete')).toEqual([]);
    expect(plan.changes.filter((c) => c.action === 'none').map((c) => c.member)).toEqual(names(201, 250));
    expect(plan.changes.filter((c) => c.action === 'create').map((c) => c.member)).toEqual(names(1, 150));
    expect(notRouted(plan)).toEqual(names(151, 200));
  });

  it('counts the endpoints fleetmesh does not own and leaves them untouched', () => {
    const foreign = foreignEndpoints(15);
    const plan = computeTrafficPlan(input({ members: names(1, 200).map((n) => meshMember(n)), endpoints: foreign }));
    expect(endpointsAfter(plan, 15)).toBe(200);
    expect(plan.changes.some((c) => c.name.startsWith('other-'))).toBe(false);
    expect(routedMembers(plan)).toEqual(names(1, 185));
    expect(notRouted(plan)).toEqual(names(186, 200));
  });

  it('counts the endpoints of held members, which stay as they are', () => {
    const held = meshMember('m001', 'Connected', { [MEMBER_WEIGHT_LABEL]: 'heavy' });
    const plan = computeTrafficPlan(
      input({
        members: [held, ...names(2, 210).map((n) => meshMember(n))],
        endpoints: [endpoint(nameOf('m001'), pip('m001').id, 9, 'Enabled')],
      }),
    );
    expect(endpointsAfter(plan)).toBe(200);
    expect(plan.changes.find((c) => c.member === 'm001')).toMatchObject({ action: 'none', desired: { weight: 9 } });
    expect(notRouted(plan)).toEqual(names(201, 210));
  });

  it('deletes of endpoints no longer wanted make room', () => {
    const gone = names(301, 320).map((n) => endpoint(nameOf(n), pip(n).id, 5, 'Enabled'));
    const plan = computeTrafficPlan(input({ members: names(1, 200).map((n) => meshMember(n)), endpoints: gone }));
    expect(plan.changes.filter((c) => c.action === 'delete')).toHaveLength(20);
    expect(endpointsAfter(plan)).toBe(200);
    expect(plan.notRouted).toEqual([]);
    // 19 go first; the last one enabled (m301) goes once the creates are written, and the create that needs its
    // room (the last by name) comes after it.
    expect(writePhases(plan.changes).map((writes) => writes.length)).toEqual([19, 199, 1, 1]);
    expect(
      writePhases(plan.changes)
        .at(-1)
        ?.map((c) => [c.action, c.member]),
    ).toEqual([['create', 'm200']]);
    const run = carryOut(gone, plan);
    expect(run.refused).toEqual([]);
    expect(run.afterPhase.map((state) => state.length)).toEqual([1, 200, 199, 200]);
  });

  it('several services share the room: members in name order, each with all its services', () => {
    const API = 'shop/api';
    const members = names(1, 150).map((n) => meshMember(n));
    const plan = computeTrafficPlan(
      input({
        members,
        services: [
          { service: WEB, weight: 1000 },
          { service: API, weight: 1000 },
        ],
        publicIps: ipsFor(
          members.map((m) => m.name),
          [WEB, API],
        ),
      }),
    );
    expect(endpointsAfter(plan)).toBe(200);
    expect(plan.notRouted.map((n) => `${n.service}:${n.member}`)).toEqual([
      ...names(101, 150).map((n) => `${API}:${n}`),
      ...names(101, 150).map((n) => `${WEB}:${n}`),
    ]);
    expect(plan.services.map((s) => s.eligibleMembers.length)).toEqual([100, 100]);
  });

  it('endpoints the never-go-dark rule keeps take room from new ones', () => {
    // 150 enabled endpoints of members now weighted 0; 100 new eligible members, none Connected yet.
    const old = names(1, 150);
    const fresh = names(151, 250);
    const plan = computeTrafficPlan(
      input({
        members: [...old.map((n) => meshMember(n)), ...fresh.map((n) => meshMember(n, 'Connecting'))],
        memberWeights: Object.fromEntries(old.map((n) => [n, 0])),
        endpoints: old.map((n) => endpoint(nameOf(n), pip(n).id, 5, 'Enabled')),
      }),
    );
    expect(plan.services[0]?.keptEnabled).toBe(true);
    expect(plan.changes.filter((c) => c.action === 'delete')).toEqual([]);
    expect(endpointsAfter(plan)).toBe(200);
    expect(plan.changes.filter((c) => c.action === 'create').map((c) => c.member)).toEqual(names(151, 200));
    expect(notRouted(plan)).toEqual(names(201, 250));
  });

  it('is deterministic: the order the members and endpoints are read in does not matter', () => {
    const members = names(1, 240).map((n) => meshMember(n));
    const endpoints = [
      ...names(230, 240).map((n) => endpoint(nameOf(n), pip(n).id, 5, 'Enabled')),
      ...foreignEndpoints(3),
    ];
    const plan = computeTrafficPlan(input({ members, endpoints }));
    const shuffled = computeTrafficPlan(
      input({ members: [...members].reverse(), endpoints: [...endpoints].reverse(), publicIps: ipsFor(names(1, 240)) }),
    );
    expect(shuffled).toEqual(plan);
    expect(endpointsAfter(plan, 3)).toBe(200);
    expect(notRouted(plan)).toEqual(names(187, 229));
  });
});

describe('helpers', () => {
  it.each([
    [500, 100, 300, 167],
    [500, 200, 300, 334],
    [1000, 1, 1, 1000],
    [1000, 1, 3, 334],
    [1, 1, 255, 1],
    [1000, 1000, 255000, 4],
    [7, 7, 7, 7],
  ])('ceil(%i × %i / %i) = %i', (backend, w, total, expected) => {
    expect(proportionalWeight(backend, w, total)).toBe(expected);
  });

  it('endpoint names fit Traffic Manager’s 260 characters at the longest valid names, and parse back', () => {
    const longest = endpointName('p'.repeat(63), `${'n'.repeat(63)}/${'s'.repeat(63)}`, 'm'.repeat(50));
    expect(longest.length).toBe(252);
    expect(longest.length).toBeLessThanOrEqual(MAX_ENDPOINT_NAME_LENGTH);
    expect(parseEndpointName(longest, 'p'.repeat(63))).toEqual({
      service: `${'n'.repeat(63)}/${'s'.repeat(63)}`,
      member: 'm'.repeat(50),
    });
    expect(parseEndpointName('FLEETMESH#MESH#Shop#Web#East', 'mesh')).toEqual({ service: 'shop/web', member: 'east' });
    expect(parseEndpointName('fleetmesh#mesh#a#b', 'mesh')).toBeUndefined();
    expect(parseEndpointName('fleetmesh#other#a#b#c', 'mesh')).toBeUndefined();
  });

  it.each([
    [{}, 1],
    [{ [MEMBER_WEIGHT_LABEL]: '42' }, 42],
    [{ [MEMBER_WEIGHT_LABEL]: '1000' }, 1000],
    [{ [MEMBER_WEIGHT_LABEL]: '1001' }, 'invalid'],
    [{ [MEMBER_WEIGHT_LABEL]: '-1' }, 'invalid'],
    [{ [MEMBER_WEIGHT_LABEL]: '' }, 'invalid'],
    [{ [MEMBER_WEIGHT_LABEL]: '2.5' }, 'invalid'],
  ])('memberWeight(labels %j) = %s', (labels, expected) => {
    expect(memberWeight(member('m', { labels }), undefined)).toBe(expected);
  });

  it('servicePublicIp matches comma-separated tag values, any tag-key casing, and prefers DNS label, then IPv4, then id', () => {
    const shared = publicIp('pip-shared', 'rg', { service: 'a/b, shop/web', dnsLabel: 'x' });
    expect(servicePublicIp(WEB, [shared])?.name).toBe('pip-shared');
    expect(servicePublicIp(WEB, [publicIp('p', 'rg', { service: WEB, tagKey: 'K8S-Azure-Service' })])?.name).toBe('p');
    const candidates = [
      publicIp('c-nolabel', 'rg', { service: WEB }),
      publicIp('b-v6', 'rg', { service: WEB, dnsLabel: 'x', version: 'IPv6' }),
      publicIp('z-v4', 'rg', { service: WEB, dnsLabel: 'x' }),
      publicIp('a-v4', 'rg', { service: WEB, dnsLabel: 'x' }),
      publicIp('untagged', 'rg', {}),
    ];
    expect(servicePublicIp(WEB, candidates)?.name).toBe('a-v4');
    expect(servicePublicIp('none/here', candidates)).toBeUndefined();
  });

  it('the plan is plain JSON', () => {
    const plan = computeTrafficPlan(
      input({ members: [meshMember('a'), meshMember('b', 'Failed', { [MEMBER_WEIGHT_LABEL]: 'x' })] }),
    );
    expect(JSON.parse(JSON.stringify(plan))).toStrictEqual(plan);
  });
});

// ---- properties ----

const SERVICES = ['shop/web', 'api/gw'] as const;
const NAMES = ['a', 'b', 'c', 'd', 'e'] as const;

const memberArb = fc.record({
  name: fc.constantFrom(...NAMES),
  inMesh: fc.boolean(),
  state: fc.constantFrom<MeshMemberState>('Connecting', 'Connected', 'Disconnecting', 'Failed'),
  label: fc.option(fc.oneof(fc.integer({ min: 0, max: 1000 }).map(String), fc.constantFrom('x', '1001', '')), {
    nil: undefined,
  }),
  pips: fc.constantFrom('read', 'unread', 'nolabel', 'none'),
});
const scenarioArb = fc
  .record({
    members: fc.uniqueArray(memberArb, { selector: (m) => m.name, maxLength: 5 }),
    services: fc
      .subarray([...SERVICES], { minLength: 1 })
      .chain((services) =>
        fc.tuple(...services.map((s) => fc.integer({ min: 1, max: 1000 }).map((weight) => ({ service: s, weight })))),
      ),
    policyWeights: fc.dictionary(fc.constantFrom(...NAMES), fc.integer({ min: 0, max: 1000 }), { maxKeys: 2 }),
    actual: fc.array(
      fc.record({
        service: fc.constantFrom(...SERVICES, 'old/svc'),
        name: fc.constantFrom(...NAMES),
        weight: fc.integer({ min: 1, max: 1000 }),
        enabled: fc.boolean(),
        upper: fc.boolean(),
        type: fc.constantFrom('azureEndpoints', 'azureEndpoints', 'azureEndpoints', 'externalEndpoints'),
      }),
      { maxLength: 8 },
    ),
  })
  .map(({ members, services, policyWeights, actual }): TrafficPlanInput => {
    const publicIps: Record<string, PublicIPAddress[]> = {};
    for (const m of members) {
      if (m.pips === 'unread') continue;
      publicIps[normalizeResourceId(clusterIdOf(m.name))] =
        m.pips === 'none' ? [] : SERVICES.map((s) => pip(m.name, s, m.pips === 'read' ? `${m.name}-dns` : null));
    }
    const seen = new Set<string>();
    const endpoints: TrafficManagerEndpoint[] = [];
    for (const a of actual) {
      const name = endpointName('mesh', a.service, a.name);
      if (seen.has(name)) continue;
      seen.add(name);
      endpoints.push(
        endpoint(
          a.upper ? name.toUpperCase() : name,
          pip(a.name, a.service).id,
          a.weight,
          a.enabled ? 'Enabled' : 'Disabled',
          `Microsoft.Network/trafficManagerProfiles/${a.type}`,
        ),
      );
    }
    endpoints.push(endpoint('someone-elses', '/x', 3));
    return {
      profileId: PROFILE_ID,
      services,
      memberWeights: policyWeights,
      members: members.map((m) =>
        member(m.name, {
          ...(m.inMesh ? { profileId: PROFILE_ID, state: m.state } : {}),
          labels: m.label === undefined ? {} : { [MEMBER_WEIGHT_LABEL]: m.label },
        }),
      ),
      publicIps,
      endpoints,
    };
  });

/** What Traffic Manager holds after the changes are carried out. */
function applyChanges(
  endpoints: readonly TrafficManagerEndpoint[],
  changes: readonly EndpointChange[],
): TrafficManagerEndpoint[] {
  let result = [...endpoints];
  const same = (e: TrafficManagerEndpoint, c: EndpointChange) =>
    (e.name ?? '').toLowerCase() === c.name && (e.type ?? '').toLowerCase().endsWith(c.endpointType.toLowerCase());
  for (const c of changes) {
    if (c.action === 'none') continue;
    result = result.filter((e) => !same(e, c));
    if (c.action !== 'delete' && c.desired) {
      result.push({
        name: c.name,
        type: `Microsoft.Network/trafficManagerProfiles/${c.endpointType.charAt(0).toLowerCase()}${c.endpointType.slice(1)}`,
        ...c.desired,
      });
    }
  }
  return result;
}

const enabledOwned = (endpoints: readonly TrafficManagerEndpoint[], service: string) =>
  endpoints.filter(
    (e) =>
      parseEndpointName(e.name ?? '', 'mesh')?.service === service && (e.endpointStatus ?? 'Enabled') === 'Enabled',
  );

const sortedNames = (endpoints: readonly TrafficManagerEndpoint[]) =>
  endpoints.map((e) => `${e.name ?? ''} ${e.type ?? ''} ${e.endpointStatus ?? ''} ${e.weight ?? ''}`).sort();

/** `count` endpoints of others (not owned), which take room in the profile. */
function foreign(count: number): TrafficManagerEndpoint[] {
  return Array.from({ length: count }, (_, i) =>
    endpoint(`other-${i}`, '', 1, 'Enabled', 'Microsoft.Network/trafficManagerProfiles/externalEndpoints'),
  );
}

interface CarriedOut {
  /** The profile's endpoints after each write that was made, in the order made. */
  readonly afterWrite: TrafficManagerEndpoint[][];
  /** The profile's endpoints after each phase. */
  readonly afterPhase: TrafficManagerEndpoint[][];
  /** Writes not attempted because an earlier-phase write of their service failed. */
  readonly skipped: EndpointChange[];
  /** Creates Traffic Manager refused: the profile was full, or the name was taken. */
  readonly refused: EndpointChange[];
}

/**
 * Carries a plan out as syncTraffic does: phase by phase (the writes of a phase one after another, in plan order or
 * reversed), a service's later-phase writes skipped once one of its writes failed. The writes `fails` picks fail;
 * like Traffic Manager, a create into a full profile or under a name that is taken fails too.
 */
function carryOut(
  endpoints: readonly TrafficManagerEndpoint[],
  plan: TrafficPlan,
  fails: (change: EndpointChange) => boolean = () => false,
  reverse = false,
): CarriedOut {
  let state = [...endpoints];
  const result: CarriedOut = { afterWrite: [state], afterPhase: [], skipped: [], refused: [] };
  const failedServices = new Set<string>();
  for (const phase of writePhases(plan.changes)) {
    const stopped = new Set(failedServices);
    for (const change of reverse ? [...phase].reverse() : phase) {
      if (change.service !== undefined && stopped.has(change.service)) {
        result.skipped.push(change);
        continue;
      }
      const refused =
        change.action === 'create' &&
        (state.length >= MAX_ENDPOINTS_PER_PROFILE || state.some((e) => (e.name ?? '').toLowerCase() === change.name));
      if (refused) result.refused.push(change);
      if (refused || fails(change)) {
        if (change.service !== undefined) failedServices.add(change.service);
        continue;
      }
      state = applyChanges(state, [change]);
      result.afterWrite.push(state);
    }
    result.afterPhase.push(state);
  }
  return result;
}

/** The configured services that had an enabled owned endpoint in `before` and have none in `after`. */
function darkened(
  scenario: TrafficPlanInput,
  before: readonly TrafficManagerEndpoint[],
  after: readonly TrafficManagerEndpoint[],
): string[] {
  return scenario.services
    .map((s) => s.service)
    .filter((service) => enabledOwned(before, service).length > 0 && enabledOwned(after, service).length === 0);
}

/**
 * One service whose members come and go, fail and connect, with endpoints (some of another type) for some of them:
 * the swaps the write order is about. `crowded`: the profile is full, or nearly (0–2 endpoints of room left), of
 * endpoints of others both now and once the plan the scenario has without them is carried out.
 */
const swapArb = fc
  .record({
    members: fc.uniqueArray(
      fc.record({
        name: fc.constantFrom(...NAMES),
        inMesh: fc.boolean(),
        state: fc.constantFrom<MeshMemberState>('Connected', 'Failed'),
      }),
      { selector: (m) => m.name, maxLength: 4 },
    ),
    actual: fc.uniqueArray(
      fc.record({ name: fc.constantFrom(...NAMES), enabled: fc.boolean(), external: fc.boolean() }),
      { selector: (a) => a.name, maxLength: 4 },
    ),
    crowded: fc.boolean(),
    slack: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ members, actual, crowded, slack }): TrafficPlanInput => {
    const scenario = input({
      members: members.map((m) => (m.inMesh ? meshMember(m.name, m.state) : member(m.name))),
      publicIps: ipsFor(NAMES),
      endpoints: actual.map((a) =>
        endpoint(
          nameOf(a.name),
          pip(a.name).id,
          500,
          a.enabled ? 'Enabled' : 'Disabled',
          `Microsoft.Network/trafficManagerProfiles/${a.external ? 'externalEndpoints' : 'azureEndpoints'}`,
        ),
      ),
    });
    if (!crowded) return scenario;
    const ownedAfter = computeTrafficPlan(scenario).changes.filter((c) => c.action !== 'delete').length;
    const fill = MAX_ENDPOINTS_PER_PROFILE - Math.max(actual.length, ownedAfter) - slack;
    return { ...scenario, endpoints: [...scenario.endpoints, ...foreign(fill)] };
  });

/**
 * Carries the scenario's plan out phase by phase with no write failing, then with each one write failing in turn:
 * after every write and every phase, each configured service that had an enabled endpoint still has one.
 */
function checkCarriedOut(scenario: TrafficPlanInput, reverse: boolean): void {
  const plan = computeTrafficPlan(scenario);
  const writes = writePhases(plan.changes).flat();
  expect(writes).toHaveLength(plan.changes.filter((c) => c.action !== 'none').length);
  for (const failing of [undefined, ...writes]) {
    const run = carryOut(scenario.endpoints, plan, (c) => c === failing, reverse);
    for (const state of [...run.afterWrite, ...run.afterPhase]) {
      expect(darkened(scenario, scenario.endpoints, state)).toEqual([]);
    }
    if (failing !== undefined) continue;
    // Nothing failing: every write is made, none is refused (room, names), and the end is the plan's.
    expect(run.skipped).toEqual([]);
    expect(run.refused).toEqual([]);
    expect(sortedNames(run.afterPhase.at(-1) ?? scenario.endpoints)).toEqual(
      sortedNames(applyChanges(scenario.endpoints, plan.changes)),
    );
  }
}

describe('properties', () => {
  it('a plan recomputed after its changes are carried out is all none', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const first = computeTrafficPlan(scenario);
        const second = computeTrafficPlan({ ...scenario, endpoints: applyChanges(scenario.endpoints, first.changes) });
        expect(second.changes.filter((c) => c.action !== 'none')).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('weights stay in 1..backend weight (so 1..1000) and are ceil(backend × w / Σw)', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const plan = computeTrafficPlan(scenario);
        for (const change of plan.changes) {
          if (change.action === 'none' || change.action === 'delete' || !change.desired || !change.member) continue;
          const service = scenario.services.find((s) => s.service === change.service);
          const summary = plan.services.find((s) => s.service === change.service);
          const m = scenario.members.find((x) => x.name === change.member);
          if (!service || !summary || !m) throw new Error('plan names an unknown service or member');
          const w = memberWeight(m, scenario.memberWeights);
          if (w === 'invalid') throw new Error('a held member got a change');
          expect(change.desired.weight).toBeGreaterThanOrEqual(1);
          expect(change.desired.weight).toBeLessThanOrEqual(service.weight);
          expect(change.desired.weight).toBe(Math.ceil((service.weight * w) / summary.totalMemberWeight - 1e-9));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a configured service with an enabled endpoint keeps at least one', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const after = applyChanges(scenario.endpoints, computeTrafficPlan(scenario).changes);
        for (const { service } of scenario.services) {
          if (enabledOwned(scenario.endpoints, service).length > 0) {
            expect(enabledOwned(after, service).length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('carried out phase by phase, with any one write failing, a service that had an enabled endpoint always has one', () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), (scenario, reverse) => {
        checkCarriedOut(scenario, reverse);
      }),
      { numRuns: 400 },
    );
  });

  it('the same for swaps of the endpoints of a service, in a profile with room and in one (nearly) full', () => {
    fc.assert(
      fc.property(swapArb, fc.boolean(), (scenario, reverse) => {
        checkCarriedOut(scenario, reverse);
      }),
      { numRuns: 500 },
    );
  });

  it('unowned endpoints are never touched and every change names an owned endpoint', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        for (const change of computeTrafficPlan(scenario).changes) {
          expect(change.name.startsWith(ownerPrefix('mesh'))).toBe(true);
        }
      }),
    );
  });
});
