/**
 * Per-cluster prerequisites of a managed Cilium cluster mesh (reference §4): Kubernetes 1.32 or later, Azure CNI in a
 * flat network (not overlay), the Cilium dataplane and ACNS. All are errors.
 *
 * The version is `currentKubernetesVersion` (the running patch version); when it is missing, the requested
 * `kubernetesVersion` is used and the message says so; when both are missing or unparseable, that is an error too.
 */
import { coerce, gte } from 'semver';
import type { ManagedCluster } from '../../models/index.js';
import type { MemberView } from './context.js';
import type { PreflightFinding } from './types.js';

export const MIN_KUBERNETES_VERSION = '1.32.0';

export function checkClusterPrerequisites(view: MemberView): PreflightFinding[] {
  const cluster = view.cluster;
  if (!cluster) return [];
  return [
    kubernetesVersionFinding(view.name, cluster),
    networkPluginFinding(view.name, cluster),
    networkPluginModeFinding(view.name, cluster),
    networkDataplaneFinding(view.name, cluster),
    acnsFinding(view.name, cluster),
  ].filter((f): f is PreflightFinding => f !== undefined);
}

/** The version the check uses and where it came from; undefined when the cluster reports none. */
export function effectiveKubernetesVersion(
  cluster: ManagedCluster,
): { text: string; field: 'currentKubernetesVersion' | 'kubernetesVersion' } | undefined {
  if (cluster.currentKubernetesVersion)
    return { text: cluster.currentKubernetesVersion, field: 'currentKubernetesVersion' };
  if (cluster.kubernetesVersion) return { text: cluster.kubernetesVersion, field: 'kubernetesVersion' };
  return undefined;
}

/** True when `version` (for example `1.32.4`, `v1.33`, `1.32`) is at least 1.32; undefined when not a version. */
export function meetsMinimumVersion(version: string): boolean | undefined {
  if (!/^v?\d+\.\d+(\.\d+)?([-+].*)?$/.test(version.trim())) return undefined;
  const parsed = coerce(version);
  return parsed === null ? undefined : gte(parsed, MIN_KUBERNETES_VERSION);
}

function kubernetesVersionFinding(member: string, cluster: ManagedCluster): PreflightFinding | undefined {
  const version = effectiveKubernetesVersion(cluster);
  const base = { checkId: 'cluster.kubernetesVersion', severity: 'error', member, resourceId: cluster.id } as const;
  const remediation = `upgrade the cluster to Kubernetes 1.32 or later: az aks upgrade --resource-group <rg> --name ${cluster.name} --kubernetes-version <version>`;
  if (!version) {
    return {
      ...base,
      message: `cluster '${cluster.name}' reports no Kubernetes version; cluster mesh needs 1.32 or later`,
      remediation,
    };
  }
  const meets = meetsMinimumVersion(version.text);
  if (meets === true) return undefined;
  const from = version.field === 'kubernetesVersion' ? ' (requested version; currentKubernetesVersion is missing)' : '';
  return {
    ...base,
    message:
      meets === undefined
        ? `cluster '${cluster.name}' reports Kubernetes version '${version.text}'${from}, which is not a version fleetmesh can compare; cluster mesh needs 1.32 or later`
        : `cluster '${cluster.name}' runs Kubernetes ${version.text}${from}; cluster mesh needs 1.32 or later`,
    remediation,
  };
}

function networkPluginFinding(member: string, cluster: ManagedCluster): PreflightFinding | undefined {
  const plugin = cluster.networkProfile?.networkPlugin;
  if (plugin?.toLowerCase() === 'azure') return undefined;
  return {
    checkId: 'cluster.networkPlugin',
    severity: 'error',
    member,
    resourceId: cluster.id,
    message: `cluster '${cluster.name}' has networkPlugin ${plugin ? `'${plugin}'` : 'unset'}; cluster mesh needs Azure CNI ('azure') in a flat network`,
    remediation:
      'use a cluster created with --network-plugin azure --network-dataplane cilium --vnet-subnet-id <subnet> [--pod-subnet-id <subnet>]',
  };
}

function networkPluginModeFinding(member: string, cluster: ManagedCluster): PreflightFinding | undefined {
  const mode = cluster.networkProfile?.networkPluginMode;
  if (mode?.toLowerCase() !== 'overlay') return undefined;
  return {
    checkId: 'cluster.networkPluginMode',
    severity: 'error',
    member,
    resourceId: cluster.id,
    message: `cluster '${cluster.name}' uses Azure CNI Overlay (networkPluginMode 'overlay'), which is not a flat network: pods of other clusters cannot reach its pods directly`,
    remediation:
      'use a cluster with Azure CNI in node-subnet or pod-subnet mode (--vnet-subnet-id, optionally --pod-subnet-id); an overlay cluster cannot be switched to a flat network',
  };
}

function networkDataplaneFinding(member: string, cluster: ManagedCluster): PreflightFinding | undefined {
  const dataplane = cluster.networkProfile?.networkDataplane;
  if (dataplane?.toLowerCase() === 'cilium') return undefined;
  return {
    checkId: 'cluster.networkDataplane',
    severity: 'error',
    member,
    resourceId: cluster.id,
    message: `cluster '${cluster.name}' has networkDataplane ${dataplane ? `'${dataplane}'` : 'unset'}; cluster mesh needs 'cilium'`,
    remediation: `switch the cluster to Azure CNI powered by Cilium: az aks update --resource-group <rg> --name ${cluster.name} --network-dataplane cilium`,
  };
}

function acnsFinding(member: string, cluster: ManagedCluster): PreflightFinding | undefined {
  if (cluster.networkProfile?.advancedNetworking?.enabled === true) return undefined;
  return {
    checkId: 'cluster.acns',
    severity: 'error',
    member,
    resourceId: cluster.id,
    message: `cluster '${cluster.name}' does not have Advanced Container Networking Services enabled (advancedNetworking.enabled is not true)`,
    remediation: `enable ACNS: az aks update --resource-group <rg> --name ${cluster.name} --enable-acns`,
  };
}
