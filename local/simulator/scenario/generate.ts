/**
 * Generator of fleets of N members (1..255) with knobs for misconfigurations.
 *
 * Topology: one VNet per region (`10.{10+r}.0.0/16`, all regions peered with each other on both sides); member i gets
 * its own node subnet `/25` and pod subnet `/25` in its region's VNet, a cluster that meets every prerequisite, Network
 * Contributor for its identity on its VNet, and the label `mesh=demo`. Each knob picks that many distinct members
 * (seeded, so the same options give the same members) and breaks them:
 *
 * | knob | what the member gets |
 * |---|---|
 * | `overlay` | Azure CNI Overlay (`networkPluginMode: overlay`) |
 * | `oldVersion` | Kubernetes 1.31.4 |
 * | `notCilium` | network dataplane `azure` |
 * | `acnsOff` | ACNS disabled |
 * | `unpeered` | its own VNet (`10.{100+k}.0.0/16`), peered with nobody |
 * | `overlappingCidr` | its own VNet overlapping region 0's address space (so it cannot be peered either) |
 * | `missingRole` | no Network Contributor for its cluster identity |
 * | `nsgDeny` | an NSG on its node subnet denying inbound TCP 2379 |
 * | `blackholeRoute` | a route table on its node subnet sending another region's prefix to next hop None |
 * | `unlabelled` | no `mesh` label (not selected) |
 *
 * The scenario's `metadata.misconfigured` maps each knob to the member names it picked.
 *
 * `traffic` (`traffic=true` in a generated name) adds what Traffic Manager DNS load balancing needs, as `two-regions`
 * has it: per member, the public IP of a LoadBalancer service `demo/web` (DNS label, tag `k8s-azure-service`) in its
 * cluster's node resource group, and Traffic Manager Contributor for the app principal on `rg-traffic`.
 */
import { SeededRandom } from '../random.js';
import { APP_PRINCIPAL, OPERATOR_PRINCIPAL } from './names.js';
import { ScenarioError, type ScenarioInput } from './schema.js';

export const MISCONFIGURATIONS = [
  'overlay',
  'oldVersion',
  'notCilium',
  'acnsOff',
  'unpeered',
  'overlappingCidr',
  'missingRole',
  'nsgDeny',
  'blackholeRoute',
  'unlabelled',
] as const;
export type Misconfiguration = (typeof MISCONFIGURATIONS)[number];

export interface GenerateOptions {
  /** Number of members, 1..255. */
  readonly members: number;
  /** Regions (one VNet each); default four US/EU regions. */
  readonly regions?: readonly string[];
  readonly seed?: number;
  /** How many members get each misconfiguration (distinct members; the total must not exceed `members`). */
  readonly misconfigured?: Partial<Record<Misconfiguration, number>>;
  /** Profile selector and the label put on members (default `mesh=demo`). */
  readonly label?: { readonly key: string; readonly value: string };
  /** `created` (default) or `applied` at load. */
  readonly profileState?: 'created' | 'applied';
  /** Add a `demo/web` public IP per member (node resource group) and the app's Traffic Manager role. */
  readonly traffic?: boolean;
}

/** The LoadBalancer service the generated public IPs belong to (what the sandbox's demo policy balances). */
export const GENERATED_TRAFFIC_SERVICE = 'demo/web';

function isMisconfiguration(value: string): value is Misconfiguration {
  return MISCONFIGURATIONS.some((m) => m === value);
}

const DEFAULT_REGIONS = ['eastus', 'westus', 'northeurope', 'westeurope'] as const;

