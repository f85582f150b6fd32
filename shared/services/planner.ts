/**
 * The plan of a mesh profile: read the fleet, the profile and the policy, gather the preflight snapshot, and compute
 * with `shared/domain` the what-if plan, the findings, the fixes fleetmesh makes itself, and optionally the Traffic
 * Manager changes. Read-only: the plan route calls it directly, the `planMesh` activity wraps it.
 */
import pLimit from 'p-limit';
import { clusterMeshProfileId, normalizeResourceId } from '../arm/resourceId.js';
import { describeAzureError } from '../azure/errors.js';
import type { Gateways } from '../azure/gateways.js';
import {
  addToSnapshot,
  canonicalSelector,
  computeWhatIf,
  DEFAULT_MESH_POLICY,
  emptySnapshot,
  isRequestEmpty,
  membersForPreflight,
  planHasChanges,
  parseMeshPolicy,
  requiredResources,
  runPreflight,
  type FetchedResources,
  type MeshPolicy,
  type PreflightFinding,
  type PreflightSnapshot,
  type ReadFailure,
  type ResourceRequest,
  type WhatIfPlan,
  type WhatIfRow,
} from '../domain/index.js';
import { clusterPrincipalId, type FleetMember, type RoleAssignment } from '../models/index.js';
import type { StateStore } from '../state/store.js';
import type { ClusterFacts } from './clusterFacts.js';
import type { MeshPlanResult, NetworkRoleFix, PlanRequest } from '../../orchestrations/contracts.js';
import { PlanRequestSchema } from '../../orchestrations/contracts.js';
import { planTraffic } from './traffic.js';

export interface FleetCoordinates {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly fleetName: string;
}

export interface PlannerDeps {
  readonly gateways: Gateways;
  readonly store: StateStore;
  readonly fleet: FleetCoordinates;
  readonly now: () => Date;
  /** Parallel ARM reads while gathering (keeps a 255-member snapshot quick without a burst of hundreds of calls). */
  readonly readConcurrency?: number;
  /** Where what the clusters read here shows for good (their node resource groups) is remembered for later syncs. */
  readonly clusterFacts?: ClusterFacts;
}

/** The policy stored for a profile, or the default one. A stored policy that no longer parses is an error. */
export async function loadPolicy(store: StateStore, profile: string): Promise<MeshPolicy> {
  const stored = await store.getPolicy(profile);
  return stored ? parseMeshPolicy(stored.value.policy) : DEFAULT_MESH_POLICY;
}

export async function computeMeshPlan(deps: PlannerDeps, request: PlanRequest): Promise<MeshPlanResult> {
  const { profile: name, memberSelector, includeTraffic, preflight: when } = PlanRequestSchema.parse(request);
  const { subscriptionId, resourceGroup, fleetName } = deps.fleet;
  const [profile, members, policy] = await Promise.all([
    deps.gateways.fleet.getMeshProfile(name),
    deps.gateways.fleet.listMembers(),
    loadPolicy(deps.store, name),
  ]);
  const profileId = profile?.id ?? clusterMeshProfileId(subscriptionId, resourceGroup, fleetName, name);
  const currentSelector = profile?.properties.memberSelector?.byLabel ?? null;
  const plan = computeWhatIf({ profileId, desiredSelector: memberSelector ?? currentSelector ?? '', members });

  const idle = !planHasChanges(plan) && !plan.rows.some((r) => r.action === 'None' && r.meshState === 'Failed');
  const skipPreflight = when === 'whenChanging' && idle && profile !== undefined;
  const snapshot = skipPreflight
    ? emptySnapshot(profileId, [])
    : await gatherSnapshot(deps, emptySnapshot(profileId, membersForPreflight(plan, members)));
  const preflight = skipPreflight ? { findings: [], blocked: false } : runPreflight(snapshot);
  const traffic =
    includeTraffic && policy.traffic
      ? await planTraffic(
          { gateways: deps.gateways, ...(deps.clusterFacts ? { clusterFacts: deps.clusterFacts } : {}) },
          { profileId, traffic: policy.traffic, members },
        )
      : null;

  return {
    profile: name,
    profileId,
    profileExists: profile !== undefined,
    profileETag: profile?.eTag ?? null,
    profileState: profile?.properties.status?.state ?? null,
    currentSelector,
    lastAppliedSelector: profile?.properties.status?.lastAppliedMemberSelector?.byLabel ?? null,
    desiredSelector: plan.desiredSelector,
    selectorChanges: profile === undefined || canonicalOrNull(currentSelector) !== plan.desiredSelector,
    plan,
    findings: preflight.findings,
    preflightRan: !skipPreflight,
    blocked: preflight.blocked,
    fixes: fixesFor(preflight.findings, snapshot),
    policy,
    traffic,
    computedAt: deps.now().toISOString(),
  };
}

