import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/errors.js';
import type { ClusterMeshProfile, FleetMember, MeshMemberState } from '../../../../shared/models/index.js';
import {
  assertPlanId,
  computePlanId,
  computeWhatIf,
  computeWhatIfForProfile,
  membersForPreflight,
  membersWithAction,
  planHasChanges,
  type WhatIfInput,
  type WhatIfPlan,
} from '../../../../shared/domain/whatIf.js';
import { member, OTHER_PROFILE_ID, PROFILE_ID } from './fixtures.js';

const on = { mesh: 'on' };

function plan(desiredSelector: string, members: FleetMember[]): WhatIfPlan {
  return computeWhatIf({ profileId: PROFILE_ID, desiredSelector, members });
}

describe('computeWhatIf: one row per applied or matched member', () => {
  it.each([
    ['applied and matched', 'None', member('m', { labels: on, profileId: PROFILE_ID })],
    ['applied, no longer matched', 'Remove', member('m', { labels: {}, profileId: PROFILE_ID })],
    ['matched, in no mesh', 'Add', member('m', { labels: on })],
    ['matched, in another mesh', 'Error', member('m', { labels: on, profileId: OTHER_PROFILE_ID })],
    [
      'applied under a differently cased profile id',
      'None',
      member('m', { labels: on, profileId: PROFILE_ID.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') }),
    ],
  ] as const)('%s → %s', (_, action, m) => {
    expect(plan('mesh=on', [m]).rows.map((r) => r.action)).toEqual([action]);
  });

  it.each([
    ['neither applied nor matched', member('m', { labels: {} })],
    ['in another mesh and not matched', member('m', { labels: {}, profileId: OTHER_PROFILE_ID })],
  ])('%s → no row', (_, m) => {
    expect(plan('mesh=on', [m]).rows).toEqual([]);
  });

  it('fills the row as the CLI prints it', () => {
    const rows = plan('mesh=on', [
      member('b', { labels: on, profileId: PROFILE_ID, state: 'Connecting', eTag: '"e-b"' }),
      member('a', { labels: on }),
      member('c', { labels: on, profileId: OTHER_PROFILE_ID, state: 'Connected' }),
    ]).rows;
    expect(rows).toEqual([
      {
        action: 'Add',
        name: 'a',
        memberId: member('a').id,
        clusterResourceId: member('a').properties.clusterResourceId,
        eTag: '"etag-a"',
        meshState: '-',
      },
      {
        action: 'None',
        name: 'b',
        memberId: member('b').id,
        clusterResourceId: member('b').properties.clusterResourceId,
        eTag: '"e-b"',
        meshState: 'Connecting',
        meshProfileId: PROFILE_ID,
      },
      {
        action: 'Error',
        name: 'c',
        memberId: member('c').id,
        clusterResourceId: member('c').properties.clusterResourceId,
        eTag: '"etag-c"',
        meshState: 'Connected',
        meshProfileId: OTHER_PROFILE_ID,
        errorMessage: `member 'c' is already in cluster mesh profile 'other-mesh' (${OTHER_PROFILE_ID}); a member can be in only one mesh`,
      },
    ]);
  });

  it('leaves eTag out when the member has none', () => {
    const { eTag: _, ...withoutETag } = member('a', { labels: on });
    expect(plan('mesh=on', [withoutETag]).rows[0]).not.toHaveProperty('eTag');
  });

  it('an empty selector removes every applied member and adds none', () => {
    const result = plan('', [member('a', { labels: on, profileId: PROFILE_ID }), member('b', { labels: on })]);
    expect(result.rows.map((r) => [r.name, r.action])).toEqual([['a', 'Remove']]);
    expect(result.summary).toEqual({ add: 0, remove: 1, none: 0, error: 0, membersAfterApply: 0 });
  });

  it('summarises the rows and keeps the canonical selector', () => {
    const result = plan('z=1,mesh=on', [
      member('a', { labels: { ...on, z: '1' } }),
      member('b', { labels: { ...on, z: '1' }, profileId: PROFILE_ID }),
      member('c', { labels: {}, profileId: PROFILE_ID }),
      member('d', { labels: { ...on, z: '1' }, profileId: OTHER_PROFILE_ID }),
    ]);
    expect(result.desiredSelector).toBe('mesh=on,z=1');
    expect(result.profileId).toBe(PROFILE_ID);
    expect(result.summary).toEqual({ add: 1, remove: 1, none: 1, error: 1, membersAfterApply: 2 });
    expect(planHasChanges(result)).toBe(true);
    expect(membersWithAction(result, 'Add', 'Error')).toEqual(['a', 'd']);
  });

  it('rejects an invalid desired selector', () => {
    expect(() => plan('env!=prod', [])).toThrow(ValidationError);
  });

  it('is plain JSON', () => {
    const result = plan('mesh=on', [member('a', { labels: on }), member('b', { profileId: PROFILE_ID })]);
    expect(JSON.parse(JSON.stringify(result))).toStrictEqual(result);
  });
});

describe('computeWhatIfForProfile', () => {
  const profile: ClusterMeshProfile = {
    id: PROFILE_ID,
    name: 'mesh',
    properties: { memberSelector: { byLabel: 'mesh=on' }, status: { state: 'Connected' } },
  };
  const members = [member('a', { labels: on }), member('b', { labels: { other: 'x' } })];

  it("uses the profile's own selector by default", () => {
    expect(computeWhatIfForProfile(profile, members)).toEqual(plan('mesh=on', members));
  });

  it('takes a desired selector instead, and a profile without selector matches nothing', () => {
    expect(computeWhatIfForProfile(profile, members, 'other=x').rows.map((r) => r.name)).toEqual(['b']);
    expect(computeWhatIfForProfile({ ...profile, properties: {} }, members).rows).toEqual([]);
  });
});

describe('mesh size limit (255)', () => {
  const many = (count: number, options: Parameters<typeof member>[1] = {}, prefix = 'm') =>
    Array.from({ length: count }, (_, i) =>
      member(`${prefix}${String(i).padStart(3, '0')}`, { labels: on, ...options }),
    );

  it('255 members: all added', () => {
    const result = plan('mesh=on', many(255));
    expect(result.summary).toMatchObject({ add: 255, error: 0, membersAfterApply: 255 });
  });

  it('256 members: every Add row becomes Error, because an apply cannot admit a subset', () => {
    const result = plan('mesh=on', many(256));
    expect(result.summary).toEqual({ add: 0, remove: 0, none: 0, error: 256, membersAfterApply: 0 });
    expect(result.rows[0]?.errorMessage).toBe(
      'the selector picks 256 members (0 already in the mesh, 256 to add); a mesh holds at most 255 members, and an apply applies the whole selector, so no member is added',
    );
    expect(planHasChanges(result)).toBe(false);
  });

  it('200 applied + 56 new: the applied stay None, the new are Error', () => {
    const result = plan('mesh=on', [...many(200, { profileId: PROFILE_ID }), ...many(56, {}, 'n')]);
    expect(result.summary).toEqual({ add: 0, remove: 0, none: 200, error: 56, membersAfterApply: 200 });
  });

  it('removals make room: 250 applied of which 10 unmatched, 15 new → 255', () => {
    const applied = many(240, { profileId: PROFILE_ID });
    const leaving = many(10, { profileId: PROFILE_ID, labels: {} }, 'x');
    const result = plan('mesh=on', [...applied, ...leaving, ...many(15, {}, 'n')]);
    expect(result.summary).toEqual({ add: 15, remove: 10, none: 240, error: 0, membersAfterApply: 255 });
  });

  it('members in another profile do not count towards the limit', () => {
    const result = plan('mesh=on', [...many(255), ...many(3, { profileId: OTHER_PROFILE_ID }, 'o')]);
    expect(result.summary).toMatchObject({ add: 255, error: 3 });
  });
});

describe('membersForPreflight', () => {
  it('returns the members the selector picks (None, Add, Error), not those leaving', () => {
    const members = [
      member('a', { labels: on }),
      member('b', { labels: {}, profileId: PROFILE_ID }),
      member('c', { labels: on, profileId: PROFILE_ID }),
      member('d', { labels: on, profileId: OTHER_PROFILE_ID }),
      member('e', { labels: {} }),
    ];
    expect(membersForPreflight(plan('mesh=on', members), members).map((m) => m.name)).toEqual(['a', 'c', 'd']);
  });
});

describe('plan id', () => {
  const base: FleetMember[] = [
    member('a', { labels: on, profileId: PROFILE_ID }),
    member('b', { labels: on }),
    member('c', { labels: {}, profileId: PROFILE_ID }),
    member('d', { labels: { other: 'x' } }),
  ];
  const idOf = (members: FleetMember[], desiredSelector = 'mesh=on', profileId = PROFILE_ID) =>
    computePlanId({ profileId, desiredSelector, members });
  const baseId = idOf(base);

  const withMember = (name: string, change: (m: FleetMember) => FleetMember) =>
    base.map((m) => (m.name === name ? change(m) : m));
  const setState = (state: MeshMemberState) => (m: FleetMember) =>
    member(m.name, { labels: m.properties.labels, profileId: PROFILE_ID, state });

  it('is a sha256 hex digest', () => {
    expect(baseId).toMatch(/^[0-9a-f]{64}$/);
    expect(() => assertPlanId(baseId)).not.toThrow();
    expect(() => assertPlanId('nope')).toThrow("planId 'nope' is not a plan id");
  });

  it.each([
    ['a relevant eTag', withMember('a', (m) => ({ ...m, eTag: '"new"' }))],
    ['a relevant label', withMember('b', (m) => member(m.name, { labels: { ...on, team: 'x' } }))],
    ['a mesh state', withMember('a', setState('Failed'))],
    [
      'a member joining another profile',
      withMember('b', (m) => member(m.name, { labels: on, profileId: OTHER_PROFILE_ID })),
    ],
    ['a member starting to match', withMember('d', (m) => member(m.name, { labels: on }))],
    ['a member appearing', [...base, member('e', { labels: on })]],
    ['a member disappearing', base.filter((m) => m.name !== 'b')],
  ])('changes with %s', (_, members) => {
    expect(idOf(members)).not.toBe(baseId);
  });

  it('changes with the selector and the profile', () => {
    expect(idOf(base, 'mesh=on,x=1')).not.toBe(baseId);
    expect(idOf(base, 'mesh=on', OTHER_PROFILE_ID)).not.toBe(baseId);
  });

  it('ignores what cannot change the plan: irrelevant members, pair order, id casing', () => {
    expect(idOf(withMember('d', (m) => ({ ...m, eTag: '"changed"' })))).toBe(baseId);
    expect(idOf(base, 'mesh=on'.split(',').reverse().join(','))).toBe(baseId);
    expect(idOf(base, 'mesh=on', PROFILE_ID.toLowerCase())).toBe(baseId);
  });

  it('is stable under any permutation of the members (property)', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(base, { minLength: base.length, maxLength: base.length }), (shuffled) => {
        expect(idOf(shuffled)).toBe(baseId);
      }),
    );
  });
});

