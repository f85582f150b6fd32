/**
 * The Traffic Manager plan of a mesh: the endpoints fleetmesh wants in the Traffic Manager profile, diffed against the
 * endpoints it has (after fleet-networking's TrafficManagerBackend, reference fleet-networking-facts §2, §3).
 *
 * **Backends.** For each configured service (`namespace/name`, backend weight B) and each member in this mesh
 * (`meshProperties.clusterMeshProfileResourceId` is the profile), the backend is the public IP in the member
 * cluster's node resource group whose tag `k8s-azure-service` (AKS's cloud provider; the value may list several
 * `namespace/name`s separated by commas) names the service. If several match, one with a DNS label wins, then IPv4,
 * then the lowest id. The member is *not eligible* for that service, with a reason, when its weight is 0, when the
 * public IPs of its node resource group were not read, when no public IP is tagged for the service, or when that IP
 * has no DNS label (Traffic Manager Azure endpoints need one).
 *
 * **Weights.** A member's weight w is `memberWeights[member]` from the policy, else the member label
 * `fleetmesh.io/traffic-weight` (an integer 0–1000), else 1; 0 excludes the member. An endpoint's weight is
 * `ceil(B × w / Σw)` over the members eligible for the service (so 500 with 100/200 gives 167/334), always within
 * 1..B. Eligibility does not depend on the mesh state, so a member going in and out of `Connected` toggles its
 * endpoint's status without reweighting the others. A member whose label is not a valid weight is *held*: its
 * existing endpoints are left exactly as they are (as fleet-networking keeps an export whose weight annotation is
 * invalid, so traffic is not interrupted), it is reported as not eligible, and it does not count in Σw.
 *
 * **Endpoints.** Type `AzureEndpoints`, name `fleetmesh#<profile>#<namespace>#<service>#<member>` (at most
 * 9 + 63 + 63 + 63 + 50 + 4 = 252 characters, under Traffic Manager's 260), `targetResourceId` the public IP id,
 * status `Enabled` only when the member's mesh state is `Connected`. Only endpoints whose name starts with
 * `fleetmesh#<profile>#` are owned; nothing else in the profile is ever touched. Names and target ids are compared
 * case-insensitively.
 *
 * **Diff.** Per owned name: missing → `create`; target or weight differs → `update` (a PUT that also sets the status);
 * only the status differs → `enable`/`disable`; equal → `none`; owned but not wanted → `delete`.
 *
 * **Endpoint limit.** A Traffic Manager profile holds at most 200 endpoints of all types (Azure subscription limits).
 * The plan never asks for more: the room is 200 less the endpoints fleetmesh does not own and the held endpoints it
 * keeps. Eligible backends that already have an endpoint come first (a working endpoint is never deleted to make room),
 * then the others by member name and service; those that do not fit are *not routed*: reported in `notRouted`, given
 * no endpoint, and left out of Σw (weights are over the routed members). The limit holds at every moment of the
 * write order below, not only at the end: deletes free room only once written, and an anchor (below) holds its slot
 * until phase 3. Should the never-go-dark rule keep endpoints, or anchors hold slots that no create can wait for,
 * that take room, as many new endpoints are given up.
 *
 * **Never go dark.** For each configured service that has at least one enabled owned endpoint now, if the plan would
 * leave it none enabled (no eligible member is `Connected`), every endpoint enabled now stays enabled: its disable
 * becomes `none` (or its update keeps `Enabled`) and its delete becomes `none`. The same holds when the only endpoint
 * that would be enabled replaces the service's only enabled endpoint by one of another type under the same name (the
 * old one must be gone first): the replacement waits until another endpoint of the service is enabled. Endpoints of
 * a service that is no longer configured are deleted: removing the service from the policy is the operator's decision.
 *
 * **Write order.** The rule holds at every moment of carrying a plan out, not only at its end. Each write (every
 * action but `none`) has a `phase`; the phases are written in order, the writes of one phase in any order or in
 * parallel, and once a write of a service fails, no later-phase write of that service is made:
 *   1. deletes that leave every configured service that has an enabled endpoint with one: they free room first;
 *   2. creates, updates, enables, and disables other than the anchor's;
 *   3. the *anchor*'s delete or disable: when every endpoint of a service enabled now is to be deleted or disabled
 *      (so the service is lit afterwards only by endpoints that are enabled by this plan), one of them, the anchor,
 *      stays enabled until the service's phase-2 writes have all succeeded; a disable is chosen first (it holds no
 *      room), then a delete not replaced by an enabled endpoint of the same name, then by name;
 *   4. the create that replaces the anchor by an endpoint of another type under the same name, and the creates that
 *      need the room the anchors' deletes free (the last by member and service, never the one that lights a service
 *      before its anchor goes).
 */
