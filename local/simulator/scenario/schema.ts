/**
 * The scenario file format (JSON). Every object is strict: an unknown or misspelt key is an error that names its path.
 * References between resources are written relative to the subscription:
 * - `"<resourceGroup>/<name>"` for VNets, NSGs, route tables, public IPs and clusters;
 * - `"<resourceGroup>/<vnet>/<subnet>"` for subnets;
 * - role assignment scopes as `subscription`, `resourceGroup:<rg>`, `vnet:<rg>/<name>`, `subnet:<rg>/<vnet>/<subnet>`,
 *   `cluster:<rg>/<name>`, `fleet:<rg>/<name>`, `publicIp:<rg>/<name>`, `trafficManagerProfile:<rg>/<name>`, or a full
 *   id in which `{subscriptionId}` is replaced;
 * - principals by name, `cluster:<rg>/<name>` for a cluster's identity, or an object id.
 * See docs/simulator.md for the whole format with examples.
 */
import { z } from 'zod';
import { EventSubscriptionSchema } from '../events.js';
import { SettingsSchema } from '../settings.js';

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');
const rgName = z.string().regex(/^[-\w._()]{1,90}$/, 'must be 1-90 letters, digits, _ - . ( )');
const location = z.string().regex(/^[a-z0-9]+$/, 'must be a lower-case region name such as eastus');
const ref = z.string().regex(/^[^/]+\/[^/]+$/, 'must be "<resourceGroup>/<name>"');
const subnetRef = z.string().regex(/^[^/]+\/[^/]+\/[^/]+$/, 'must be "<resourceGroup>/<vnet>/<subnet>"');
const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR such as 10.1.0.0/16');
const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address');
const tags = z.record(z.string(), z.string());
const k8sVersion = z.string().regex(/^\d+\.\d+(\.\d+)?$/, 'must be a Kubernetes version such as 1.32 or 1.32.5');

