/**
 * What the benchmark reads from the simulator directly, in process (never over ARM, so measuring spends none of the
 * app's ARM budget): whether the mesh has converged, the per-operation ARM counters, and the simulator's own lower
 * bound on how fast a mesh can converge.
 */
import { normalizeResourceId } from '../../shared/arm/resourceId.js';
import { MAX_ENDPOINTS_PER_PROFILE, ownerPrefix } from '../../shared/domain/index.js';
import type { OperationCounters, RunningSimulator } from '../../local/simulator/index.js';
import type { Timing } from '../../local/simulator/index.js';

export interface MeshProgress {
  /** Members whose labels the profile's selector matches. */
  readonly selected: number;
  readonly connected: number;
  readonly failed: number;
  /** Enabled Traffic Manager endpoints fleetmesh owns for this mesh, one per routed member when synced. */
  readonly enabledEndpoints: number;
  /**
   * The endpoints the mesh should have: one per selected member, up to what Traffic Manager's 200 endpoints per
   * profile leave after the endpoints fleetmesh does not own.
   */
  readonly expectedEndpoints: number;
  /**
   * Every selected member Connected, `expectedEndpoints` enabled endpoints, and each targeting a different selected
   * member (none with two).
   */
  readonly converged: boolean;
}

export interface MeshTarget {
  readonly fleet: string;
  readonly profile: string;
  readonly trafficResourceGroup: string;
  readonly trafficProfile: string;
}

/** Reads the simulator's world: the members the selector picks, their mesh state, and the Traffic Manager endpoints. */
export function meshProgress(sim: RunningSimulator, target: MeshTarget): MeshProgress {
  const world = sim.control.world();
  const profile = [...world.profiles.values()].find(
    (p) => p.name === target.profile && p.fleetKey.toLowerCase().endsWith(`/fleets/${target.fleet.toLowerCase()}`),
  );
  const selector = parseSelector(profile?.memberSelector?.byLabel ?? '');
  const members = profile ? world.membersOf(profile.fleetKey).filter((m) => matches(selector, m.labels)) : [];
  const connectedMembers = members.filter(
    (m) =>
      m.mesh !== undefined &&
      profile !== undefined &&
      m.mesh.profileKey === normalizeResourceId(profile.id) &&
      m.mesh.state === 'Connected',
  );
  const failed = members.filter((m) => m.mesh?.state === 'Failed').length;
  const tm = [...world.trafficProfiles.values()].find(
    (p) =>
      p.name.toLowerCase() === target.trafficProfile.toLowerCase() &&
      p.resourceGroup.toLowerCase() === target.trafficResourceGroup.toLowerCase(),
  );
  const prefix = ownerPrefix(target.profile);
  const all = [...(tm?.endpoints.values() ?? [])];
  const foreign = all.filter((e) => !e.name.toLowerCase().startsWith(prefix)).length;
  const enabledTargets = new Map<string, number>();
  for (const e of all) {
    if (!e.name.toLowerCase().startsWith(prefix) || e.properties['endpointStatus'] !== 'Enabled') continue;
    const targetId = e.properties['targetResourceId'];
    if (typeof targetId !== 'string') continue;
    enabledTargets.set(targetId.toLowerCase(), (enabledTargets.get(targetId.toLowerCase()) ?? 0) + 1);
  }
  const enabledEndpoints = [...enabledTargets.values()].reduce((a, b) => a + b, 0);
  // Traffic Manager holds at most 200 endpoints per profile: beyond that, members are left unrouted (by design).
  const expectedEndpoints = Math.min(members.length, Math.max(0, MAX_ENDPOINTS_PER_PROFILE - foreign));
  // Enabled endpoints per connected member: each member's cluster has one demo/web public IP in its node group.
  const perMember = connectedMembers.map((m) => {
    const cluster = world.clusters.get(m.clusterResourceId.toLowerCase());
    if (!cluster) return Number.NaN;
    const group = `/resourcegroups/${cluster.nodeResourceGroup.toLowerCase()}/`;
    return [...enabledTargets.entries()].filter(([id]) => id.includes(group)).reduce((n, [, c]) => n + c, 0);
  });
  const routed = perMember.filter((n) => n === 1).length;
  return {
    selected: members.length,
    connected: connectedMembers.length,
    failed,
    enabledEndpoints,
    expectedEndpoints,
    converged:
      members.length > 0 &&
      connectedMembers.length === members.length &&
      perMember.every((n) => n === 0 || n === 1) &&
      routed === expectedEndpoints &&
      enabledEndpoints === expectedEndpoints,
  };
}

function parseSelector(text: string): [string, string][] {
  return text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const [k = '', v = ''] = p.split('=', 2);
      return [k.trim(), v.trim()];
    });
}

