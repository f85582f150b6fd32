/**
 * The cluster mesh engine: what `POST .../clusterMeshProfiles/{name}/apply` does, as documented for the real service
 * (reference §1.4, §2, §4; Fleet troubleshooting guide). Timeline of one apply, in simulated time from t0:
 *
 * - t0: the profile goes `Applying`; newly selected members get `meshProperties` (a Cilium id 1..255, state
 *   `Connecting`); `Failed` members that are still selected go back to `Connecting`; members no longer selected go
 *   `Disconnecting`. `lastAppliedMemberSelector` is set. A member already in another profile is not taken.
 * - t0 + applyMs + connectMs (+ seeded jitter per member): each connecting member becomes `Connected` or `Failed`.
 *   A member fails when its cluster misses a prerequisite (Azure CNI, not overlay, Cilium dataplane, ACNS, Kubernetes
 *   1.32+, running), when its cluster's `clustermesh-apiserver` load balancer is pending on a 403 (the cluster identity
 *   lacks `Microsoft.Network/virtualNetworks/subnets/read` on its subnet), or when it cannot reach the other members
 *   (see netcheck.ts; the members with the most unreachable peers are the ones that fail).
 * - t0 + applyMs + disconnectMs: removed members lose `meshProperties`.
 * - at the end: the profile state is `NotConnected` (no members), `Connected`, `Failed` (all failed) or `Degraded`,
 *   and the operation ends `Succeeded`, or `Failed` with the member errors when any member failed or was skipped.
 *
 * The load balancer model: the first time a cluster joins, the simulator checks the identity's permission. When it is
 * missing, the load balancer stays pending: later applies keep failing even after the role is granted, until the
 * cluster is reconciled (managed cluster PUT), which re-checks the permission; the next apply then connects.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ArmErrorDetail } from '../../../shared/models/common.js';
import { AgentPoolProfileSchema, NetworkProfileSchema } from '../../../shared/models/cluster.js';
import type { SimContext } from '../context.js';
import { ArmError, badRequest } from '../http/errors.js';
import type { ArmRequest } from '../http/request.js';
import type { OperationRecord } from '../operations.js';
import { authorizationFailedMessage } from '../rbac/access.js';
import { key, newQuotedEtag, type ClusterRecord, type MemberRecord, type ProfileRecord } from '../world.js';
import { memberLabels, renderProfile } from './fleetRender.js';
import { pairProblems, subnetPrefixes, type MemberNetwork, type VnetPairCache } from './netcheck.js';
import { parseSelector, selects } from './selector.js';

export const MAX_MESH_MEMBERS = 255;
export const SUBNET_READ_ACTION = 'Microsoft.Network/virtualNetworks/subnets/read';

interface Problem {
  readonly code: string;
  readonly message: string;
}

/**
 * Starts an apply. Throws ArmError for a request the service refuses outright (400/409). `request` is the POST that
 * asked for it (its ARM event is emitted when the operation ends); `immediate` (scenario load) uses zero durations and
 * emits nothing.
 */
