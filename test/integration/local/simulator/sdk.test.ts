/**
 * The real Azure SDK clients against the simulator, trusting its certificate through the client options
 * (`tlsOptions: { ca }`): results are compared after the SDK deserialised them (shared models for SDK-shaped
 * resources, wire models for the fleet REST client).
 */
import { getClient, type Client } from '@azure-rest/core-client';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { NetworkManagementClient } from '@azure/arm-network';
import { TrafficManagerManagementClient } from '@azure/arm-trafficmanager';
import { createHttpPoller, type OperationResponse, type RunningOperation } from '@azure/core-lro';
import { isRestError } from '@azure/core-rest-pipeline';
import { Agent } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ClusterMeshProfileSchema,
  KnownEndpointMonitorStatuses,
  KnownMemberProvisioningStates,
  KnownProfileProvisioningStates,
  PeeringStates,
  FleetMemberSchema,
  ManagedClusterSchema,
  NetworkSecurityGroupSchema,
  parseArmResource,
  PublicIPAddressSchema,
  RoleAssignmentSchema,
  RoleDefinitionSchema,
  RouteTableSchema,
  SubnetSchema,
  TrafficManagerEndpointSchema,
  TrafficManagerProfileSchema,
  VirtualNetworkPeeringSchema,
  VirtualNetworkSchema,
} from '../../../../shared/models/index.js';
import type { RunningSimulator } from '../../../../local/simulator/index.js';
import { at, FLEET_API, sdkOptions, start, StaticTokenCredential, type Arm } from './support.js';

let sim: RunningSimulator;
let arm: Arm;
let app: StaticTokenCredential;
let operator: StaticTokenCredential;

const NETWORK_CONTRIBUTOR = '4d97b98b-1d4f-4787-a291-c67834d212e7';

