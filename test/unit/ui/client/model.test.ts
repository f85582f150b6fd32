/** The status page's view model: layout of the mesh picture, state words and glyphs, plan diff, weight bars, timeline. */
import { describe, expect, it } from 'vitest';
import {
  MeshViewSchema,
  OperationPlanSchema,
  OperationSchema,
  TopologySchema,
  type Topology,
} from '../../../../cli/schemas.js';
import {
  ago,
  endpointBars,
  layoutMesh,
  look,
  planProvenance,
  planView,
  summary,
  timeline,
} from '../../../../ui/client/model.js';
import { meshBody, operationBody } from '../../cli/support.js';

const VNET_EAST = '/subscriptions/s/resourceGroups/rg-east/providers/Microsoft.Network/virtualNetworks/vnet-east';
const VNET_WEST = '/subscriptions/s/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west';

function topology(peered: boolean, overrides: Partial<Topology> = {}): Topology {
  return TopologySchema.parse({
    profile: 'demo',
    members: [
      { name: 'member-east', clusterResourceId: 'c-east', vnetIds: [VNET_EAST] },
      { name: 'member-west', clusterResourceId: 'c-west', vnetIds: [VNET_WEST.toUpperCase()] },
    ],
    vnets: [
      {
        id: VNET_EAST,
        name: 'vnet-east',
        resourceGroup: 'rg-east',
        location: 'eastus',
        addressPrefixes: ['10.1.0.0/16'],
        members: ['member-east'],
      },
      {
        id: VNET_WEST,
        name: 'vnet-west',
        resourceGroup: 'rg-west',
        location: 'westus',
        addressPrefixes: ['10.2.0.0/16'],
        members: ['member-west'],
      },
    ],
    peerings: [
      { vnets: [VNET_EAST, VNET_WEST], peered, problems: peered ? [] : ["'vnet-east' has no peering to 'vnet-west'"] },
    ],
    observedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });
}

const view = MeshViewSchema.parse(meshBody());

describe('look', () => {
  it.each([
    ['Connected', 'good', '✓'],
    ['Connecting', 'busy', '…'],
    ['Failed', 'bad', '✕'],
    [null, 'off', '–'],
    ['SomethingNew', 'off', '–'],
  ] as const)('%s → %s with a glyph and the word', (state, tone, glyph) => {
    const l = look(state);
    expect(l.tone).toBe(tone);
    expect(l.glyph).toBe(glyph);
    expect(l.label).toBe(state ?? 'not in mesh');
  });
});