// Members whose labels, mesh profile and state vary; names are unique.
const memberArb: fc.Arbitrary<FleetMember[]> = fc
  .uniqueArray(
    fc.record({
      name: fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/),
      labels: fc.dictionary(fc.constantFrom('mesh', 'env', 'zone'), fc.constantFrom('on', 'off', 'a')),
      where: fc.constantFrom('none', 'this', 'other'),
      state: fc.constantFrom<MeshMemberState>('Connecting', 'Connected', 'Disconnecting', 'Failed'),
    }),
    { selector: (r) => r.name, maxLength: 12 },
  )
  .map((records) =>
    records.map((r) =>
      member(r.name, {
        labels: r.labels,
        ...(r.where === 'none'
          ? {}
          : { profileId: r.where === 'this' ? PROFILE_ID : OTHER_PROFILE_ID, state: r.state }),
      }),
    ),
  );
const selectorArb = fc.constantFrom('', 'mesh=on', 'mesh=on,env=a', 'zone=off', 'env=on');

/** What the service does on apply: Add joins the mesh, Remove leaves it, None and Error stay as they are. */
function applyPlan(input: WhatIfInput, result: WhatIfPlan): FleetMember[] {
  const actions = new Map(result.rows.map((r) => [r.memberId, r.action]));
  return input.members.map((m) => {
    const action = actions.get(m.id);
    if (action === 'Add')
      return member(m.name, { labels: m.properties.labels, profileId: PROFILE_ID, state: 'Connecting' });
    if (action === 'Remove') return member(m.name, { labels: m.properties.labels });
    return m;
  });
}

describe('properties', () => {
  it('a plan computed after its own changes are applied has no Add or Remove; all None when it had no Error', () => {
    fc.assert(
      fc.property(memberArb, selectorArb, (members, desiredSelector) => {
        const input = { profileId: PROFILE_ID, desiredSelector, members };
        const first = computeWhatIf(input);
        const second = computeWhatIf({ ...input, members: applyPlan(input, first) });
        expect(planHasChanges(second)).toBe(false);
        expect(second.summary.error).toBe(first.summary.error);
        if (first.summary.error === 0) expect(second.rows.every((r) => r.action === 'None')).toBe(true);
        expect(second.summary.none).toBe(first.summary.membersAfterApply);
      }),
    );
  });

  it('rows are sorted by name and each member appears at most once', () => {
    fc.assert(
      fc.property(memberArb, selectorArb, (members, desiredSelector) => {
        const names = computeWhatIf({ profileId: PROFILE_ID, desiredSelector, members }).rows.map((r) => r.name);
        expect(names).toEqual([...new Set(names)].sort());
      }),
    );
  });
});