/** Parses `generated:N[?overlay=2&missingRole=1&regions=eastus,westus&seed=7&applied=true&traffic=true]`. */
export function parseGeneratedName(name: string): GenerateOptions {
  const rest = name.slice('generated:'.length);
  const [countText, query] = rest.split('?', 2);
  const members = Number(countText);
  if (!Number.isInteger(members) || members < 1 || members > 255) {
    throw new ScenarioError('', `'${name}': the member count must be an integer 1..255`);
  }
  const params = new URLSearchParams(query ?? '');
  const misconfigured: Partial<Record<Misconfiguration, number>> = {};
  let regions: string[] | undefined;
  let seed: number | undefined;
  let profileState: 'created' | 'applied' | undefined;
  let traffic: boolean | undefined;
  const flag = (k: string, v: string): boolean => {
    if (v !== 'true' && v !== 'false') throw new ScenarioError('', `'${name}': ${k} must be true or false`);
    return v === 'true';
  };
  for (const [k, v] of params) {
    if (k === 'regions') regions = v.split(',').filter((r) => r.length > 0);
    else if (k === 'seed') seed = Number(v);
    else if (k === 'applied') profileState = flag(k, v) ? 'applied' : 'created';
    else if (k === 'traffic') traffic = flag(k, v);
    else if (isMisconfiguration(k)) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new ScenarioError('', `'${name}': ${k} must be a non-negative integer`);
      misconfigured[k] = n;
    } else {
      throw new ScenarioError(
        '',
        `'${name}': unknown knob '${k}' (known: ${[...MISCONFIGURATIONS, 'regions', 'seed', 'applied', 'traffic'].join(', ')})`,
      );
    }
  }
  return {
    members,
    misconfigured,
    ...(regions ? { regions } : {}),
    ...(seed === undefined ? {} : { seed }),
    ...(profileState ? { profileState } : {}),
    ...(traffic === undefined ? {} : { traffic }),
  };
}