describe('layoutMesh', () => {
  it('groups members by VNet (ids compared case-insensitively) and links the VNets with their peering', () => {
    const layout = layoutMesh(view.members, topology(true));
    expect(layout.groups.map((g) => [g.title, g.subtitle, g.nodes.map((n) => n.member.name)])).toEqual([
      ['VNet vnet-east', 'rg-east · 10.1.0.0/16', ['member-east']],
      ['VNet vnet-west', 'rg-west · 10.2.0.0/16', ['member-west']],
    ]);
    expect(layout.links).toHaveLength(1);
    expect(layout.links[0]).toMatchObject({
      peered: true,
      label: 'peered',
      from: 'VNet vnet-east',
      to: 'VNet vnet-west',
    });
    expect(layout.description).toBe(
      'VNet vnet-east: member-east (Connected, Cilium id 1). VNet vnet-west: member-west (Connecting, Cilium id 2). ' +
        'VNet vnet-east and VNet vnet-west are peered.',
    );
  });

  it('keeps nodes inside their group and groups apart, and the link runs between the group edges', () => {
    const layout = layoutMesh(view.members, topology(false));
    for (const g of layout.groups) {
      for (const n of g.nodes) {
        expect(n.x).toBeGreaterThan(g.x);
        expect(n.x).toBeLessThan(g.x + g.width);
        expect(n.y).toBeGreaterThan(g.y);
        expect(n.y).toBeLessThan(g.y + g.height);
      }
    }
    const [a, b] = layout.groups;
    expect(a && b && a.x + a.width < b.x).toBe(true);
    const link = layout.links[0];
    expect(link?.x1).toBe((a?.x ?? 0) + (a?.width ?? 0));
    expect(link?.x2).toBe(b?.x);
    expect(link).toMatchObject({ peered: false, label: 'not peered' });
    expect(layout.width).toBe((b?.x ?? 0) + (b?.width ?? 0));
  });

  it('puts members in one group when they share a VNet, and in "VNet unknown" without a topology', () => {
    const shared = layoutMesh(
      view.members,
      topology(true, {
        members: [
          { name: 'member-east', clusterResourceId: 'c', vnetIds: [VNET_EAST] },
          { name: 'member-west', clusterResourceId: 'c', vnetIds: [VNET_EAST] },
        ],
        peerings: [],
      }),
    );
    expect(shared.groups.map((g) => g.nodes.length)).toEqual([2]);
    const unknown = layoutMesh(view.members, undefined);
    expect(unknown.groups.map((g) => [g.title, g.subtitle])).toEqual([['VNet unknown', 'topology not loaded']]);
    expect(unknown.links).toEqual([]);
  });

  it('wraps after three groups and describes an empty mesh', () => {
    const members = ['a', 'b', 'c', 'd'].map((n) => ({ name: n, labels: {}, meshState: 'Connected', ciliumId: 1 }));
    const vnets = ['a', 'b', 'c', 'd'].map((n) => ({
      id: `/v/${n}`,
      name: n,
      resourceGroup: null,
      location: null,
      addressPrefixes: [],
      members: [n],
    }));
    const layout = layoutMesh(
      members,
      TopologySchema.parse({
        profile: 'p',
        members: members.map((m) => ({ name: m.name, clusterResourceId: null, vnetIds: [`/v/${m.name}`] })),
        vnets,
        peerings: [],
        observedAt: 'x',
      }),
    );
    expect(layout.groups.map((g) => g.y > 0)).toEqual([false, false, false, true]);
    expect(layoutMesh([], undefined).description).toBe('No member is in the mesh or selected for it.');
  });
});

describe('planView', () => {
  it('turns the stored plan into a diff with markers and counts', () => {
    const plan = planView({
      planId: 'p'.repeat(64),
      computedAt: '2026-01-01T00:00:00.000Z',
      plan: {
        rows: [
          { action: 'Add', name: 'a', clusterResourceId: '/c/a', meshState: '-' },
          { action: 'Remove', name: 'b', clusterResourceId: '/c/b', meshState: 'Connected' },
          { action: 'None', name: 'c', clusterResourceId: '/c/c', meshState: 'Connected' },
          { action: 'Error', name: 'd', clusterResourceId: '/c/d', meshState: 'Connected', errorMessage: 'in other' },
        ],
        findings: [],
      },
    });
    expect(plan?.rows.map((r) => [r.marker, r.action, r.note])).toEqual([
      ['+', 'Add', undefined],
      ['−', 'Remove', undefined],
      ['=', 'None', undefined],
      ['!', 'Error', 'in other'],
    ]);
    expect(plan?.counts).toEqual({ Add: 1, Remove: 1, None: 1, Error: 1 });
  });

  it('is undefined without a plan or with one it cannot read', () => {
    expect(planView(null)).toBeUndefined();
    expect(planView({ planId: 'x', computedAt: 'y', plan: 'nonsense' })).toBeUndefined();
  });
});

describe('endpointBars', () => {
  it('gives each enabled endpoint its share of the traffic and scales bars to the largest weight', () => {
    const bars = endpointBars([
      { name: 'a', weight: 500, status: 'Enabled', monitorStatus: 'Online' },
      { name: 'b', weight: 250, status: 'Enabled', monitorStatus: 'Degraded' },
      { name: 'c', weight: 500, status: 'Disabled', monitorStatus: null },
    ]);
    expect(bars.map((b) => [b.sharePercent, b.barPercent, b.status.tone, b.monitor.label])).toEqual([
      [66.7, 100, 'good', 'Online'],
      [33.3, 50, 'good', 'Degraded'],
      [0, 100, 'off', 'not reported'],
    ]);
  });
});

