/**
 * Network security groups on member subnets that block mesh traffic between two members.
 *
 * **Model.** For every ordered pair of connected members (same VNet, or directly peered: pairs that are not
 * connected already have a `network.peering` finding) and every subnet of theirs with an NSG:
 *
 * - *inbound* on each subnet S of member M: flows from every node/pod prefix of the peer to every prefix of S;
 * - *outbound* on each subnet S of member M: flows from every prefix of S to every node/pod prefix of the peer.
 *
 * Two kinds of flow are probed, because they are what a Cilium cluster mesh needs between clusters:
 *
 * - `TCP 2379`: the remote agents' connection to `clustermesh-apiserver` (the internal load balancer in the
 *   member's subnet, reference §1.4);
 * - pod-to-pod: every protocol and port (service traffic between clusters; health checks).
 *
 * A flow is evaluated exactly, as a box over (source address, destination address, protocol, destination port,
 * source port): rules (custom and default, in one list) are walked by priority, and each decides the part of the flow
 * still undecided that it matches (Allow or Deny); the rest goes on to the next rule. Addresses: CIDR or bare address
 * intervals from the union of the rule's prefix and prefixes arrays; `*` and `Any` match everything; `VirtualNetwork`
 * stands for the subnet's VNet address space plus the address space of the VNets it is peered with (Connected,
 * allowing VNet access); every other service tag (`Internet`, `AzureLoadBalancer`, `AzureCloud`, …) matches no member
 * traffic, and application security groups are not evaluated (fleetmesh cannot see their NICs), so those rules are
 * skipped. IPv4 prefixes are only paired with IPv4 prefixes, IPv6 with IPv6.
 *
 * Outcome per flow: all of it denied → **error**; part of it denied (one protocol, some ports, some addresses, some
 * source ports) → **warning**; all allowed → nothing. So the usual "allow TCP and UDP from the peer, then deny all"
 * layout gives a warning for what it leaves out (ICMP), not an error. When an NSG carries no `defaultSecurityRules`,
 * Azure's defaults are assumed (AllowVnetInBound / AllowAzureLoadBalancerInBound / DenyAllInBound and the outbound
 * equivalents). NSGs on network interfaces (AKS's own node NSG) are not read: only subnet NSGs are checked.
 *
 * One finding per (NSG, member, peer, direction), naming the blocked flows and the deciding rules.
 */
import { normalizeResourceId } from '../../arm/resourceId.js';
import type { NetworkSecurityGroup, SecurityRule } from '../../models/index.js';
import { parsePrefix, type IpFamily, type IpRange } from '../cidr.js';
import { compareText } from '../order.js';
import { missingText, type MemberView, type PreflightContext, type SubnetView } from './context.js';
import { forEachKnownPair, membersConnected, virtualNetworkTagRanges } from './network.js';
import type { PreflightFinding } from './types.js';

export type Direction = 'Inbound' | 'Outbound';

export interface MeshFlow {
  readonly name: string;
  /** `Tcp`, or `*` for any protocol. */
  readonly protocol: 'Tcp' | '*';
  /** A destination port, or every port. */
  readonly port: number | 'all';
  readonly description: string;
}

export const MESH_FLOWS: readonly MeshFlow[] = [
  { name: 'clustermesh-apiserver', protocol: 'Tcp', port: 2379, description: 'TCP 2379 (clustermesh-apiserver)' },
  { name: 'pod-to-pod', protocol: '*', port: 'all', description: 'pod-to-pod traffic (any protocol, any port)' },
];

/** Azure's default rules, used when an NSG body carries none. */
export const AZURE_DEFAULT_SECURITY_RULES: readonly SecurityRule[] = [
  defaultRule('AllowVnetInBound', 65000, 'Inbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'),
  defaultRule('AllowAzureLoadBalancerInBound', 65001, 'Inbound', 'Allow', 'AzureLoadBalancer', '*'),
  defaultRule('DenyAllInBound', 65500, 'Inbound', 'Deny', '*', '*'),
  defaultRule('AllowVnetOutBound', 65000, 'Outbound', 'Allow', 'VirtualNetwork', 'VirtualNetwork'),
  defaultRule('AllowInternetOutBound', 65001, 'Outbound', 'Allow', '*', 'Internet'),
  defaultRule('DenyAllOutBound', 65500, 'Outbound', 'Deny', '*', '*'),
];

export interface Verdict {
  /** `allowed`: every packet of the flow; `denied`: none; `partly`: some packets are denied. */
  readonly outcome: 'allowed' | 'partly' | 'denied';
  /** The rules that allowed part or all of the flow, in evaluation order. */
  readonly allowedBy: readonly SecurityRule[];
  /** The rules that denied part or all of the flow, in evaluation order (a part no rule matched is denied too). */
  readonly deniedBy: readonly SecurityRule[];
  /** True when the rules cut the flow into more pieces than are evaluated exactly; the outcome is then `partly`. */
  readonly indeterminate?: true;
}