export function generateFleetScenario(options: GenerateOptions): ScenarioInput {
  const n = options.members;
  if (!Number.isInteger(n) || n < 1 || n > 255)
    throw new ScenarioError('', `generator: members must be an integer 1..255, got ${n}`);
  const regions = options.regions && options.regions.length > 0 ? options.regions : DEFAULT_REGIONS;
  if (regions.length > 80) throw new ScenarioError('', 'generator: at most 80 regions');
  const label = options.label ?? { key: 'mesh', value: 'demo' };
  const pad = (i: number): string => String(i + 1).padStart(3, '0');
  const memberName = (i: number): string => `member-${pad(i)}`;

  // Pick distinct members for each knob.
  const random = new SeededRandom(options.seed ?? 42);
  const order = random.shuffle([...Array(n).keys()]);
  const picked = new Map<Misconfiguration, number[]>();
  let cursor = 0;
  for (const knob of MISCONFIGURATIONS) {
    const count = options.misconfigured?.[knob] ?? 0;
    if (cursor + count > n) {
      throw new ScenarioError('', `generator: the misconfiguration counts add up to more than the ${n} members`);
    }
    picked.set(
      knob,
      order.slice(cursor, cursor + count).sort((a, b) => a - b),
    );
    cursor += count;
  }
  const has = (knob: Misconfiguration, i: number): boolean => picked.get(knob)?.includes(i) ?? false;
  if (regions.length < 2 && (options.misconfigured?.blackholeRoute ?? 0) > 0) {
    throw new ScenarioError('', 'generator: blackholeRoute needs at least two regions');
  }

  const scenario = {
    name: `generated:${n}`,
    description: `Generated fleet of ${n} members over ${regions.length} region(s).`,
    principals: [
      { name: APP_PRINCIPAL, type: 'ServicePrincipal' as const },
      { name: OPERATOR_PRINCIPAL, type: 'User' as const },
    ],
    resourceGroups: [
      { name: 'rg-fleet', location: regions[0] ?? 'eastus' },
      { name: 'rg-traffic', location: regions[0] ?? 'eastus' },
    ],
    virtualNetworks: [] as NonNullable<ScenarioInput['virtualNetworks']>,
    peerings: [] as NonNullable<ScenarioInput['peerings']>,
    networkSecurityGroups: [] as NonNullable<ScenarioInput['networkSecurityGroups']>,
    routeTables: [] as NonNullable<ScenarioInput['routeTables']>,
    clusters: [] as NonNullable<ScenarioInput['clusters']>,
    publicIPAddresses: [] as NonNullable<ScenarioInput['publicIPAddresses']>,
    roleAssignments: [] as NonNullable<ScenarioInput['roleAssignments']>,
    fleets: [] as NonNullable<ScenarioInput['fleets']>,
  };
  const regionVnet = regions.map((location, r) => ({
    location,
    rg: `rg-${location}`,
    name: `vnet-${location}`,
    octet: 10 + r,
    members: [] as number[],
  }));
  for (const rv of regionVnet) scenario.resourceGroups.push({ name: rv.rg, location: rv.location });
  for (let a = 0; a < regionVnet.length; a++) {
    for (let b = a + 1; b < regionVnet.length; b++) {
      const va = regionVnet[a];
      const vb = regionVnet[b];
      if (va && vb) scenario.peerings.push({ between: [`${va.rg}/${va.name}`, `${vb.rg}/${vb.name}`] });
    }
  }
  const vnetSubnets = new Map<
    string,
    { name: string; addressPrefix: string; networkSecurityGroup?: string; routeTable?: string }[]
  >();
  let ownVnets = 0;
  const members: NonNullable<NonNullable<ScenarioInput['fleets']>[number]['members']> = [];
  for (let i = 0; i < n; i++) {
    const region = regionVnet[i % regionVnet.length];
    if (!region) continue;
    const name = memberName(i);
    const clusterName = `aks-${pad(i)}`;
    const vnetRg = region.rg;
    let vnetName = region.name;
    let slot = region.members.length;
    if (has('unpeered', i) || has('overlappingCidr', i)) {
      ownVnets++;
      vnetName = `vnet-${name}`;
      const octet = has('unpeered', i) ? 100 + ownVnets : (regionVnet[0]?.octet ?? 10);
      scenario.virtualNetworks.push({
        resourceGroup: vnetRg,
        name: vnetName,
        location: region.location,
        addressPrefixes: [`10.${octet}.0.0/16`],
        subnets: [],
      });
      vnetSubnets.set(`${vnetRg}/${vnetName}`, []);
      slot = has('unpeered', i) ? 0 : 200;
    } else {
      region.members.push(i);
    }
    const octet =
      vnetName === region.name ? region.octet : has('unpeered', i) ? 100 + ownVnets : (regionVnet[0]?.octet ?? 10);
    const subnets = vnetSubnets.get(`${vnetRg}/${vnetName}`) ?? [];
    vnetSubnets.set(`${vnetRg}/${vnetName}`, subnets);
    const node: { name: string; addressPrefix: string; networkSecurityGroup?: string; routeTable?: string } = {
      name: `nodes-${pad(i)}`,
      addressPrefix: `10.${octet}.${slot}.0/25`,
    };
    if (has('nsgDeny', i)) {
      const nsg = `nsg-${name}`;
      scenario.networkSecurityGroups.push({
        resourceGroup: vnetRg,
        name: nsg,
        location: region.location,
        securityRules: [
          {
            name: 'deny-clustermesh',
            priority: 200,
            direction: 'Inbound',
            access: 'Deny',
            protocol: 'Tcp',
            sourceAddressPrefix: 'VirtualNetwork',
            destinationAddressPrefix: '*',
            destinationPortRange: '2379',
          },
        ],
      });
      node.networkSecurityGroup = `${vnetRg}/${nsg}`;
    }
    if (has('blackholeRoute', i)) {
      const other = regionVnet[(i % regionVnet.length) + 1] ?? regionVnet[0];
      const rt = `rt-${name}`;
      scenario.routeTables.push({
        resourceGroup: vnetRg,
        name: rt,
        location: region.location,
        routes: [{ name: 'blackhole', addressPrefix: `10.${other?.octet ?? 11}.0.0/16`, nextHopType: 'None' }],
      });
      node.routeTable = `${vnetRg}/${rt}`;
    }
    subnets.push(node, { name: `pods-${pad(i)}`, addressPrefix: `10.${octet}.${slot}.128/25` });
    const version = has('oldVersion', i)
      ? { kubernetesVersion: '1.31', currentKubernetesVersion: '1.31.4' }
      : { kubernetesVersion: '1.33', currentKubernetesVersion: '1.33.2' };
    scenario.clusters.push({
      resourceGroup: region.rg,
      name: clusterName,
      location: region.location,
      ...version,
      nodeSubnet: `${vnetRg}/${vnetName}/${node.name}`,
      podSubnet: `${vnetRg}/${vnetName}/pods-${pad(i)}`,
      network: {
        plugin: 'azure',
        ...(has('overlay', i) ? { pluginMode: 'overlay' as const } : {}),
        dataplane: has('notCilium', i) ? 'azure' : 'cilium',
        acns: !has('acnsOff', i),
      },
      nodeCount: 2,
    });
    if (options.traffic === true) {
      // AKS's default node resource group; the LoadBalancer service's public IP lives there (see two-regions).
      const nodeRg = `MC_${region.rg}_${clusterName}_${region.location}`;
      scenario.publicIPAddresses.push({
        resourceGroup: nodeRg,
        name: `kubernetes-demo-web-${pad(i)}`,
        location: region.location,
        ipAddress: `20.${100 + Math.floor(i / 250)}.${(i % 250) + 1}.10`,
        domainNameLabel: `fleetmesh-demo-${pad(i)}`,
        tags: { 'k8s-azure-service': GENERATED_TRAFFIC_SERVICE, 'kubernetes-cluster-name': clusterName },
      });
    }
    if (!has('missingRole', i)) {
      scenario.roleAssignments.push({
        principal: `cluster:${region.rg}/${clusterName}`,
        role: 'Network Contributor',
        scope: `vnet:${vnetRg}/${vnetName}`,
      });
    }
    members.push({
      name,
      cluster: `${region.rg}/${clusterName}`,
      labels: has('unlabelled', i) ? { index: pad(i) } : { [label.key]: label.value, index: pad(i) },
    });
  }
  for (const rv of regionVnet) {
    scenario.virtualNetworks.push({
      resourceGroup: rv.rg,
      name: rv.name,
      location: rv.location,
      addressPrefixes: [`10.${rv.octet}.0.0/16`],
      subnets: vnetSubnets.get(`${rv.rg}/${rv.name}`) ?? [],
    });
  }
  for (const vnet of scenario.virtualNetworks)
    vnet.subnets = vnetSubnets.get(`${vnet.resourceGroup}/${vnet.name}`) ?? [];
  scenario.fleets.push({
    resourceGroup: 'rg-fleet',
    name: 'fleet-generated',
    location: regions[0] ?? 'eastus',
    members,
    clusterMeshProfiles: [
      { name: 'demo', memberSelector: `${label.key}=${label.value}`, state: options.profileState ?? 'created' },
    ],
  });
  scenario.roleAssignments.push(
    {
      principal: APP_PRINCIPAL,
      role: 'Azure Kubernetes Fleet Manager Contributor Role',
      scope: 'fleet:rg-fleet/fleet-generated',
    },
    { principal: APP_PRINCIPAL, role: 'Contributor', scope: 'subscription' },
    { principal: APP_PRINCIPAL, role: 'User Access Administrator', scope: 'subscription' },
    { principal: OPERATOR_PRINCIPAL, role: 'Owner', scope: 'subscription' },
  );
  if (options.traffic === true) {
    scenario.roleAssignments.push({
      principal: APP_PRINCIPAL,
      role: 'Traffic Manager Contributor',
      scope: 'resourceGroup:rg-traffic',
    });
  }
  const misconfigured: Record<string, string[]> = {};
  for (const [knob, indexes] of picked) if (indexes.length > 0) misconfigured[knob] = indexes.map(memberName);
  return {
    ...scenario,
    metadata: {
      fleet: 'rg-fleet/fleet-generated',
      profile: 'demo',
      meshSelector: `${label.key}=${label.value}`,
      misconfigured,
      ...(options.traffic === true
        ? { trafficManagerResourceGroup: 'rg-traffic', trafficService: GENERATED_TRAFFIC_SERVICE }
        : {}),
    },
  };
}