describe('timeline', () => {
  it('lists operations newest first with member outcomes, remediations, approvals and errors', () => {
    const older = OperationSchema.parse(operationBody({ id: 'demo.old', createdAt: '2026-01-01T00:00:00.000Z' }));
    const newer = OperationSchema.parse(
      operationBody({
        id: 'demo.new',
        createdAt: '2026-01-02T00:00:00.000Z',
        status: 'Failed',
        members: [],
        approvals: [{ by: 'alice', at: '2026-01-02T00:00:01.000Z', decision: 'approve', comment: 'go' }],
        error: { code: 'MembersNotConverged', message: 'member-west did not connect' },
      }),
    );
    const entries = timeline([older, newer]);
    expect(entries.map((e) => [e.id, e.status.tone])).toEqual([
      ['demo.new', 'bad'],
      ['demo.old', 'good'],
    ]);
    // The fixes ran before the members failed to converge, so they were made.
    expect(entries[0]?.lines).toEqual([
      'member-west: remediation before the apply: grantNetworkContributor on vnet-west, then reconcileCluster succeeded',
      'approved by alice: go',
      'MembersNotConverged: member-west did not connect',
    ]);
    expect(entries[1]?.lines).toEqual([
      'member-east: Add → Succeeded (Connected)',
      'member-west: Add → Succeeded (Connected); remediation before the apply: grantNetworkContributor on vnet-west, ' +
        'then reconcileCluster succeeded',
    ]);
  });

  it('names the remediation before the apply once, and the steps while converging apart from it', () => {
    const at = '2026-01-01T00:00:01.000Z';
    const body = operationBody();
    const op = OperationSchema.parse({
      ...body,
      members: [
        {
          member: 'member-west',
          action: 'Add',
          meshState: 'Connected',
          outcome: 'Succeeded',
          attempts: 2,
          // As meshApply records it: the fixes first, then what convergence did.
          remediations: [
            { step: 'grantNetworkContributor', at, outcome: 'Succeeded', detail: 'vnet-west' },
            { step: 'reconcileCluster', at, outcome: 'Succeeded', detail: 'aks-west' },
            { step: 'diagnose', at, outcome: 'Succeeded', detail: 'authorizationPending' },
            { step: 'reconcileCluster', at, outcome: 'Succeeded' },
            { step: 'reapply', at, outcome: 'Succeeded' },
          ],
        },
      ],
    });
    const lines = timeline([op])[0]?.lines ?? [];
    expect(lines).toEqual([
      'member-west: Add → Succeeded (Connected); remediation before the apply: grantNetworkContributor on vnet-west, ' +
        'then reconcileCluster succeeded; remediation while converging: diagnose succeeded, reconcileCluster ' +
        'succeeded, reapply succeeded',
    ]);
    expect(lines.join('\n').match(/grantNetworkContributor/g)).toHaveLength(1);
  });

  it('a fix that failed is said once with its outcome; a member without a fix keeps its own remediations', () => {
    const at = '2026-01-01T00:00:01.000Z';
    const plan = OperationPlanSchema.parse(operationBody().plan);
    const failed = OperationSchema.parse(
      operationBody({
        status: 'Failed',
        error: { code: 'ReconcileFailed', message: 'reconciling aks-west failed' },
        plan: {
          ...plan,
          fixes: [...plan.fixes, { ...plan.fixes[0], member: 'member-east', scope: '/x/vnet-east' }],
        },
        members: [
          {
            member: 'member-east',
            action: 'Add',
            meshState: null,
            outcome: 'Failed',
            attempts: 1,
            remediations: [{ step: 'grantNetworkContributor', at, outcome: 'Failed' }],
          },
          {
            member: 'member-south',
            action: 'Add',
            meshState: 'Connected',
            outcome: 'Succeeded',
            attempts: 2,
            remediations: [{ step: 'diagnose', at, outcome: 'Succeeded' }],
          },
        ],
      }),
    );
    expect(timeline([failed])[0]?.lines).toEqual([
      'member-east: Add → Failed; remediation before the apply: grantNetworkContributor on vnet-east, then ' +
        'reconcileCluster failed',
      'member-south: Add → Succeeded (Connected); remediation: diagnose succeeded',
      'member-west: remediation before the apply: grantNetworkContributor on vnet-west, then reconcileCluster failed',
      'ReconcileFailed: reconciling aks-west failed',
    ]);
  });
});