export function checkNetworkSecurityGroups(context: PreflightContext): PreflightFinding[] {
  const findings: PreflightFinding[] = [...unreadableNsgFindings(context)];
  forEachKnownPair(context, (a, b) => {
    if (!membersConnected(a, b)) return;
    for (const [self, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const { nsg, subnets } of subnetsByNsg(context, self)) {
        for (const direction of ['Inbound', 'Outbound'] as const) {
          const finding = pairFinding(context, nsg, subnets, self, peer, direction);
          if (finding) findings.push(finding);
        }
      }
    }
  });
  return findings;
}

/** The rules of one direction, custom and default, in evaluation order (priority, then name). */
export function effectiveRules(nsg: NetworkSecurityGroup, direction: Direction): SecurityRule[] {
  const defaults = nsg.defaultSecurityRules?.length ? nsg.defaultSecurityRules : AZURE_DEFAULT_SECURITY_RULES;
  return [...(nsg.securityRules ?? []), ...defaults]
    .filter((r) => r.direction === direction)
    .sort((x, y) => x.priority - y.priority || compareText(x.name, y.name));
}

/**
 * Walks `rules` (already in priority order) for one flow from `source` to `destination`, exactly: the flow is a box
 * over (source address, destination address, protocol, destination port, source port); each rule decides the part of
 * what is still undecided that it matches, and the rest goes on to the next rule. So two Allow rules that together
 * cover the flow allow all of it even when a Deny-all follows, and a Deny of one protocol denies only that part.
 * `source` and `destination` must be of the same address family.
 */
export function evaluateFlow(
  rules: readonly SecurityRule[],
  flow: MeshFlow,
  source: IpRange,
  destination: IpRange,
  virtualNetwork: readonly IpRange[],
): Verdict {
  let undecided: Box[] = [flowBox(flow, source, destination)];
  const allowedBy: SecurityRule[] = [];
  const deniedBy: SecurityRule[] = [];
  for (const rule of rules) {
    if (undecided.length === 0) break;
    let matched = false;
    for (const ruleBox of ruleBoxes(rule, source.family, virtualNetwork)) {
      const rest: Box[] = [];
      for (const piece of undecided) {
        const overlap = intersect(piece, ruleBox);
        if (!overlap) {
          rest.push(piece);
          continue;
        }
        matched = true;
        rest.push(...subtract(piece, overlap));
      }
      undecided = rest;
    }
    if (matched) (rule.access === 'Deny' ? deniedBy : allowedBy).push(rule);
    if (undecided.length > MAX_PIECES) return { outcome: 'partly', allowedBy, deniedBy, indeterminate: true };
  }
  const deniedSome = deniedBy.length > 0 || undecided.length > 0;
  const outcome = !deniedSome ? 'allowed' : allowedBy.length === 0 ? 'denied' : 'partly';
  return { outcome, allowedBy, deniedBy };
}

/** A closed interval of one dimension. */
type Span = readonly [bigint, bigint];
const DIMENSIONS = ['source', 'destination', 'protocol', 'destinationPort', 'sourcePort'] as const;
type Dimension = (typeof DIMENSIONS)[number];
/** A part of a flow: source address, destination address, protocol number, destination port, source port. */
type Box = Readonly<Record<Dimension, Span>>;

/** A bound on the undecided pieces of one flow, so a pathological rule set cannot make preflight run away. */
const MAX_PIECES = 20_000;
const ANY_PROTOCOL: Span = [0n, 255n];
/** Port 0 is reserved: no flow uses it, so a rule list covering 1-65535 covers every port. */
const EVERY_PORT: Span = [1n, 65535n];
const PROTOCOL_NUMBERS: Readonly<Record<string, bigint>> = { icmp: 1n, tcp: 6n, udp: 17n, esp: 50n, ah: 51n };

function flowBox(flow: MeshFlow, source: IpRange, destination: IpRange): Box {
  return {
    source: [source.first, source.last],
    destination: [destination.first, destination.last],
    protocol: flow.protocol === 'Tcp' ? [6n, 6n] : ANY_PROTOCOL,
    destinationPort: flow.port === 'all' ? EVERY_PORT : [BigInt(flow.port), BigInt(flow.port)],
    sourcePort: EVERY_PORT,
  };
}

