/**
 * Conformance of the simulator's raw bodies to the reference (`shared/reference/azure-api-facts.md`), for every
 * operation the gateways call: field names (the `properties` envelope ARM uses on the wire, which the SDKs flatten)
 * and enum values, LRO headers, and the error envelope. Bodies are read over plain HTTPS, not through an SDK, so
 * nothing is deserialised away. A table keyed by the gateway operation names must cover all of them.
 *
 * Every field name and enum value below is written out from the reference (section in brackets), never taken from
 * the app's own models (`shared/models`): a model and a simulator that agree on a wrong name must still fail here.
 * Fleet members and cluster mesh profiles are checked strictly (no field the reference does not name); the other
 * resources carry many more fields in ARM, so their schemas require the reference's fields and values only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { twoRegionsScenario } from '../../../../local/simulator/index.js';
import { ArmOperation, type ArmOperationName } from '../../../../shared/azure/index.js';
import { AKS_API, AUTHZ_API, FLEET_API, NETWORK_API, TM_API, type HttpResult } from '../../local/simulator/support.js';
import { NETWORK_CONTRIBUTOR, startHarness, type GatewayHarness } from './support.js';

/* ---------- enum values, literally from the reference ---------- */

/** [§1.2] `properties.provisioningState` of a cluster mesh profile. */
const PROFILE_PROVISIONING_STATES = ['Succeeded', 'Failed', 'Canceled'] as const;
/** [§1.2] `properties.status.state` of a cluster mesh profile. */
const CLUSTER_MESH_STATES = ['NotConnected', 'Applying', 'Connected', 'Degraded', 'Failed'] as const;
/** [§2] `properties.provisioningState` of a fleet member. */
const MEMBER_PROVISIONING_STATES = ['Succeeded', 'Failed', 'Canceled', 'Joining', 'Leaving', 'Updating'] as const;
/** [§2] `properties.meshProperties.status.state` (no `Unknown` or `NotConnected`: not in the compiled enum). */
const MESH_MEMBER_STATES = ['Connecting', 'Connected', 'Disconnecting', 'Failed'] as const;
/** [§5] `peeringState` and `peeringSyncLevel` of a VNet peering. */
const PEERING_STATES = ['Initiated', 'Connected', 'Disconnected'] as const;
const PEERING_SYNC_LEVELS = ['FullyInSync', 'RemoteNotInSync', 'LocalNotInSync', 'LocalAndRemoteNotInSync'] as const;
/** [§6] `principalType` of a role assignment. */
const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'] as const;
/** [§7] Traffic Manager. */
const TRAFFIC_ROUTING_METHODS = ['Performance', 'Priority', 'Weighted', 'Geographic', 'MultiValue', 'Subnet'] as const;
const PROFILE_MONITOR_STATUSES = ['CheckingEndpoints', 'Online', 'Degraded', 'Disabled', 'Inactive'] as const;
const ENDPOINT_STATUSES = ['Enabled', 'Disabled'] as const;
const ENDPOINT_MONITOR_STATUSES = [
  'CheckingEndpoint',
  'Online',
  'Degraded',
  'Disabled',
  'Inactive',
  'Stopped',
  'Unmonitored',
] as const;
/**
 * Not in the reference (§5 does not describe route tables): `RouteNextHopType` of ARM's network spec, as
 * `@azure/arm-network` 36.0.0 publishes it (`KnownRouteNextHopType`).
 */
const ROUTE_NEXT_HOP_TYPES = ['VirtualNetworkGateway', 'VnetLocal', 'Internet', 'VirtualAppliance', 'None'] as const;

/* ---------- wire schemas from the reference ---------- */

