/**
 * diagnoseMember: why a member failed to connect, from what ARM says about it (its own error, its cluster, the VNets
 * its subnets sit in, its identity's role assignments there). The cause decides what memberConverge does, so each
 * cause is pinned here with the evidence that goes into the operation record.
 */
import { describe, expect, it } from 'vitest';
import { BuiltInRoles, normalizeResourceId } from '../../../../shared/arm/resourceId.js';
import { AzureApiError } from '../../../../shared/azure/errors.js';
import type { Gateways } from '../../../../shared/azure/gateways.js';
import type { FleetMember, RoleAssignment } from '../../../../shared/models/index.js';
import type { StateStore } from '../../../../shared/state/store.js';
import { diagnoseMember, vnetNames } from '../../../../shared/services/diagnosis.js';
import type { PlannerDeps } from '../../../../shared/services/planner.js';
import type { Diagnosis } from '../../../../orchestrations/contracts.js';
import {
  clusterIdOf,
  eastWest,
  MeshBuilder,
  PROFILE_ID,
  principalOf,
  roleAssignment,
  SUB,
  vnetIdOf,
  type ClusterOptions,
} from '../domain/fixtures.js';

const WEST_VNET = vnetIdOf('vnet-west');
const AUTHORIZATION_FAILED = {
  code: 'ClusterMeshApiServerPending',
  message:
    "the clustermesh-apiserver LoadBalancer service of cluster 'aks-west' is pending: 403 AuthorizationFailed: " +
    "the client does not have authorization to perform action 'Microsoft.Network/virtualNetworks/subnets/read'",
};

interface Case {
  readonly name: string;
  /** West's cluster settings (west is the member diagnosed). */
  readonly cluster?: ClusterOptions;
  /** Give west's identity Network Contributor on its VNet (default true). */
  readonly networkContributor?: boolean;
  /** Extra assignments of west's identity. */
  readonly assignments?: (principal: string) => RoleAssignment[];
  /** The member's own mesh error (undefined: the member reports none). */
  readonly memberError?: { code?: string; message?: string };
  /** Reads that fail, by resource id. */
  readonly failingReads?: readonly string[];
  /** Role assignment lists fail. */
  readonly failingRoleReads?: boolean;
  readonly expected: {
    readonly cause: Diagnosis['cause'];
    readonly principalId: string | null;
    readonly vnets: string;
    /** Substrings the evidence must contain, in order of appearance. */
    readonly evidence: readonly string[];
    /** Substrings the evidence must not contain. */
    readonly notEvidence?: readonly string[];
  };
}

const west = principalOf('west');