function matches(selector: readonly [string, string][], labels: Readonly<Record<string, string>>): boolean {
  return selector.length > 0 && selector.every(([k, v]) => labels[k] === v);
}

export interface ArmCounts {
  readonly reads: number;
  readonly writes: number;
  readonly throttled: number;
  readonly errors: number;
  /** Per ARM operation (`fleetMembers.list`, `clusterMeshProfiles.apply`, ...): reads and writes (PUT, PATCH, POST, DELETE). */
  readonly byOperation: Record<string, { reads: number; writes: number; throttled: number }>;
}

/** The simulator's counters, with deletes and actions counted as writes (as ARM's throttling does). */
export function armCounts(counters: Record<string, OperationCounters>): ArmCounts {
  const byOperation: ArmCounts['byOperation'] = {};
  let reads = 0;
  let writes = 0;
  let throttled = 0;
  let errors = 0;
  for (const [op, c] of Object.entries(counters)) {
    const w = c.writes + c.deletes + c.actions;
    byOperation[op] = { reads: c.reads, writes: w, throttled: c.throttled };
    reads += c.reads;
    writes += w;
    throttled += c.throttled;
    errors += c.errors;
  }
  return { reads, writes, throttled, errors, byOperation };
}

export interface LowerBound {
  /** Simulated seconds. */
  readonly seconds: number;
  readonly formula: string;
  /** What the bound adds up, in words: the issue's definition, or that plus the cluster reconcile of a role fix. */
  readonly definition: string;
}

/**
 * The issue's lower bound (issue 7): the apply plus the slowest member's connect (connectMs plus at most jitterMs), on
 * the simulator (docs/simulator.md, "Mesh behaviour"). ARM's throttling and every client-side cost are left out. This
 * is the bound the 1.25× target is evaluated against, on a fleet with no role missing.
 */
export function issueLowerBound(timing: Timing): LowerBound {
  return bound(timing, false);
}

/**
 * The fastest any client can converge a fleet on the simulator: the issue's bound when no role is missing; when a
 * cluster identity lacks Network Contributor, one cluster reconcile (all run in parallel) comes first, since that member
 * cannot connect before its cluster has picked the role up: apply + reconcile + connect, a different (larger) bound
 * than the issue's, reported under its own name.
 */
export function lowerBound(timing: Timing, roleFixes: number): LowerBound {
  return bound(timing, roleFixes > 0);
}

function bound(timing: Timing, reconcile: boolean): LowerBound {
  const parts: [string, number][] = [];
  if (reconcile) parts.push(['clusterReconcileMs', timing.clusterReconcileMs]);
  parts.push(['applyMs', timing.applyMs], ['connectMs', timing.connectMs]);
  if (timing.jitterMs > 0) parts.push(['jitterMs', timing.jitterMs]);
  const ms = parts.reduce((a, [, v]) => a + v, 0);
  return {
    seconds: ms / 1000,
    formula: parts.map(([k, v]) => `${k} ${v / 1000}s`).join(' + '),
    definition: reconcile
      ? 'cluster reconcile + apply + slowest connect (a missing role is granted and picked up first)'
      : "apply + slowest connect (the issue's definition)",
  };
}

/** The busiest ARM operations of a run (reads + writes), most first, then by name: the table `npm run bench` prints. */
export function topOperations(
  byOperation: ArmCounts['byOperation'],
  limit: number,
): { operation: string; reads: number; writes: number; throttled: number }[] {
  return Object.entries(byOperation)
    .map(([operation, c]) => ({ operation, ...c }))
    .sort((a, b) => b.reads + b.writes - (a.reads + a.writes) || a.operation.localeCompare(b.operation))
    .slice(0, limit);
}

export interface OperationSpan {
  readonly operation: string;
  readonly calls: number;
  /** Simulated seconds from the start of the measurement to the first and last call. */
  readonly first: number;
  readonly last: number;
}

/** When each ARM operation was called, from the simulator's call log: where the time went. */
export function timeline(sim: RunningSimulator, sinceSeq: number, startSimMs: number): OperationSpan[] {
  const spans = new Map<string, { calls: number; first: number; last: number }>();
  for (const c of sim.control.calls(sinceSeq)) {
    const t = (Date.parse(c.simTime) - startSimMs) / 1000;
    const s = spans.get(c.operation);
    if (!s) spans.set(c.operation, { calls: 1, first: t, last: t });
    else {
      s.calls += 1;
      s.first = Math.min(s.first, t);
      s.last = Math.max(s.last, t);
    }
  }
  return [...spans.entries()]
    .map(([operation, s]) => ({
      operation,
      calls: s.calls,
      first: Math.round(s.first * 10) / 10,
      last: Math.round(s.last * 10) / 10,
    }))
    .sort((a, b) => a.first - b.first);
}