const Id = z.string().startsWith('/subscriptions/');
const QuotedEtag = z.string().regex(/^".+"$/);
const WeakEtag = z.string().regex(/^W\/".+"$/);
const Page = z.object({ value: z.array(z.unknown()), nextLink: z.string().optional() });
/** [§8] ARM's `ErrorDetail`: `{code, message, target?, details?, additionalInfo?}`. */
interface ErrorDetail {
  code: string;
  message: string;
  target?: string | undefined;
  details?: ErrorDetail[] | undefined;
  additionalInfo?: { type: string; info?: unknown }[] | undefined;
}
const ErrorDetailWire: z.ZodType<ErrorDetail> = z.strictObject({
  code: z.string(),
  message: z.string(),
  target: z.string().optional(),
  get details() {
    return z.array(ErrorDetailWire).optional();
  },
  additionalInfo: z.array(z.object({ type: z.string(), info: z.unknown() })).optional(),
});
const ErrorEnvelope = z.strictObject({ error: ErrorDetailWire });
const OperationStatus = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['InProgress', 'Succeeded', 'Failed', 'Canceled']),
  startTime: z.string(),
});
/** ARM's `systemData`. */
const SystemData = z.object({
  createdBy: z.string(),
  createdByType: z.string(),
  createdAt: z.string(),
  lastModifiedBy: z.string(),
  lastModifiedByType: z.string(),
  lastModifiedAt: z.string(),
});
/** [§1.2] `{ byLabel }`: an object, never a bare string or a Kubernetes LabelSelector. */
const MemberSelectorWire = z.strictObject({ byLabel: z.string().max(512) });