export function startApply(
  ctx: SimContext,
  profile: ProfileRecord,
  request: ArmRequest | undefined,
  options: { immediate?: boolean } = {},
): OperationRecord {
  const world = ctx.world;
  if (profile.applying) {
    throw new ArmError(
      409,
      'AnotherOperationInProgress',
      `Cluster mesh profile '${profile.name}' is being applied by operation '${profile.applying}'. Wait for it to finish, then retry.`,
    );
  }
  if (profile.deleting) {
    throw new ArmError(409, 'AnotherOperationInProgress', `Cluster mesh profile '${profile.name}' is being deleted.`);
  }
  const selector = parseSelector(profile.memberSelector?.byLabel ?? '');
  if (!selector.ok)
    throw badRequest(
      'InvalidParameter',
      `memberSelector.byLabel is invalid: ${selector.error}.`,
      'memberSelector.byLabel',
    );
  const profileKey = key(profile.id);
  const members = world.membersOf(profile.fleetKey).filter((m) => m.provisioningState !== 'Leaving');
  const selected = members.filter((m) => selects(selector.pairs, memberLabels(m, world)));
  const skipped = selected.filter((m) => m.mesh !== undefined && m.mesh.profileKey !== profileKey);
  const taking = selected.filter((m) => !skipped.includes(m));
  const leaving = members.filter((m) => m.mesh?.profileKey === profileKey && !taking.includes(m));
  if (taking.length > MAX_MESH_MEMBERS) {
    throw badRequest(
      'ClusterMeshMemberLimitExceeded',
      `The member selector '${profile.memberSelector?.byLabel ?? ''}' selects ${taking.length} members; a cluster mesh holds at most ${MAX_MESH_MEMBERS}.`,
      'memberSelector.byLabel',
    );
  }
  // Cilium ids: keep the ids of members already in the mesh; give new ones the id they had before if free, else the
  // lowest free id.
  const used = new Set<number>();
  for (const m of [...taking, ...leaving]) if (m.mesh?.profileKey === profileKey) used.add(m.mesh.ciliumId);
  const assign = new Map<MemberRecord, number>();
  for (const m of taking) {
    if (m.mesh?.profileKey === profileKey) continue;
    const previous = profile.ciliumIds.get(key(m.id));
    let id = previous !== undefined && !used.has(previous) ? previous : undefined;
    for (let candidate = 1; id === undefined && candidate <= MAX_MESH_MEMBERS; candidate++)
      if (!used.has(candidate)) id = candidate;
    if (id === undefined) {
      throw new ArmError(
        409,
        'ClusterMeshMemberLimitExceeded',
        `No free Cilium cluster id: members still disconnecting hold them. Wait until they are gone, then apply again.`,
      );
    }
    used.add(id);
    assign.set(m, id);
  }

  const opId = randomUUID();
  const now = ctx.clock.nowIso();
  const touch = (m: MemberRecord): void => {
    m.eTag = newQuotedEtag();
  };
  for (const m of taking) {
    const newId = assign.get(m);
    if (newId !== undefined) {
      profile.ciliumIds.set(key(m.id), newId);
      m.mesh = {
        profileKey,
        profileId: profile.id,
        ciliumId: newId,
        ciliumName: `${m.name}-${newId}`,
        state: 'Connecting',
        lastUpdatedAt: now,
        lastOperationId: opId,
        error: undefined,
      };
    } else if (m.mesh) {
      if (m.mesh.state !== 'Connected') {
        m.mesh.state = 'Connecting';
        m.mesh.lastUpdatedAt = now;
        m.mesh.error = undefined;
      }
      m.mesh.lastOperationId = opId;
    }
    touch(m);
  }
  for (const m of leaving) {
    if (!m.mesh) continue;
    m.mesh.state = 'Disconnecting';
    m.mesh.lastUpdatedAt = now;
    m.mesh.lastOperationId = opId;
    m.mesh.error = undefined;
    touch(m);
  }
  profile.state = 'Applying';
  profile.lastOperationId = opId;
  profile.lastOperationError = undefined;
  profile.lastAppliedMemberSelector = profile.memberSelector ? { ...profile.memberSelector } : undefined;
  profile.applying = opId;
  profile.eTag = newQuotedEtag();

  const timing = options.immediate ? { applyMs: 0, connectMs: 0, disconnectMs: 0, jitterMs: 0 } : ctx.settings.timing;
  const t0 = ctx.clock.now();
  const base = t0 + timing.applyMs + timing.connectMs;
  const batches = new Map<number, string[]>();
  for (const m of taking) {
    const jitter = m.mesh?.state === 'Connecting' && timing.jitterMs > 0 ? ctx.random.int(0, timing.jitterMs) : 0;
    const at = base + jitter;
    const list = batches.get(at) ?? [];
    list.push(key(m.id));
    batches.set(at, list);
  }
  const leaveAt = t0 + timing.applyMs + timing.disconnectMs;
  const end = Math.max(t0 + timing.applyMs, leaving.length > 0 ? leaveAt : 0, ...batches.keys());
  const fleet = world.fleets.get(profile.fleetKey);
  const op = ctx.operations.start({
    id: opId,
    namespace: 'Microsoft.ContainerService',
    location: fleet?.location ?? 'eastus',
    resourceId: profile.id,
    principalId: request?.principal.objectId ?? 'scenario',
    subscriptionId: world.subscriptionId,
    statusSegment: 'operationResults',
    expectedDurationMs: end - t0,
    result: () => ({ status: 200, body: renderProfile(profile) }),
    onComplete: (done) => {
      if (!request) return;
      ctx.emitFor(request, {
        kind: 'action',
        resourceUri: profile.id,
        operationName: 'Microsoft.ContainerService/fleets/clusterMeshProfiles/apply/action',
        succeeded: done.status === 'Succeeded',
        existed: true,
      });
    },
  });
  for (const at of [...batches.keys()].sort((a, b) => a - b)) {
    const keys = batches.get(at) ?? [];
    ctx.clock.scheduleAt(at, () => decide(ctx, profile, keys, opId));
  }
  if (leaving.length > 0) {
    const leavingKeys = leaving.map((m) => key(m.id));
    ctx.clock.scheduleAt(leaveAt, () => {
      for (const k of leavingKeys) {
        const m = world.members.get(k);
        if (m?.mesh?.profileKey === profileKey && m.mesh.state === 'Disconnecting' && m.mesh.lastOperationId === opId) {
          m.mesh = undefined;
          m.eTag = newQuotedEtag();
        }
      }
    });
  }
  ctx.clock.scheduleAt(end, () =>
    finish(
      ctx,
      profile,
      op,
      skipped.map((m) => key(m.id)),
    ),
  );
  return op;
}

