import { describe, expect, it } from 'vitest';
import {
  FleetMemberSchema,
  ManagedClusterSchema,
  NetworkSecurityGroupSchema,
  PublicIPAddressSchema,
  RoleAssignmentSchema,
  RoleDefinitionSchema,
  RouteTableSchema,
  TrafficManagerEndpointSchema,
  VirtualNetworkSchema,
  parseArmResource,
} from '../../../../shared/models/index.js';
import {
  endpoint,
  eastWest,
  member,
  nsg,
  OTHER_PROFILE_ID,
  publicIp,
  roleAssignment,
  roleDefinition,
  route,
  routeTable,
  securityRule,
} from './fixtures.js';

// The builders must produce what the gateways would return: bodies the models accept unchanged.
describe('fixtures match the models', () => {
  const mesh = eastWest({ eastNsg: 'nsg-east', eastRouteTable: 'rt-east' });
  const cases: [string, Parameters<typeof parseArmResource>[0], unknown][] = [
    ['member', FleetMemberSchema, member('m1', { profileId: OTHER_PROFILE_ID, labels: { a: 'b' } })],
    ['member without mesh', FleetMemberSchema, member('m2')],
    ['cluster', ManagedClusterSchema, mesh.clusters()[0]],
    ['vnet with peering', VirtualNetworkSchema, Object.values(mesh.snapshot().virtualNetworks)[0]],
    ['nsg with default rules', NetworkSecurityGroupSchema, nsg('n', [securityRule({ name: 'r', priority: 100 })])],
    ['route table', RouteTableSchema, routeTable('rt', [route('r', '10.0.0.0/8', 'None')])],
    ['role assignment', RoleAssignmentSchema, roleAssignment('p', '/subscriptions/x', 'guid')],
    ['role definition', RoleDefinitionSchema, roleDefinition('guid', ['*'])],
    ['public ip', PublicIPAddressSchema, publicIp('pip', 'mc_rg', { service: 'a/b', dnsLabel: 'x' })],
    ['endpoint', TrafficManagerEndpointSchema, endpoint('e', '/pip', 5)],
  ];
  it.each(cases)('%s', (kind, schema, value) => {
    expect(parseArmResource(schema, kind, value)).toEqual(value);
  });
});