/** The rule as a union of boxes (none when it can match no member traffic of this address family). */
function ruleBoxes(rule: SecurityRule, family: IpFamily, virtualNetwork: readonly IpRange[]): Box[] {
  const spans: Readonly<Record<Dimension, readonly Span[]>> = {
    source: addressSpans(listOf(rule.sourceAddressPrefix, rule.sourceAddressPrefixes), family, virtualNetwork),
    destination: addressSpans(
      listOf(rule.destinationAddressPrefix, rule.destinationAddressPrefixes),
      family,
      virtualNetwork,
    ),
    protocol: protocolSpans(rule.protocol),
    destinationPort: portSpans(listOf(rule.destinationPortRange, rule.destinationPortRanges)),
    sourcePort: portSpans(listOf(rule.sourcePortRange, rule.sourcePortRanges)),
  };
  let boxes: Box[] = [
    {
      source: EVERY_PORT,
      destination: EVERY_PORT,
      protocol: ANY_PROTOCOL,
      destinationPort: EVERY_PORT,
      sourcePort: EVERY_PORT,
    },
  ];
  for (const d of DIMENSIONS) boxes = boxes.flatMap((box) => spans[d].map((span) => ({ ...box, [d]: span })));
  return boxes;
}

function intersect(a: Box, b: Box): Box | undefined {
  let overlap = a;
  for (const d of DIMENSIONS) {
    const first = a[d][0] > b[d][0] ? a[d][0] : b[d][0];
    const last = a[d][1] < b[d][1] ? a[d][1] : b[d][1];
    if (first > last) return undefined;
    overlap = { ...overlap, [d]: [first, last] };
  }
  return overlap;
}

/** `box` minus `inner` (a box inside it), as at most ten disjoint boxes. */
function subtract(box: Box, inner: Box): Box[] {
  const pieces: Box[] = [];
  let current = box;
  for (const d of DIMENSIONS) {
    const [outer, cut] = [current[d], inner[d]];
    if (outer[0] < cut[0]) pieces.push({ ...current, [d]: [outer[0], cut[0] - 1n] });
    if (cut[1] < outer[1]) pieces.push({ ...current, [d]: [cut[1] + 1n, outer[1]] });
    current = { ...current, [d]: cut };
  }
  return pieces;
}

function pairFinding(
  context: PreflightContext,
  nsg: NetworkSecurityGroup,
  subnets: readonly SubnetView[],
  self: MemberView,
  peer: MemberView,
  direction: Direction,
): PreflightFinding | undefined {
  const rules = effectiveRules(nsg, direction);
  const denied = new Set<string>();
  const partly = new Set<string>();
  for (const subnet of subnets) {
    const vnetTag = virtualNetworkTagRanges(subnet.vnet, context.snapshot.virtualNetworks);
    for (const flow of MESH_FLOWS) {
      const verdict = worstVerdict(rules, flow, subnet, peer, direction, vnetTag);
      if (verdict?.outcome === 'denied') denied.add(`${flow.description} by ${rulesText(verdict.deniedBy)}`);
      if (verdict?.outcome === 'partly') {
        partly.add(
          verdict.indeterminate
            ? `possibly part of ${flow.description}: the rules split it into too many parts to evaluate exactly`
            : `part of ${flow.description} by ${rulesText(verdict.deniedBy)}`,
        );
      }
    }
  }
  if (denied.size === 0 && partly.size === 0) return undefined;
  const way = direction === 'Inbound' ? 'from' : 'to';
  const peerPrefixes = peer.prefixes.map((p) => p.text).join(', ');
  const subnetNames = subnets.map((s) => `'${s.subnet.name}'`).join(', ');
  return {
    checkId: direction === 'Inbound' ? 'nsg.inbound' : 'nsg.outbound',
    severity: denied.size > 0 ? 'error' : 'warning',
    member: self.name,
    peerMember: peer.name,
    resourceId: nsg.id,
    message: `network security group '${nsg.name}' on subnet${subnets.length > 1 ? 's' : ''} ${subnetNames} of member '${self.name}' ${denied.size > 0 ? 'denies' : 'partly denies'} ${direction.toLowerCase()} traffic ${way} member '${peer.name}' (${peerPrefixes}): ${[...denied, ...partly].join('; ')}`,
    remediation: `add an ${direction.toLowerCase()} rule to '${nsg.name}' that allows any protocol and port ${way} ${peerPrefixes} (at least TCP 2379), with a priority number lower than the denying rule, or narrow that rule`,
  };
}

/** The member's subnets grouped by the NSG on them (NSGs that were read), in subnet order. */
function subnetsByNsg(
  context: PreflightContext,
  view: MemberView,
): { nsg: NetworkSecurityGroup; subnets: SubnetView[] }[] {
  const groups = new Map<string, { nsg: NetworkSecurityGroup; subnets: SubnetView[] }>();
  for (const subnet of view.subnets) {
    const group = nsgOf(context, subnet);
    if (!group) continue;
    const key = normalizeResourceId(group.id);
    const entry = groups.get(key) ?? { nsg: group, subnets: [] };
    entry.subnets.push(subnet);
    groups.set(key, entry);
  }
  return [...groups.values()];
}