/** Decides Connected or Failed for the members in `keys` (a batch due at the same instant). */
function decide(ctx: SimContext, profile: ProfileRecord, keys: readonly string[], opId: string): void {
  const world = ctx.world;
  const profileKey = key(profile.id);
  const population = world
    .membersOf(profile.fleetKey)
    .filter(
      (m) => m.mesh?.profileKey === profileKey && (m.mesh.state === 'Connecting' || m.mesh.state === 'Connected'),
    );
  const individual = new Map<MemberRecord, Problem[]>();
  const networks = new Map<MemberRecord, MemberNetwork>();
  const clusterProblems = new Map<string, Problem[]>();
  for (const m of population) {
    const clusterKey = key(m.clusterResourceId);
    let problems = clusterProblems.get(clusterKey);
    if (!problems) {
      problems = checkCluster(ctx, m);
      clusterProblems.set(clusterKey, problems);
    }
    individual.set(m, problems);
    const net = memberNetwork(ctx, m);
    if (net) networks.set(m, net);
  }
  const healthy = population.filter((m) => (individual.get(m) ?? []).length === 0 && networks.has(m));
  const networkProblems = unreachable(ctx, healthy, networks);
  const now = ctx.clock.nowIso();
  for (const k of keys) {
    const m = world.members.get(k);
    const mesh = m?.mesh;
    if (!m || !mesh || mesh.profileKey !== profileKey || mesh.lastOperationId !== opId) continue;
    if (mesh.state !== 'Connecting' && mesh.state !== 'Connected') continue;
    const problems = [...(individual.get(m) ?? []), ...(networkProblems.get(m) ?? [])];
    const next = problems.length === 0 ? 'Connected' : 'Failed';
    const error: ArmErrorDetail | undefined =
      problems.length === 0
        ? undefined
        : {
            code: problems[0]?.code ?? 'ClusterMeshConnectFailed',
            message: `Member '${m.name}' failed to connect to cluster mesh '${profile.name}': ${problems.map((p) => p.message).join('; ')}`,
          };
    if (mesh.state !== next || JSON.stringify(mesh.error) !== JSON.stringify(error)) {
      mesh.state = next;
      mesh.error = error;
      mesh.lastUpdatedAt = now;
      m.eTag = newQuotedEtag();
    }
  }
}

function finish(ctx: SimContext, profile: ProfileRecord, op: OperationRecord, skippedKeys: readonly string[]): void {
  const world = ctx.world;
  const profileKey = key(profile.id);
  if (profile.applying !== op.id) return;
  profile.applying = undefined;
  const inMesh = world.membersOf(profile.fleetKey).filter((m) => m.mesh?.profileKey === profileKey);
  const failed = inMesh.filter((m) => m.mesh?.state === 'Failed');
  const connected = inMesh.filter((m) => m.mesh?.state === 'Connected');
  profile.state =
    inMesh.length === 0
      ? 'NotConnected'
      : failed.length === 0 && connected.length === inMesh.length
        ? 'Connected'
        : connected.length === 0
          ? 'Failed'
          : 'Degraded';
  const details: ArmErrorDetail[] = [];
  for (const m of failed) {
    details.push({
      code: m.mesh?.error?.code ?? 'ClusterMeshConnectFailed',
      message: m.mesh?.error?.message ?? 'failed',
      target: m.id,
    });
  }
  for (const k of skippedKeys) {
    const m = world.members.get(k);
    if (!m) continue;
    const other = m.mesh?.profileId ?? 'another cluster mesh profile';
    details.push({
      code: 'MemberInAnotherClusterMesh',
      message: `Member '${m.name}' matches the selector but is already a member of cluster mesh profile '${other}': a member can be in only one mesh, so it was not taken.`,
      target: m.id,
    });
  }
  if (details.length > 0) {
    const error: ArmErrorDetail = {
      code: 'ClusterMeshApplyFailed',
      message: `Applying cluster mesh profile '${profile.name}' finished with ${failed.length} failed and ${details.length - failed.length} skipped member(s) out of ${inMesh.length + details.length - failed.length}: ${details
        .slice(0, 3)
        .map((d) => d.message ?? '')
        .join(' | ')}${details.length > 3 ? ` | and ${details.length - 3} more` : ''}`,
      details,
    };
    profile.lastOperationError = error;
    profile.eTag = newQuotedEtag();
    ctx.operations.complete(op, { status: 'Failed', error, errorHttpStatus: 400 });
  } else {
    profile.lastOperationError = undefined;
    profile.eTag = newQuotedEtag();
    ctx.operations.complete(op, { status: 'Succeeded' });
  }
}

