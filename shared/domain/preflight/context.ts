/**
 * Where each member sits in the network: its cluster, node and pod subnets, their VNets and address prefixes.
 * Built once per preflight run; the placement problems found on the way (cluster or VNet not readable, subnet not
 * found) are findings themselves, and a member whose placement is not fully known is left out of the pair checks
 * (so one unreadable VNet gives one finding, not one per peer).
 */
import { normalizeResourceId, sameResourceId } from '../../arm/resourceId.js';
import type { FleetMember, ManagedCluster, Subnet, VirtualNetwork } from '../../models/index.js';
import { parsePrefix, type IpRange } from '../cidr.js';
import { compareText } from '../order.js';
import { clusterSubnetIds, normaliseSnapshot, readFailure, subnetVnetId } from './snapshot.js';
import type { PreflightFinding, PreflightSnapshot, ResourceKind } from './types.js';

export type SubnetRole = 'node' | 'pod';

export interface SubnetView {
  readonly id: string;
  readonly roles: readonly SubnetRole[];
  readonly vnet: VirtualNetwork;
  readonly subnet: Subnet;
  readonly prefixes: readonly IpRange[];
}

export interface MemberView {
  readonly member: FleetMember;
  readonly name: string;
  readonly cluster: ManagedCluster | undefined;
  /** The VNets of the member's subnets, by normalised id (sorted). */
  readonly vnets: readonly VirtualNetwork[];
  readonly subnets: readonly SubnetView[];
  /** Node and pod prefixes of all the member's subnets. */
  readonly prefixes: readonly IpRange[];
  /** The cluster was read and every subnet was found in a VNet that was read, with a usable prefix. */
  readonly networkKnown: boolean;
}

export interface PreflightContext {
  /** Normalised snapshot. */
  readonly snapshot: PreflightSnapshot;
  /** One view per member, sorted by member name then id. */
  readonly members: readonly MemberView[];
}

export function buildContext(input: PreflightSnapshot): { context: PreflightContext; findings: PreflightFinding[] } {
  const snapshot = normaliseSnapshot(input);
  const findings: PreflightFinding[] = [];
  const members = [...snapshot.members]
    .sort((a, b) => compareText(a.name, b.name) || compareText(a.id, b.id))
    .map((member) => viewOf(snapshot, member, findings));
  return { context: { snapshot, members }, findings };
}

/** "could not be read (reason)" or "was not read", for messages about missing snapshot data. */
export function missingText(snapshot: PreflightSnapshot, kind: ResourceKind, id: string): string {
  const failure = readFailure(snapshot, kind, id);
  return failure ? `could not be read (${failure.reason})` : 'was not read';
}

export function vnetKey(vnet: VirtualNetwork): string {
  return normalizeResourceId(vnet.id);
}

export function addressSpace(vnet: VirtualNetwork): IpRange[] {
  return parseAll(vnet.addressSpace?.addressPrefixes ?? []);
}

export function parseAll(texts: readonly string[]): IpRange[] {
  return texts.map(parsePrefix).filter((r): r is IpRange => r !== undefined);
}

export function subnetPrefixTexts(subnet: Subnet): string[] {
  return [...(subnet.addressPrefix ? [subnet.addressPrefix] : []), ...(subnet.addressPrefixes ?? [])];
}