/** [§2] Fleet member: top level, and everything else under `properties`; `meshProperties` absent when in no mesh. */
const MemberWire = z.strictObject({
  id: Id,
  name: z.string(),
  type: z.literal('Microsoft.ContainerService/fleets/members'),
  systemData: SystemData.optional(),
  eTag: QuotedEtag,
  properties: z.strictObject({
    clusterResourceId: Id,
    group: z.string().optional(),
    labels: z.record(z.string(), z.string()),
    provisioningState: z.enum(MEMBER_PROVISIONING_STATES),
    status: z
      .strictObject({ lastOperationId: z.string().optional(), lastOperationError: ErrorDetailWire.optional() })
      .optional(),
    meshProperties: z
      .strictObject({
        ciliumProperties: z.strictObject({ id: z.int().min(1).max(255), name: z.string() }),
        clusterMeshProfileResourceId: Id,
        status: z.strictObject({
          state: z.enum(MESH_MEMBER_STATES),
          lastUpdatedAt: z.iso.datetime().optional(),
          lastOperationId: z.string().optional(),
          error: ErrorDetailWire.optional(),
        }),
      })
      .optional(),
  }),
});
/** [§1.2] Cluster mesh profile: everything but `eTag` (and the ARM envelope) under `properties`. */
const ProfileWire = z.strictObject({
  id: Id,
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  type: z.literal('Microsoft.ContainerService/fleets/clusterMeshProfiles'),
  systemData: SystemData.optional(),
  eTag: QuotedEtag,
  properties: z.strictObject({
    provisioningState: z.enum(PROFILE_PROVISIONING_STATES),
    memberSelector: MemberSelectorWire.optional(),
    status: z.strictObject({
      state: z.enum(CLUSTER_MESH_STATES),
      lastAppliedMemberSelector: MemberSelectorWire.nullish(),
      lastOperationId: z.string().optional(),
      lastOperationError: ErrorDetailWire.optional(),
    }),
  }),
});
/** [§4] Managed cluster: the prerequisite fields under `properties`. */
const ClusterWire = z.object({
  id: Id,
  type: z
    .literal('Microsoft.ContainerService/ManagedClusters')
    .or(z.literal('Microsoft.ContainerService/managedClusters')),
  eTag: QuotedEtag,
  identity: z.object({
    type: z.enum(['SystemAssigned', 'UserAssigned', 'None']),
    principalId: z.uuid(),
    tenantId: z.uuid(),
  }),
  properties: z.object({
    provisioningState: z.string(),
    powerState: z.object({ code: z.enum(['Running', 'Stopped']) }),
    kubernetesVersion: z.string(),
    currentKubernetesVersion: z.string().regex(/^\d+\.\d+\.\d+$/),
    networkProfile: z.object({
      networkPlugin: z.enum(['azure', 'kubenet', 'none']),
      networkPluginMode: z.literal('overlay').optional(),
      networkDataplane: z.enum(['azure', 'cilium']),
      networkPolicy: z.enum(['none', 'calico', 'azure', 'cilium']).optional(),
      advancedNetworking: z.object({ enabled: z.boolean() }),
    }),
    agentPoolProfiles: z.array(
      z.object({ name: z.string(), mode: z.enum(['System', 'User']), vnetSubnetID: Id, podSubnetID: Id.optional() }),
    ),
    identityProfile: z.object({
      kubeletidentity: z.object({ resourceId: Id, clientId: z.uuid(), objectId: z.uuid() }),
    }),
  }),
});
/** [§5] VNet with subnets and peerings under `properties`. */
const VnetWire = z.object({
  id: Id,
  etag: WeakEtag,
  properties: z.object({
    addressSpace: z.object({ addressPrefixes: z.array(z.string()) }),
    subnets: z.array(
      z.object({
        id: Id,
        name: z.string(),
        properties: z.object({ addressPrefix: z.string().optional(), addressPrefixes: z.array(z.string()).optional() }),
      }),
    ),
    virtualNetworkPeerings: z.array(
      z.object({
        id: Id,
        properties: z.object({
          allowVirtualNetworkAccess: z.boolean(),
          allowForwardedTraffic: z.boolean(),
          allowGatewayTransit: z.boolean(),
          useRemoteGateways: z.boolean(),
          remoteVirtualNetwork: z.object({ id: Id }),
          remoteAddressSpace: z.object({ addressPrefixes: z.array(z.string()) }),
          peeringState: z.enum(PEERING_STATES),
          peeringSyncLevel: z.enum(PEERING_SYNC_LEVELS),
          provisioningState: z.string(),
        }),
      }),
    ),
  }),
});
const RuleWire = z.object({
  name: z.string(),
  properties: z.object({
    priority: z.int(),
    direction: z.enum(['Inbound', 'Outbound']),
    access: z.enum(['Allow', 'Deny']),
    protocol: z.enum(['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', '*']),
  }),
});
const NsgWire = z.object({
  id: Id,
  etag: WeakEtag,
  properties: z.object({ securityRules: z.array(RuleWire), defaultSecurityRules: z.array(RuleWire) }),
});
const RouteTableWire = z.object({
  id: Id,
  etag: WeakEtag,
  properties: z.object({
    routes: z.array(
      z.object({
        name: z.string(),
        properties: z.object({ addressPrefix: z.string(), nextHopType: z.enum(ROUTE_NEXT_HOP_TYPES) }),
      }),
    ),
  }),
});
const PipWire = z.object({
  id: Id,
  etag: WeakEtag,
  sku: z.object({ name: z.enum(['Basic', 'Standard']), tier: z.enum(['Regional', 'Global']).optional() }),
  properties: z.object({
    ipAddress: z.string(),
    publicIPAllocationMethod: z.enum(['Static', 'Dynamic']),
    publicIPAddressVersion: z.enum(['IPv4', 'IPv6']),
    dnsSettings: z.object({ domainNameLabel: z.string(), fqdn: z.string() }).optional(),
  }),
});
/** [§6] Role assignment and definition, api-version 2022-04-01. */
const AssignmentWire = z.object({
  id: Id.or(z.string().startsWith('/providers/')),
  name: z.uuid(),
  type: z.literal('Microsoft.Authorization/roleAssignments'),
  properties: z.object({
    roleDefinitionId: z.string().regex(/\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/),
    principalId: z.uuid(),
    principalType: z.enum(PRINCIPAL_TYPES),
    scope: z.string(),
    condition: z.string().nullable(),
    conditionVersion: z.string().nullable(),
  }),
});
const DefinitionWire = z.object({
  name: z.uuid(),
  type: z.literal('Microsoft.Authorization/roleDefinitions'),
  properties: z.object({
    roleName: z.string(),
    type: z.enum(['BuiltInRole', 'CustomRole']),
    permissions: z.array(
      z.object({
        actions: z.array(z.string()),
        notActions: z.array(z.string()),
        dataActions: z.array(z.string()),
        notDataActions: z.array(z.string()),
      }),
    ),
    assignableScopes: z.array(z.string()),
  }),
});
/** [§7] Traffic Manager, api-version 2022-04-01; no ETags. */
const EndpointWire = z.object({
  id: Id,
  name: z.string(),
  type: z.literal('Microsoft.Network/trafficManagerProfiles/azureEndpoints'),
  properties: z.object({
    targetResourceId: Id,
    target: z.string(),
    endpointStatus: z.enum(ENDPOINT_STATUSES),
    weight: z.int().min(1).max(1000),
    endpointMonitorStatus: z.enum(ENDPOINT_MONITOR_STATUSES).nullable(),
  }),
});
const TmProfileWire = z.object({
  id: Id,
  type: z.literal('Microsoft.Network/trafficManagerProfiles'),
  location: z.literal('global'),
  properties: z.object({
    profileStatus: z.enum(['Enabled', 'Disabled']),
    trafficRoutingMethod: z.enum(TRAFFIC_ROUTING_METHODS),
    dnsConfig: z.object({ relativeName: z.string(), fqdn: z.string().endsWith('.trafficmanager.net'), ttl: z.int() }),
    monitorConfig: z.object({
      profileMonitorStatus: z.enum(PROFILE_MONITOR_STATUSES),
      protocol: z.enum(['HTTP', 'HTTPS', 'TCP']),
      port: z.int(),
      intervalInSeconds: z.union([z.literal(30), z.literal(10)]),
      timeoutInSeconds: z.int(),
      toleratedNumberOfFailures: z.int(),
    }),
    endpoints: z.array(EndpointWire),
  }),
});

