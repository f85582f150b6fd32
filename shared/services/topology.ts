/**
 * The network picture of a mesh for the status page (`GET /api/meshes/{profile}/topology`): which VNets the members'
 * clusters sit in (from their node and pod subnets) and, for every pair of distinct member VNets, whether they are
 * peered (directly, `Connected`, with VNet access, on both sides — the same rule preflight's `network.peering` uses).
 *
 * Read-only and bounded: one GET per member cluster and one per VNet, a few at a time, and the result is kept for a
 * short while per profile and member set, so a page refreshing every few seconds does not spend ARM's read budget.
 */
import pLimit from 'p-limit';
import { normalizeResourceId, tryParseResourceId } from '../arm/resourceId.js';
import { describeAzureError } from '../azure/errors.js';
import type { ClusterGateway, NetworkGateway } from '../azure/gateways.js';
import { clusterVnetIds, compareText, peeringProblems } from '../domain/index.js';
import type { ManagedCluster, VirtualNetwork } from '../models/index.js';

export interface TopologyMemberInput {
  readonly name: string;
  readonly clusterResourceId?: string | undefined;
}

export interface ReadProblem {
  readonly code: 'ReadFailed' | 'NoCluster' | 'NoSubnets';
  readonly message: string;
}

export interface TopologyMember {
  readonly name: string;
  readonly clusterResourceId: string | null;
  readonly vnetIds: readonly string[];
  readonly error?: ReadProblem;
}

export interface TopologyVnet {
  readonly id: string;
  readonly name: string;
  readonly resourceGroup: string | null;
  readonly location: string | null;
  readonly addressPrefixes: readonly string[];
  /** Member names, sorted. */
  readonly members: readonly string[];
  readonly error?: ReadProblem;
}

export interface TopologyPeering {
  readonly vnets: readonly [string, string];
  readonly peered: boolean;
  /** Why not, per side (empty when peered, or when a VNet could not be read: then `unknown` is set). */
  readonly problems: readonly string[];
  readonly unknown?: boolean;
}

export interface MeshTopology {
  readonly profile: string;
  readonly members: readonly TopologyMember[];
  readonly vnets: readonly TopologyVnet[];
  readonly peerings: readonly TopologyPeering[];
  readonly observedAt: string;
}

export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/**
 * The topology from what was read. `clusters` and `vnets` are keyed by normalised resource id; a missing key means
 * "not read" and is reported like a failed read.
 */
export function buildTopology(
  profile: string,
  members: readonly TopologyMemberInput[],
  clusters: ReadonlyMap<string, Read<ManagedCluster>>,
  vnets: ReadonlyMap<string, Read<VirtualNetwork>>,
  observedAt: string,
): MeshTopology {
  const vnetMembers = new Map<string, { id: string; members: string[] }>();
  const outMembers: TopologyMember[] = [...members]
    .sort((a, b) => compareText(a.name, b.name))
    .map((m) => {
      if (!m.clusterResourceId) {
        return {
          name: m.name,
          clusterResourceId: null,
          vnetIds: [],
          error: { code: 'NoCluster', message: 'the member names no AKS cluster' },
        };
      }
      const read = clusters.get(normalizeResourceId(m.clusterResourceId));
      if (!read?.ok) {
        return {
          name: m.name,
          clusterResourceId: m.clusterResourceId,
          vnetIds: [],
          error: { code: 'ReadFailed', message: `cluster not read: ${read?.problem ?? 'not requested'}` },
        };
      }
      const ids = clusterVnetIds(read.value);
      for (const id of ids) {
        const key = normalizeResourceId(id);
        const entry = vnetMembers.get(key) ?? { id, members: [] };
        entry.members.push(m.name);
        vnetMembers.set(key, entry);
      }
      return {
        name: m.name,
        clusterResourceId: m.clusterResourceId,
        vnetIds: ids,
        ...(ids.length === 0
          ? { error: { code: 'NoSubnets', message: 'the cluster names no node or pod subnet (not a flat network)' } }
          : {}),
      } satisfies TopologyMember;
    });

  const keys = [...vnetMembers.keys()].sort(compareText);
  const outVnets: TopologyVnet[] = keys.map((key) => {
    const { id, members: names } = vnetMembers.get(key) ?? { id: key, members: [] };
    const parsed = tryParseResourceId(id);
    const read = vnets.get(key);
    const base = {
      id,
      name: read?.ok ? read.value.name : (parsed?.name ?? id),
      resourceGroup: parsed?.resourceGroup ?? null,
      location: read?.ok ? (read.value.location ?? null) : null,
      addressPrefixes: read?.ok ? (read.value.addressSpace?.addressPrefixes ?? []) : [],
      members: [...names].sort(compareText),
    };
    return read?.ok
      ? base
      : { ...base, error: { code: 'ReadFailed', message: `VNet not read: ${read?.problem ?? 'not requested'}` } };
  });

  const peerings: TopologyPeering[] = [];
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      const ka = keys[i];
      const kb = keys[j];
      if (ka === undefined || kb === undefined) continue;
      const a = vnets.get(ka);
      const b = vnets.get(kb);
      const ids = [outVnets[i]?.id ?? ka, outVnets[j]?.id ?? kb] as const;
      if (!a?.ok || !b?.ok) {
        peerings.push({ vnets: ids, peered: false, problems: ['a VNet could not be read'], unknown: true });
        continue;
      }
      const problems = peeringProblems(a.value, b.value);
      peerings.push({ vnets: ids, peered: problems.length === 0, problems });
    }
  }
  return { profile, members: outMembers, vnets: outVnets, peerings, observedAt };
}

