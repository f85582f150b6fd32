/**
 * Route tables on member subnets that send another member's prefixes to next hop `None` (a blackhole).
 *
 * **Model.** For every ordered pair of connected members and every subnet S of the first with a route table, each
 * node/pod prefix P of the second is routed the way Azure selects routes: among the user routes of S's table and the
 * system routes (S's VNet address space → `VnetLocal`, the address space of each VNet it is peered with →
 * `VNetPeering`), the longest prefix containing P wins, a user route winning a tie. If that route is a user route with
 * next hop `None`, P is dropped (error). A user `None` route strictly inside P that longer routes do not entirely
 * override drops part of P (also an error: some pods or nodes are unreachable). Routes learned over BGP or from
 * gateways are not visible to fleetmesh and are not considered; a user route whose prefix is a service tag is skipped.
 */
import { normalizeResourceId } from '../../arm/resourceId.js';
import type { Route, RouteTable, VirtualNetwork } from '../../models/index.js';
import { coverage, parsePrefix, rangeContains, rangesOverlap, type IpRange } from '../cidr.js';
import { missingText, type MemberView, type PreflightContext, type SubnetView } from './context.js';
import { forEachKnownPair, membersConnected, virtualNetworkTagRanges } from './network.js';
import type { PreflightFinding } from './types.js';

interface Candidate {
  readonly range: IpRange;
  /** Undefined for a system route. */
  readonly route?: Route;
}

export function checkRouteTables(context: PreflightContext): PreflightFinding[] {
  const findings: PreflightFinding[] = [...unreadableRouteTableFindings(context)];
  forEachKnownPair(context, (a, b) => {
    if (!membersConnected(a, b)) return;
    for (const [self, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const { table, subnets } of subnetsByRouteTable(context, self)) {
        const finding = blackholeFinding(table, subnets, self, peer, context.snapshot.virtualNetworks);
        if (finding) findings.push(finding);
      }
    }
  });
  return findings;
}

/** The user route that drops traffic to `destination` from `subnet`, fully or in part; undefined when none does. */
export function blackholeFor(
  table: RouteTable,
  subnet: SubnetView,
  destination: IpRange,
  knownVnets: Readonly<Record<string, VirtualNetwork>> = {},
): { route: Route; partly: boolean } | undefined {
  const candidates = [...userRoutes(table), ...systemRoutes(subnet, knownVnets)];
  const effective = longestContaining(candidates, destination);
  if (effective?.route && isNoneHop(effective.route)) return { route: effective.route, partly: false };
  for (const inner of candidates) {
    if (!inner.route || !isNoneHop(inner.route)) continue;
    if (!rangesOverlap(inner.range, destination) || rangeContains(inner.range, destination)) continue;
    const longer = candidates
      .filter((c) => c.range.prefixLength > inner.range.prefixLength && rangeContains(inner.range, c.range))
      .map((c) => c.range);
    if (coverage(longer, inner.range) !== 'full') return { route: inner.route, partly: true };
  }
  return undefined;
}

function blackholeFinding(
  table: RouteTable,
  subnets: readonly SubnetView[],
  self: MemberView,
  peer: MemberView,
  knownVnets: Readonly<Record<string, VirtualNetwork>>,
): PreflightFinding | undefined {
  const drops = new Set<string>();
  let partlyOnly = true;
  for (const subnet of subnets) {
    for (const prefix of peer.prefixes) {
      const hit = blackholeFor(table, subnet, prefix, knownVnets);
      if (!hit) continue;
      if (!hit.partly) partlyOnly = false;
      drops.add(
        `${hit.partly ? 'part of ' : ''}${prefix.text} by route '${hit.route.name}' (${hit.route.addressPrefix ?? '?'} → None)`,
      );
    }
  }
  if (drops.size === 0) return undefined;
  const subnetNames = subnets.map((s) => `'${s.subnet.name}'`).join(', ');
  return {
    checkId: 'routeTable.blackhole',
    severity: 'error',
    member: self.name,
    peerMember: peer.name,
    resourceId: table.id,
    message: `route table '${table.name}' on subnet${subnets.length > 1 ? 's' : ''} ${subnetNames} of member '${self.name}' drops ${partlyOnly ? 'part of the ' : ''}traffic to member '${peer.name}': ${[...drops].join('; ')}`,
    remediation: `remove or narrow the next-hop-None route in '${table.name}', or add a more specific route for member '${peer.name}''s prefixes with next hop VirtualNetworkGateway, VnetLocal or a virtual appliance that forwards them`,
  };
}

/** The member's subnets grouped by the route table on them (tables that were read), in subnet order. */
function subnetsByRouteTable(
  context: PreflightContext,
  view: MemberView,
): { table: RouteTable; subnets: SubnetView[] }[] {
  const groups = new Map<string, { table: RouteTable; subnets: SubnetView[] }>();
  for (const subnet of view.subnets) {
    const table = routeTableOf(context, subnet);
    if (!table) continue;
    const key = normalizeResourceId(table.id);
    const entry = groups.get(key) ?? { table, subnets: [] };
    entry.subnets.push(subnet);
    groups.set(key, entry);
  }
  return [...groups.values()];
}

function userRoutes(table: RouteTable): Candidate[] {
  const candidates: Candidate[] = [];
  for (const route of table.routes ?? []) {
    const range = route.addressPrefix === undefined ? undefined : parsePrefix(route.addressPrefix);
    if (range) candidates.push({ range, route });
  }
  return candidates;
}

function systemRoutes(subnet: SubnetView, knownVnets: Readonly<Record<string, VirtualNetwork>>): Candidate[] {
  return virtualNetworkTagRanges(subnet.vnet, knownVnets).map((range) => ({ range }));
}

function longestContaining(candidates: readonly Candidate[], destination: IpRange): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (!rangeContains(c.range, destination)) continue;
    if (
      !best ||
      c.range.prefixLength > best.range.prefixLength ||
      (c.range.prefixLength === best.range.prefixLength && c.route !== undefined && best.route === undefined)
    ) {
      best = c;
    }
  }
  return best;
}

function isNoneHop(route: Route): boolean {
  return route.nextHopType.toLowerCase() === 'none';
}

function unreadableRouteTableFindings(context: PreflightContext): PreflightFinding[] {
  const findings: PreflightFinding[] = [];
  for (const view of context.members) {
    const reported = new Set<string>();
    for (const subnet of view.subnets) {
      const id = subnet.subnet.routeTable?.id;
      if (!id || routeTableOf(context, subnet) || reported.has(normalizeResourceId(id))) continue;
      reported.add(normalizeResourceId(id));
      findings.push({
        checkId: 'routeTable.unreadable',
        severity: 'error',
        member: view.name,
        resourceId: id,
        message: `route table ${id} on subnet '${subnet.subnet.name}' of member '${view.name}' ${missingText(context.snapshot, 'routeTable', id)}, so whether it drops mesh traffic cannot be checked`,
        remediation: 'make sure the fleetmesh identity can read the route table (Reader on it)',
      });
    }
  }
  return findings;
}

function routeTableOf(context: PreflightContext, subnet: SubnetView): RouteTable | undefined {
  const id = subnet.subnet.routeTable?.id;
  return id ? context.snapshot.routeTables[normalizeResourceId(id)] : undefined;
}
