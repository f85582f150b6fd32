/**
 * Flat-network rules over every pair of members (reference §1.4, §5):
 *
 * - **peering**: each VNet of one member and each VNet of the other are the same VNet, or are peered *directly*:
 *   each side has a peering whose `remoteVirtualNetwork` is the other, with `peeringState` `Connected` and
 *   `allowVirtualNetworkAccess` not false. Peering is not transitive: A–B and B–C do not connect A and C.
 * - **address overlap**: two distinct VNets of the pair have no overlapping address space prefixes (IPv4 and IPv6).
 * - **peering sync**: a Connected peering whose `peeringSyncLevel` is not `FullyInSync` routes only the remote address
 *   space it last synced (`remoteAddressSpace`). A peer member prefix outside it is not routed: **error**; all of
 *   them inside it (or no `remoteAddressSpace` to tell): **warning**, so the sync is done before it bites.
 *
 * Only members whose placement is fully known take part (the placement findings already cover the others).
 * Pairs are reported once, with `member` the first by name and `peerMember` the second.
 */
import { normalizeResourceId, sameResourceId, tryParseResourceId } from '../../arm/resourceId.js';
import type { VirtualNetwork, VirtualNetworkPeering } from '../../models/index.js';
import { firstOverlap, rangeContains, type IpRange } from '../cidr.js';
import { addressSpace, parseAll, vnetKey, type MemberView, type PreflightContext } from './context.js';
import type { PreflightFinding } from './types.js';

export function checkFlatNetwork(context: PreflightContext): PreflightFinding[] {
  const findings: PreflightFinding[] = [];
  forEachKnownPair(context, (a, b) => {
    for (const va of a.vnets) {
      for (const vb of b.vnets) {
        if (vnetKey(va) === vnetKey(vb)) continue;
        const overlap = firstOverlap(addressSpace(va), addressSpace(vb));
        if (overlap) findings.push(overlapFinding(a, b, va, vb, overlap));
        const problems = peeringProblems(va, vb);
        if (problems.length > 0) findings.push(peeringFinding(a, b, va, vb, problems));
        else findings.push(...syncFindings(a, b, va, vb), ...syncFindings(b, a, vb, va));
      }
    }
  });
  return findings;
}

/** Calls `visit` for every unordered pair of members whose placement is known, in name order. */
export function forEachKnownPair(context: PreflightContext, visit: (a: MemberView, b: MemberView) => void): void {
  const known = context.members.filter((m) => m.networkKnown);
  for (let i = 0; i < known.length; i++) {
    for (let j = i + 1; j < known.length; j++) {
      const a = known[i];
      const b = known[j];
      if (a && b) visit(a, b);
    }
  }
}

/** True when every VNet of `a` can reach every VNet of `b` (same VNet, or directly peered and Connected). */
export function membersConnected(a: MemberView, b: MemberView): boolean {
  return a.vnets.every((va) =>
    b.vnets.every((vb) => vnetKey(va) === vnetKey(vb) || peeringProblems(va, vb).length === 0),
  );
}

/** Why two distinct VNets are not directly peered both ways; empty when they are. */
export function peeringProblems(a: VirtualNetwork, b: VirtualNetwork): string[] {
  return [...sideProblems(a, b), ...sideProblems(b, a)];
}

/**
 * The address ranges Azure's `VirtualNetwork` service tag stands for, seen from `vnet`: its own address space plus
 * the address space of every VNet it is peered with (Connected, VNet access allowed).
 */
export function virtualNetworkTagRanges(
  vnet: VirtualNetwork,
  knownVnets: Readonly<Record<string, VirtualNetwork>> = {},
): IpRange[] {
  return [...addressSpace(vnet), ...parseAll(peeredAddressPrefixes(vnet, knownVnets))];
}

/**
 * The remote address prefixes of `vnet`'s usable peerings: the peering's `remoteAddressSpace`, or, when the peering
 * does not carry it, the address space of the remote VNet if it is among `knownVnets` (keyed by normalised id).
 */
export function peeredAddressPrefixes(
  vnet: VirtualNetwork,
  knownVnets: Readonly<Record<string, VirtualNetwork>> = {},
): string[] {
  return (vnet.virtualNetworkPeerings ?? []).filter(isUsablePeering).flatMap((p) => {
    const carried = p.remoteAddressSpace?.addressPrefixes ?? [];
    if (carried.length > 0) return carried;
    const remoteId = p.remoteVirtualNetwork?.id;
    const remote = remoteId === undefined ? undefined : knownVnets[normalizeResourceId(remoteId)];
    return remote?.addressSpace?.addressPrefixes ?? [];
  });
}

