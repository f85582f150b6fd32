// The plan route's rows: members preflight blocks show `Error` with the remediation; the plan id and the decision stay
// those of the what-if plan (a blocked plan is `blocked`, not `nothingToDo`).
import { describe, expect, it } from 'vitest';
import {
  decide,
  DEFAULT_MESH_POLICY,
  type PreflightFinding,
  type WhatIfPlan,
} from '../../../../shared/domain/index.js';
import { planWithPreflight } from '../../../../shared/services/planner.js';

const fleet = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f';
const row = (name: string, action: 'Add' | 'Remove' | 'None' | 'Error', errorMessage?: string) => ({
  action,
  name,
  memberId: `${fleet}/members/${name}`,
  clusterResourceId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
  meshState: action === 'Add' ? ('-' as const) : ('Connected' as const),
  ...(errorMessage ? { errorMessage } : {}),
});

const plan: WhatIfPlan = {
  planId: 'a'.repeat(64),
  profileId: `${fleet}/clusterMeshProfiles/demo`,
  desiredSelector: 'mesh=demo',
  rows: [
    row('east', 'None'),
    row('north', 'Add'),
    row('overlay', 'Add'),
    row('south', 'Add'),
    row('taken', 'Error', "member 'taken' is already in cluster mesh profile 'other'"),
    row('west', 'Add'),
  ],
  summary: { add: 4, remove: 0, none: 1, error: 1, membersAfterApply: 5 },
};

const overlay: PreflightFinding = {
  checkId: 'cluster.networkPluginMode',
  severity: 'error',
  member: 'overlay',
  message: "cluster 'overlay' uses Azure CNI Overlay",
  remediation: 'use a cluster with Azure CNI in node-subnet or pod-subnet mode',
};
const peering: PreflightFinding = {
  checkId: 'network.peering',
  severity: 'error',
  member: 'east',
  peerMember: 'west',
  message: "members 'east' and 'west' are in virtual networks that are not directly peered",
  remediation: "peer 'vnet-east' and 'vnet-west' directly, in both directions",
};
const warning: PreflightFinding = {
  checkId: 'identity.networkRole',
  severity: 'warning',
  member: 'north',
  message: 'the cluster identity lacks Network Contributor',
  remediation: 'grant it',
  fixableByFleetmesh: true,
};

describe('planWithPreflight', () => {
  it('turns Add rows named by a blocking finding (as member or peerMember) into Error with the remediation', () => {
    const shown = planWithPreflight(plan, [overlay, peering, warning]);
    expect(shown.rows.map((r) => [r.name, r.action])).toEqual([
      ['east', 'None'],
      ['north', 'Add'],
      ['overlay', 'Error'],
      ['south', 'Add'],
      ['taken', 'Error'],
      ['west', 'Error'],
    ]);
    const message = (name: string): string => shown.rows.find((r) => r.name === name)?.errorMessage ?? '';
    expect(message('overlay')).toBe(
      "preflight blocks adding 'overlay': cluster.networkPluginMode: cluster 'overlay' uses Azure CNI Overlay. " +
        'Remediation: use a cluster with Azure CNI in node-subnet or pod-subnet mode',
    );
    expect(message('west')).toContain("network.peering: members 'east' and 'west'");
    expect(message('west')).toContain("Remediation: peer 'vnet-east' and 'vnet-west' directly");
    expect(message('taken')).toBe("member 'taken' is already in cluster mesh profile 'other'");
    expect(shown.summary).toEqual({ add: 2, remove: 0, none: 1, error: 3, membersAfterApply: 3 });
  });

  it('names every blocking finding of a member', () => {
    const second: PreflightFinding = {
      ...overlay,
      checkId: 'cluster.acns',
      message: 'ACNS is off',
      remediation: 'enable ACNS',
    };
    const message = planWithPreflight(plan, [overlay, second]).rows.find((r) => r.name === 'overlay')?.errorMessage;
    expect(message).toMatch(/cluster\.networkPluginMode: .* \| cluster\.acns: ACNS is off\. Remediation: enable ACNS$/);
  });

  it('keeps the plan id, and the decision stays blocked (the what-if plan still adds them)', () => {
    const everyAdd = [...['north', 'overlay', 'south', 'west'].map((m) => ({ ...overlay, member: m }))];
    const shown = planWithPreflight(plan, everyAdd);
    expect(shown.planId).toBe(plan.planId);
    expect(shown.summary.add).toBe(0);
    expect(decide(plan, everyAdd, DEFAULT_MESH_POLICY).kind).toBe('blocked');
    expect(decide(plan, everyAdd, DEFAULT_MESH_POLICY, { operatorRequested: true }).kind).toBe('blocked');
  });

  it('changes nothing without a blocking finding', () => {
    expect(planWithPreflight(plan, [warning])).toBe(plan);
    expect(planWithPreflight(plan, [])).toBe(plan);
  });

  it('leaves None and Remove rows alone (they are not being added)', () => {
    const removing: WhatIfPlan = { ...plan, rows: [row('east', 'Remove'), row('west', 'None')] };
    expect(planWithPreflight(removing, [peering]).rows.map((r) => r.action)).toEqual(['Remove', 'None']);
  });
});