const cases: Case[] = [
  {
    name: 'Network Contributor missing on the VNet, 403 reported: networkRoleMissing, the VNet to grant it on',
    networkContributor: false,
    memberError: AUTHORIZATION_FAILED,
    expected: {
      cause: 'networkRoleMissing',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['member error ClusterMeshApiServerPending: ', 'warning identity.networkRole: '],
    },
  },
  {
    name: 'Network Contributor missing, the member reporting nothing yet: still networkRoleMissing (ARM shows it)',
    networkContributor: false,
    expected: {
      cause: 'networkRoleMissing',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['identity.networkRole'],
      notEvidence: ['member error', 'reports no error detail'],
    },
  },
  {
    name: 'role present but the 403 persists: authorizationPending (the cluster never picked the role up)',
    memberError: AUTHORIZATION_FAILED,
    expected: {
      cause: 'authorizationPending',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['member error ClusterMeshApiServerPending: '],
      notEvidence: ['identity.networkRole'],
    },
  },
  {
    name: 'role present through a broader scope (Contributor on the resource group) and the 403: authorizationPending',
    networkContributor: false,
    assignments: (p) => [roleAssignment(p, `/subscriptions/${SUB}/resourceGroups/rg-net`, BuiltInRoles.contributor)],
    memberError: { code: 'AuthorizationFailed', message: 'does not have authorization' },
    expected: {
      cause: 'authorizationPending',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['AuthorizationFailed'],
    },
  },
  {
    name: 'overlay cluster: prerequisite, reported with the finding, never authorization',
    cluster: { networkPluginMode: 'overlay' },
    memberError: { code: 'ClusterMeshPrerequisitesNotMet', message: 'uses Azure CNI Overlay' },
    expected: {
      cause: 'prerequisite',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['member error ClusterMeshPrerequisitesNotMet: uses Azure CNI Overlay', 'error '],
    },
  },
  {
    name: 'Kubernetes too old and the role missing: the role is what fleetmesh can fix, so networkRoleMissing first',
    cluster: { version: '1.30.2' },
    networkContributor: false,
    expected: {
      cause: 'networkRoleMissing',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['identity.networkRole'],
    },
  },
  {
    name: 'Kubernetes too old, role present: prerequisite',
    cluster: { version: '1.30.2' },
    memberError: { code: 'ClusterMeshPrerequisitesNotMet', message: 'runs Kubernetes 1.30.2' },
    expected: { cause: 'prerequisite', principalId: west, vnets: 'vnet-west', evidence: ['runs Kubernetes 1.30.2'] },
  },
  {
    name: 'a failure preflight cannot explain (peers unreachable): unknown, with the member error as evidence',
    memberError: { code: 'ClusterMeshConnectivityFailed', message: 'cannot reach member-east' },
    expected: {
      cause: 'unknown',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['member error ClusterMeshConnectivityFailed: cannot reach member-east'],
    },
  },
  {
    name: 'nothing wrong anywhere and no member error: unknown, and the evidence says so',
    expected: {
      cause: 'unknown',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ["member 'west' reports no error detail"],
    },
  },
  {
    name: 'a member error without a code still counts as evidence',
    memberError: { message: 'something odd' },
    expected: {
      cause: 'unknown',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['member error (no code): something odd'],
    },
  },
  {
    name: 'no managed identity: nothing to grant the role to, so never networkRoleMissing',
    cluster: { principalId: null },
    networkContributor: false,
    memberError: AUTHORIZATION_FAILED,
    expected: { cause: 'unknown', principalId: null, vnets: 'vnet-west', evidence: ['member error'] },
  },
  {
    name: 'the VNet cannot be read: a blocking finding, so reported (prerequisite) with the read failure, not retried',
    failingReads: [WEST_VNET],
    memberError: AUTHORIZATION_FAILED,
    expected: {
      cause: 'prerequisite',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['member error', 'error network.unreadable: ', `could not read virtualNetwork ${WEST_VNET}`],
      notEvidence: ['identity.networkRole'],
    },
  },
  {
    name: "the identity's role assignments cannot be read, 403 reported: networkRoleMissing (the grant is idempotent)",
    failingRoleReads: true,
    memberError: AUTHORIZATION_FAILED,
    expected: {
      cause: 'networkRoleMissing',
      principalId: west,
      vnets: 'vnet-west',
      evidence: ['member error', 'identity.networkRole', 'could not read roleAssignments'],
    },
  },
];

describe('diagnoseMember', () => {
  it.each(cases)('$name', async (c) => {
    const d = await diagnoseMember(depsFor(c), 'west', PROFILE_ID);
    expect(d.member).toBe('west');
    expect(d.clusterResourceId).toBe(clusterIdOf('west'));
    expect(d.cause).toBe(c.expected.cause);
    expect(d.principalId).toBe(c.expected.principalId);
    expect(vnetNames(d)).toBe(c.expected.vnets);
    const text = d.evidence.join('\n');
    let from = 0;
    for (const part of c.expected.evidence) {
      const at = text.indexOf(part, from);
      expect(at, `evidence should contain '${part}' (in order): ${text}`).toBeGreaterThanOrEqual(0);
      from = at + part.length;
    }
    for (const part of c.expected.notEvidence ?? []) expect(text).not.toContain(part);
  });

  it('looks only at the failed member: a broken peer elsewhere is not its evidence', async () => {
    const builder = eastWest().cluster({
      name: 'south',
      vnet: 'vnet-west',
      nodeSubnet: 'nodes',
      cluster: { networkPluginMode: 'overlay' },
    });
    const d = await diagnoseMember(gatewaysOver(builder, {}, []), 'west', PROFILE_ID);
    expect(d.cause).toBe('unknown');
    expect(d.evidence.join('\n')).not.toContain('south');
  });
});

function depsFor(c: Case): PlannerDeps {
  const builder = new MeshBuilder()
    .vnet(
      'vnet-west',
      ['10.2.0.0/16'],
      [
        { name: 'nodes', prefix: '10.2.0.0/24' },
        { name: 'pods', prefix: '10.2.64.0/18' },
      ],
    )
    .cluster({
      name: 'west',
      vnet: 'vnet-west',
      nodeSubnet: 'nodes',
      podSubnet: 'pods',
      ...(c.cluster ? { cluster: c.cluster } : {}),
      ...(c.networkContributor === false ? { networkContributor: false } : {}),
    });
  for (const a of c.assignments?.(west) ?? []) builder.assignment(a);
  return gatewaysOver(builder, { west: c.memberError }, c.failingReads ?? [], c.failingRoleReads ?? false);
}