import { normalizeResourceId, sameResourceId, tryParseResourceId } from '../arm/resourceId.js';
import {
  AksServiceTag,
  type EndpointStatus,
  type EndpointType,
  type FleetMember,
  type PublicIPAddress,
  type TrafficManagerEndpoint,
} from '../models/index.js';
import { compareKeys, compareText } from './order.js';
import type { TrafficService } from './policy.js';
import { isAppliedTo } from './whatIf.js';

export const ENDPOINT_OWNER = 'fleetmesh';
/** Member label holding the member's traffic weight (0–1000), when the policy does not set one. */
export const MEMBER_WEIGHT_LABEL = 'fleetmesh.io/traffic-weight';
export const DEFAULT_MEMBER_WEIGHT = 1;
export const MAX_ENDPOINT_NAME_LENGTH = 260;
/** Azure's limit on endpoints (of all types) in one Traffic Manager profile. */
export const MAX_ENDPOINTS_PER_PROFILE = 200;
export const ENDPOINT_LIMIT_REASON = `Traffic Manager allows ${MAX_ENDPOINTS_PER_PROFILE} endpoints per profile`;

export interface TrafficPlanInput {
  /** The cluster mesh profile's ARM id (its name goes into endpoint names). */
  readonly profileId: string;
  readonly services: readonly TrafficService[];
  /** Member name → weight (0–1000); overrides the member label. */
  readonly memberWeights?: Readonly<Record<string, number>>;
  /** Fleet members; only those in this mesh are backends. */
  readonly members: readonly FleetMember[];
  /** Normalised cluster resource id → the public IPs of that cluster's node resource group. */
  readonly publicIps: Readonly<Record<string, readonly PublicIPAddress[]>>;
  /** The Traffic Manager profile's endpoints as read. */
  readonly endpoints: readonly TrafficManagerEndpoint[];
}

export type EndpointAction = 'create' | 'update' | 'delete' | 'enable' | 'disable' | 'none';

export interface EndpointState {
  readonly targetResourceId: string;
  readonly weight: number;
  readonly endpointStatus: EndpointStatus;
}

export interface EndpointChange {
  readonly action: EndpointAction;
  readonly name: string;
  /** Path segment for the endpoint operations. */
  readonly endpointType: EndpointType;
  /** `namespace/name`, when the name could be read. */
  readonly service?: string;
  readonly member?: string;
  /** The state to PUT (every action except `delete`; for `none`, the state it already has). */
  readonly desired?: EndpointState;
  readonly reason: string;
  /** When to write it (every action except `none`): see the write order above and `writePhases`. */
  readonly phase?: WritePhase;
}

/** The write phases, in the order they are carried out (see the write order above). */
export const WRITE_PHASES = [1, 2, 3, 4] as const;
export type WritePhase = (typeof WRITE_PHASES)[number];

export type IneligibleReason = 'weightZero' | 'invalidWeightLabel' | 'publicIpsUnknown' | 'noPublicIp' | 'noDnsLabel';

export interface IneligibleBackend {
  readonly service: string;
  readonly member: string;
  readonly reason: IneligibleReason;
  readonly message: string;
}

export interface ServiceTraffic {
  readonly service: string;
  readonly backendWeight: number;
  /** Σw over the eligible members that are routed (have room for an endpoint). */
  readonly totalMemberWeight: number;
  /** The eligible members that are routed. */
  readonly eligibleMembers: readonly string[];
  /** Owned endpoints enabled after the plan is carried out. */
  readonly enabledAfter: number;
  /** True when the never-go-dark rule kept endpoints enabled that would otherwise be disabled or deleted. */
  readonly keptEnabled: boolean;
}