beforeAll(async () => {
  ({ sim, arm } = await start({
    scenario: {
      ...(await import('../../../../local/simulator/index.js')).twoRegionsScenario(),
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
              sourceAddressPrefix: 'VirtualNetwork',
              destinationAddressPrefix: '*',
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
    pageSize: 2,
  }));
  app = new StaticTokenCredential(sim.tokens['fleetmesh'] ?? '');
  operator = new StaticTokenCredential(sim.tokens['operator'] ?? '');
});
afterAll(async () => {
  arm.close();
  await sim.stop();
});

describe('@azure/arm-containerservice 25.3.0', () => {
  it('gets a cluster and reconciles it (PUT of the GET model with If-Match, waiting for the LRO)', async () => {
    const client = new ContainerServiceClient(app, sim.subscriptionId, sdkOptions(sim));
    const cluster = await client.managedClusters.get('rg-west', 'aks-west');
    const parsed = parseArmResource(ManagedClusterSchema, 'managed cluster', cluster);
    expect(parsed).toMatchObject({
      name: 'aks-west',
      currentKubernetesVersion: '1.33.2',
      networkProfile: { networkPlugin: 'azure', networkDataplane: 'cilium', advancedNetworking: { enabled: true } },
    });
    expect(parsed.networkProfile?.networkPluginMode).toBeUndefined();
    expect(parsed.agentPoolProfiles?.[0]?.vnetSubnetID).toMatch(/vnet-west\/subnets\/nodes$/);
    expect(parsed.identity?.principalId).toMatch(/^[0-9a-f-]{36}$/);
    const reconciled = await client.managedClusters.createOrUpdate('rg-west', 'aks-west', cluster, {
      ifMatch: cluster.eTag,
      updateIntervalInMs: 10,
    });
    expect(reconciled.provisioningState).toBe('Succeeded');
    expect(reconciled.eTag).not.toBe(cluster.eTag);

    const stale = client.managedClusters.createOrUpdate('rg-west', 'aks-west', cluster, {
      ifMatch: cluster.eTag,
      updateIntervalInMs: 10,
    });
    await expect(stale).rejects.toMatchObject({ statusCode: 412, code: 'PreconditionFailed' });
    await expect(client.managedClusters.get('rg-west', 'nope')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
  });
});

describe('@azure/arm-network 36.0.0', () => {
  it('reads VNets with subnets and peerings, subnets, peerings, NSGs, route tables and public IPs', async () => {
    const client = new NetworkManagementClient(app, sim.subscriptionId, sdkOptions(sim));
    const vnet = parseArmResource(
      VirtualNetworkSchema,
      'vnet',
      await client.virtualNetworks.get('rg-east', 'vnet-east'),
    );
    expect(vnet.addressSpace?.addressPrefixes).toEqual(['10.1.0.0/16']);
    expect(vnet.subnets?.map((s) => s.name)).toEqual(['nodes', 'pods']);
    expect(vnet.virtualNetworkPeerings?.map((p) => p.peeringState)).toEqual(['Connected', 'Connected']);
    const listed: string[] = [];
    for await (const v of client.virtualNetworks.list('rg-east')) listed.push(v.name ?? '');
    expect(listed).toEqual(['vnet-east']);
    const subnet = parseArmResource(SubnetSchema, 'subnet', await client.subnets.get('rg-east', 'vnet-east', 'pods'));
    expect(subnet.addressPrefix).toBe('10.1.16.0/20');
    const peerings = [];
    for await (const p of client.virtualNetworkPeerings.list('rg-west', 'vnet-west'))
      peerings.push(parseArmResource(VirtualNetworkPeeringSchema, 'peering', p));
    expect(peerings.map((p) => [p.peeringState, p.peeringSyncLevel, p.remoteAddressSpace?.addressPrefixes])).toEqual([
      ['Connected', 'FullyInSync', ['10.1.0.0/16']],
      ['Connected', 'FullyInSync', ['10.3.0.0/16']],
    ]);
    const nsg = parseArmResource(
      NetworkSecurityGroupSchema,
      'nsg',
      await client.networkSecurityGroups.get('rg-east', 'nsg-nodes'),
    );
    expect(nsg.securityRules?.[0]).toMatchObject({
      name: 'allow-mesh',
      priority: 100,
      access: 'Allow',
      direction: 'Inbound',
      destinationPortRange: '2379',
    });
    expect(nsg.defaultSecurityRules?.map((r) => r.priority)).toEqual([65000, 65001, 65500, 65000, 65001, 65500]);
    const rt = parseArmResource(RouteTableSchema, 'route table', await client.routeTables.get('rg-east', 'rt-nodes'));
    expect(rt.routes?.[0]).toMatchObject({ name: 'default', nextHopType: 'Internet', addressPrefix: '0.0.0.0/0' });
    const pips = [];
    for await (const p of client.publicIPAddresses.list('MC_rg-east_aks-east_eastus'))
      pips.push(parseArmResource(PublicIPAddressSchema, 'public ip', p));
    expect(pips).toHaveLength(1);
    expect(pips[0]).toMatchObject({
      ipAddress: '20.10.1.10',
      dnsSettings: { domainNameLabel: 'fleetmesh-demo-east', fqdn: 'fleetmesh-demo-east.eastus.cloudapp.azure.com' },
      tags: { 'k8s-azure-service': 'demo/web' },
    });
  });

  it('creates and deletes a peering as long-running operations; one side shows Initiated', async () => {
    const client = new NetworkManagementClient(operator, sim.subscriptionId, sdkOptions(sim));
    await client.virtualNetworkPeerings.beginDeleteAndWait('rg-west', 'vnet-west', 'vnet-west-to-vnet-central', {
      updateIntervalInMs: 10,
    });
    const other = await client.virtualNetworkPeerings.get('rg-central', 'vnet-central', 'vnet-central-to-vnet-west');
    expect(other.peeringState).toBe('Initiated');
    const back = await client.virtualNetworkPeerings.beginCreateOrUpdateAndWait(
      'rg-west',
      'vnet-west',
      'vnet-west-to-vnet-central',
      {
        remoteVirtualNetwork: {
          id: arm.sub('/resourceGroups/rg-central/providers/Microsoft.Network/virtualNetworks/vnet-central'),
        },
        allowVirtualNetworkAccess: true,
      },
      { updateIntervalInMs: 10 },
    );
    expect(back.peeringState).toBe('Connected');
  });
});

describe('@azure/arm-network 36.0.0 writes', () => {
  it('creates an NSG, attaches it to a subnet, and creates a public IP with a DNS label (LROs)', async () => {
    const client = new NetworkManagementClient(operator, sim.subscriptionId, sdkOptions(sim));
    const nsg = await client.networkSecurityGroups.beginCreateOrUpdateAndWait(
      'rg-west',
      'nsg-west-nodes',
      {
        location: 'westus',
        securityRules: [
          {
            name: 'deny-mesh',
            priority: 200,
            direction: 'Inbound',
            access: 'Deny',
            protocol: 'Tcp',
            sourceAddressPrefix: '*',
            sourcePortRange: '*',
            destinationAddressPrefix: '*',
            destinationPortRange: '2379',
          },
        ],
      },
      { updateIntervalInMs: 10 },
    );
    expect(nsg.provisioningState).toBe('Succeeded');
    expect(nsg.securityRules?.[0]?.id).toBe(`${nsg.id ?? ''}/securityRules/deny-mesh`);
    const subnet = await client.subnets.beginCreateOrUpdateAndWait(
      'rg-west',
      'vnet-west',
      'nodes',
      { addressPrefix: '10.2.0.0/22', networkSecurityGroup: { id: nsg.id ?? '' } },
      { updateIntervalInMs: 10 },
    );
    expect(subnet.networkSecurityGroup?.id).toBe(nsg.id);
    expect((await client.networkSecurityGroups.get('rg-west', 'nsg-west-nodes')).subnets?.map((x) => x.id)).toEqual([
      subnet.id,
    ]);
    const outside = client.subnets.beginCreateOrUpdateAndWait(
      'rg-west',
      'vnet-west',
      'bad',
      { addressPrefix: '192.168.0.0/24' },
      { updateIntervalInMs: 10 },
    );
    await expect(outside).rejects.toMatchObject({ statusCode: 400, code: 'NetcfgSubnetRangeOutsideVnet' });
    // Detach again so later tests see the scenario's network.
    await client.subnets.beginCreateOrUpdateAndWait(
      'rg-west',
      'vnet-west',
      'nodes',
      { addressPrefix: '10.2.0.0/22' },
      { updateIntervalInMs: 10 },
    );
    const pip = await client.publicIPAddresses.beginCreateOrUpdateAndWait(
      'rg-traffic',
      'pip-extra',
      {
        location: 'eastus',
        sku: { name: 'Standard' },
        publicIPAllocationMethod: 'Static',
        dnsSettings: { domainNameLabel: 'fleetmesh-extra' },
      },
      { updateIntervalInMs: 10 },
    );
    expect(pip).toMatchObject({
      provisioningState: 'Succeeded',
      dnsSettings: { fqdn: 'fleetmesh-extra.eastus.cloudapp.azure.com' },
    });
    expect(pip.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});

describe('@azure/arm-authorization 9.0.0', () => {
  it('creates a role assignment, treats a duplicate as 409 RoleAssignmentExists, lists, reads and deletes it', async () => {
    const client = new AuthorizationManagementClient(operator, sim.subscriptionId, sdkOptions(sim));
    const scope = arm.sub('/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west');
    const westIdentity = sim.control.principals()['aks-west-identity']?.objectId ?? '';
    const roleDefinitionId = arm.sub(`/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`);
    const created = await client.roleAssignments.create(scope, '5f3b4c2a-1d0e-4f9a-8b7c-6d5e4f3a2b1c', {
      roleDefinitionId,
      principalId: westIdentity,
      principalType: 'ServicePrincipal',
    });
    const parsed = parseArmResource(RoleAssignmentSchema, 'role assignment', created);
    expect(parsed).toMatchObject({
      scope,
      principalId: westIdentity,
      principalType: 'ServicePrincipal',
      roleDefinitionId,
    });
    expect(parsed.condition).toBeUndefined();

    const duplicate = client.roleAssignments.create(scope, '6f3b4c2a-1d0e-4f9a-8b7c-6d5e4f3a2b1c', {
      roleDefinitionId,
      principalId: westIdentity,
    });
    await expect(duplicate).rejects.toMatchObject({ statusCode: 409, code: 'RoleAssignmentExists' });

    const forPrincipal: string[] = [];
    for await (const a of client.roleAssignments.listForScope(scope, { filter: `principalId eq '${westIdentity}'` }))
      forPrincipal.push(a.name ?? '');
    expect(forPrincipal).toEqual(['5f3b4c2a-1d0e-4f9a-8b7c-6d5e4f3a2b1c']);
    const atScope: string[] = [];
    for await (const a of client.roleAssignments.listForScope(scope, { filter: 'atScope()' }))
      atScope.push(a.roleDefinitionId ?? '');
    expect(atScope.length).toBeGreaterThanOrEqual(3); // this one, the app's RBAC admin on the VNet, operator's Owner above
    const unsupported = (async () => {
      const names: string[] = [];
      for await (const a of client.roleAssignments.listForScope(scope, { filter: "roleDefinitionId eq 'x'" }))
        names.push(a.name ?? '');
      return names;
    })();
    await expect(unsupported).rejects.toMatchObject({ statusCode: 400, code: 'UnsupportedQuery' });

    const got = await client.roleAssignments.get(scope, '5f3b4c2a-1d0e-4f9a-8b7c-6d5e4f3a2b1c');
    expect(got.id).toBe(created.id);
    const deleted = await client.roleAssignments.delete(scope, '5f3b4c2a-1d0e-4f9a-8b7c-6d5e4f3a2b1c');
    expect(deleted.id).toBe(created.id);
    await expect(client.roleAssignments.get(scope, '5f3b4c2a-1d0e-4f9a-8b7c-6d5e4f3a2b1c')).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('reads role definitions by id', async () => {
    const client = new AuthorizationManagementClient(app, sim.subscriptionId, sdkOptions(sim));
    const rd = parseArmResource(
      RoleDefinitionSchema,
      'role definition',
      await client.roleDefinitions.getById(
        arm.sub(`/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`),
      ),
    );
    expect(rd).toMatchObject({ roleName: 'Network Contributor', roleType: 'BuiltInRole', name: NETWORK_CONTRIBUTOR });
    expect(rd.permissions?.[0]?.actions).toContain('Microsoft.Network/*');
    const tenant = await client.roleDefinitions.getById(
      `/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`,
    );
    expect(tenant.id).toBe(`/providers/Microsoft.Authorization/roleDefinitions/${NETWORK_CONTRIBUTOR}`);
  });
});

describe('@azure/arm-trafficmanager 6.1.0', () => {
  it('manages a profile and endpoints; monitor status is null in the list and follows health on endpoint GET', async () => {
    const client = new TrafficManagerManagementClient(app, sim.subscriptionId, sdkOptions(sim));
    const pipId = arm.sub(
      '/resourceGroups/MC_rg-east_aks-east_eastus/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-east',
    );
    const created = await client.profiles.createOrUpdate('rg-traffic', 'tm-demo', {
      location: 'global',
      profileStatus: 'Enabled',
      trafficRoutingMethod: 'Weighted',
      dnsConfig: { relativeName: 'fleetmesh-demo-sdk', ttl: 60 },
      monitorConfig: {
        protocol: 'HTTP',
        port: 80,
        path: '/healthz',
        intervalInSeconds: 30,
        timeoutInSeconds: 10,
        toleratedNumberOfFailures: 3,
      },
    });
    const profile = parseArmResource(TrafficManagerProfileSchema, 'tm profile', created);
    expect(profile).toMatchObject({
      dnsConfig: { fqdn: 'fleetmesh-demo-sdk.trafficmanager.net' },
      monitorConfig: { profileMonitorStatus: 'Inactive' },
      location: 'global',
    });
    expect(at(created, 'etag')).toBeUndefined();

    const ep = parseArmResource(
      TrafficManagerEndpointSchema,
      'endpoint',
      await client.endpoints.createOrUpdate('rg-traffic', 'tm-demo', 'AzureEndpoints', 'east', {
        targetResourceId: pipId,
        endpointStatus: 'Enabled',
        weight: 7,
      }),
    );
    expect(ep).toMatchObject({
      type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints',
      target: 'fleetmesh-demo-east.eastus.cloudapp.azure.com',
      weight: 7,
      endpointMonitorStatus: 'CheckingEndpoint',
    });

    sim.control.advance(5_000);
    const listed = [];
    for await (const p of client.profiles.listByResourceGroup('rg-traffic')) listed.push(p);
    expect(listed[0]?.endpoints?.[0]?.endpointMonitorStatus).toBeNull();
    expect((await client.endpoints.get('rg-traffic', 'tm-demo', 'AzureEndpoints', 'east')).endpointMonitorStatus).toBe(
      'Online',
    );

    const cluster = arm.sub('/resourceGroups/rg-east/providers/Microsoft.ContainerService/managedClusters/aks-east');
    sim.control.setTimeFactor(0);
    sim.control.setHealth({ resourceId: cluster, health: 'Degraded' });
    // Probes have not seen it yet.
    expect((await client.endpoints.get('rg-traffic', 'tm-demo', 'AzureEndpoints', 'east')).endpointMonitorStatus).toBe(
      'Online',
    );
    sim.control.advance(5_000);
    sim.control.setTimeFactor(100);
    expect((await client.endpoints.get('rg-traffic', 'tm-demo', 'AzureEndpoints', 'east')).endpointMonitorStatus).toBe(
      'Degraded',
    );
    expect((await client.profiles.get('rg-traffic', 'tm-demo')).monitorConfig?.profileMonitorStatus).toBe('Degraded');

    const updated = await client.endpoints.update('rg-traffic', 'tm-demo', 'AzureEndpoints', 'east', {
      endpointStatus: 'Disabled',
    });
    expect(updated.endpointMonitorStatus).toBe('Disabled');
    expect(updated.weight).toBe(7);
    const patched = await client.profiles.update('rg-traffic', 'tm-demo', { tags: { owner: 'fleetmesh' } });
    expect(patched.tags).toEqual({ owner: 'fleetmesh' });
    // DeleteOperationResult: REST field `boolean`, which the SDK names operationResult (reference §7).
    expect(await client.endpoints.delete('rg-traffic', 'tm-demo', 'AzureEndpoints', 'east')).toEqual({
      operationResult: true,
    });
    await expect(client.endpoints.get('rg-traffic', 'tm-demo', 'AzureEndpoints', 'east')).rejects.toMatchObject({
      statusCode: 404,
    });
    // Already gone: 204, no body.
    expect(await client.endpoints.delete('rg-traffic', 'tm-demo', 'AzureEndpoints', 'east')).toEqual({});

    const noDns = client.endpoints.createOrUpdate('rg-traffic', 'tm-demo', 'AzureEndpoints', 'bad', {
      targetResourceId: arm.sub('/resourceGroups/rg-east/providers/Microsoft.Network/publicIPAddresses/none'),
      weight: 1,
    });
    await expect(noDns).rejects.toMatchObject({ statusCode: 400 });
    expect(await client.profiles.delete('rg-traffic', 'tm-demo')).toEqual({ operationResult: true });
    await expect(client.profiles.get('rg-traffic', 'tm-demo')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses an endpoint beyond 200 per profile (endpoint PUT and inline in a profile PUT), 400 BadRequest', async () => {
    const client = new TrafficManagerManagementClient(app, sim.subscriptionId, sdkOptions(sim));
    const external = (i: number) => ({
      name: `ext-${i}`,
      type: 'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
      target: `app-${i}.example.com`,
      weight: 1,
    });
    const profile = (count: number) => ({
      location: 'global',
      trafficRoutingMethod: 'Weighted',
      dnsConfig: { relativeName: 'fleetmesh-limit-sdk', ttl: 60 },
      monitorConfig: { protocol: 'HTTP', port: 80, path: '/' },
      endpoints: Array.from({ length: count }, (_, i) => external(i)),
    });
    const limitError = {
      statusCode: 400,
      code: 'BadRequest',
      message: expect.stringContaining('at most 200 endpoints') as unknown,
    };
    await expect(client.profiles.createOrUpdate('rg-traffic', 'tm-limit', profile(201))).rejects.toMatchObject(
      limitError,
    );
    await expect(client.profiles.get('rg-traffic', 'tm-limit')).rejects.toMatchObject({ statusCode: 404 });

    const full = await client.profiles.createOrUpdate('rg-traffic', 'tm-limit', profile(200));
    expect(full.endpoints).toHaveLength(200);
    const pipId = arm.sub(
      '/resourceGroups/MC_rg-east_aks-east_eastus/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-east',
    );
    // The limit counts endpoints of every type.
    await expect(
      client.endpoints.createOrUpdate('rg-traffic', 'tm-limit', 'AzureEndpoints', 'one-more', {
        targetResourceId: pipId,
        weight: 1,
      }),
    ).rejects.toMatchObject({ ...limitError, message: expect.stringContaining('would hold 201 endpoints') as unknown });
    // Rewriting an endpoint the profile already holds is no new endpoint.
    const rewritten = await client.endpoints.createOrUpdate('rg-traffic', 'tm-limit', 'ExternalEndpoints', 'ext-7', {
      target: 'other.example.com',
      weight: 3,
    });
    expect(rewritten.weight).toBe(3);
    await client.endpoints.delete('rg-traffic', 'tm-limit', 'ExternalEndpoints', 'ext-0');
    const added = await client.endpoints.createOrUpdate('rg-traffic', 'tm-limit', 'AzureEndpoints', 'one-more', {
      targetResourceId: pipId,
      weight: 1,
    });
    expect(added.name).toBe('one-more');
    expect((await client.profiles.get('rg-traffic', 'tm-limit')).endpoints).toHaveLength(200);
    // A refused PATCH changes nothing: neither its tags nor its other properties are kept.
    await expect(
      client.profiles.update('rg-traffic', 'tm-limit', {
        tags: { changed: 'yes' },
        dnsConfig: { relativeName: 'fleetmesh-limit-sdk', ttl: 300 },
        endpoints: Array.from({ length: 201 }, (_, i) => external(i)),
      }),
    ).rejects.toMatchObject(limitError);
    const after = await client.profiles.get('rg-traffic', 'tm-limit');
    expect(after.tags ?? {}).not.toHaveProperty('changed');
    expect(after.dnsConfig?.ttl).toBe(60);
    expect(after.endpoints).toHaveLength(200);
    await client.profiles.delete('rg-traffic', 'tm-limit');
  });
});

describe('@azure-rest/core-client + @azure/core-lro (fleet, preview api-version)', () => {
  let client: Client;
  const q = { queryParameters: { 'api-version': FLEET_API } };
  const fleet = (path = ''): string => arm.fleet(path);

  beforeAll(() => {
    client = getClient(sim.endpoint, app, {
      ...sdkOptions(sim),
      credentials: { scopes: ['https://management.azure.com/.default'] },
    });
  });

  interface RestResponse {
    status: string;
    headers: Record<string, string>;
    body: unknown;
    request: { method: string; url: string };
  }

  function lro(send: () => PromiseLike<RestResponse>): RunningOperation {
    const toOperationResponse = (r: RestResponse): OperationResponse => ({
      flatResponse: r.body,
      rawResponse: {
        statusCode: Number(r.status),
        headers: r.headers,
        body: r.body,
        request: { method: r.request.method, url: r.request.url },
      },
    });
    return {
      sendInitialRequest: async () => toOperationResponse(await send()),
      sendPollRequest: async (path) => toOperationResponse(await client.pathUnchecked(path).get()),
    };
  }

  it('lists members following nextLink', async () => {
    const names: string[] = [];
    let res = await client.pathUnchecked(fleet('/members')).get(q);
    for (;;) {
      expect(res.status).toBe('200');
      for (const m of z.array(z.unknown()).parse(at(res.body, 'value')))
        names.push(parseArmResource(FleetMemberSchema, 'member', m).name);
      const next = at(res.body, 'nextLink');
      if (typeof next !== 'string') break;
      res = await client.pathUnchecked(next).get();
    }
    expect(names).toEqual(['member-central', 'member-east', 'member-west']);
  });

  it('patches labels (final state via the original URI) and applies (final state via Location)', async () => {
    const labels = await createHttpPoller(
      lro(() =>
        client
          .pathUnchecked(fleet('/members/member-central'))
          .patch({ ...q, body: { properties: { labels: { region: 'central', mesh: 'demo' } } } }),
      ),
      { resourceLocationConfig: 'original-uri', intervalInMs: 10 },
    ).pollUntilDone();
    expect(parseArmResource(FleetMemberSchema, 'member', labels).properties.labels['mesh']).toBe('demo');

    // West is still missing Network Contributor in this simulator: the apply operation fails with the member errors.
    const failing = createHttpPoller(
      lro(() => client.pathUnchecked(fleet('/clusterMeshProfiles/demo/apply')).post(q)),
      { resourceLocationConfig: 'location', intervalInMs: 10 },
    ).pollUntilDone();
    await expect(failing).rejects.toThrow(/ClusterMeshApplyFailed/);

    // Take West out of the mesh selector and apply again: Location answers the profile at the end.
    const profile = parseArmResource(
      ClusterMeshProfileSchema,
      'profile',
      (await client.pathUnchecked(fleet('/clusterMeshProfiles/demo')).get(q)).body,
    );
    const put = await client.pathUnchecked(fleet('/clusterMeshProfiles/demo')).put({
      ...q,
      headers: { 'if-match': profile.eTag ?? '' },
      body: { properties: { memberSelector: { byLabel: 'mesh=demo,region=central' } } },
    });
    expect(put.status).toBe('200');
    const applied = await createHttpPoller(
      lro(() => client.pathUnchecked(fleet('/clusterMeshProfiles/demo/apply')).post(q)),
      { resourceLocationConfig: 'location', intervalInMs: 10 },
    ).pollUntilDone();
    const result = parseArmResource(ClusterMeshProfileSchema, 'profile', applied);
    expect(result.properties.status).toMatchObject({
      state: 'Connected',
      lastAppliedMemberSelector: { byLabel: 'mesh=demo,region=central' },
    });
  });

  it('keeps TLS verification on: a client that does not trust the certificate is refused; an https.Agent with ca works too', async () => {
    const untrusting = new NetworkManagementClient(app, sim.subscriptionId, { endpoint: sim.endpoint });
    await expect(untrusting.virtualNetworks.get('rg-east', 'vnet-east')).rejects.toThrow(/self-signed certificate/);
    const withAgent = new NetworkManagementClient(app, sim.subscriptionId, {
      endpoint: sim.endpoint,
      agent: new Agent({ ca: sim.certificatePem }),
    });
    expect((await withAgent.virtualNetworks.get('rg-east', 'vnet-east')).name).toBe('vnet-east');
  });

  it('surfaces ARM errors as RestError with the envelope', async () => {
    const res = await client.pathUnchecked(fleet('/members/nope')).get(q);
    expect(res.status).toBe('404');
    expect(at(res.body, 'error', 'code')).toBe('ResourceNotFound');
    const nc = new NetworkManagementClient(
      new StaticTokenCredential('sim.wrong-token-000000000000'),
      sim.subscriptionId,
      sdkOptions(sim),
    );
    try {
      await nc.virtualNetworks.get('rg-east', 'vnet-east');
      expect.unreachable('a wrong token must be refused');
    } catch (error) {
      expect(isRestError(error) && error.statusCode).toBe(401);
    }
  });
});

describe('reference field names and enum values', () => {
  it('uses only the documented enum values across everything the earlier tests touched', async () => {
    const state = sim.control.state();
    const list = (name: string): unknown[] => z.array(z.unknown()).parse(at(state, name));
    for (const m of list('members')) {
      const parsed = parseArmResource(FleetMemberSchema, 'member', m);
      expect(KnownMemberProvisioningStates).toContain(parsed.properties.provisioningState);
    }
    for (const p of list('clusterMeshProfiles')) {
      const parsed = parseArmResource(ClusterMeshProfileSchema, 'profile', p);
      expect(KnownProfileProvisioningStates).toContain(parsed.properties.provisioningState);
    }
    const peeringStates = list('virtualNetworks').flatMap((v) =>
      z
        .array(z.unknown())
        .parse(at(v, 'properties', 'virtualNetworkPeerings'))
        .map((p) => at(p, 'properties', 'peeringState')),
    );
    expect(peeringStates.length).toBeGreaterThan(0);
    for (const st of peeringStates) expect(PeeringStates).toContain(st);
    // Traffic Manager: a fresh profile with an endpoint, seen before and after the probe window.
    const client = new TrafficManagerManagementClient(app, sim.subscriptionId, sdkOptions(sim));
    await client.profiles.createOrUpdate('rg-traffic', 'tm-enum', {
      location: 'global',
      trafficRoutingMethod: 'Weighted',
      dnsConfig: { relativeName: 'fleetmesh-enum', ttl: 60 },
      monitorConfig: { protocol: 'TCP', port: 443 },
    });
    const pipId = arm.sub(
      '/resourceGroups/MC_rg-west_aks-west_westus/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-west',
    );
    const seen = new Set<string>();
    const profileSeen = new Set<string>();
    const ep = await client.endpoints.createOrUpdate('rg-traffic', 'tm-enum', 'AzureEndpoints', 'west', {
      targetResourceId: pipId,
      weight: 1,
    });
    seen.add(ep.endpointMonitorStatus ?? '');
    profileSeen.add((await client.profiles.get('rg-traffic', 'tm-enum')).monitorConfig?.profileMonitorStatus ?? '');
    sim.control.advance(5_000);
    seen.add(
      (await client.endpoints.get('rg-traffic', 'tm-enum', 'AzureEndpoints', 'west')).endpointMonitorStatus ?? '',
    );
    profileSeen.add((await client.profiles.get('rg-traffic', 'tm-enum')).monitorConfig?.profileMonitorStatus ?? '');
    sim.control.setHealth({ resourceId: pipId, health: 'Stopped' });
    seen.add(
      (await client.endpoints.get('rg-traffic', 'tm-enum', 'AzureEndpoints', 'west')).endpointMonitorStatus ?? '',
    );
    expect([...seen]).toEqual(['CheckingEndpoint', 'Online', 'Stopped']);
    for (const st of seen) expect(KnownEndpointMonitorStatuses).toContain(st);
    for (const st of profileSeen)
      expect(['CheckingEndpoints', 'Online', 'Degraded', 'Disabled', 'Inactive']).toContain(st);
  });
});