const PoolList = z.array(z.unknown());

function clusterOf(ctx: SimContext, member: MemberRecord): ClusterRecord | undefined {
  return ctx.world.clusters.get(key(member.clusterResourceId));
}

/** Node subnet (of the first pool with one, system pools first) and pod subnet of a cluster. */
export function clusterSubnets(cluster: ClusterRecord): { node: string | undefined; pod: string | undefined } {
  const pools = PoolList.safeParse(cluster.properties['agentPoolProfiles']);
  const parsed = (pools.success ? pools.data : [])
    .map((p) => AgentPoolProfileSchema.safeParse(p))
    .filter((r) => r.success)
    .map((r) => r.data)
    .sort((a, b) => (a.mode === 'System' ? 0 : 1) - (b.mode === 'System' ? 0 : 1));
  const withSubnet = parsed.find((p) => p.vnetSubnetID !== undefined);
  return { node: withSubnet?.vnetSubnetID, pod: withSubnet?.podSubnetID };
}

function memberNetwork(ctx: SimContext, member: MemberRecord): MemberNetwork | undefined {
  const cluster = clusterOf(ctx, member);
  if (!cluster) return undefined;
  const { node, pod } = clusterSubnets(cluster);
  const nodeSubnet = node === undefined ? undefined : ctx.world.subnet(node);
  if (!nodeSubnet) return undefined;
  const podSubnet = pod === undefined ? undefined : ctx.world.subnet(pod);
  return {
    member: member.name,
    vnet: nodeSubnet.vnet,
    nodeSubnet: nodeSubnet.subnet,
    prefixes: [...subnetPrefixes(nodeSubnet.subnet), ...(podSubnet ? subnetPrefixes(podSubnet.subnet) : [])],
  };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The cluster prerequisites and the clustermesh-apiserver load balancer of a member. */
function checkCluster(ctx: SimContext, member: MemberRecord): Problem[] {
  const cluster = clusterOf(ctx, member);
  if (!cluster) {
    return [{ code: 'ClusterNotFound', message: `the member cluster '${member.clusterResourceId}' does not exist` }];
  }
  const problems: Problem[] = [];
  const prereq = (message: string): void => {
    problems.push({ code: 'ClusterMeshPrerequisitesNotMet', message });
  };
  const np = NetworkProfileSchema.safeParse(cluster.properties['networkProfile'] ?? {});
  const net = np.success ? np.data : {};
  if ((net.networkPlugin ?? 'kubenet').toLowerCase() !== 'azure') {
    prereq(
      `cluster '${cluster.name}' uses network plugin '${net.networkPlugin ?? 'kubenet'}'; cluster mesh needs Azure CNI (networkPlugin=azure)`,
    );
  }
  if ((net.networkPluginMode ?? '').toLowerCase() === 'overlay') {
    prereq(
      `cluster '${cluster.name}' uses Azure CNI Overlay (networkPluginMode=overlay); cluster mesh needs a flat network (Azure CNI with node subnet or pod subnet)`,
    );
  }
  if ((net.networkDataplane ?? 'azure').toLowerCase() !== 'cilium') {
    prereq(
      `cluster '${cluster.name}' uses network dataplane '${net.networkDataplane ?? 'azure'}'; cluster mesh needs the Cilium dataplane (networkDataplane=cilium)`,
    );
  }
  if (net.advancedNetworking?.enabled !== true) {
    prereq(
      `cluster '${cluster.name}' does not have Advanced Container Networking Services enabled (networkProfile.advancedNetworking.enabled=true)`,
    );
  }
  if (compareVersions(cluster.currentKubernetesVersion, '1.32.0') < 0) {
    prereq(
      `cluster '${cluster.name}' runs Kubernetes ${cluster.currentKubernetesVersion}; cluster mesh needs 1.32 or later`,
    );
  }
  if (cluster.powerState !== 'Running') prereq(`cluster '${cluster.name}' is stopped`);
  const { node } = clusterSubnets(cluster);
  if (node === undefined || !ctx.world.subnet(node)) {
    prereq(
      `cluster '${cluster.name}' has no node subnet in a known virtual network (agentPoolProfiles[].vnetSubnetID)`,
    );
  }
  if (problems.length > 0 || node === undefined) return problems;
  const lb = loadBalancer(ctx, cluster, node);
  return lb ? [lb] : [];
}

/** The first-join permission check of the clustermesh-apiserver load balancer (see the header comment). */
function loadBalancer(ctx: SimContext, cluster: ClusterRecord, nodeSubnetId: string): Problem | undefined {
  if (cluster.meshLoadBalancer === 'none') evaluateLoadBalancer(ctx, cluster, nodeSubnetId);
  if (cluster.meshLoadBalancer === 'ready') return undefined;
  return {
    code: cluster.meshLoadBalancerError?.code ?? 'ClusterMeshApiServerPending',
    message: cluster.meshLoadBalancerError?.message ?? 'the clustermesh-apiserver load balancer is pending',
  };
}

function evaluateLoadBalancer(ctx: SimContext, cluster: ClusterRecord, nodeSubnetId: string): void {
  const decision = ctx.checkAccess({
    principalId: cluster.identityPrincipalId,
    action: SUBNET_READ_ACTION,
    scope: nodeSubnetId,
  });
  if (decision.allowed) {
    cluster.meshLoadBalancer = 'ready';
    cluster.meshLoadBalancerError = undefined;
    return;
  }
  const vnetId = nodeSubnetId.replace(/\/subnets\/[^/]+$/i, '');
  cluster.meshLoadBalancer = 'pending';
  cluster.meshLoadBalancerError = {
    code: 'ClusterMeshApiServerPending',
    message:
      `the clustermesh-apiserver LoadBalancer service of cluster '${cluster.name}' is pending: creating its internal load balancer failed with ` +
      `403 AuthorizationFailed: ${authorizationFailedMessage(cluster.identityPrincipalId, cluster.identityPrincipalId, SUBNET_READ_ACTION, nodeSubnetId)} ` +
      `Grant the cluster identity Network Contributor on virtual network '${vnetId}', reconcile the cluster, then apply the cluster mesh profile again`,
  };
}

/** Called when a managed cluster PUT (reconcile) completes: a pending load balancer is retried. */
export function onClusterReconciled(ctx: SimContext, clusterKey: string): void {
  const cluster = ctx.world.clusters.get(clusterKey);
  if (cluster?.meshLoadBalancer !== 'pending') return;
  const { node } = clusterSubnets(cluster);
  if (node === undefined) return;
  evaluateLoadBalancer(ctx, cluster, node);
}

/**
 * Network problems of the members that cannot reach all the others: while broken pairs remain, the members with the
 * most broken pairs (ties all together) fail and leave the set.
 */
function unreachable(
  ctx: SimContext,
  members: readonly MemberRecord[],
  networks: ReadonlyMap<MemberRecord, MemberNetwork>,
): Map<MemberRecord, Problem[]> {
  const cache: VnetPairCache = new Map();
  const broken = new Map<MemberRecord, Map<MemberRecord, string[]>>();
  for (const m of members) broken.set(m, new Map());
  for (let i = 0; i < members.length; i++) {
    const a = members[i];
    const na = a ? networks.get(a) : undefined;
    if (!a || !na) continue;
    for (let j = i + 1; j < members.length; j++) {
      const b = members[j];
      const nb = b ? networks.get(b) : undefined;
      if (!b || !nb) continue;
      const problems = pairProblems(ctx.world, na, nb, cache);
      if (problems.length === 0) continue;
      broken.get(a)?.set(b, problems);
      broken.get(b)?.set(a, pairProblems(ctx.world, nb, na, cache));
    }
  }
  const result = new Map<MemberRecord, Problem[]>();
  const remaining = new Set(members);
  for (;;) {
    let max = 0;
    for (const m of remaining)
      max = Math.max(max, [...(broken.get(m)?.keys() ?? [])].filter((o) => remaining.has(o)).length);
    if (max === 0) break;
    const losers = [...remaining].filter(
      (m) => [...(broken.get(m)?.keys() ?? [])].filter((o) => remaining.has(o)).length === max,
    );
    for (const m of losers) {
      const messages = [...new Set([...(broken.get(m)?.values() ?? [])].flat())];
      const shown = messages.slice(0, 3).join('; ') + (messages.length > 3 ? `; and ${messages.length - 3} more` : '');
      result.set(m, [
        { code: 'ClusterMeshNetworkUnreachable', message: `it cannot reach ${max} other member(s): ${shown}` },
      ]);
    }
    for (const m of losers) remaining.delete(m);
  }
  return result;
}
