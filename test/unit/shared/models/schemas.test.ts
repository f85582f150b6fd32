import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { InvalidArmResourceError } from '../../../../shared/errors.js';
import {
  NetworkSecurityGroupSchema,
  PublicIPAddressSchema,
  RoleAssignmentSchema,
  RoleDefinitionSchema,
  RouteTableSchema,
  TrafficManagerProfileSchema,
  VirtualNetworkSchema,
  parseArmResource,
} from '../../../../shared/models/index.js';

const rg = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg';
const vnetId = `${rg}/providers/Microsoft.Network/virtualNetworks/vnet-east`;
const nsgId = `${rg}/providers/Microsoft.Network/networkSecurityGroups/nsg-east`;
const routeTableId = `${rg}/providers/Microsoft.Network/routeTables/rt-east`;
const ipId = `${rg}/providers/Microsoft.Network/publicIPAddresses/kubernetes-a1`;
const assignmentId = `${vnetId}/providers/Microsoft.Authorization/roleAssignments/5a1b0000-0000-4000-8000-000000000001`;
const definitionId =
  '/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7';
const profileId = `${rg}/providers/Microsoft.Network/trafficManagerProfiles/fleetmesh-demo`;

/** A body as the SDK returns it, with a field ARM added that the app does not know, and the path of a required field. */
interface Case {
  readonly kind: string;
  readonly schema: z.ZodType;
  readonly body: Record<string, unknown>;
  /** A required field (dot path) whose absence must be named. */
  readonly required: string;
  /** A field the app reads, and its value after parsing. */
  readonly read: readonly [string, unknown];
  /** A field ARM returns that the app does not model (dot path): dropped, never an error. */
  readonly dropped: string;
}

const cases: readonly Case[] = [
  {
    kind: 'VirtualNetwork',
    schema: VirtualNetworkSchema,
    body: {
      id: vnetId,
      name: 'vnet-east',
      addressSpace: { addressPrefixes: ['10.1.0.0/16'] },
      subnets: [{ id: `${vnetId}/subnets/nodes`, name: 'nodes', addressPrefix: '10.1.0.0/24', ipConfigurations: [] }],
      virtualNetworkPeerings: [
        {
          id: `${vnetId}/virtualNetworkPeerings/to-west`,
          name: 'to-west',
          peeringState: 'Connected',
          peeringSyncLevel: 'FullyInSync',
          remoteBgpCommunities: { virtualNetworkCommunity: '12076:20000' },
        },
      ],
      enableDdosProtection: false,
    },
    required: 'subnets.0.name',
    dropped: 'virtualNetworkPeerings.0.remoteBgpCommunities',
    read: ['virtualNetworkPeerings.0.peeringSyncLevel', 'FullyInSync'],
  },
  {
    kind: 'NetworkSecurityGroup',
    schema: NetworkSecurityGroupSchema,
    body: {
      id: nsgId,
      name: 'nsg-east',
      securityRules: [
        {
          name: 'deny-west',
          priority: 100,
          direction: 'Inbound',
          access: 'Deny',
          protocol: '*',
          sourceAddressPrefix: '10.2.0.0/16',
          description: 'added by ARM',
        },
      ],
      flushConnection: false,
    },
    required: 'securityRules.0.priority',
    dropped: 'flushConnection',
    read: ['securityRules.0.access', 'Deny'],
  },
  {
    kind: 'RouteTable',
    schema: RouteTableSchema,
    body: {
      id: routeTableId,
      name: 'rt-east',
      routes: [{ name: 'blackhole', addressPrefix: '10.2.0.0/16', nextHopType: 'None', hasBgpOverride: false }],
      resourceGuid: 'x',
    },
    required: 'routes.0.nextHopType',
    dropped: 'routes.0.hasBgpOverride',
    read: ['routes.0.nextHopType', 'None'],
  },
  {
    kind: 'PublicIPAddress',
    schema: PublicIPAddressSchema,
    body: {
      id: ipId,
      name: 'kubernetes-a1',
      tags: { 'k8s-azure-service': 'demo/web' },
      ipAddress: '20.1.2.3',
      dnsSettings: { domainNameLabel: 'web-east', fqdn: 'web-east.eastus.cloudapp.azure.com' },
      ipTags: [{ ipTagType: 'RoutingPreference', tag: 'Internet' }],
    },
    required: 'name',
    read: ['dnsSettings.domainNameLabel', 'web-east'],
    dropped: 'ipTags',
  },
  {
    kind: 'RoleAssignment',
    schema: RoleAssignmentSchema,
    body: {
      id: assignmentId,
      name: '5a1b0000-0000-4000-8000-000000000001',
      scope: vnetId,
      roleDefinitionId: definitionId,
      principalId: '11111111-1111-4111-8111-111111111111',
      principalType: 'ServicePrincipal',
      condition: null,
      createdOn: '2026-01-01T00:00:00Z',
    },
    required: 'principalId',
    dropped: 'createdOn',
    read: ['condition', undefined],
  },
  {
    kind: 'RoleDefinition',
    schema: RoleDefinitionSchema,
    body: {
      id: definitionId,
      name: '4d97b98b-1d4f-4787-a291-c67834d212e7',
      roleName: 'Network Contributor',
      permissions: [{ actions: ['Microsoft.Network/*'], notActions: [], condition: null }],
      createdBy: null,
    },
    required: 'id',
    dropped: 'createdBy',
    read: ['permissions.0.actions', ['Microsoft.Network/*']],
  },
  {
    kind: 'TrafficManagerProfile',
    schema: TrafficManagerProfileSchema,
    body: {
      id: profileId,
      name: 'fleetmesh-demo',
      trafficRoutingMethod: 'Weighted',
      dnsConfig: { relativeName: 'fleetmesh-demo', ttl: 30 },
      endpoints: [
        {
          name: 'fleetmesh-demo-web-east',
          type: 'Microsoft.Network/trafficManagerProfiles/azureEndpoints',
          endpointStatus: 'Enabled',
          weight: 500,
          endpointMonitorStatus: null,
          minChildEndpoints: null,
        },
      ],
      recordTypes: [],
    },
    required: 'name',
    read: ['endpoints.0.endpointMonitorStatus', undefined],
    dropped: 'endpoints.0.minChildEndpoints',
  },
];

function at(value: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((v, key) => (v === null || typeof v !== 'object' ? undefined : Reflect.get(v, key)), value);
}

function without(body: Record<string, unknown>, path: string): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = path.split('.');
  const last = keys.pop() ?? '';
  const parent = at(copy, keys.join('.'));
  const target = keys.length === 0 ? copy : parent;
  if (target !== null && typeof target === 'object') Reflect.deleteProperty(target, last);
  return copy;
}

describe.each(cases)('$kind', ({ kind, schema, body, required, read }) => {
  it('parses what ARM returns, keeping the fields the app reads and dropping the ones it does not know', () => {
    const parsed = parseArmResource(schema, kind, body);
    expect(at(parsed, read[0])).toEqual(read[1]);
    const added = Object.keys(body).filter(
      (key) => !Object.keys(schema instanceof Object ? (parsed as object) : {}).includes(key),
    );
    expect(added.length).toBeGreaterThan(0);
  });

  it(`names the resource id and the missing field '${required}'`, () => {
    const run = () => parseArmResource(schema, kind, without(body, required), '/hint');
    expect(run).toThrow(InvalidArmResourceError);
    const id = required === 'id' ? '/hint' : String(body.id);
    expect(run).toThrow(`${kind} ${id}: missing required field '${required}'`);
  });
});