export const PrincipalSchema = z
  .object({
    name: z.string().min(1).max(128),
    type: z.enum(['ServicePrincipal', 'User']).default('ServicePrincipal'),
    /** Pinned object id (generated at start otherwise). */
    objectId: guid.optional(),
    clientId: guid.optional(),
    /** Pinned bearer token (generated at start otherwise). */
    token: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .strict();

export const ResourceGroupSchema = z.object({ name: rgName, location, tags: tags.optional() }).strict();

export const SubnetSchema = z
  .object({
    name: z.string().min(1).max(80),
    addressPrefix: cidr,
    networkSecurityGroup: ref.optional(),
    routeTable: ref.optional(),
  })
  .strict();

export const PeeringSchema = z
  .object({
    name: z.string().min(1).max(80).optional(),
    remoteVirtualNetwork: ref,
    allowVirtualNetworkAccess: z.boolean().default(true),
    allowForwardedTraffic: z.boolean().default(false),
  })
  .strict();

export const VirtualNetworkSchema = z
  .object({
    resourceGroup: rgName,
    name: z.string().min(2).max(64),
    location,
    addressPrefixes: z.array(cidr).min(1),
    subnets: z.array(SubnetSchema).default([]),
    /** One side of a peering; the other VNet must declare its own (or use the top-level `peerings` shortcut). */
    peerings: z.array(PeeringSchema).default([]),
    tags: tags.optional(),
  })
  .strict();

export const SecurityRuleSchema = z
  .object({
    name: z.string().min(1).max(80),
    priority: z.int().min(100).max(4096),
    direction: z.enum(['Inbound', 'Outbound']),
    access: z.enum(['Allow', 'Deny']),
    protocol: z.enum(['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', '*']),
    sourceAddressPrefix: z.string().optional(),
    sourceAddressPrefixes: z.array(z.string()).optional(),
    sourcePortRange: z.string().default('*'),
    destinationAddressPrefix: z.string().optional(),
    destinationAddressPrefixes: z.array(z.string()).optional(),
    destinationPortRange: z.string().optional(),
    destinationPortRanges: z.array(z.string()).optional(),
    description: z.string().optional(),
  })
  .strict();

export const NetworkSecurityGroupSchema = z
  .object({
    resourceGroup: rgName,
    name: z.string().min(1).max(80),
    location,
    securityRules: z.array(SecurityRuleSchema).default([]),
    tags: tags.optional(),
  })
  .strict();

export const RouteSchema = z
  .object({
    name: z.string().min(1).max(80),
    addressPrefix: cidr,
    nextHopType: z.enum(['VirtualNetworkGateway', 'VnetLocal', 'Internet', 'VirtualAppliance', 'None']),
    nextHopIpAddress: ipv4.optional(),
  })
  .strict();

export const RouteTableSchema = z
  .object({
    resourceGroup: rgName,
    name: z.string().min(1).max(80),
    location,
    routes: z.array(RouteSchema).default([]),
    tags: tags.optional(),
  })
  .strict();

export const PublicIpSchema = z
  .object({
    resourceGroup: rgName,
    name: z.string().min(1).max(80),
    location,
    ipAddress: ipv4,
    domainNameLabel: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/, 'must be a DNS label (lower-case letters, digits, hyphens)')
      .optional(),
    tags: tags.optional(),
    health: z.enum(['Healthy', 'Degraded', 'Stopped']).optional(),
  })
  .strict();

export const ClusterSchema = z
  .object({
    resourceGroup: rgName,
    name: z.string().regex(/^[a-zA-Z0-9]([-_a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/, 'must be a valid AKS cluster name'),
    location,
    kubernetesVersion: k8sVersion,
    /** The running patch version; defaults to kubernetesVersion (with `.0` added to a minor alias). */
    currentKubernetesVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, 'must be a patch version such as 1.32.5')
      .optional(),
    /** Pinned object id of the cluster (control plane) identity. */
    identityObjectId: guid.optional(),
    nodeResourceGroup: rgName.optional(),
    nodeSubnet: subnetRef,
    podSubnet: subnetRef.optional(),
    network: z
      .object({
        plugin: z.enum(['azure', 'kubenet', 'none']).default('azure'),
        pluginMode: z.literal('overlay').optional(),
        dataplane: z.enum(['azure', 'cilium']).default('cilium'),
        policy: z.enum(['none', 'calico', 'azure', 'cilium']).optional(),
        acns: z.boolean().default(true),
        serviceCidr: cidr.default('172.16.0.0/16'),
        dnsServiceIP: ipv4.default('172.16.0.10'),
        podCidr: cidr.optional(),
      })
      .strict()
      .default({
        plugin: 'azure',
        dataplane: 'cilium',
        acns: true,
        serviceCidr: '172.16.0.0/16',
        dnsServiceIP: '172.16.0.10',
      }),
    nodeCount: z.int().min(1).max(1000).default(3),
    vmSize: z.string().default('Standard_D4s_v5'),
    powerState: z.enum(['Running', 'Stopped']).default('Running'),
    health: z.enum(['Healthy', 'Degraded', 'Stopped']).optional(),
    tags: tags.optional(),
  })
  .strict();

export const MemberSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
      .max(50),
    cluster: ref,
    labels: z.record(z.string(), z.string()).default({}),
    group: z.string().optional(),
  })
  .strict();

export const MeshProfileSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
      .max(63),
    /** `memberSelector.byLabel`, such as `mesh=demo`. Absent = selects nothing. */
    memberSelector: z.string().max(512).optional(),
    /** `created` (as after `az fleet clustermeshprofile create`) or `applied` (applied at load, durations 0). */
    state: z.enum(['created', 'applied']).default('created'),
  })
  .strict();

export const FleetSchema = z
  .object({
    resourceGroup: rgName,
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must match ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
      .max(63),
    location,
    members: z.array(MemberSchema).default([]),
    clusterMeshProfiles: z.array(MeshProfileSchema).default([]),
  })
  .strict();

export const TrafficEndpointSchema = z
  .object({
    name: z.string().min(1).max(260),
    type: z.enum(['AzureEndpoints', 'ExternalEndpoints']),
    /** Public IP as "<rg>/<name>" (Azure endpoints). */
    publicIp: ref.optional(),
    /** FQDN or IP (external endpoints). */
    target: z.string().optional(),
    weight: z.int().min(1).max(1000).optional(),
    endpointStatus: z.enum(['Enabled', 'Disabled']).optional(),
  })
  .strict();

