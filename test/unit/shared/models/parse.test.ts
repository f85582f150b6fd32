import { describe, expect, it } from 'vitest';
import { InvalidArmResourceError } from '../../../../shared/errors.js';
import {
  ClusterMeshProfileSchema,
  FleetMemberSchema,
  ManagedClusterSchema,
  clusterPrincipalId,
  parseArmResource,
} from '../../../../shared/models/index.js';

const id =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/f/members/m1';

describe('parseArmResource', () => {
  it('keeps what the app reads and drops fields ARM adds', () => {
    const member = parseArmResource(FleetMemberSchema, 'FleetMember', {
      id,
      name: 'm1',
      eTag: '"abc"',
      somethingNew: { x: 1 },
      properties: { clusterResourceId: '/x', labels: { mesh: 'true' }, newField: 1, meshProperties: null },
    });
    expect(member.properties.labels).toEqual({ mesh: 'true' });
    expect(member.properties.meshProperties).toBeUndefined();
    expect(member).not.toHaveProperty('somethingNew');
  });

  it('names the resource id and the missing field', () => {
    const run = () => parseArmResource(FleetMemberSchema, 'FleetMember', { id, name: 'm1', properties: {} });
    expect(run).toThrow(InvalidArmResourceError);
    expect(run).toThrow(`FleetMember ${id}: missing required field 'properties.clusterResourceId'`);
  });

  it('uses the id hint when the body has no id', () => {
    expect(() => parseArmResource(ManagedClusterSchema, 'ManagedCluster', { name: 'c' }, '/hint')).toThrow(
      "ManagedCluster /hint: missing required field 'id'",
    );
  });

  it('rejects an unknown mesh state with the field path', () => {
    expect(() =>
      parseArmResource(ClusterMeshProfileSchema, 'ClusterMeshProfile', {
        id,
        name: 'p',
        properties: { status: { state: 'Sideways' } },
      }),
    ).toThrow(/field 'properties.status.state'/);
  });

  it('treats a null lastAppliedMemberSelector as absent', () => {
    const p = parseArmResource(ClusterMeshProfileSchema, 'ClusterMeshProfile', {
      id,
      name: 'p',
      properties: {
        memberSelector: { byLabel: 'mesh=true' },
        status: { state: 'NotConnected', lastAppliedMemberSelector: null },
      },
    });
    expect(p.properties.status?.lastAppliedMemberSelector).toBeUndefined();
    expect(p.properties.memberSelector).toEqual({ byLabel: 'mesh=true' });
  });
});

describe('clusterPrincipalId', () => {
  it('prefers the system-assigned identity, then the first user-assigned one', () => {
    expect(clusterPrincipalId({ id, name: 'c', identity: { principalId: 'sys' } })).toBe('sys');
    expect(
      clusterPrincipalId({
        id,
        name: 'c',
        identity: { type: 'UserAssigned', userAssignedIdentities: { '/uai': { principalId: 'uai' } } },
      }),
    ).toBe('uai');
    expect(clusterPrincipalId({ id, name: 'c' })).toBeUndefined();
  });
});