/** The worst verdict over the subnet's prefixes and the peer's prefixes of the same family (IPv4 to IPv6 is no flow). */
function worstVerdict(
  rules: readonly SecurityRule[],
  flow: MeshFlow,
  subnet: SubnetView,
  peer: MemberView,
  direction: Direction,
  vnetTag: readonly IpRange[],
): Verdict | undefined {
  let partly: Verdict | undefined;
  for (const own of subnet.prefixes) {
    for (const remote of peer.prefixes) {
      if (own.family !== remote.family) continue;
      const [source, destination] = direction === 'Inbound' ? [remote, own] : [own, remote];
      const verdict = evaluateFlow(rules, flow, source, destination, vnetTag);
      if (verdict.outcome === 'denied') return verdict;
      if (verdict.outcome === 'partly') partly ??= verdict;
    }
  }
  return partly;
}

function unreadableNsgFindings(context: PreflightContext): PreflightFinding[] {
  const findings: PreflightFinding[] = [];
  for (const view of context.members) {
    const reported = new Set<string>();
    for (const subnet of view.subnets) {
      const nsgId = subnet.subnet.networkSecurityGroup?.id;
      if (!nsgId || nsgOf(context, subnet) || reported.has(normalizeResourceId(nsgId))) continue;
      reported.add(normalizeResourceId(nsgId));
      findings.push({
        checkId: 'nsg.unreadable',
        severity: 'error',
        member: view.name,
        resourceId: nsgId,
        message: `network security group ${nsgId} on subnet '${subnet.subnet.name}' of member '${view.name}' ${missingText(context.snapshot, 'networkSecurityGroup', nsgId)}, so whether it blocks mesh traffic cannot be checked`,
        remediation: 'make sure the fleetmesh identity can read the network security group (Reader on it)',
      });
    }
  }
  return findings;
}

function nsgOf(context: PreflightContext, subnet: SubnetView): NetworkSecurityGroup | undefined {
  const id = subnet.subnet.networkSecurityGroup?.id;
  return id ? context.snapshot.networkSecurityGroups[normalizeResourceId(id)] : undefined;
}

/** Address texts to spans of one family: `*`/`Any` is every address, `VirtualNetwork` the tag's ranges. */
function addressSpans(texts: readonly string[], family: IpFamily, virtualNetwork: readonly IpRange[]): Span[] {
  const spans: Span[] = [];
  for (const text of texts) {
    const lower = text.trim().toLowerCase();
    if (lower === '*' || lower === 'any') return [[0n, family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n]];
    const ranges = lower === 'virtualnetwork' ? virtualNetwork : [parsePrefix(text)];
    for (const range of ranges) if (range?.family === family) spans.push([range.first, range.last]);
  }
  return spans;
}

/** `*`/`Any` is every protocol; a named one its IANA number; anything else matches nothing. */
function protocolSpans(protocol: string): Span[] {
  const lower = protocol.trim().toLowerCase();
  if (lower === '*' || lower === 'any') return [ANY_PROTOCOL];
  const number = PROTOCOL_NUMBERS[lower];
  return number === undefined ? [] : [[number, number]];
}

/** Port texts to spans; an empty list (no restriction given) is every port. Unparseable texts are ignored. */
function portSpans(texts: readonly string[]): Span[] {
  if (texts.length === 0) return [[0n, 65535n]];
  const spans: Span[] = [];
  for (const text of texts) {
    const t = text.trim().toLowerCase();
    if (t === '*' || t === 'any') {
      spans.push([0n, 65535n]);
      continue;
    }
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(t);
    if (!m?.[1]) continue;
    const first = BigInt(m[1]);
    const last = m[2] === undefined ? first : BigInt(m[2]);
    if (first <= last && last <= 65535n) spans.push([first, last]);
  }
  return spans;
}

function listOf(single: string | undefined, many: readonly string[] | undefined): string[] {
  return [...(single ? [single] : []), ...(many ?? [])].filter((t) => t.trim() !== '');
}

/** The denying rules; an empty list means the part no rule matched (denied by Azure's implicit default). */
function rulesText(rules: readonly SecurityRule[]): string {
  if (rules.length === 0) return 'no matching rule';
  const names = rules.map((rule) => `'${rule.name}' (priority ${rule.priority})`);
  return `${rules.length === 1 ? 'rule' : 'rules'} ${names.join(', ')}`;
}

function defaultRule(
  name: string,
  priority: number,
  direction: Direction,
  access: 'Allow' | 'Deny',
  source: string,
  destination: string,
): SecurityRule {
  return {
    name,
    priority,
    direction,
    access,
    protocol: '*',
    sourceAddressPrefix: source,
    sourcePortRange: '*',
    destinationAddressPrefix: destination,
    destinationPortRange: '*',
  };
}
