/**
 * Facts about AKS clusters that cannot change once a cluster exists, remembered per process so one read serves every
 * later need. Today: the node resource group (`nodeResourceGroup` is fixed when the cluster is created). Traffic
 * Manager sync needs it for every meshed member on every sync; the planner reads every member's cluster anyway, so a
 * 255-member sync right after a plan needs no cluster reads at all.
 *
 * Best effort by design: another process (another Functions instance) starts empty and reads the clusters itself.
 * A cluster deleted and created again under the same id with another node resource group is caught by the caller:
 * a read under a remembered group that fails forgets it (`forget`) and the cluster is read again.
 */
import { normalizeResourceId } from '../arm/resourceId.js';
import type { ManagedCluster } from '../models/index.js';

export class ClusterFacts {
  readonly #nodeResourceGroups = new Map<string, string>();

  /** Remembers what a cluster read showed. */
  remember(cluster: ManagedCluster): void {
    if (cluster.id && cluster.nodeResourceGroup) {
      this.#nodeResourceGroups.set(normalizeResourceId(cluster.id), cluster.nodeResourceGroup);
    }
  }

  nodeResourceGroup(clusterResourceId: string): string | undefined {
    return this.#nodeResourceGroups.get(normalizeResourceId(clusterResourceId));
  }

  forget(clusterResourceId: string): void {
    this.#nodeResourceGroups.delete(normalizeResourceId(clusterResourceId));
  }

  get size(): number {
    return this.#nodeResourceGroups.size;
  }
}
