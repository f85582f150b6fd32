import { describe, expect, it } from 'vitest';
import { meetsMinimumVersion, runPreflight } from '../../../../../shared/domain/preflight/index.js';
import { eastWest, type ClusterOptions } from '../fixtures.js';

function clusterFindings(options: ClusterOptions) {
  const snapshot = eastWest()
    .cluster({ name: 'third', vnet: 'vnet-east', nodeSubnet: 'nodes', cluster: options })
    .snapshot();
  return runPreflight(snapshot).findings.filter((f) => f.checkId.startsWith('cluster.'));
}

describe('cluster prerequisites', () => {
  it('a cluster that meets them all gives no finding', () => {
    expect(clusterFindings({})).toEqual([]);
  });

  it.each<[string, ClusterOptions, string, string]>([
    [
      'version 1.31',
      { version: '1.31.9' },
      'cluster.kubernetesVersion',
      "cluster 'aks-third' runs Kubernetes 1.31.9; cluster mesh needs 1.32 or later",
    ],
    [
      'version 1.9 (numeric, not text, compare)',
      { version: '1.9.0' },
      'cluster.kubernetesVersion',
      'runs Kubernetes 1.9.0',
    ],
    [
      'no version at all',
      { version: undefined, requestedVersion: '' },
      'cluster.kubernetesVersion',
      'reports no Kubernetes version',
    ],
    [
      'requested version only, too old',
      { version: undefined, requestedVersion: '1.30' },
      'cluster.kubernetesVersion',
      'runs Kubernetes 1.30 (requested version; currentKubernetesVersion is missing)',
    ],
    ['unparseable version', { version: 'latest' }, 'cluster.kubernetesVersion', "reports Kubernetes version 'latest'"],
    ['kubenet', { networkPlugin: 'kubenet' }, 'cluster.networkPlugin', "has networkPlugin 'kubenet'"],
    ['no network plugin', { networkPlugin: undefined }, 'cluster.networkPlugin', 'has networkPlugin unset'],
    ['overlay', { networkPluginMode: 'overlay' }, 'cluster.networkPluginMode', 'uses Azure CNI Overlay'],
    ['azure dataplane', { networkDataplane: 'azure' }, 'cluster.networkDataplane', "has networkDataplane 'azure'"],
    ['no dataplane', { networkDataplane: undefined }, 'cluster.networkDataplane', 'has networkDataplane unset'],
    ['ACNS off', { acns: false }, 'cluster.acns', 'does not have Advanced Container Networking Services enabled'],
  ])('%s', (_, options, checkId, message) => {
    const findings = clusterFindings(options);
    expect(findings.map((f) => [f.checkId, f.severity, f.member])).toEqual([[checkId, 'error', 'third']]);
    expect(findings[0]?.message).toContain(message);
    expect(findings[0]?.remediation).not.toBe('');
  });

  it.each<[string, ClusterOptions]>([
    ['1.32.0', { version: '1.32.0' }],
    ['1.33.1', { version: '1.33.1' }],
    ['2.0.0', { version: '2.0.0' }],
    ['requested 1.32 when current is missing', { version: undefined, requestedVersion: '1.32' }],
    ['plugin and dataplane in other casing', { networkPlugin: 'Azure', networkDataplane: 'Cilium' }],
  ])('accepts %s', (_, options) => {
    expect(clusterFindings(options)).toEqual([]);
  });

  it('reports every unmet prerequisite of one cluster', () => {
    const findings = clusterFindings({
      version: '1.31.2',
      networkPluginMode: 'overlay',
      networkDataplane: 'azure',
      acns: false,
    });
    expect(findings.map((f) => f.checkId).sort()).toEqual([
      'cluster.acns',
      'cluster.kubernetesVersion',
      'cluster.networkDataplane',
      'cluster.networkPluginMode',
    ]);
  });
});

describe('meetsMinimumVersion', () => {
  it.each([
    ['1.32', true],
    ['v1.32.1', true],
    ['1.32.0-rc.1', true],
    ['1.31.99', false],
    ['1.4', false],
    ['x1.32', undefined],
    ['1', undefined],
    ['', undefined],
  ])('%j → %s', (text, expected) => {
    expect(meetsMinimumVersion(text)).toBe(expected);
  });
});