/** Peerings of `vnet` that carry traffic: Connected and not denying VNet access. */
export function isUsablePeering(peering: VirtualNetworkPeering): boolean {
  return peering.peeringState?.toLowerCase() === 'connected' && peering.allowVirtualNetworkAccess !== false;
}

function sideProblems(from: VirtualNetwork, to: VirtualNetwork): string[] {
  const peerings = (from.virtualNetworkPeerings ?? []).filter((p) => sameResourceId(p.remoteVirtualNetwork?.id, to.id));
  if (peerings.length === 0) return [`'${from.name}' has no peering to '${to.name}'`];
  if (peerings.some(isUsablePeering)) return [];
  return peerings.map((p) =>
    p.peeringState?.toLowerCase() !== 'connected'
      ? `peering '${p.name}' of '${from.name}' to '${to.name}' is ${p.peeringState ? `'${p.peeringState}'` : 'in an unknown state'}, not 'Connected'`
      : `peering '${p.name}' of '${from.name}' to '${to.name}' does not allow virtual network access`,
  );
}

function peeringFinding(
  a: MemberView,
  b: MemberView,
  va: VirtualNetwork,
  vb: VirtualNetwork,
  problems: readonly string[],
): PreflightFinding {
  return {
    checkId: 'network.peering',
    severity: 'error',
    member: a.name,
    peerMember: b.name,
    resourceId: va.id,
    message: `members '${a.name}' and '${b.name}' are in virtual networks '${va.name}' and '${vb.name}', which are not directly peered: ${problems.join('; ')} (peering is not transitive, so a path through a third network does not count)`,
    remediation: `peer '${va.name}' and '${vb.name}' directly, in both directions, with virtual network access allowed (az network vnet peering create --allow-vnet-access on each side), so both peerings show 'Connected'`,
  };
}

function overlapFinding(
  a: MemberView,
  b: MemberView,
  va: VirtualNetwork,
  vb: VirtualNetwork,
  [ra, rb]: readonly [IpRange, IpRange],
): PreflightFinding {
  return {
    checkId: 'network.addressOverlap',
    severity: 'error',
    member: a.name,
    peerMember: b.name,
    resourceId: va.id,
    message: `the address spaces of virtual networks '${va.name}' (member '${a.name}') and '${vb.name}' (member '${b.name}') overlap: ${ra.text} and ${rb.text}; pods and nodes of the two clusters cannot route to each other`,
    remediation: 'give every member virtual network a distinct, non-overlapping address space (re-address one of them)',
  };
}

/** Findings for `from`'s usable peerings to `to` that are not fully in sync (see the module comment). */
function syncFindings(
  self: MemberView,
  peer: MemberView,
  from: VirtualNetwork,
  to: VirtualNetwork,
): PreflightFinding[] {
  const peerPrefixes = peer.subnets.filter((s) => vnetKey(s.vnet) === vnetKey(to)).flatMap((s) => s.prefixes);
  return (from.virtualNetworkPeerings ?? [])
    .filter((p) => sameResourceId(p.remoteVirtualNetwork?.id, to.id) && isUsablePeering(p))
    .filter((p) => p.peeringSyncLevel !== undefined && p.peeringSyncLevel.toLowerCase() !== 'fullyinsync')
    .map((p) => {
      const synced = p.remoteAddressSpace?.addressPrefixes;
      const known = synced !== undefined && synced.length > 0;
      const ranges = parseAll(synced ?? []);
      const unrouted = known ? peerPrefixes.filter((prefix) => !ranges.some((r) => rangeContains(r, prefix))) : [];
      const state = `peering '${p.name}' of '${from.name}' to '${to.name}' is '${p.peeringSyncLevel ?? ''}'`;
      const detail = !known
        ? " and carries no remote address space, so whether member '" + peer.name + "' is routed cannot be told"
        : unrouted.length > 0
          ? `: the address space it routes (${synced.join(', ')}) leaves out ${unrouted.map((r) => r.text).join(', ')} of member '${peer.name}', so traffic from '${self.name}' to them is not routed`
          : `; member '${peer.name}' is inside the address space it routes, but address space added to '${to.name}' later is not`;
      return {
        checkId: 'network.peeringSync',
        severity: unrouted.length > 0 ? 'error' : 'warning',
        member: self.name,
        peerMember: peer.name,
        resourceId: p.id,
        message: `${state}${detail}`,
        remediation: `sync the peering: az network vnet peering sync --resource-group ${tryParseResourceId(from.id)?.resourceGroup ?? '<resource group>'} --vnet-name ${from.name} --name ${p.name} (and the peering of '${to.name}' if it is not in sync either)`,
      } satisfies PreflightFinding;
    });
}