/**
 * The plan as the plan route shows it: the what-if rows (as the CLI computes them) with preflight's verdict folded in.
 * A member the plan would add (`Add`) that a blocking finding (severity `error`) names, as `member` or `peerMember`,
 * shows `Error`, its `errorMessage` naming each such finding with its remediation; the summary counts the rows as
 * shown. The plan id is the what-if plan's, unchanged: it is what an apply pins. Decisions and the apply keep using
 * the what-if plan itself (`MeshPlanResult.plan`), where those members are still to be added, so a blocked plan
 * stays `blocked` (by preflight) and never reads as `nothingToDo`.
 */
export function planWithPreflight(plan: WhatIfPlan, findings: readonly PreflightFinding[]): WhatIfPlan {
  const blocking = findings.filter((f) => f.severity === 'error');
  if (blocking.length === 0) return plan;
  const rows = plan.rows.map((row): WhatIfRow => {
    if (row.action !== 'Add') return row;
    const named = blocking.filter((f) => f.member === row.name || f.peerMember === row.name);
    if (named.length === 0) return row;
    const reasons = named.map((f) => `${f.checkId}: ${f.message}. Remediation: ${f.remediation}`);
    return { ...row, action: 'Error', errorMessage: `preflight blocks adding '${row.name}': ${reasons.join(' | ')}` };
  });
  const count = (action: WhatIfRow['action']): number => rows.filter((r) => r.action === action).length;
  return {
    ...plan,
    rows,
    summary: {
      add: count('Add'),
      remove: count('Remove'),
      none: count('None'),
      error: count('Error'),
      membersAfterApply: count('None') + count('Add'),
    },
  };
}

function canonicalOrNull(selector: string | null): string | null {
  if (selector === null) return '';
  try {
    return canonicalSelector(selector);
  } catch {
    // A selector the service holds but we cannot parse never equals a valid desired one.
    return null;
  }
}

/** The role grants fleetmesh makes before applying: one per member identity and VNet lacking subnet join. */
function fixesFor(findings: readonly PreflightFinding[], snapshot: PreflightSnapshot): NetworkRoleFix[] {
  const byName = new Map<string, FleetMember>(snapshot.members.map((m) => [m.name, m]));
  const fixes: NetworkRoleFix[] = [];
  for (const f of findings) {
    if (f.checkId !== 'identity.networkRole' || f.fixableByFleetmesh !== true || !f.member || !f.resourceId) continue;
    const member = byName.get(f.member);
    if (!member) continue;
    const cluster = snapshot.clusters[normalizeResourceId(member.properties.clusterResourceId)];
    const principalId = cluster ? clusterPrincipalId(cluster) : undefined;
    if (!principalId) continue;
    fixes.push({
      member: member.name,
      clusterResourceId: member.properties.clusterResourceId,
      principalId,
      scope: f.resourceId,
    });
  }
  return fixes;
}