export const TrafficProfileSchema = z
  .object({
    resourceGroup: rgName,
    name: z.string().min(1).max(63),
    relativeName: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS label'),
    trafficRoutingMethod: z
      .enum(['Performance', 'Priority', 'Weighted', 'Geographic', 'MultiValue', 'Subnet'])
      .default('Weighted'),
    ttl: z.int().min(0).default(60),
    monitor: z
      .object({
        protocol: z.enum(['HTTP', 'HTTPS', 'TCP']).default('HTTP'),
        port: z.int().min(1).max(65535).default(80),
        path: z.string().default('/'),
        intervalInSeconds: z.union([z.literal(10), z.literal(30)]).default(30),
        timeoutInSeconds: z.int().min(5).max(10).default(10),
        toleratedNumberOfFailures: z.int().min(0).max(9).default(3),
      })
      .strict()
      .default({
        protocol: 'HTTP',
        port: 80,
        path: '/',
        intervalInSeconds: 30,
        timeoutInSeconds: 10,
        toleratedNumberOfFailures: 3,
      }),
    endpoints: z.array(TrafficEndpointSchema).default([]),
    tags: tags.optional(),
  })
  .strict();

export const CustomRoleSchema = z
  .object({
    id: guid.optional(),
    roleName: z.string().min(1),
    description: z.string().default(''),
    actions: z.array(z.string()).min(1),
    notActions: z.array(z.string()).default([]),
    assignableScopes: z.array(z.string()).default(['/']),
  })
  .strict();

export const RoleAssignmentSchema = z
  .object({
    /** GUID name; derived deterministically from scope, principal and role when absent. */
    name: guid.optional(),
    principal: z.string().min(1),
    /** Role name (built-in or custom) or role definition GUID. */
    role: z.string().min(1),
    scope: z.string().min(1),
    condition: z.string().optional(),
    conditionVersion: z.literal('2.0').optional(),
    description: z.string().optional(),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    name: z.string().min(1).default('custom'),
    description: z.string().optional(),
    /** Pinned subscription and tenant (generated at start otherwise). */
    subscriptionId: guid.optional(),
    tenantId: guid.optional(),
    settings: SettingsSchema.partial().optional(),
    principals: z.array(PrincipalSchema).default([]),
    resourceGroups: z.array(ResourceGroupSchema).default([]),
    virtualNetworks: z.array(VirtualNetworkSchema).default([]),
    /** Shortcut: peer two VNets on both sides (`Connected`). */
    peerings: z.array(z.object({ between: z.tuple([ref, ref]) }).strict()).default([]),
    networkSecurityGroups: z.array(NetworkSecurityGroupSchema).default([]),
    routeTables: z.array(RouteTableSchema).default([]),
    publicIPAddresses: z.array(PublicIpSchema).default([]),
    clusters: z.array(ClusterSchema).default([]),
    fleets: z.array(FleetSchema).default([]),
    trafficManagerProfiles: z.array(TrafficProfileSchema).default([]),
    roleDefinitions: z.array(CustomRoleSchema).default([]),
    roleAssignments: z.array(RoleAssignmentSchema).default([]),
    eventSubscriptions: z.array(EventSubscriptionSchema).default([]),
    /** Free-form notes for tests and tools (the generator lists the misconfigured members here). */
    metadata: z.record(z.string(), z.json()).default({}),
  })
  .strict();

export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema>;

export class ScenarioError extends Error {
  /** Path of the offending value, such as `clusters[1].network.plugin`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`scenario ${path ? `${path}: ` : ''}${message}`);
    this.name = 'ScenarioError';
    this.path = path;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** Validates a scenario; throws ScenarioError naming the path of the first problem. */
export function parseScenario(input: unknown): Scenario {
  const result = ScenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? formatPath(issue.path) : '';
  let message = issue?.message ?? 'invalid';
  if (issue?.code === 'unrecognized_keys') message = `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  throw new ScenarioError(path, message);
}
