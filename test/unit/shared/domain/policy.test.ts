import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../shared/errors.js';
import {
  decide,
  DEFAULT_MESH_POLICY,
  MeshPolicySchema,
  parseMeshPolicy,
  type DecisionKind,
  type MeshPolicy,
  type MeshPolicyInput,
} from '../../../../shared/domain/policy.js';
import type { PreflightFinding } from '../../../../shared/domain/preflight/types.js';
import { computeWhatIf, type WhatIfPlan } from '../../../../shared/domain/whatIf.js';
import { member, OTHER_PROFILE_ID, PROFILE_ID } from './fixtures.js';

const traffic = { resourceGroup: 'rg-tm', profileName: 'fleet-tm', relativeDnsName: 'shop' };

describe('mesh policy schema', () => {
  it('an empty body is the default policy', () => {
    expect(parseMeshPolicy({})).toEqual({
      mode: 'approve',
      allowRemovals: false,
      debounceSeconds: 30,
      approvalTimeoutHours: 24,
      convergence: {
        memberTimeoutMinutes: 20,
        pollIntervalSeconds: 10,
        maxPollIntervalSeconds: 60,
        maxRemediationRounds: 3,
      },
    });
    expect(DEFAULT_MESH_POLICY).toEqual(parseMeshPolicy({}));
  });

  it('traffic settings get fleet-networking defaults', () => {
    expect(parseMeshPolicy({ traffic }).traffic).toEqual({
      ...traffic,
      ttl: 60,
      monitor: {
        protocol: 'HTTP',
        port: 80,
        path: '/',
        intervalInSeconds: 30,
        timeoutInSeconds: 10,
        toleratedNumberOfFailures: 3,
      },
      services: [],
      memberWeights: {},
    });
  });

  it('a 10 s interval defaults the timeout to 9 s', () => {
    expect(
      parseMeshPolicy({ traffic: { ...traffic, monitor: { intervalInSeconds: 10 } } }).traffic?.monitor
        .timeoutInSeconds,
    ).toBe(9);
  });

  it('services get backend weight 1000 by default and are sorted', () => {
    const policy = parseMeshPolicy({
      traffic: {
        ...traffic,
        services: [{ service: 'shop/web' }, { service: 'api/gateway', weight: 500 }],
        memberWeights: { east: 0, west: 2 },
      },
    });
    expect(policy.traffic?.services).toEqual([
      { service: 'api/gateway', weight: 500 },
      { service: 'shop/web', weight: 1000 },
    ]);
    expect(policy.traffic?.memberWeights).toEqual({ east: 0, west: 2 });
  });

  it.each<[string, unknown, string]>([
    ['an unknown field', { mode: 'auto', extra: 1 }, 'Unrecognized key: "extra"'],
    ['an unknown mode', { mode: 'yolo' }, "'mode':"],
    ['debounce over 300 s', { debounceSeconds: 301 }, "'debounceSeconds': Too big"],
    ['a negative debounce', { debounceSeconds: -1 }, "'debounceSeconds'"],
    ['a timeout of zero', { approvalTimeoutHours: 0 }, "'approvalTimeoutHours'"],
    [
      'a poll interval longer than its maximum',
      { convergence: { pollIntervalSeconds: 90 } },
      "'convergence.maxPollIntervalSeconds'",
    ],
    [
      'more than 3 remediation rounds',
      { convergence: { maxRemediationRounds: 4 } },
      "'convergence.maxRemediationRounds'",
    ],
    ['an unknown convergence field', { convergence: { retries: 2 } }, 'retries'],
    ['allowRemovals not a boolean', { allowRemovals: 'yes' }, "'allowRemovals'"],
    ['a body that is not an object', 'auto', 'expected object'],
    [
      'a service that is not namespace/name',
      { traffic: { ...traffic, services: [{ service: 'web' }] } },
      "'traffic.services.0.service': 'web' is not namespace/name",
    ],
    [
      'a service with upper case',
      { traffic: { ...traffic, services: [{ service: 'Shop/web' }] } },
      "'Shop/web' is not namespace/name",
    ],
    [
      'a backend weight of 0',
      { traffic: { ...traffic, services: [{ service: 'a/b', weight: 0 }] } },
      "'traffic.services.0.weight'",
    ],
    [
      'a backend weight over 1000',
      { traffic: { ...traffic, services: [{ service: 'a/b', weight: 1001 }] } },
      "'traffic.services.0.weight'",
    ],
    [
      'a service listed twice',
      { traffic: { ...traffic, services: [{ service: 'a/b' }, { service: 'a/b' }] } },
      'a service is listed more than once',
    ],
    [
      'a member weight over 1000',
      { traffic: { ...traffic, memberWeights: { east: 1001 } } },
      "'traffic.memberWeights.east'",
    ],
    [
      'a member weight for a bad name',
      { traffic: { ...traffic, memberWeights: { 'Not_A-Member': 1 } } },
      "'traffic.memberWeights.Not_A-Member': Invalid key in record",
    ],
    [
      'a bad DNS name',
      { traffic: { ...traffic, relativeDnsName: 'Shop_Site' } },
      "'traffic.relativeDnsName': must be a DNS label",
    ],
    ['a resource group ending in a dot', { traffic: { ...traffic, resourceGroup: 'rg.' } }, "'traffic.resourceGroup'"],
    ['a bad profile name', { traffic: { ...traffic, profileName: '-tm' } }, "'traffic.profileName'"],
    ['a missing profile name', { traffic: { resourceGroup: 'rg', relativeDnsName: 'x' } }, "'traffic.profileName'"],
    [
      'a 10 s interval with a 10 s timeout',
      { traffic: { ...traffic, monitor: { intervalInSeconds: 10, timeoutInSeconds: 10 } } },
      "'traffic.monitor.timeoutInSeconds': must be at most 9 when intervalInSeconds is 10",
    ],
    [
      'an interval of 20 s',
      { traffic: { ...traffic, monitor: { intervalInSeconds: 20 } } },
      "'traffic.monitor.intervalInSeconds'",
    ],
    [
      'a monitor path without a slash',
      { traffic: { ...traffic, monitor: { path: 'health' } } },
      "'traffic.monitor.path': must start with /",
    ],
    ['a TTL below 0', { traffic: { ...traffic, ttl: -1 } }, "'traffic.ttl'"],
  ])('rejects %s, naming the field', (_, body, expected) => {
    expect(() => parseMeshPolicy(body)).toThrow(ValidationError);
    expect(() => parseMeshPolicy(body)).toThrow(expected);
  });

  it('the ValidationError lists every problem in its details', () => {
    expect(() => parseMeshPolicy({ mode: 'x', debounceSeconds: 999 })).toThrow(
      expect.objectContaining({
        status: 400,
        details: [expect.stringContaining("'mode'"), expect.stringContaining("'debounceSeconds'")],
      }),
    );
  });

  it('input and output types line up: a parsed policy parses to itself', () => {
    const policy: MeshPolicy = parseMeshPolicy({
      mode: 'auto',
      traffic: { ...traffic, services: [{ service: 'a/b' }] },
    });
    const input: MeshPolicyInput = policy;
    expect(MeshPolicySchema.parse(input)).toEqual(policy);
  });
});