/** Read-only gateways answering from a fixture snapshot; writes are not expected and fail the test. */
function gatewaysOver(
  builder: MeshBuilder,
  memberErrors: Readonly<Record<string, { code?: string; message?: string } | undefined>>,
  failingReads: readonly string[],
  failingRoleReads = false,
): PlannerDeps {
  const snapshot = builder.snapshot();
  const failing = new Set(failingReads.map(normalizeResourceId));
  const lookup = <T>(kind: string, map: Readonly<Record<string, T>>, id: string): Promise<T> => {
    const key = normalizeResourceId(id);
    const found = map[key];
    if (failing.has(key) || found === undefined) {
      return Promise.reject(
        new AzureApiError({
          statusCode: failing.has(key) ? 500 : 404,
          armCode: failing.has(key) ? 'InternalServerError' : 'ResourceNotFound',
          message: `${kind} ${id}: ${failing.has(key) ? 'injected failure' : 'not found'}`,
          operation: `${kind}.get`,
        }),
      );
    }
    return Promise.resolve(found);
  };
  const members = new Map<string, FleetMember>(
    builder.members().map((m) => {
      const error = memberErrors[m.name];
      const mesh = m.properties.meshProperties;
      return [
        m.name,
        {
          ...m,
          properties: {
            ...m.properties,
            ...(mesh ? { meshProperties: { ...mesh, status: { state: 'Failed', ...(error ? { error } : {}) } } } : {}),
          },
        },
      ];
    }),
  );
  const assignmentsAt = (scope: string, principalId: string | undefined): Promise<RoleAssignment[]> => {
    if (failingRoleReads) {
      return Promise.reject(
        new AzureApiError({ statusCode: 503, armCode: 'ServiceUnavailable', message: 'injected', operation: 'list' }),
      );
    }
    const at = normalizeResourceId(scope);
    const list = Object.entries(snapshot.roleAssignments)
      .filter(([p]) => principalId === undefined || p === principalId.toLowerCase())
      .flatMap(([, list]) => list)
      .filter((a) => {
        const s = normalizeResourceId(a.scope ?? a.id.replace(/\/providers\/Microsoft\.Authorization\/.*$/i, ''));
        return at === s || at.startsWith(`${s}/`) || s === '/' || s.startsWith(`${at}/`);
      });
    return Promise.resolve(list);
  };
  const unexpected = (what: string) => (): never => {
    throw new Error(`diagnosis must not call ${what}`);
  };
  const gateways = {
    fleet: {
      fleetId: '/fleet',
      getMember: (name: string) => {
        const m = members.get(name);
        return m ? Promise.resolve(m) : Promise.reject(new Error(`no member ${name}`));
      },
      listMembers: unexpected('fleet.listMembers'),
    },
    clusters: {
      getCluster: (id: string) => lookup('managedClusters', snapshot.clusters, id),
      beginReconcile: unexpected('clusters.beginReconcile'),
    },
    network: {
      getVirtualNetwork: (id: string) => lookup('virtualNetworks', snapshot.virtualNetworks, id),
      getNetworkSecurityGroup: (id: string) => lookup('networkSecurityGroups', snapshot.networkSecurityGroups, id),
      getRouteTable: (id: string) => lookup('routeTables', snapshot.routeTables, id),
    },
    authorization: {
      listRoleAssignmentsForPrincipal: (scope: string, principalId: string) => assignmentsAt(scope, principalId),
      listRoleAssignmentsForScope: (scope: string) => assignmentsAt(scope, undefined),
      getRoleDefinition: (id: string) =>
        lookup('roleDefinitions', snapshot.roleDefinitions, id.split('/').at(-1) ?? id),
      createRoleAssignment: unexpected('authorization.createRoleAssignment'),
    },
  } as unknown as Gateways;
  return {
    gateways,
    store: {} as StateStore,
    fleet: { subscriptionId: SUB, resourceGroup: 'rg-fleet', fleetName: 'fleet' },
    now: () => new Date('2026-01-01T00:00:00.000Z'),
  };
}
