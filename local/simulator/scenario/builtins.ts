/**
 * Built-in scenarios: `two-regions` (the documented topology) and `generated:N[?knobs]` (see generate.ts).
 */
import { BUILT_IN_ROLE_IDS } from '../rbac/roles.js';
import { generateFleetScenario, parseGeneratedName } from './generate.js';
import { APP_PRINCIPAL, OPERATOR_PRINCIPAL } from './names.js';
import { ScenarioError, type ScenarioInput } from './schema.js';

/**
 * The condition that lets fleetmesh assign Network Contributor and nothing else (write and delete), the
 * "constrain roles" delegation pattern.
 */
export function onlyRolesCondition(roleGuids: readonly string[]): string {
  const list = roleGuids.join(', ');
  return (
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR ` +
    `(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${list}})) AND ` +
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR ` +
    `(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${list}}))`
  );
}

export { APP_PRINCIPAL, OPERATOR_PRINCIPAL } from './names.js';

/**
 * East (eastus) and West (westus) AKS clusters in their own peered VNets (node and pod subnets), both labelled
 * `mesh=demo`; a cluster mesh profile `demo` with that selector, created but never applied; West's cluster identity
 * lacks Network Contributor on its VNet (East has it); a spare, unlabelled member `member-central` whose cluster is
 * correctly configured and peered with both; a Traffic Manager resource group; public IPs with DNS labels for the demo
 * LoadBalancer service `demo/web` in each node resource group; and the fleetmesh app principal with the roles it needs.
 */
export function twoRegionsScenario(): ScenarioInput {
  const regions = [
    { short: 'east', location: 'eastus', octet: 1, label: true },
    { short: 'west', location: 'westus', octet: 2, label: true },
    { short: 'central', location: 'centralus', octet: 3, label: false },
  ] as const;
  const nodeRg = (r: (typeof regions)[number]): string => `MC_rg-${r.short}_aks-${r.short}_${r.location}`;
  return {
    name: 'two-regions',
    description:
      'Fleet with East and West AKS clusters in peered VNets, labelled mesh=demo; profile demo created, not applied; West lacks Network Contributor on its VNet; spare unlabelled member-central.',
    principals: [
      { name: APP_PRINCIPAL, type: 'ServicePrincipal' },
      { name: OPERATOR_PRINCIPAL, type: 'User' },
    ],
    resourceGroups: [
      { name: 'rg-fleet', location: 'eastus' },
      { name: 'rg-traffic', location: 'eastus' },
      ...regions.map((r) => ({ name: `rg-${r.short}`, location: r.location })),
      ...regions.map((r) => ({ name: nodeRg(r), location: r.location })),
    ],
    virtualNetworks: regions.map((r) => ({
      resourceGroup: `rg-${r.short}`,
      name: `vnet-${r.short}`,
      location: r.location,
      addressPrefixes: [`10.${r.octet}.0.0/16`],
      subnets: [
        { name: 'nodes', addressPrefix: `10.${r.octet}.0.0/22` },
        { name: 'pods', addressPrefix: `10.${r.octet}.16.0/20` },
      ],
    })),
    peerings: [
      { between: ['rg-east/vnet-east', 'rg-west/vnet-west'] },
      { between: ['rg-east/vnet-east', 'rg-central/vnet-central'] },
      { between: ['rg-west/vnet-west', 'rg-central/vnet-central'] },
    ],
    clusters: regions.map((r) => ({
      resourceGroup: `rg-${r.short}`,
      name: `aks-${r.short}`,
      location: r.location,
      kubernetesVersion: '1.33',
      currentKubernetesVersion: '1.33.2',
      nodeResourceGroup: nodeRg(r),
      nodeSubnet: `rg-${r.short}/vnet-${r.short}/nodes`,
      podSubnet: `rg-${r.short}/vnet-${r.short}/pods`,
      network: { plugin: 'azure', dataplane: 'cilium', policy: 'cilium', acns: true },
    })),
    publicIPAddresses: regions.map((r) => ({
      resourceGroup: nodeRg(r),
      name: `kubernetes-demo-web-${r.short}`,
      location: r.location,
      ipAddress: `20.${r.octet * 10}.1.10`,
      domainNameLabel: `fleetmesh-demo-${r.short}`,
      tags: { 'k8s-azure-service': 'demo/web', 'kubernetes-cluster-name': `aks-${r.short}` },
    })),
    fleets: [
      {
        resourceGroup: 'rg-fleet',
        name: 'fleet-demo',
        location: 'eastus',
        members: regions.map((r) => {
          const labels: Record<string, string> = r.label ? { mesh: 'demo', region: r.short } : { region: r.short };
          return { name: `member-${r.short}`, cluster: `rg-${r.short}/aks-${r.short}`, labels };
        }),
        clusterMeshProfiles: [{ name: 'demo', memberSelector: 'mesh=demo', state: 'created' }],
      },
    ],
    roleAssignments: [
      // Cluster identities: East and Central have Network Contributor on their VNet; West does not.
      { principal: 'cluster:rg-east/aks-east', role: 'Network Contributor', scope: 'vnet:rg-east/vnet-east' },
      {
        principal: 'cluster:rg-central/aks-central',
        role: 'Network Contributor',
        scope: 'vnet:rg-central/vnet-central',
      },
      // The fleetmesh app: what the reconciler calls, at the narrowest scopes.
      {
        principal: APP_PRINCIPAL,
        role: 'Azure Kubernetes Fleet Manager Contributor Role',
        scope: 'fleet:rg-fleet/fleet-demo',
      },
      ...regions.map((r) => ({
        principal: APP_PRINCIPAL,
        role: 'Azure Kubernetes Service Contributor Role',
        scope: `cluster:rg-${r.short}/aks-${r.short}`,
      })),
      { principal: APP_PRINCIPAL, role: 'Reader', scope: 'subscription' },
      ...regions.map((r) => ({
        principal: APP_PRINCIPAL,
        role: 'Role Based Access Control Administrator',
        scope: `vnet:rg-${r.short}/vnet-${r.short}`,
        condition: onlyRolesCondition([BUILT_IN_ROLE_IDS.networkContributor]),
        conditionVersion: '2.0' as const,
        description: 'fleetmesh may grant Network Contributor on member VNets, and nothing else',
      })),
      { principal: APP_PRINCIPAL, role: 'Traffic Manager Contributor', scope: 'resourceGroup:rg-traffic' },
      { principal: OPERATOR_PRINCIPAL, role: 'Owner', scope: 'subscription' },
    ],
    metadata: {
      fleet: 'rg-fleet/fleet-demo',
      profile: 'demo',
      meshSelector: 'mesh=demo',
      demoService: { namespace: 'demo', name: 'web' },
      missingNetworkContributor: ['member-west'],
      spareMember: 'member-central',
      trafficManagerResourceGroup: 'rg-traffic',
    },
  };
}

export const BUILT_IN_SCENARIOS = ['two-regions', 'generated:N'] as const;

/** Resolves a built-in scenario name: `two-regions`, or `generated:N` with optional `?knob=value&...`. */
export function builtInScenario(name: string): ScenarioInput {
  if (name === 'two-regions') return twoRegionsScenario();
  if (name.startsWith('generated:')) return generateFleetScenario(parseGeneratedName(name));
  throw new ScenarioError(
    '',
    `unknown built-in scenario '${name}': use ${BUILT_IN_SCENARIOS.join(' or ')}, or a JSON file`,
  );
}