describe('decide', () => {
  const on = { mesh: 'on' };
  const addOnly = computeWhatIf({
    profileId: PROFILE_ID,
    desiredSelector: 'mesh=on',
    members: [member('a', { labels: on })],
  });
  const addAndRemove = computeWhatIf({
    profileId: PROFILE_ID,
    desiredSelector: 'mesh=on',
    members: [member('a', { labels: on }), member('b', { profileId: PROFILE_ID })],
  });
  const noChange = computeWhatIf({
    profileId: PROFILE_ID,
    desiredSelector: 'mesh=on',
    members: [
      member('a', { labels: on, profileId: PROFILE_ID }),
      member('c', { labels: on, profileId: OTHER_PROFILE_ID }),
    ],
  });
  const error: PreflightFinding = {
    checkId: 'cluster.acns',
    severity: 'error',
    member: 'a',
    message: 'ACNS is off',
    remediation: 'enable it',
  };
  const errorOnC: PreflightFinding = {
    checkId: 'membership.otherProfile',
    severity: 'error',
    member: 'c',
    message: 'c is in another profile',
    remediation: 'remove it there first',
  };
  const meshWide: PreflightFinding = {
    checkId: 'membership.limit',
    severity: 'error',
    message: '256 members',
    remediation: 'select at most 255',
  };
  const warning: PreflightFinding = {
    checkId: 'identity.networkRole',
    severity: 'warning',
    member: 'a',
    message: 'no role',
    remediation: 'fleetmesh grants it',
    fixableByFleetmesh: true,
  };
  const policy = (body: MeshPolicyInput) => parseMeshPolicy(body);

  it.each<[string, DecisionKind, WhatIfPlan, PreflightFinding[], MeshPolicyInput, boolean]>([
    ['no change', 'nothingToDo', noChange, [], { mode: 'auto' }, false],
    [
      'no change, with an error about a member already in the mesh',
      'nothingToDo',
      noChange,
      [error],
      { mode: 'auto' },
      false,
    ],
    ['no change, but an error keeps a member in Error out', 'blocked', noChange, [errorOnC], { mode: 'auto' }, false],
    ['no change, but a mesh-wide error (over 255 members)', 'blocked', noChange, [meshWide], { mode: 'auto' }, false],
    ['a preflight error', 'blocked', addOnly, [error, warning], { mode: 'auto' }, false],
    ['a preflight error, even when an operator asks', 'blocked', addOnly, [error], { mode: 'auto' }, true],
    ['approve (default)', 'awaitApproval', addOnly, [warning], {}, false],
    [
      'approve, even when removals are allowed',
      'awaitApproval',
      addAndRemove,
      [],
      { mode: 'approve', allowRemovals: true },
      false,
    ],
    ['manual', 'recordOnly', addOnly, [], { mode: 'manual' }, false],
    ['auto, adds only', 'applyNow', addOnly, [warning], { mode: 'auto' }, false],
    ['auto with a removal', 'awaitApproval', addAndRemove, [], { mode: 'auto' }, false],
    [
      'auto with a removal that policy allows',
      'applyNow',
      addAndRemove,
      [],
      { mode: 'auto', allowRemovals: true },
      false,
    ],
    ['manual, operator-requested', 'applyNow', addAndRemove, [], { mode: 'manual' }, true],
    ['approve, operator-requested', 'applyNow', addOnly, [], { mode: 'approve' }, true],
  ])('%s → %s', (_, kind, plan, findings, body, operatorRequested) => {
    expect(decide(plan, findings, policy(body), { operatorRequested }).kind).toBe(kind);
  });

  it('explains itself', () => {
    expect(decide(noChange, [], policy({})).reasons).toEqual([
      'the plan adds and removes no member',
      '1 member(s) are in error and cannot be added (see the plan)',
    ]);
    expect(decide(addOnly, [error, warning], policy({})).reasons).toEqual([
      'preflight found 1 error(s)',
      'cluster.acns (a): ACNS is off',
    ]);
    expect(decide(addAndRemove, [warning], policy({ mode: 'auto' }))).toEqual({
      kind: 'awaitApproval',
      approvalTimeoutHours: 24,
      reasons: [
        'the plan removes 1 member(s), and removals need approval unless the policy sets allowRemovals',
        'the plan adds 1 and removes 1 member(s)',
        '1 preflight warning(s), 1 of which fleetmesh fixes during the apply',
      ],
    });
    expect(decide(addOnly, [], policy({ mode: 'manual' })).reasons[0]).toBe(
      "policy mode is 'manual': an operator starts the apply",
    );
    expect(decide(addOnly, [], policy({ approvalTimeoutHours: 3 }))).toMatchObject({
      kind: 'awaitApproval',
      approvalTimeoutHours: 3,
    });
    expect(decide(addOnly, [], policy({ mode: 'auto' })).reasons).toEqual([
      "policy mode is 'auto'",
      'the plan adds 1 and removes 0 member(s)',
    ]);
  });

  it('a mesh-wide error has no member in its reason', () => {
    const limit: PreflightFinding = {
      checkId: 'membership.limit',
      severity: 'error',
      message: 'too many',
      remediation: 'r',
    };
    expect(decide(addOnly, [limit], policy({})).reasons).toEqual([
      'preflight found 1 error(s)',
      'membership.limit: too many',
    ]);
  });
});