/** An eligible backend left without an endpoint because the profile has no room for it. */
export interface NotRoutedBackend {
  readonly service: string;
  readonly member: string;
  readonly reason: string;
}

export interface TrafficPlan {
  /** Sorted by service, member, name; `delete`s of services no longer configured come with their service name. */
  readonly changes: readonly EndpointChange[];
  readonly ineligible: readonly IneligibleBackend[];
  /** Eligible backends with no endpoint because of the per-profile endpoint limit; sorted by service, member. */
  readonly notRouted: readonly NotRoutedBackend[];
  readonly services: readonly ServiceTraffic[];
}

export function computeTrafficPlan(input: TrafficPlanInput): TrafficPlan {
  const profile = profileName(input.profileId);
  const prefix = ownerPrefix(profile);
  const owned = input.endpoints.filter((e) => e.name?.toLowerCase().startsWith(prefix));
  const meshMembers = [...input.members]
    .filter((m) => isAppliedTo(m, input.profileId))
    .sort((a, b) => compareText(a.name, b.name));
  const ineligible: IneligibleBackend[] = [];
  const perService = [...input.services]
    .sort((a, b) => compareText(a.service, b.service))
    .map((s) => ({ ...s, backends: backendsFor(s.service, meshMembers, input, ineligible) }));

  // Room for the eligible backends: the limit less the endpoints fleetmesh does not own and the held ones it keeps.
  const foreign = input.endpoints.length - owned.length;
  const heldSlots = perService.reduce(
    (n, s) =>
      n + s.backends.held.filter((h) => findEndpoint(owned, endpointName(profile, s.service, h.member.name))).length,
    0,
  );
  // Existing endpoints first (a working endpoint is never deleted to make room), then by member and service.
  const candidates = perService
    .flatMap((s) =>
      s.backends.eligible.map((b) => {
        const name = endpointName(profile, s.service, b.member.name);
        return { service: s.service, member: b.member.name, name, exists: findEndpoint(owned, name) !== undefined };
      }),
    )
    .sort((a, b) =>
      compareKeys([a.exists ? '0' : '1', a.member, a.service], [b.exists ? '0' : '1', b.member, b.service]),
    );
  const existing = candidates.filter((c) => c.exists).length;
  let room = Math.max(0, MAX_ENDPOINTS_PER_PROFILE - foreign - heldSlots - existing);
  for (;;) {
    const routed = new Set(candidates.slice(0, existing + room).map((c) => c.name));
    const planned = planRouted(profile, owned, perService, routed);
    const plan = { ...planned, changes: deferCreates(planned.changes, MAX_ENDPOINTS_PER_PROFILE - foreign) };
    // Endpoints the never-go-dark rule keeps, and anchors until their phase, take room too: give up as many new
    // endpoints as the profile would be over at its fullest.
    const excess = foreign + peakOwnedEndpoints(plan.changes) - MAX_ENDPOINTS_PER_PROFILE;
    if (excess > 0 && room > 0) {
      room = Math.max(0, room - excess);
      continue;
    }
    const notRouted = candidates
      .filter((c) => !routed.has(c.name))
      .map((c) => ({ service: c.service, member: c.member, reason: ENDPOINT_LIMIT_REASON }));
    return { ...plan, ineligible: sortIneligible(ineligible), notRouted: sortIneligible(notRouted) };
  }
}