/** Reads what preflight needs, round by round (see shared/domain/preflight/snapshot.ts). */
export async function gatherSnapshot(deps: PlannerDeps, start: PreflightSnapshot): Promise<PreflightSnapshot> {
  let snapshot = start;
  for (let request = requiredResources(snapshot); !isRequestEmpty(request); request = requiredResources(snapshot)) {
    snapshot = addToSnapshot(snapshot, await fetchRound(deps, request));
  }
  return snapshot;
}

async function fetchRound(deps: PlannerDeps, request: ResourceRequest): Promise<FetchedResources> {
  const limit = pLimit(deps.readConcurrency ?? 16);
  const { clusters, network, authorization } = deps.gateways;
  const failures: ReadFailure[] = [];
  const read = <T>(kind: ReadFailure['kind'], id: string, fn: () => Promise<T>): Promise<T | undefined> =>
    limit(async () => {
      try {
        return await fn();
      } catch (e) {
        failures.push({ kind, id, reason: describeAzureError(e) });
        return undefined;
      }
    });
  const defined = <T>(items: (T | undefined)[]): T[] => items.filter((i): i is T => i !== undefined);

  // Many cluster identities usually share a VNet (one per region): list such a scope once for every principal and
  // keep each principal's share, instead of one filtered list per principal (255 members, 4 VNets: 4 lists, not 255).
  const principalsPerScope = new Map<string, number>();
  for (const { scopes } of request.roleAssignments) {
    for (const scope of new Set(scopes.map(normalizeResourceId))) {
      principalsPerScope.set(scope, (principalsPerScope.get(scope) ?? 0) + 1);
    }
  }
  const scopeLists = new Map<string, Promise<RoleAssignment[]>>();
  const assignmentsOf = async (principalId: string, scope: string): Promise<RoleAssignment[]> => {
    const key = normalizeResourceId(scope);
    if ((principalsPerScope.get(key) ?? 0) < 2)
      return authorization.listRoleAssignmentsForPrincipal(scope, principalId);
    let list = scopeLists.get(key);
    if (!list) {
      list = authorization.listRoleAssignmentsForScope(scope);
      scopeLists.set(key, list);
    }
    const wanted = principalId.toLowerCase();
    return (await list).filter((a) => a.principalId.toLowerCase() === wanted);
  };

  const [clusterList, vnets, nsgs, routeTables, definitions, assignmentLists] = await Promise.all([
    Promise.all(
      request.clusters.map((id) =>
        read('cluster', id, async () => {
          const cluster = await clusters.getCluster(id);
          deps.clusterFacts?.remember(cluster);
          return cluster;
        }),
      ),
    ),
    Promise.all(request.virtualNetworks.map((id) => read('virtualNetwork', id, () => network.getVirtualNetwork(id)))),
    Promise.all(
      request.networkSecurityGroups.map((id) =>
        read('networkSecurityGroup', id, () => network.getNetworkSecurityGroup(id)),
      ),
    ),
    Promise.all(request.routeTables.map((id) => read('routeTable', id, () => network.getRouteTable(id)))),
    Promise.all(
      request.roleDefinitions.map((id) => read('roleDefinition', id, () => authorization.getRoleDefinition(id))),
    ),
    Promise.all(
      request.roleAssignments.map(({ principalId, scopes }) =>
        read('roleAssignments', principalId, async () => {
          const lists = await Promise.all(scopes.map((scope) => assignmentsOf(principalId, scope)));
          return { principalId, assignments: lists.flat() };
        }),
      ),
    ),
  ]);
  const roleAssignments: Record<string, RoleAssignment[]> = {};
  for (const entry of defined(assignmentLists)) roleAssignments[entry.principalId] = entry.assignments;
  return {
    clusters: defined(clusterList),
    virtualNetworks: defined(vnets),
    networkSecurityGroups: defined(nsgs),
    routeTables: defined(routeTables),
    roleDefinitions: defined(definitions),
    roleAssignments,
    readFailures: failures,
  };
}
