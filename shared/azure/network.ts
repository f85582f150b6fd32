/**
 * NetworkGateway: reads of virtual networks (subnets and peerings come embedded in the VNet), network security
 * groups, route tables and public IPs through `@azure/arm-network` 36.0.0 (its default api-version 2025-05-01), one
 * client per subscription (a member's VNet may live in any subscription).
 */
import { NetworkManagementClient } from '@azure/arm-network';
import { parseResourceId } from '../arm/resourceId.js';
import { ValidationError } from '../errors.js';
import {
  NetworkSecurityGroupSchema,
  parseArmResource,
  PublicIPAddressSchema,
  RouteTableSchema,
  VirtualNetworkSchema,
  type PublicIPAddress,
} from '../models/index.js';
import type { NetworkGateway } from './gateways.js';
import { ArmOperation as Op } from './operations.js';
import { pipelineOptions } from './pipeline.js';
import { perSubscription, type GatewayRuntime } from './runtime.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function target(
  id: string,
  type: string,
  what: string,
): { subscriptionId: string; resourceGroup: string; name: string } {
  const parsed = parseResourceId(id);
  if (parsed.fullType?.toLowerCase() !== type.toLowerCase() || !parsed.resourceGroup) {
    throw new ValidationError(`not a ${what} id: '${id}'`);
  }
  return { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.name };
}

export function createNetworkGateway(runtime: GatewayRuntime): NetworkGateway {
  const { connection } = runtime;
  const clientFor = perSubscription(
    (subscriptionId) =>
      new NetworkManagementClient(connection.credential, subscriptionId, {
        ...pipelineOptions(connection),
        credentialScopes: [connection.scope],
      }),
  );

  return {
    async getVirtualNetwork(vnetId) {
      const t = target(vnetId, 'Microsoft.Network/virtualNetworks', 'virtual network');
      return runtime.call(Op.virtualNetworksGet, vnetId, async () =>
        parseArmResource(
          VirtualNetworkSchema,
          'virtual network',
          await clientFor(t.subscriptionId).virtualNetworks.get(t.resourceGroup, t.name),
          vnetId,
        ),
      );
    },

    async getNetworkSecurityGroup(nsgId) {
      const t = target(nsgId, 'Microsoft.Network/networkSecurityGroups', 'network security group');
      return runtime.call(Op.networkSecurityGroupsGet, nsgId, async () =>
        parseArmResource(
          NetworkSecurityGroupSchema,
          'network security group',
          await clientFor(t.subscriptionId).networkSecurityGroups.get(t.resourceGroup, t.name),
          nsgId,
        ),
      );
    },

    async getRouteTable(routeTableId) {
      const t = target(routeTableId, 'Microsoft.Network/routeTables', 'route table');
      return runtime.call(Op.routeTablesGet, routeTableId, async () =>
        parseArmResource(
          RouteTableSchema,
          'route table',
          await clientFor(t.subscriptionId).routeTables.get(t.resourceGroup, t.name),
          routeTableId,
        ),
      );
    },

    async listPublicIPAddresses(subscriptionId, resourceGroup) {
      if (!GUID.test(subscriptionId)) throw new ValidationError(`not a subscription id: '${subscriptionId}'`);
      if (resourceGroup.length < 1 || resourceGroup.length > 90) {
        throw new ValidationError(`invalid resource group name '${resourceGroup}'`);
      }
      const scope = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
      return runtime.call(Op.publicIPAddressesList, scope, async () => {
        const out: PublicIPAddress[] = [];
        // The SDK's pager follows nextLink to the last page.
        for await (const pip of clientFor(subscriptionId).publicIPAddresses.list(resourceGroup)) {
          out.push(parseArmResource(PublicIPAddressSchema, 'public IP address', pip));
        }
        return out;
      });
    },
  };
}