function planRouted(
  profile: string,
  owned: readonly TrafficManagerEndpoint[],
  perService: readonly (TrafficService & { backends: Backends })[],
  routed: ReadonlySet<string>,
): Pick<TrafficPlan, 'changes' | 'services'> {
  const changes: EndpointChange[] = [];
  const services: ServiceTraffic[] = [];
  const claimed = new Set<string>();
  for (const { service, weight: backendWeight, backends } of perService) {
    const eligible = backends.eligible.filter((b) => routed.has(endpointName(profile, service, b.member.name)));
    const total = eligible.reduce((sum, b) => sum + b.weight, 0);
    const serviceChanges: EndpointChange[] = [];
    for (const backend of eligible) {
      const name = endpointName(profile, service, backend.member.name);
      claimed.add(name);
      serviceChanges.push(
        ...diffEndpoint(name, service, backend.member.name, findEndpoint(owned, name), {
          targetResourceId: backend.publicIpId,
          weight: proportionalWeight(backendWeight, backend.weight, total),
          endpointStatus:
            backend.member.properties.meshProperties?.status.state === 'Connected' ? 'Enabled' : 'Disabled',
        }),
      );
    }
    for (const held of backends.held) {
      const name = endpointName(profile, service, held.member.name);
      const actual = findEndpoint(owned, name);
      if (!actual) continue;
      claimed.add(name);
      serviceChanges.push(keep(actual, name, service, held.member.name, held.reason));
    }
    for (const actual of owned) {
      const parsed = parseEndpointName(actual.name ?? '', profile);
      if (parsed?.service !== service || claimed.has(lower(actual.name))) continue;
      claimed.add(lower(actual.name));
      serviceChanges.push(deletion(actual, parsed, 'the member is not an eligible backend of the service'));
    }
    const guarded = keepServiceLit(serviceChanges, owned);
    changes.push(...guarded.changes);
    services.push({
      service,
      backendWeight,
      totalMemberWeight: total,
      eligibleMembers: eligible.map((b) => b.member.name),
      enabledAfter: guarded.changes.filter((c) => c.desired?.endpointStatus === 'Enabled').length,
      keptEnabled: guarded.kept,
    });
  }
  for (const actual of owned) {
    if (claimed.has(lower(actual.name))) continue;
    changes.push(
      inPhase(
        deletion(actual, parseEndpointName(actual.name ?? '', profile), 'the service is no longer configured'),
        1,
      ),
    );
  }
  return { changes: sortChanges(changes), services };
}

/**
 * The writes of `changes` (a plan's, or any part of one) grouped by phase, in the order they are to be carried out;
 * `none` is left out, and so is a phase with no write.
 */
export function writePhases(changes: readonly EndpointChange[]): EndpointChange[][] {
  const writes = changes.filter((c) => c.action !== 'none');
  return WRITE_PHASES.map((phase) => writes.filter((c) => phaseOf(c) === phase)).filter((w) => w.length > 0);
}

/** A write's phase; one without (made by hand) is written as the plain order would: deletes, then the rest. */
function phaseOf(change: EndpointChange): WritePhase {
  return change.phase ?? (change.action === 'delete' ? 1 : 2);
}

/**
 * Moves phase-2 creates to phase 4, after the anchors' deletes, while the profile would be over `limit` owned
 * endpoints at the end of phase 2: the last by member and service first, never the create a service with an anchor
 * needs enabled before its anchor goes (its first enabled create, when no enable or update lights it).
 */
function deferCreates(changes: readonly EndpointChange[], limit: number): EndpointChange[] {
  const creates = changes.filter((c) => c.action === 'create' && c.phase === 2);
  const afterPhase1 = changes.filter((c) => c.action !== 'create').length - changes.filter((c) => c.phase === 1).length;
  let over = afterPhase1 + creates.length - limit;
  if (over <= 0) return [...changes];
  const needed = new Set<EndpointChange>();
  for (const anchor of changes.filter((c) => c.phase === 3)) {
    const lights = changes.filter(
      (c) => c.phase === 2 && c.service === anchor.service && c.desired?.endpointStatus === 'Enabled',
    );
    const first = lights.find((c) => c.action === 'create');
    if (first && lights.every((c) => c.action === 'create')) needed.add(first);
  }
  const deferred = new Set<EndpointChange>();
  const byCandidateOrder = (a: EndpointChange, b: EndpointChange) =>
    compareKeys([b.member, b.service, b.name], [a.member, a.service, a.name]);
  for (const create of creates.filter((c) => !needed.has(c)).sort(byCandidateOrder)) {
    if (over <= 0) break;
    deferred.add(create);
    over -= 1;
  }
  return changes.map((c) => (deferred.has(c) ? { ...c, phase: 4 as const } : c));
}

/** Owned endpoints in the profile at its fullest while the phases of `changes` are carried out in order. */
function peakOwnedEndpoints(changes: readonly EndpointChange[]): number {
  // Every owned endpoint has exactly one change that is not a create (an endpoint of another type: its delete).
  let count = changes.filter((c) => c.action !== 'create').length;
  let peak = 0;
  for (const writes of writePhases(changes)) {
    count += writes.filter((c) => c.action === 'create').length - writes.filter((c) => c.action === 'delete').length;
    peak = Math.max(peak, count);
  }
  return peak;
}