function viewOf(snapshot: PreflightSnapshot, member: FleetMember, findings: PreflightFinding[]): MemberView {
  const clusterId = member.properties.clusterResourceId;
  const cluster = snapshot.clusters[normalizeResourceId(clusterId)];
  const unknown = { member, name: member.name, cluster, vnets: [], subnets: [], prefixes: [], networkKnown: false };
  if (!cluster) {
    findings.push({
      checkId: 'cluster.unreadable',
      severity: 'error',
      member: member.name,
      resourceId: clusterId,
      message: `the AKS cluster ${clusterId} of member '${member.name}' ${missingText(snapshot, 'cluster', clusterId)}, so none of its prerequisites can be checked`,
      remediation:
        'make sure the cluster exists and that the fleetmesh identity can read it (Reader on the cluster), then plan again',
    });
    return unknown;
  }
  const subnetIds = clusterSubnetIds(cluster);
  if (subnetIds.length === 0) {
    findings.push({
      checkId: 'network.subnets',
      severity: 'error',
      member: member.name,
      resourceId: cluster.id,
      message: `the agent pools of cluster '${cluster.name}' (member '${member.name}') name no vnetSubnetID: the cluster uses an AKS-managed virtual network, whose flat-network prerequisites fleetmesh cannot check`,
      remediation:
        "use clusters with Azure CNI in your own virtual network (--vnet-subnet-id, optionally --pod-subnet-id), with the members' virtual networks peered",
    });
    return { ...unknown, cluster };
  }
  let networkKnown = true;
  const subnets: SubnetView[] = [];
  const vnets = new Map<string, VirtualNetwork>();
  for (const subnetId of subnetIds) {
    const view = subnetView(snapshot, member, cluster, subnetId, findings);
    if (!view) {
      networkKnown = false;
      continue;
    }
    subnets.push(view);
    vnets.set(vnetKey(view.vnet), view.vnet);
  }
  return {
    member,
    name: member.name,
    cluster,
    vnets: [...vnets.entries()].sort(([a], [b]) => compareText(a, b)).map(([, v]) => v),
    subnets,
    prefixes: subnets.flatMap((s) => s.prefixes),
    networkKnown,
  };
}

function subnetView(
  snapshot: PreflightSnapshot,
  member: FleetMember,
  cluster: ManagedCluster,
  subnetId: string,
  findings: PreflightFinding[],
): SubnetView | undefined {
  const vnetId = subnetVnetId(subnetId);
  if (vnetId === undefined) {
    findings.push({
      checkId: 'network.subnets',
      severity: 'error',
      member: member.name,
      resourceId: cluster.id,
      message: `cluster '${cluster.name}' (member '${member.name}') names '${subnetId}' as a subnet, which is not a subnet resource id`,
      remediation: "check the agent pools' vnetSubnetID and podSubnetID",
    });
    return undefined;
  }
  const vnet = snapshot.virtualNetworks[normalizeResourceId(vnetId)];
  if (!vnet) {
    pushOnce(findings, {
      checkId: 'network.unreadable',
      severity: 'error',
      member: member.name,
      resourceId: vnetId,
      message: `the virtual network ${vnetId} of member '${member.name}' ${missingText(snapshot, 'virtualNetwork', vnetId)}, so its peering, address space, NSGs and routes cannot be checked`,
      remediation:
        'make sure the fleetmesh identity can read the virtual network (Reader or Network Contributor on it)',
    });
    return undefined;
  }
  const subnet = (vnet.subnets ?? []).find((s) => sameResourceId(s.id, subnetId));
  const prefixes = subnet ? parseAll(subnetPrefixTexts(subnet)) : [];
  if (!subnet || prefixes.length === 0) {
    findings.push({
      checkId: 'network.subnetNotFound',
      severity: 'error',
      member: member.name,
      resourceId: subnetId,
      message: subnet
        ? `subnet ${subnetId} of member '${member.name}' has no usable address prefix`
        : `subnet ${subnetId} of member '${member.name}' is not among the subnets of virtual network '${vnet.name}'`,
      remediation: "check that the cluster's subnet exists in its virtual network with an IPv4 or IPv6 prefix",
    });
    return undefined;
  }
  const roles: SubnetRole[] = [];
  for (const pool of cluster.agentPoolProfiles ?? []) {
    if (sameResourceId(pool.vnetSubnetID, subnetId) && !roles.includes('node')) roles.push('node');
    if (sameResourceId(pool.podSubnetID, subnetId) && !roles.includes('pod')) roles.push('pod');
  }
  return { id: subnet.id, roles: roles.sort(), vnet, subnet, prefixes };
}

function pushOnce(findings: PreflightFinding[], finding: PreflightFinding): void {
  const duplicate = findings.some(
    (f) => f.checkId === finding.checkId && f.member === finding.member && f.resourceId === finding.resourceId,
  );
  if (!duplicate) findings.push(finding);
}
