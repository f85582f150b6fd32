/**
 * Network reachability between two mesh members' node subnets, as the simulated mesh needs it: VNet address spaces
 * must not overlap, distinct VNets must be peered (both sides `Connected`), NSGs on the node subnets must not deny
 * TCP 2379 (the `clustermesh-apiserver` port) between them, and route tables must not black-hole (next hop `None`)
 * the other side's node subnet.
 */
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import {
  isJsonObject,
  key,
  type JsonObject,
  type JsonValue,
  type SubnetRecord,
  type VirtualNetworkRecord,
  type World,
} from '../world.js';

export const CLUSTERMESH_PORT = 2379;

function toInt(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function parseCidr(cidr: string): { address: string; prefix: number } | undefined {
  const [address, bits] = cidr.trim().split('/');
  if (address === undefined || !isIPv4(address)) return undefined;
  const prefix = bits === undefined ? 32 : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  return { address, prefix };
}

const rangeCache = new Map<string, readonly [number, number] | null>();

/** First and last address of a CIDR block as integers (cached: the same prefixes are compared many times). */
function range(cidr: string): readonly [number, number] | undefined {
  const cached = rangeCache.get(cidr);
  if (cached !== undefined) return cached ?? undefined;
  const c = parseCidr(cidr);
  let result: readonly [number, number] | null = null;
  if (c) {
    const block = 2 ** (32 - c.prefix);
    const start = Math.floor(toInt(c.address) / block) * block;
    result = [start, start + block - 1];
  }
  if (rangeCache.size > 100_000) rangeCache.clear();
  rangeCache.set(cidr, result);
  return result ?? undefined;
}

export function cidrContains(cidr: string, address: string): boolean {
  const r = range(cidr);
  if (!r || !isIPv4(address)) return false;
  const n = toInt(address);
  return n >= r[0] && n <= r[1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const ra = range(a);
  const rb = range(b);
  if (!ra || !rb) return false;
  return ra[0] <= rb[1] && rb[0] <= ra[1];
}

export function isValidCidr(cidr: string): boolean {
  return parseCidr(cidr) !== undefined;
}

/** The first address of a CIDR block (host bits cleared). */
export function firstAddress(cidr: string): string | undefined {
  const r = range(cidr);
  if (!r) return undefined;
  return [24, 16, 8, 0].map((shift) => Math.floor(r[0] / 2 ** shift) % 256).join('.');
}

const StringArray = z.array(z.string());

function stringList(props: JsonObject, single: string, plural: string): string[] {
  const list = StringArray.safeParse(props[plural]);
  const one = props[single];
  return [...(typeof one === 'string' ? [one] : []), ...(list.success ? list.data : [])];
}

export function vnetPrefixes(vnet: VirtualNetworkRecord): string[] {
  const space = vnet.properties['addressSpace'];
  if (!isJsonObject(space)) return [];
  const list = StringArray.safeParse(space['addressPrefixes']);
  return list.success ? list.data : [];
}

export function subnetPrefixes(subnet: SubnetRecord): string[] {
  return stringList(subnet.properties, 'addressPrefix', 'addressPrefixes');
}

function refId(value: JsonValue | undefined): string | undefined {
  return isJsonObject(value) && typeof value['id'] === 'string' ? value['id'] : undefined;
}

/** `peeringState` as ARM shows it: Connected when the remote VNet peers back, Initiated when it does not, Disconnected when it is gone. */
export function peeringState(
  world: World,
  vnet: VirtualNetworkRecord,
  peeringProps: JsonObject,
): 'Connected' | 'Initiated' | 'Disconnected' {
  const remoteId = refId(peeringProps['remoteVirtualNetwork']);
  const remote = remoteId === undefined ? undefined : world.virtualNetworks.get(key(remoteId));
  if (!remote) return 'Disconnected';
  const back = [...remote.peerings.values()].some((p) => {
    const id = refId(p.properties['remoteVirtualNetwork']);
    return id !== undefined && key(id) === key(vnet.id);
  });
  return back ? 'Connected' : 'Initiated';
}

function peeredBothWays(world: World, a: VirtualNetworkRecord, b: VirtualNetworkRecord): boolean {
  const find = (from: VirtualNetworkRecord, to: VirtualNetworkRecord): JsonObject | undefined =>
    [...from.peerings.values()].find((p) => {
      const id = refId(p.properties['remoteVirtualNetwork']);
      return id !== undefined && key(id) === key(to.id);
    })?.properties;
  const ab = find(a, b);
  const ba = find(b, a);
  if (!ab || !ba) return false;
  if (ab['allowVirtualNetworkAccess'] === false || ba['allowVirtualNetworkAccess'] === false) return false;
  return peeringState(world, a, ab) === 'Connected' && peeringState(world, b, ba) === 'Connected';
}

const Rule = z.object({
  name: z.string(),
  properties: z.object({
    priority: z.number(),
    direction: z.string(),
    access: z.string(),
    protocol: z.string(),
  }),
});

function addressMatches(patterns: readonly string[], prefixes: readonly string[]): boolean {
  return patterns.some((p) => {
    const lower = p.toLowerCase();
    if (lower === '*' || lower === 'any' || lower === 'virtualnetwork') return true;
    return prefixes.some((prefix) => cidrsOverlap(p, prefix));
  });
}

function portMatches(ranges: readonly string[], port: number): boolean {
  return ranges.some((r) => {
    if (r === '*') return true;
    const [lo, hi] = r.split('-').map(Number);
    if (lo === undefined || Number.isNaN(lo)) return false;
    return port >= lo && port <= (hi ?? lo);
  });
}

/** The custom rule that denies TCP `port` between `local` and `remote` prefixes in `direction`, if the first matching rule denies. */
function nsgDenyingRule(
  world: World,
  subnet: SubnetRecord,
  direction: 'Inbound' | 'Outbound',
  localPrefixes: readonly string[],
  remotePrefixes: readonly string[],
  port: number,
): string | undefined {
  const nsgId = refId(subnet.properties['networkSecurityGroup']);
  if (nsgId === undefined) return undefined;
  const nsg = world.networkResources.get(key(nsgId));
  if (!nsg) return undefined;
  const rules = z.array(z.unknown()).safeParse(nsg.properties['securityRules']);
  if (!rules.success) return undefined;
  const parsed: { name: string; p: z.output<typeof Rule>['properties']; props: JsonObject }[] = [];
  for (const raw of rules.data) {
    const rule = Rule.safeParse(raw);
    if (!rule.success || !isJsonObject(raw)) continue;
    const props = raw['properties'];
    parsed.push({ name: rule.data.name, p: rule.data.properties, props: isJsonObject(props) ? props : {} });
  }
  parsed.sort((x, y) => x.p.priority - y.p.priority);
  for (const r of parsed) {
    const p = r.p;
    if (p.direction.toLowerCase() !== direction.toLowerCase()) continue;
    if (!['*', 'tcp'].includes(p.protocol.toLowerCase())) continue;
    const props = r.props;
    const src = stringList(props, 'sourceAddressPrefix', 'sourceAddressPrefixes');
    const dst = stringList(props, 'destinationAddressPrefix', 'destinationAddressPrefixes');
    const ports = stringList(props, 'destinationPortRange', 'destinationPortRanges');
    const remoteSide = direction === 'Inbound' ? src : dst;
    const localSide = direction === 'Inbound' ? dst : src;
    if (!addressMatches(remoteSide, remotePrefixes) || !addressMatches(localSide, localPrefixes)) continue;
    if (!portMatches(ports, port)) continue;
    return p.access.toLowerCase() === 'deny' ? `${nsg.name}/${r.name}` : undefined;
  }
  return undefined;
}

/** The route (table/route) that sends traffic for `address` to next hop None, if that route is the longest match. */
function blackholeRoute(world: World, subnet: SubnetRecord, address: string): string | undefined {
  const rtId = refId(subnet.properties['routeTable']);
  if (rtId === undefined) return undefined;
  const table = world.networkResources.get(key(rtId));
  if (!table) return undefined;
  const routes = z
    .array(z.object({ name: z.string(), properties: z.object({ addressPrefix: z.string(), nextHopType: z.string() }) }))
    .safeParse(table.properties['routes']);
  if (!routes.success) return undefined;
  let best: { name: string; prefix: number; hop: string } | undefined;
  for (const r of routes.data) {
    const c = parseCidr(r.properties.addressPrefix);
    if (!c || !cidrContains(r.properties.addressPrefix, address)) continue;
    if (!best || c.prefix > best.prefix) best = { name: r.name, prefix: c.prefix, hop: r.properties.nextHopType };
  }
  return best && best.hop.toLowerCase() === 'none' ? `${table.name}/${best.name}` : undefined;
}

export interface MemberNetwork {
  readonly member: string;
  readonly vnet: VirtualNetworkRecord;
  readonly nodeSubnet: SubnetRecord;
  /** Node and pod subnet prefixes. */
  readonly prefixes: readonly string[];
}

/** Facts about a pair of VNets, cached for one evaluation (many members share a VNet). */
export type VnetPairCache = Map<
  string,
  { readonly overlaps: readonly (readonly [string, string])[]; readonly peered: boolean }
>;

function vnetPair(
  world: World,
  a: VirtualNetworkRecord,
  b: VirtualNetworkRecord,
  cache: VnetPairCache | undefined,
): { readonly overlaps: readonly (readonly [string, string])[]; readonly peered: boolean } {
  const id = `${a.id}|${b.id}`;
  const hit = cache?.get(id);
  if (hit) return hit;
  const overlaps: (readonly [string, string])[] = [];
  for (const pa of vnetPrefixes(a)) for (const pb of vnetPrefixes(b)) if (cidrsOverlap(pa, pb)) overlaps.push([pa, pb]);
  const facts = { overlaps, peered: peeredBothWays(world, a, b) };
  cache?.set(id, facts);
  return facts;
}

/** Why `a` and `b` cannot reach each other's clustermesh-apiserver (empty when they can). */
export function pairProblems(world: World, a: MemberNetwork, b: MemberNetwork, cache?: VnetPairCache): string[] {
  const problems: string[] = [];
  if (a.vnet !== b.vnet) {
    const facts = vnetPair(world, a.vnet, b.vnet, cache);
    for (const [pa, pb] of facts.overlaps) {
      problems.push(
        `address space ${pa} of virtual network '${a.vnet.name}' overlaps ${pb} of virtual network '${b.vnet.name}' (member '${b.member}')`,
      );
    }
    if (!facts.peered) {
      problems.push(
        `virtual network '${a.vnet.name}' is not peered with virtual network '${b.vnet.name}' of member '${b.member}' (a peering must exist on both sides and show Connected)`,
      );
    }
  }
  const directions: [MemberNetwork, MemberNetwork][] = [
    [a, b],
    [b, a],
  ];
  for (const [from, to] of directions) {
    const out = nsgDenyingRule(
      world,
      from.nodeSubnet,
      'Outbound',
      from.prefixes,
      subnetPrefixes(to.nodeSubnet),
      CLUSTERMESH_PORT,
    );
    if (out)
      problems.push(
        `network security group rule '${out}' denies outbound TCP ${CLUSTERMESH_PORT} from member '${from.member}' to member '${to.member}'`,
      );
    const inbound = nsgDenyingRule(
      world,
      to.nodeSubnet,
      'Inbound',
      subnetPrefixes(to.nodeSubnet),
      from.prefixes,
      CLUSTERMESH_PORT,
    );
    if (inbound)
      problems.push(
        `network security group rule '${inbound}' denies inbound TCP ${CLUSTERMESH_PORT} to member '${to.member}' from member '${from.member}'`,
      );
    const target = subnetPrefixes(to.nodeSubnet)[0];
    const address = target === undefined ? undefined : firstAddress(target);
    const hole = address === undefined ? undefined : blackholeRoute(world, from.nodeSubnet, address);
    if (hole)
      problems.push(
        `route '${hole}' on member '${from.member}' sends traffic for ${target ?? ''} to next hop None (black hole), so member '${to.member}' is unreachable`,
      );
  }
  return problems;
}