/** `ceil(backendWeight × w / total)` in integer arithmetic; in 1..backendWeight when 1 ≤ w ≤ total. */
export function proportionalWeight(backendWeight: number, weight: number, total: number): number {
  return Math.floor((backendWeight * weight + total - 1) / total);
}

/** `fleetmesh#<profile>#`, lower case: every owned endpoint name starts with it. */
export function ownerPrefix(profile: string): string {
  return `${ENDPOINT_OWNER}#${profile}#`.toLowerCase();
}

export function endpointName(profile: string, service: string, member: string): string {
  const [namespace = '', name = ''] = service.split('/');
  return `${ENDPOINT_OWNER}#${profile}#${namespace}#${name}#${member}`.toLowerCase();
}

/** The service and member an owned endpoint name stands for; undefined when it is not one of this profile's names. */
export function parseEndpointName(name: string, profile: string): { service: string; member: string } | undefined {
  if (!name.toLowerCase().startsWith(ownerPrefix(profile))) return undefined;
  const parts = name.slice(ownerPrefix(profile).length).split('#');
  const [namespace, service, member] = parts;
  if (parts.length !== 3 || !namespace || !service || !member) return undefined;
  return { service: `${namespace}/${service}`.toLowerCase(), member: member.toLowerCase() };
}

/** A member's weight: policy, else label, else 1; `invalid` when the label is not an integer 0–1000. */
export function memberWeight(
  member: FleetMember,
  memberWeights: Readonly<Record<string, number>> | undefined,
): number | 'invalid' {
  const fromPolicy =
    memberWeights && Object.hasOwn(memberWeights, member.name) ? memberWeights[member.name] : undefined;
  if (fromPolicy !== undefined) return fromPolicy;
  const labels = member.properties.labels;
  if (!Object.hasOwn(labels, MEMBER_WEIGHT_LABEL)) return DEFAULT_MEMBER_WEIGHT;
  const text = labels[MEMBER_WEIGHT_LABEL] ?? '';
  if (!/^\d{1,4}$/.test(text)) return 'invalid';
  const value = Number(text);
  return value <= 1000 ? value : 'invalid';
}

/** The public IP AKS created for `service` (namespace/name) among `publicIps`, preferring DNS label, IPv4, lowest id. */
export function servicePublicIp(service: string, publicIps: readonly PublicIPAddress[]): PublicIPAddress | undefined {
  const tagged = publicIps.filter((ip) => serviceTagValues(ip).includes(service));
  const rank = (ip: PublicIPAddress) => [
    hasDnsLabel(ip) ? '0' : '1',
    ip.publicIPAddressVersion?.toLowerCase() === 'ipv6' ? '1' : '0',
    normalizeResourceId(ip.id),
  ];
  return tagged.sort((a, b) => compareKeys(rank(a), rank(b)))[0];
}

interface EligibleBackend {
  readonly member: FleetMember;
  readonly weight: number;
  readonly publicIpId: string;
}

interface Backends {
  readonly eligible: readonly EligibleBackend[];
  readonly held: readonly { member: FleetMember; reason: string }[];
}

