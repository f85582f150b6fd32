/**
 * NetworkGateway against the simulator through `@azure/arm-network` 36.0.0: VNets with subnets and peerings, NSGs,
 * route tables, public IPs by resource group across pages, 404, and ids in another subscription.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoRegionsScenario } from '../../../../local/simulator/index.js';
import { isNotFound } from '../../../../shared/azure/index.js';
import { ValidationError } from '../../../../shared/errors.js';
import { startHarness, type GatewayHarness } from './support.js';

const NODE_RG = 'MC_rg-east_aks-east_eastus';

describe('NetworkGateway (two-regions with an NSG, a route table and extra public IPs; page size 2)', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    const base = twoRegionsScenario();
    h = await startHarness({
      pageSize: 2,
      scenario: {
        ...base,
        networkSecurityGroups: [
          {
            resourceGroup: 'rg-east',
            name: 'nsg-nodes',
            location: 'eastus',
            securityRules: [
              {
                name: 'deny-mesh',
                priority: 200,
                direction: 'Inbound',
                access: 'Deny',
                protocol: 'Tcp',
                sourceAddressPrefix: '10.2.0.0/22',
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
            routes: [{ name: 'blackhole-west', addressPrefix: '10.2.0.0/22', nextHopType: 'None' }],
          },
        ],
        publicIPAddresses: [
          ...(base.publicIPAddresses ?? []),
          { resourceGroup: NODE_RG, name: 'pip-extra-1', location: 'eastus', ipAddress: '20.10.1.11' },
          {
            resourceGroup: NODE_RG,
            name: 'pip-extra-2',
            location: 'eastus',
            ipAddress: '20.10.1.12',
            domainNameLabel: 'fleetmesh-extra-2',
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('reads a VNet with its subnets and its peerings in one GET', async () => {
    const id = h.sub('/resourceGroups/rg-east/providers/Microsoft.Network/virtualNetworks/vnet-east');
    const { value: vnet, calls } = await h.gateways.counters.track(() => h.gateways.network.getVirtualNetwork(id));
    expect(calls.reads).toBe(1);
    expect(vnet).toMatchObject({
      id,
      name: 'vnet-east',
      location: 'eastus',
      addressSpace: { addressPrefixes: ['10.1.0.0/16'] },
    });
    expect(vnet.etag).toMatch(/^W\/".+"$/);
    expect(vnet.subnets?.map((s) => [s.name, s.addressPrefix])).toEqual([
      ['nodes', '10.1.0.0/22'],
      ['pods', '10.1.16.0/20'],
    ]);
    expect(
      vnet.virtualNetworkPeerings?.map((p) => [
        p.remoteVirtualNetwork?.id.split('/').pop(),
        p.peeringState,
        p.peeringSyncLevel,
      ]),
    ).toEqual([
      ['vnet-west', 'Connected', 'FullyInSync'],
      ['vnet-central', 'Connected', 'FullyInSync'],
    ]);
  });

  it('reads an NSG with its rules and ARM default rules, and a route table', async () => {
    const nsgId = h.sub('/resourceGroups/rg-east/providers/Microsoft.Network/networkSecurityGroups/nsg-nodes');
    const nsg = await h.gateways.network.getNetworkSecurityGroup(nsgId);
    expect(nsg.securityRules).toEqual([
      expect.objectContaining({
        name: 'deny-mesh',
        priority: 200,
        direction: 'Inbound',
        access: 'Deny',
        protocol: 'Tcp',
        sourceAddressPrefix: '10.2.0.0/22',
        destinationPortRange: '2379',
      }),
    ]);
    expect(nsg.defaultSecurityRules?.map((r) => r.name)).toContain('DenyAllInBound');
    const rtId = h.sub('/resourceGroups/rg-east/providers/Microsoft.Network/routeTables/rt-nodes');
    const rt = await h.gateways.network.getRouteTable(rtId);
    expect(rt.routes).toEqual([
      expect.objectContaining({ name: 'blackhole-west', addressPrefix: '10.2.0.0/22', nextHopType: 'None' }),
    ]);
  });

  it('lists the public IPs of a resource group across pages', async () => {
    const { value: pips, calls } = await h.gateways.counters.track(() =>
      h.gateways.network.listPublicIPAddresses(h.sim.subscriptionId, NODE_RG),
    );
    expect(pips.map((p) => p.name).sort()).toEqual(['kubernetes-demo-web-east', 'pip-extra-1', 'pip-extra-2']);
    expect(calls.reads).toBe(2);
    const web = pips.find((p) => p.name === 'kubernetes-demo-web-east');
    expect(web).toMatchObject({
      ipAddress: '20.10.1.10',
      dnsSettings: { domainNameLabel: 'fleetmesh-demo-east', fqdn: 'fleetmesh-demo-east.eastus.cloudapp.azure.com' },
      tags: { 'k8s-azure-service': 'demo/web' },
    });
    expect(await h.gateways.network.listPublicIPAddresses(h.sim.subscriptionId, 'rg-fleet')).toEqual([]);
  });

  it('404 is an AzureApiError; bad ids never leave the process', async () => {
    const missing = h.sub('/resourceGroups/rg-east/providers/Microsoft.Network/virtualNetworks/nope');
    const error: unknown = await h.gateways.network.getVirtualNetwork(missing).catch((e: unknown) => e);
    expect(isNotFound(error)).toBe(true);
    expect(error).toMatchObject({ operation: 'virtualNetworks.get', resourceId: missing });
    const subnet = h.sub('/resourceGroups/rg-east/providers/Microsoft.Network/virtualNetworks/vnet-east/subnets/nodes');
    await expect(h.gateways.network.getVirtualNetwork(subnet)).rejects.toThrow(ValidationError);
    await expect(h.gateways.network.getRouteTable('not-an-id')).rejects.toThrow(ValidationError);
    await expect(h.gateways.network.listPublicIPAddresses('not-a-guid', 'rg')).rejects.toThrow(ValidationError);
  });

  it('sends an id of another subscription to that subscription', async () => {
    const other = '00000000-0000-4000-8000-000000000123';
    const id = `/subscriptions/${other}/resourceGroups/rg-x/providers/Microsoft.Network/virtualNetworks/vnet-x`;
    const since = h.sim.control.calls().at(-1)?.seq ?? 0;
    await expect(h.gateways.network.getVirtualNetwork(id)).rejects.toSatisfy(isNotFound);
    const paths = h.sim.control.calls(since).map((c) => c.path.toLowerCase());
    expect(paths.some((p) => p.startsWith(`/subscriptions/${other}/resourcegroups/rg-x/`))).toBe(true);
  });
});