describe('planProvenance', () => {
  const PLAN_ID = 'a'.repeat(64);
  const computedAt = '2026-01-01T00:00:00.000Z';
  const rows = (action: string) => [
    { action, name: 'member-east', clusterResourceId: '/c/e', meshState: '-' },
    { action, name: 'member-west', clusterResourceId: '/c/w', meshState: '-' },
  ];
  const plan = (action = 'Add', planId = PLAN_ID) => {
    const p = planView({ planId, computedAt, plan: { rows: rows(action), findings: [] } });
    if (!p) throw new Error('no plan');
    return p;
  };
  const op = (overrides: Record<string, unknown>) => OperationSchema.parse(operationBody(overrides));
  const soon = new Date(Date.parse(computedAt) + 3 * 60_000);

  it('an applied plan: when, which operation, applied, and that it shows the fleet before the apply', () => {
    const p = planProvenance(plan(), [op({ id: 'demo.older', createdAt: '2025-12-31T00:00:00.000Z' }), op({})], soon);
    expect(p).toMatchObject({
      source: 'stored',
      computedAt,
      age: '3 min ago',
      operationId: 'demo.op-1',
      applied: 'applied',
      sentence: 'Applied by operation demo.op-1 (apply), which succeeded.',
    });
    expect(p.warning).toContain('It shows the fleet before that apply, not now');
  });

  it.each([
    ['Running', 'applying', 'Being applied by operation demo.op-1 (apply) (Running).'],
    ['AwaitingApproval', 'awaiting approval', 'Not applied yet: operation demo.op-1 (apply) waits for approval.'],
    ['Rejected', 'not applied', 'Not applied: operation demo.op-1 (apply) was rejected.'],
    ['Recorded', 'not applied', 'Not applied: operation demo.op-1 (apply) recorded it without applying it.'],
  ] as const)('an operation %s: %s', (status, applied, sentence) => {
    const p = planProvenance(plan(), [op({ status, finishedAt: null })], soon);
    expect([p.applied, p.sentence, p.warning]).toEqual([applied, sentence, undefined]);
  });

  it('a failed apply: not applied (or only in part), with the error code', () => {
    const failed = op({ status: 'Failed', error: { code: 'MembersNotConverged', message: 'm' } });
    expect(planProvenance(plan(), [failed], soon).sentence).toBe(
      'Not applied (or only in part): operation demo.op-1 (apply) failed (MembersNotConverged).',
    );
  });

  it('no operation: nothing to apply, or not applied; a plan of another id is not matched', () => {
    const other = op({ planId: 'b'.repeat(64) });
    expect(planProvenance(plan('None'), [other], soon)).toMatchObject({
      applied: 'nothing to apply',
      operationId: undefined,
      sentence: 'No operation: it has nothing to add or remove.',
      warning: undefined,
    });
    expect(planProvenance(plan(), [other], soon)).toMatchObject({
      applied: 'not applied',
      sentence: 'Not applied: no recent operation carries it.',
    });
    expect(planProvenance(plan(), [], soon, 'fresh').sentence).toBe('Not applied: computing a plan changes nothing.');
  });

  it('an old plan is flagged however it ended', () => {
    const later = new Date(Date.parse(computedAt) + 3 * 3_600_000);
    const p = planProvenance(plan('None'), [], later);
    expect(p.age).toBe('3 h ago');
    expect(p.warning).toBe('Computed 3 h ago: the fleet may have changed since. Compute a fresh plan to see it now.');
  });

  it.each([
    [10_000, 'just now'],
    [5 * 60_000, '5 min ago'],
    [47 * 3_600_000, '47 h ago'],
    [72 * 3_600_000, '3 days ago'],
  ])('ago(%i) is %s', (ms, text) => {
    expect(ago(ms)).toBe(text);
  });
});

it('summarises the mesh in words', () => {
  expect(summary(view)).toBe('1 of 2 member(s) Connected; profile Connected');
});