function backendsFor(
  service: string,
  meshMembers: readonly FleetMember[],
  input: TrafficPlanInput,
  ineligible: IneligibleBackend[],
): Backends {
  const eligible: EligibleBackend[] = [];
  const held: { member: FleetMember; reason: string }[] = [];
  const skip = (member: FleetMember, reason: IneligibleReason, message: string) =>
    ineligible.push({ service, member: member.name, reason, message });
  for (const member of meshMembers) {
    const weight = memberWeight(member, input.memberWeights);
    if (weight === 'invalid') {
      held.push({ member, reason: 'held: the member label is not a valid weight' });
      skip(
        member,
        'invalidWeightLabel',
        `label ${MEMBER_WEIGHT_LABEL}='${member.properties.labels[MEMBER_WEIGHT_LABEL] ?? ''}' is not an integer 0–1000; the member's endpoints are left as they are`,
      );
      continue;
    }
    if (weight === 0) {
      skip(member, 'weightZero', 'the member weight is 0');
      continue;
    }
    const clusterId = member.properties.clusterResourceId;
    const publicIps = input.publicIps[normalizeResourceId(clusterId)];
    if (!publicIps) {
      // Not knowing is no reason to change anything: a read that failed (throttled, a 5xx after the retries) must
      // not delete the endpoint of a healthy member. The next sync reads again.
      held.push({ member, reason: 'held: the public IPs of its node resource group could not be read' });
      skip(
        member,
        'publicIpsUnknown',
        `the public IPs of cluster ${clusterId}'s node resource group were not read; the member's endpoints are left as they are`,
      );
      continue;
    }
    const ip = servicePublicIp(service, publicIps);
    if (!ip) {
      skip(
        member,
        'noPublicIp',
        `no public IP in the node resource group is tagged ${AksServiceTag}=${service} (is the service of type LoadBalancer, external, with an address yet?)`,
      );
      continue;
    }
    if (!hasDnsLabel(ip)) {
      skip(
        member,
        'noDnsLabel',
        `DNS label is not configured to the public IP ${ip.id} (set the service annotation service.beta.kubernetes.io/azure-dns-label-name)`,
      );
      continue;
    }
    eligible.push({ member, weight, publicIpId: ip.id });
  }
  return { eligible, held };
}

function diffEndpoint(
  name: string,
  service: string,
  member: string,
  actual: TrafficManagerEndpoint | undefined,
  desired: EndpointState,
): EndpointChange[] {
  const base = { name, endpointType: 'AzureEndpoints', service, member, desired } as const;
  if (!actual) return [{ ...base, action: 'create', reason: 'no endpoint yet' }];
  if (endpointTypeOf(actual) !== 'AzureEndpoints') {
    // The type of an endpoint cannot change: replace it.
    return [
      deletion(actual, { service, member }, `it is of type ${endpointTypeOf(actual)}, not AzureEndpoints`),
      { ...base, action: 'create', reason: 'replaces an endpoint of another type' },
    ];
  }
  if (!sameResourceId(actual.targetResourceId, desired.targetResourceId) || actual.weight !== desired.weight) {
    return [{ ...base, action: 'update', reason: 'target or weight differs' }];
  }
  const status = actualStatus(actual);
  if (status === desired.endpointStatus) return [{ ...base, action: 'none', reason: 'in sync' }];
  return [
    desired.endpointStatus === 'Enabled'
      ? { ...base, action: 'enable', reason: 'the member is Connected' }
      : { ...base, action: 'disable', reason: 'the member is not Connected' },
  ];
}

function keep(
  actual: TrafficManagerEndpoint,
  name: string,
  service: string | undefined,
  member: string | undefined,
  reason: string,
): EndpointChange {
  return {
    action: 'none',
    name,
    endpointType: endpointTypeOf(actual),
    ...(service === undefined ? {} : { service }),
    ...(member === undefined ? {} : { member }),
    desired: {
      targetResourceId: actual.targetResourceId ?? '',
      weight: actual.weight ?? 1,
      endpointStatus: actualStatus(actual),
    },
    reason,
  };
}

function deletion(
  actual: TrafficManagerEndpoint,
  parsed: { service: string; member: string } | undefined,
  reason: string,
): EndpointChange {
  return {
    action: 'delete',
    name: lower(actual.name),
    endpointType: endpointTypeOf(actual),
    ...(parsed ? { service: parsed.service, member: parsed.member } : {}),
    reason: parsed ? reason : 'the name has the owner prefix but is not one fleetmesh would write',
  };
}