export interface TopologyReaderOptions {
  /** How long a topology is reused for the same profile and members (default 20 s). */
  readonly maxAgeMs?: number;
  /** Parallel ARM reads (default 4). */
  readonly concurrency?: number;
  readonly now?: () => Date;
}

export interface TopologyReader {
  read(profile: string, members: readonly TopologyMemberInput[]): Promise<MeshTopology>;
}

export function createTopologyReader(
  gateways: { readonly clusters: ClusterGateway; readonly network: NetworkGateway },
  options: TopologyReaderOptions = {},
): TopologyReader {
  const maxAgeMs = options.maxAgeMs ?? 20_000;
  const now = options.now ?? (() => new Date());
  const limit = pLimit(options.concurrency ?? 4);
  const cache = new Map<string, { at: number; value: Promise<MeshTopology> }>();

  const attempt = async <T>(fn: () => Promise<T>): Promise<Read<T>> => {
    try {
      return { ok: true, value: await limit(fn) };
    } catch (e) {
      return { ok: false, problem: describeAzureError(e) };
    }
  };

  const compute = async (profile: string, members: readonly TopologyMemberInput[]): Promise<MeshTopology> => {
    const clusterIds = [
      ...new Map(
        members
          .map((m) => m.clusterResourceId)
          .filter((id): id is string => typeof id === 'string' && id !== '')
          .map((id) => [normalizeResourceId(id), id]),
      ),
    ];
    const clusters = new Map(
      await Promise.all(
        clusterIds.map(async ([key, id]) => [key, await attempt(() => gateways.clusters.getCluster(id))] as const),
      ),
    );
    const vnetIds = new Map<string, string>();
    for (const read of clusters.values()) {
      if (read.ok) for (const id of clusterVnetIds(read.value)) vnetIds.set(normalizeResourceId(id), id);
    }
    const vnets = new Map(
      await Promise.all(
        [...vnetIds].map(
          async ([key, id]) => [key, await attempt(() => gateways.network.getVirtualNetwork(id))] as const,
        ),
      ),
    );
    return buildTopology(profile, members, clusters, vnets, now().toISOString());
  };

  return {
    read(profile, members) {
      const key = `${profile}|${members
        .map((m) => `${m.name}=${m.clusterResourceId ?? ''}`.toLowerCase())
        .sort()
        .join(',')}`;
      const at = now().getTime();
      const hit = cache.get(key);
      if (hit && at - hit.at < maxAgeMs) return hit.value;
      const value = compute(profile, members);
      cache.set(key, { at, value });
      // Keep the cache small: drop what is too old to be used.
      for (const [k, v] of cache) if (at - v.at >= maxAgeMs) cache.delete(k);
      value.catch(() => cache.delete(key));
      return value;
    },
  };
}