/* ---------- the conformance table ---------- */

function ok<S extends z.ZodType>(schema: S, r: HttpResult, status: number | number[] = 200): z.output<S> {
  expect([status].flat()).toContain(r.status);
  const parsed = schema.safeParse(r.json);
  if (!parsed.success) throw new Error(`${String(r.status)} body does not conform: ${parsed.error.message}\n${r.text}`);
  return parsed.data;
}

function armError(r: HttpResult, status: number, code: string): void {
  expect(r.status).toBe(status);
  expect(ErrorEnvelope.parse(r.json).error.code).toBe(code);
}

describe('simulator bodies follow the reference for every gateway operation', () => {
  let h: GatewayHarness;
  const seen = new Set<ArmOperationName>();
  beforeAll(async () => {
    h = await startHarness({
      pageSize: 2,
      scenario: {
        ...twoRegionsScenario(),
        networkSecurityGroups: [
          {
            resourceGroup: 'rg-east',
            name: 'nsg-nodes',
            location: 'eastus',
            securityRules: [
              {
                name: 'allow-mesh',
                priority: 100,
                direction: 'Inbound',
                access: 'Allow',
                protocol: 'Tcp',
                destinationPortRange: '2379',
              },
            ],
          },
        ],
        routeTables: [
          {
            resourceGroup: 'rg-east',
            name: 'rt-nodes',
            location: 'eastus',
            routes: [{ name: 'default', addressPrefix: '0.0.0.0/0', nextHopType: 'Internet' }],
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });
  const fleet = (path = ''): string => h.arm.fleet(path);
  const covers = (op: ArmOperationName): void => {
    seen.add(op);
  };

  it('fleet members: list pages, get, label PATCH as an LRO, 404 [§2]', async () => {
    // The raw calls use the api-version the gateways send (the setting's default).
    expect(h.settings.arm.fleetApiVersion).toBe(FLEET_API);
    covers(ArmOperation.fleetMembersList);
    let page = ok(Page, await h.arm.get(fleet('/members')));
    const members = [...page.value];
    while (page.nextLink) {
      page = ok(Page, await h.arm.get(page.nextLink));
      members.push(...page.value);
    }
    expect(members).toHaveLength(3);
    for (const m of members) MemberWire.parse(m);

    covers(ArmOperation.fleetMembersGet);
    const east = ok(MemberWire, await h.arm.get(fleet('/members/member-east')));
    expect(
      Object.keys(east.properties.labels)
        .filter((k) => k.startsWith('fleet.azure.com/'))
        .sort(),
    ).toEqual([
      'fleet.azure.com/cluster-name',
      'fleet.azure.com/location',
      'fleet.azure.com/member-name',
      'fleet.azure.com/resource-group',
      'fleet.azure.com/subscription-id',
    ]);
    expect(east.properties.meshProperties).toBeUndefined();
    armError(await h.arm.get(fleet('/members/nope')), 404, 'ResourceNotFound');

    covers(ArmOperation.fleetMembersUpdate);
    const patch = await h.arm.patch(
      fleet('/members/member-central'),
      { properties: { labels: { mesh: 'demo', region: 'central' } } },
      {
        headers: { 'if-match': ok(MemberWire, await h.arm.get(fleet('/members/member-central'))).eTag },
      },
    );
    expect(patch.status).toBe(202);
    expect(patch.headers['azure-asyncoperation']).toMatch(
      /\/providers\/Microsoft\.ContainerService\/locations\/[a-z]+\/operationResults\//,
    );
    expect(patch.headers['location']).toMatch(/\/operations\//);
    OperationStatus.parse((await h.arm.get(patch.headers['azure-asyncoperation'] ?? '')).json);
    armError(
      await h.arm.patch(
        fleet('/members/member-east'),
        { properties: { labels: {} } },
        { headers: { 'if-match': '"stale"' } },
      ),
      412,
      'PreconditionFailed',
    );
  });

  it('cluster mesh profiles: get, list, PUT, apply (202 with Location, Azure-AsyncOperation, Retry-After), member mesh states, delete [§1]', async () => {
    covers(ArmOperation.meshProfilesGet);
    const demo = ok(ProfileWire, await h.arm.get(fleet('/clusterMeshProfiles/demo')));
    expect(demo.properties.status.state).toBe('NotConnected');
    armError(await h.arm.get(fleet('/clusterMeshProfiles/nope')), 404, 'ResourceNotFound');

    covers(ArmOperation.meshProfilesPut);
    const created = ok(
      ProfileWire,
      await h.arm.put(
        fleet('/clusterMeshProfiles/spare'),
        { properties: { memberSelector: { byLabel: 'mesh=none' } } },
        { headers: { 'if-none-match': '*' } },
      ),
      201,
    );
    armError(
      await h.arm.put(
        fleet('/clusterMeshProfiles/spare'),
        { properties: { memberSelector: { byLabel: 'x=y' } } },
        { headers: { 'if-none-match': '*' } },
      ),
      412,
      'PreconditionFailed',
    );

    covers(ArmOperation.meshProfilesList);
    const list = ok(Page, await h.arm.get(fleet('/clusterMeshProfiles')));
    for (const p of list.value) ProfileWire.parse(p);

    covers(ArmOperation.meshProfilesApply);
    h.sim.control.updateSettings({ retryAfterSeconds: 'auto' });
    // Time is paused until the manual advance below: the in-flight states must not finish under a loaded machine.
    h.sim.control.setTimeFactor(0);
    const apply = await h.arm.post(fleet('/clusterMeshProfiles/demo/apply'));
    expect(apply.status).toBe(202);
    expect(apply.text).toBe('');
    expect(apply.headers['location']).toMatch(
      /\/providers\/Microsoft\.ContainerService\/locations\/[a-z]+\/operations\/[0-9a-f-]+\?api-version=/,
    );
    expect(apply.headers['azure-asyncoperation']).toMatch(
      /\/locations\/[a-z]+\/operationResults\/[0-9a-f-]+\?api-version=/,
    );
    expect(Number(apply.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    h.sim.control.updateSettings({ retryAfterSeconds: 0 });
    expect(ok(ProfileWire, await h.arm.get(fleet('/clusterMeshProfiles/demo'))).properties.status.state).toBe(
      'Applying',
    );
    const connecting = ok(MemberWire, await h.arm.get(fleet('/members/member-west')));
    expect(connecting.properties.meshProperties?.status.state).toBe('Connecting');
    expect(connecting.properties.meshProperties?.ciliumProperties.id).toBeGreaterThanOrEqual(1);
    armError(await h.arm.post(fleet('/clusterMeshProfiles/demo/apply')), 409, 'AnotherOperationInProgress');
    h.sim.control.advance(60_000);
    h.sim.control.setTimeFactor(100);
    const status = OperationStatus.extend({
      error: z.object({
        code: z.literal('ClusterMeshApplyFailed'),
        message: z.string(),
        details: z.array(z.object({ code: z.string(), target: Id })),
      }),
    }).parse((await h.arm.get(apply.headers['azure-asyncoperation'] ?? '')).json);
    expect(status.status).toBe('Failed');
    expect(status.error.details.map((d) => d.target.split('/').pop())).toEqual(['member-west']);
    const after = ok(ProfileWire, await h.arm.get(fleet('/clusterMeshProfiles/demo')));
    expect(after.properties.status).toMatchObject({
      state: 'Degraded',
      lastAppliedMemberSelector: { byLabel: 'mesh=demo' },
    });
    const states = new Set<string>();
    for (const name of ['member-east', 'member-west', 'member-central']) {
      const m = ok(MemberWire, await h.arm.get(fleet(`/members/${name}`)));
      if (m.properties.meshProperties) states.add(m.properties.meshProperties.status.state);
    }
    expect([...states].sort()).toEqual(['Connected', 'Failed']);
    for (const s of [...states, 'Connecting']) expect(MESH_MEMBER_STATES).toContain(s);

    covers(ArmOperation.meshProfilesDelete);
    const del = await h.arm.delete(fleet('/clusterMeshProfiles/spare'), { headers: { 'if-match': created.eTag } });
    expect(del.status).toBe(202);
    expect(del.headers['location']).toMatch(/\/locations\/[a-z]+\/operations\//);
    expect(del.headers['retry-after']).toBeDefined();
    expect((await h.arm.delete(fleet('/clusterMeshProfiles/absent'))).status).toBe(204);
    armError(await h.arm.delete(fleet('/clusterMeshProfiles/demo')), 409, 'Conflict');
  });

  it('managed clusters: get, PUT of the same body with If-Match as an LRO [§4]', async () => {
    const path = h.arm.sub('/resourceGroups/rg-west/providers/Microsoft.ContainerService/managedClusters/aks-west');
    covers(ArmOperation.managedClustersGet);
    const raw = await h.arm.get(path, { apiVersion: AKS_API });
    const cluster = ok(ClusterWire, raw);
    expect(cluster.properties.agentPoolProfiles[0]?.vnetSubnetID).toMatch(/\/subnets\/nodes$/);

    covers(ArmOperation.managedClustersPut);
    const put = await h.arm.put(path, raw.json, { apiVersion: AKS_API, headers: { 'if-match': cluster.eTag } });
    expect(put.status).toBe(200);
    expect(ClusterWire.parse(put.json).properties.provisioningState).toBe('Updating');
    expect(put.headers['azure-asyncoperation']).toMatch(
      /\/providers\/Microsoft\.ContainerService\/locations\/[a-z]+\/operations\//,
    );
    OperationStatus.parse((await h.arm.get(put.headers['azure-asyncoperation'] ?? '')).json);
    armError(
      await h.arm.put(path, raw.json, { apiVersion: AKS_API, headers: { 'if-match': cluster.eTag } }),
      412,
      'PreconditionFailed',
    );
    h.sim.control.advance(60_000);
    armError(
      await h.arm.get(h.arm.sub('/resourceGroups/rg-west/providers/Microsoft.ContainerService/managedClusters/nope'), {
        apiVersion: AKS_API,
      }),
      404,
      'ResourceNotFound',
    );
  });

  it('network: VNets with subnets and peerings, NSGs, route tables, public IPs [§5]', async () => {
    const q = { apiVersion: NETWORK_API };
    covers(ArmOperation.virtualNetworksGet);
    const vnet = ok(
      VnetWire,
      await h.arm.get(h.arm.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west'), q),
    );
    expect(vnet.properties.virtualNetworkPeerings.map((p) => p.properties.peeringState)).toEqual([
      'Connected',
      'Connected',
    ]);
    covers(ArmOperation.networkSecurityGroupsGet);
    const nsg = ok(
      NsgWire,
      await h.arm.get(
        h.arm.sub('/resourceGroups/rg-east/providers/Microsoft.Network/networkSecurityGroups/nsg-nodes'),
        q,
      ),
    );
    expect(nsg.properties.securityRules[0]?.properties.priority).toBe(100);
    expect(nsg.properties.defaultSecurityRules.map((r) => r.properties.priority)).toContain(65500);
    covers(ArmOperation.routeTablesGet);
    ok(
      RouteTableWire,
      await h.arm.get(h.arm.sub('/resourceGroups/rg-east/providers/Microsoft.Network/routeTables/rt-nodes'), q),
    );
    covers(ArmOperation.publicIPAddressesList);
    const pips = ok(
      Page,
      await h.arm.get(
        h.arm.sub('/resourceGroups/MC_rg-east_aks-east_eastus/providers/Microsoft.Network/publicIPAddresses'),
        q,
      ),
    );
    expect(pips.value).toHaveLength(1);
    for (const p of pips.value)
      expect(PipWire.parse(p).properties.dnsSettings?.fqdn).toMatch(/\.cloudapp\.azure\.com$/);
  });

  it('authorization: assignments for a principal, definitions, PUT 201, duplicate 409 RoleAssignmentExists [§6]', async () => {
    const q = { apiVersion: AUTHZ_API };
    const vnet = h.arm.sub('/resourceGroups/rg-central/providers/Microsoft.Network/virtualNetworks/vnet-central');
    const identity = h.sim.control.principals()['aks-central-identity']?.objectId ?? '';
    covers(ArmOperation.roleAssignmentsList);
    const listed = ok(
      Page,
      await h.arm.get(
        `${vnet}/providers/Microsoft.Authorization/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${identity}'`)}`,
        q,
      ),
    );
    expect(listed.value.length).toBeGreaterThan(0);
    for (const a of listed.value) AssignmentWire.parse(a);

    covers(ArmOperation.roleDefinitionsGet);
    const def = ok(
      DefinitionWire,
      await h.arm.get(h.arm.sub(`/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`), q),
    );
    expect(def.properties).toMatchObject({ roleName: 'Network Contributor', type: 'BuiltInRole' });

    covers(ArmOperation.roleAssignmentsCreate);
    const body = {
      properties: {
        roleDefinitionId: h.arm.sub(`/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`),
        principalId: h.sim.control.principals()['aks-west-identity']?.objectId ?? '',
        principalType: 'ServicePrincipal',
      },
    };
    const westVnet = h.arm.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west');
    const created = ok(
      AssignmentWire,
      await h.arm.put(
        `${westVnet}/providers/Microsoft.Authorization/roleAssignments/0a6f6a86-9a3b-4bd0-9a55-1f1f6b0b7c01`,
        body,
        q,
      ),
      201,
    );
    expect(created.properties).toMatchObject({ principalType: 'ServicePrincipal', condition: null, scope: westVnet });
    const duplicate = await h.arm.put(
      `${westVnet}/providers/Microsoft.Authorization/roleAssignments/0a6f6a86-9a3b-4bd0-9a55-1f1f6b0b7c02`,
      body,
      q,
    );
    armError(duplicate, 409, 'RoleAssignmentExists');
    expect(ErrorEnvelope.parse(duplicate.json).error.message).toBe('The role assignment already exists.');
  });

  it('Traffic Manager: profile PUT/GET/PATCH, endpoint PUT/GET/DELETE, monitor status values [§7]', async () => {
    const q = { apiVersion: TM_API };
    const profile = h.arm.sub('/resourceGroups/rg-traffic/providers/Microsoft.Network/trafficmanagerprofiles/tm-conf');
    covers(ArmOperation.trafficProfilesGet);
    armError(await h.arm.get(profile, q), 404, 'ResourceNotFound');
    covers(ArmOperation.trafficProfilesPut);
    const put = await h.arm.put(
      profile,
      {
        location: 'global',
        properties: {
          profileStatus: 'Enabled',
          trafficRoutingMethod: 'Weighted',
          dnsConfig: { relativeName: 'fleetmesh-conf', ttl: 60 },
          monitorConfig: {
            protocol: 'HTTP',
            port: 80,
            path: '/',
            intervalInSeconds: 30,
            timeoutInSeconds: 10,
            toleratedNumberOfFailures: 3,
          },
        },
      },
      q,
    );
    expect(ok(TmProfileWire, put, 201)).not.toHaveProperty('etag');

    covers(ArmOperation.trafficEndpointsPut);
    const pip = h.arm.sub(
      '/resourceGroups/MC_rg-east_aks-east_eastus/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-east',
    );
    const endpoint = `${profile}/AzureEndpoints/east`;
    const ep = ok(
      EndpointWire,
      await h.arm.put(
        endpoint,
        {
          type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints',
          properties: { targetResourceId: pip, endpointStatus: 'Enabled', weight: 10 },
        },
        q,
      ),
      201,
    );
    expect(ep.properties.endpointMonitorStatus).toBe('CheckingEndpoint');

    covers(ArmOperation.trafficEndpointsGet);
    h.sim.control.advance(60_000);
    expect(ok(EndpointWire, await h.arm.get(endpoint, q)).properties.endpointMonitorStatus).toBe('Online');
    const read = ok(TmProfileWire, await h.arm.get(profile, q));
    expect(read.properties.monitorConfig.profileMonitorStatus).toBe('Online');

    covers(ArmOperation.trafficProfilesPatch);
    const patched = ok(TmProfileWire, await h.arm.patch(profile, { tags: { owner: 'fleetmesh' } }, q));
    expect(patched.properties.endpoints.map((e) => e.name)).toEqual(['east']);

    covers(ArmOperation.trafficEndpointsDelete);
    // [§7] "Delete returns {operationResult: bool}": `operationResult` is the SDK's name of the REST field `boolean`
    // (DeleteOperationResult in the trafficmanager spec), so the wire body is {"boolean": true}.
    expect(ok(z.strictObject({ boolean: z.literal(true) }), await h.arm.delete(endpoint, q)).boolean).toBe(true);
    const gone = await h.arm.delete(endpoint, q);
    expect(gone.status).toBe(204);
    expect(gone.text).toBe('');
    armError(await h.arm.get(endpoint, q), 404, 'ResourceNotFound');
  });

  it('throttling answers 429 with Retry-After and the remaining-requests header at 0 [§8]', async () => {
    h.sim.control.setThrottling({ enabled: true, reads: { size: 1, refillPerSecond: 0.1 } });
    try {
      const first = await h.arm.get(fleet('/members/member-east'));
      expect(first.status).toBe(200);
      expect(first.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('0');
      const throttled = await h.arm.get(fleet('/members/member-east'));
      armError(throttled, 429, 'SubscriptionRequestsThrottled');
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(throttled.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('0');
    } finally {
      h.sim.control.setThrottling(false);
    }
  });

  it('covered every operation the gateways call', () => {
    expect([...seen].sort()).toEqual(Object.values(ArmOperation).sort());
  });
});