/** The never-go-dark rule for one configured service, and the phase of each of its writes. */
function keepServiceLit(
  changes: readonly EndpointChange[],
  owned: readonly TrafficManagerEndpoint[],
): { changes: EndpointChange[]; kept: boolean } {
  const enabledNow = (c: EndpointChange) => {
    const actual = findEndpoint(owned, c.name);
    return actual !== undefined && actualStatus(actual) === 'Enabled' && endpointTypeOf(actual) === c.endpointType;
  };
  const enabledAfter = (c: EndpointChange) => c.action !== 'delete' && c.desired?.endpointStatus === 'Enabled';
  const deletesFirst = (c: EndpointChange) => inPhase(c, c.action === 'delete' ? 1 : 2);
  const lit = changes.filter(enabledNow);
  // Nothing to keep lit, or an endpoint enabled now stays enabled throughout (an update is a PUT that keeps it).
  if (lit.length === 0 || lit.some(enabledAfter)) return { changes: changes.map(deletesFirst), kept: false };
  // Every endpoint enabled now goes: one of them, the anchor, stays until an endpoint enabled by the plan is.
  const lights = changes.filter(enabledAfter);
  const replacedByLight = (c: EndpointChange) => lights.some((l) => l.action === 'create' && l.name === c.name);
  const rank = (c: EndpointChange) => (c.action !== 'delete' ? '0' : replacedByLight(c) ? '2' : '1');
  const anchor = [...lit].sort((a, b) => compareKeys([rank(a), a.name], [rank(b), b.name]))[0];
  const replacesAnchor = (c: EndpointChange) => c.action === 'create' && c.name === anchor?.name;
  if (anchor && lights.some((l) => !replacesAnchor(l))) {
    return {
      kept: false,
      changes: changes.map((c) => (c === anchor ? inPhase(c, 3) : replacesAnchor(c) ? inPhase(c, 4) : deletesFirst(c))),
    };
  }
  const reason =
    lights.length === 0
      ? 'kept enabled: it is among the last enabled endpoints of the service and no eligible member is Connected'
      : 'kept enabled: it is the last enabled endpoint of the service, and its replacement by an endpoint of another type waits until another endpoint of the service is enabled';
  const keptNames = new Set<string>();
  const revised = changes.map((c) => {
    const actual = findEndpoint(owned, c.name);
    if (!enabledNow(c) || !actual) return c;
    keptNames.add(c.name);
    if (c.action === 'delete' || c.action === 'disable') return keep(actual, c.name, c.service, c.member, reason);
    if (c.desired) return { ...c, desired: { ...c.desired, endpointStatus: 'Enabled' as const }, reason };
    return c;
  });
  // A kept endpoint of another type keeps its name, so the create that was to replace it must wait.
  return {
    kept: true,
    changes: revised.filter((c) => c.action !== 'create' || !keptNames.has(c.name)).map(deletesFirst),
  };
}

/** `change` to be written in `phase`; a `none` has no phase. */
function inPhase(change: EndpointChange, phase: WritePhase): EndpointChange {
  return change.action === 'none' ? change : { ...change, phase };
}

function findEndpoint(owned: readonly TrafficManagerEndpoint[], name: string): TrafficManagerEndpoint | undefined {
  return owned.find((e) => lower(e.name) === name.toLowerCase());
}

/** Traffic Manager's default status is Enabled. */
function actualStatus(endpoint: TrafficManagerEndpoint): EndpointStatus {
  return endpoint.endpointStatus ?? 'Enabled';
}

function endpointTypeOf(endpoint: TrafficManagerEndpoint): EndpointType {
  const last = endpoint.type?.split('/').pop()?.toLowerCase();
  if (last === 'externalendpoints') return 'ExternalEndpoints';
  if (last === 'nestedendpoints') return 'NestedEndpoints';
  return 'AzureEndpoints';
}

function serviceTagValues(ip: PublicIPAddress): string[] {
  const entry = Object.entries(ip.tags ?? {}).find(([key]) => key.toLowerCase() === AksServiceTag);
  return entry ? entry[1].split(',').map((v) => v.trim()) : [];
}

function hasDnsLabel(ip: PublicIPAddress): boolean {
  return (ip.dnsSettings?.domainNameLabel ?? '').trim() !== '';
}

function profileName(profileId: string): string {
  return tryParseResourceId(profileId)?.name ?? profileId;
}

function lower(name: string | undefined): string {
  return (name ?? '').toLowerCase();
}

function sortChanges(changes: readonly EndpointChange[]): EndpointChange[] {
  const key = (c: EndpointChange) => [c.service, c.member, c.name, c.action];
  return [...changes].sort((a, b) => compareKeys(key(a), key(b)));
}

function sortIneligible<T extends { service: string; member: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareKeys([a.service, a.member], [b.service, b.member]));
}
