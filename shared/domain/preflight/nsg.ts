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
 * A rule's match against a flow is `full` (every packet of the flow), `partial` (some) or `none`, combining source
 * and destination addresses, protocol, destination ports and source ports (a source-port restriction is at most
 * partial: source ports are ephemeral). Addresses: CIDR or bare address containment over the union of the rule's
 * prefix and prefixes arrays; `*` and `Any` match everything; `VirtualNetwork` stands for the subnet's VNet address
 * space plus the address space of the VNets it is peered with (Connected, allowing VNet access); every other service tag
 * (`Internet`, `AzureLoadBalancer`, `AzureCloud`, …) matches no member traffic, and application security groups are
 * not evaluated (fleetmesh cannot see their NICs), so those rules are skipped.
 *
 * Rules (custom and default, in one list) are walked by priority: the first `full` match decides (Allow or Deny); a
 * `partial` Deny met before that is remembered. Outcome: denied → **error**; allowed but part of the flow denied by
 * an earlier partial Deny → **warning**; allowed → nothing. When an NSG carries no `defaultSecurityRules`, Azure's
 * defaults are assumed (AllowVnetInBound / AllowAzureLoadBalancerInBound / DenyAllInBound and the outbound
 * equivalents). NSGs on network interfaces (AKS's own node NSG) are not read: only subnet NSGs are checked.
 *
 * One finding per (NSG, member, peer, direction), naming the blocked flows and the deciding rules.
 */
import { normalizeResourceId } from '../../arm/resourceId.js';
import type { NetworkSecurityGroup, SecurityRule } from '../../models/index.js';
import { coverage, parsePrefix, type Coverage, type IpRange } from '../cidr.js';
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

export type Match = Coverage;

export interface Verdict {
  readonly outcome: 'allowed' | 'denied';
  /** The rule that decided (undefined only if no rule matched at all: treated as denied). */
  readonly rule?: SecurityRule;
  /** A Deny rule that matched part of the flow before the deciding Allow. */
  readonly partialDeny?: SecurityRule;
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

/** Walks `rules` (already in priority order) for one flow from `source` to `destination`. */
export function evaluateFlow(
  rules: readonly SecurityRule[],
  flow: MeshFlow,
  source: IpRange,
  destination: IpRange,
  virtualNetwork: readonly IpRange[],
): Verdict {
  let partialDeny: SecurityRule | undefined;
  for (const rule of rules) {
    const match = ruleMatch(rule, flow, source, destination, virtualNetwork);
    if (match === 'full') {
      if (rule.access === 'Deny') return { outcome: 'denied', rule };
      return partialDeny ? { outcome: 'allowed', rule, partialDeny } : { outcome: 'allowed', rule };
    }
    if (match === 'partial' && rule.access === 'Deny' && partialDeny === undefined) partialDeny = rule;
  }
  return { outcome: 'denied' };
}

/** How much of the flow a rule matches. */
export function ruleMatch(
  rule: SecurityRule,
  flow: MeshFlow,
  source: IpRange,
  destination: IpRange,
  virtualNetwork: readonly IpRange[],
): Match {
  return combine([
    addressMatch(listOf(rule.sourceAddressPrefix, rule.sourceAddressPrefixes), source, virtualNetwork),
    addressMatch(listOf(rule.destinationAddressPrefix, rule.destinationAddressPrefixes), destination, virtualNetwork),
    protocolMatch(rule.protocol, flow),
    destinationPortMatch(listOf(rule.destinationPortRange, rule.destinationPortRanges), flow),
    sourcePortMatch(listOf(rule.sourcePortRange, rule.sourcePortRanges)),
  ]);
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
      const outcome = worstVerdict(rules, flow, subnet, peer, direction, vnetTag);
      if (outcome?.kind === 'denied') denied.add(`${flow.description} by ${ruleText(outcome.rule)}`);
      if (outcome?.kind === 'partly') partly.add(`part of ${flow.description} by ${ruleText(outcome.rule)}`);
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

type Worst = { kind: 'denied'; rule: SecurityRule | undefined } | { kind: 'partly'; rule: SecurityRule };

function worstVerdict(
  rules: readonly SecurityRule[],
  flow: MeshFlow,
  subnet: SubnetView,
  peer: MemberView,
  direction: Direction,
  vnetTag: readonly IpRange[],
): Worst | undefined {
  let partly: Worst | undefined;
  for (const own of subnet.prefixes) {
    for (const remote of peer.prefixes) {
      const [source, destination] = direction === 'Inbound' ? [remote, own] : [own, remote];
      const verdict = evaluateFlow(rules, flow, source, destination, vnetTag);
      if (verdict.outcome === 'denied') return { kind: 'denied', rule: verdict.rule };
      if (verdict.partialDeny && !partly) partly = { kind: 'partly', rule: verdict.partialDeny };
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

function addressMatch(texts: readonly string[], target: IpRange, virtualNetwork: readonly IpRange[]): Match {
  const ranges: IpRange[] = [];
  for (const text of texts) {
    const lower = text.trim().toLowerCase();
    if (lower === '*' || lower === 'any') return 'full';
    if (lower === 'virtualnetwork') {
      ranges.push(...virtualNetwork);
      continue;
    }
    const range = parsePrefix(text);
    if (range) ranges.push(range);
  }
  return coverage(ranges, target);
}

function protocolMatch(protocol: string, flow: MeshFlow): Match {
  const lower = protocol.toLowerCase();
  if (lower === '*' || lower === 'any') return 'full';
  if (flow.protocol === '*') return 'partial';
  return lower === flow.protocol.toLowerCase() ? 'full' : 'none';
}

const ALL_PORTS = { first: 1, last: 65535 };

function destinationPortMatch(texts: readonly string[], flow: MeshFlow): Match {
  const ranges = portRanges(texts);
  const port = flow.port;
  if (port === 'all') return portCoverage(ranges);
  return ranges.some((r) => r.first <= port && port <= r.last) ? 'full' : 'none';
}

function sourcePortMatch(texts: readonly string[]): Match {
  return portCoverage(portRanges(texts));
}

function portCoverage(ranges: readonly { first: number; last: number }[]): Match {
  if (ranges.length === 0) return 'none';
  const sorted = [...ranges].sort((x, y) => x.first - y.first);
  let reach = ALL_PORTS.first - 1;
  for (const r of sorted) {
    if (r.first > reach + 1) break;
    reach = Math.max(reach, r.last);
  }
  return reach >= ALL_PORTS.last ? 'full' : 'partial';
}

/** Port texts to ranges; an empty list (no restriction given) is every port. Unparseable texts are ignored. */
function portRanges(texts: readonly string[]): { first: number; last: number }[] {
  if (texts.length === 0) return [{ first: 0, last: 65535 }];
  const ranges: { first: number; last: number }[] = [];
  for (const text of texts) {
    const t = text.trim().toLowerCase();
    if (t === '*' || t === 'any') {
      ranges.push({ first: 0, last: 65535 });
      continue;
    }
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(t);
    if (!m?.[1]) continue;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (first <= last && last <= 65535) ranges.push({ first, last });
  }
  return ranges;
}

function combine(matches: readonly Match[]): Match {
  if (matches.includes('none')) return 'none';
  return matches.every((m) => m === 'full') ? 'full' : 'partial';
}

function listOf(single: string | undefined, many: readonly string[] | undefined): string[] {
  return [...(single ? [single] : []), ...(many ?? [])].filter((t) => t.trim() !== '');
}

function ruleText(rule: SecurityRule | undefined): string {
  return rule ? `rule '${rule.name}' (priority ${rule.priority})` : 'no matching rule';
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
