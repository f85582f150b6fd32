import { describe, expect, it } from 'vitest';
import { repairDecision } from '../../../orchestrations/meshReconciler.js';
import type { MeshPlanResult } from '../../../orchestrations/contracts.js';
import { MeshPolicySchema, type WhatIfRow } from '../../../shared/domain/index.js';

const row = (name: string, action: WhatIfRow['action'], meshState: WhatIfRow['meshState']): WhatIfRow => ({
  action,
  name,
  memberId: `/members/${name}`,
  clusterResourceId: `/clusters/${name}`,
  meshState,
});

function plan(rows: WhatIfRow[], fixes: string[], blocked = false): MeshPlanResult {
  return {
    profile: 'demo',
    profileId: '/profiles/demo',
    profileExists: true,
    profileETag: '"e"',
    profileState: 'Degraded',
    currentSelector: 'mesh=demo',
    lastAppliedSelector: 'mesh=demo',
    desiredSelector: 'mesh=demo',
    selectorChanges: false,
    plan: {
      planId: 'p',
      profileId: '/profiles/demo',
      desiredSelector: 'mesh=demo',
      rows,
      summary: { add: 0, remove: 0, none: rows.length, error: 0, membersAfterApply: rows.length },
    },
    findings: [],
    preflightRan: true,
    blocked,
    fixes: fixes.map((member) => ({
      member,
      clusterResourceId: `/clusters/${member}`,
      principalId: 'p',
      scope: '/vnet',
    })),
    policy: MeshPolicySchema.parse({}),
    traffic: null,
    computedAt: '2026-01-01T00:00:00Z',
  };
}

const policy = (mode: 'auto' | 'approve' | 'manual') => MeshPolicySchema.parse({ mode });
const healthy = row('east', 'None', 'Connected');
const failed = row('west', 'None', 'Failed');

describe('repairDecision', () => {
  it.each([
    ['nothing failed', plan([healthy], []), policy('auto'), false, undefined],
    ['a fixable failure under auto', plan([healthy, failed], ['west']), policy('auto'), false, 'applyNow'],
    ['a fixable failure under approve', plan([healthy, failed], ['west']), policy('approve'), false, 'awaitApproval'],
    ['a fixable failure under manual', plan([healthy, failed], ['west']), policy('manual'), false, 'recordOnly'],
    ['an unexplained failure (never retried blindly)', plan([healthy, failed], []), policy('auto'), false, undefined],
    [
      'an unexplained failure an operator asks to re-apply',
      plan([healthy, failed], []),
      policy('manual'),
      true,
      'applyNow',
    ],
    ['a failure whose preflight blocks', plan([healthy, failed], ['west'], true), policy('auto'), true, undefined],
    [
      'a failed member that the plan removes (not a repair)',
      plan([row('west', 'Remove', 'Failed')], ['west']),
      policy('auto'),
      false,
      undefined,
    ],
  ] as const)('%s → %s', (_label, p, pol, operator, expected) => {
    expect(repairDecision(p, pol, operator)?.kind).toBe(expected);
  });

  it('names the failed members and what fleetmesh fixes', () => {
    const decision = repairDecision(plan([healthy, failed], ['west']), policy('auto'), false);
    expect(decision?.reasons.join(' | ')).toMatch(/1 member\(s\) of the mesh are Failed: west.*fleetmesh can fix west/);
  });
});
