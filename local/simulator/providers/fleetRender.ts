/**
 * Wire shapes of fleets, fleet members and cluster mesh profiles (api-versions 2026-03-02-preview and
 * 2026-06-02-preview; reference §1.2 and §2): everything but `eTag`, `id`, `name`, `type` and `systemData` sits under
 * `properties`.
 */
import { parseResourceId } from '../../../shared/arm/resourceId.js';
import { key, type FleetRecord, type MemberRecord, type ProfileRecord, type World } from '../world.js';

export const FLEET_API_VERSIONS = ['2026-03-02-preview', '2026-06-02-preview'] as const;
export const MEMBER_TYPE = 'Microsoft.ContainerService/fleets/members';
export const PROFILE_TYPE = 'Microsoft.ContainerService/fleets/clusterMeshProfiles';

export function renderFleet(fleet: FleetRecord): Record<string, unknown> {
  return {
    id: fleet.id,
    name: fleet.name,
    type: 'Microsoft.ContainerService/fleets',
    location: fleet.location,
    eTag: fleet.eTag,
    systemData: fleet.systemData,
    properties: { provisioningState: 'Succeeded' },
    tags: {},
  };
}

/** The labels GET returns: the user's plus Fleet's system labels. */
export function memberLabels(member: MemberRecord, world: World): Record<string, string> {
  const system: Record<string, string> = {};
  const parsed = parseResourceId(member.clusterResourceId);
  const cluster = world.clusters.get(key(member.clusterResourceId));
  system['fleet.azure.com/cluster-name'] = parsed.name;
  if (cluster) system['fleet.azure.com/location'] = cluster.location;
  system['fleet.azure.com/member-name'] = member.name;
  if (parsed.resourceGroup) system['fleet.azure.com/resource-group'] = parsed.resourceGroup;
  system['fleet.azure.com/subscription-id'] = parsed.subscriptionId;
  return { ...system, ...member.labels };
}

export function renderMember(member: MemberRecord, world: World): Record<string, unknown> {
  const status =
    member.lastOperationId === undefined && member.lastOperationError === undefined
      ? undefined
      : {
          ...(member.lastOperationId === undefined ? {} : { lastOperationId: member.lastOperationId }),
          ...(member.lastOperationError === undefined ? {} : { lastOperationError: member.lastOperationError }),
        };
  const mesh = member.mesh;
  return {
    id: member.id,
    name: member.name,
    type: MEMBER_TYPE,
    systemData: member.systemData,
    eTag: member.eTag,
    properties: {
      clusterResourceId: member.clusterResourceId,
      ...(member.group === undefined ? {} : { group: member.group }),
      labels: memberLabels(member, world),
      provisioningState: member.provisioningState,
      ...(status ? { status } : {}),
      ...(mesh
        ? {
            meshProperties: {
              ciliumProperties: { id: mesh.ciliumId, name: mesh.ciliumName },
              clusterMeshProfileResourceId: mesh.profileId,
              status: {
                state: mesh.state,
                lastUpdatedAt: mesh.lastUpdatedAt,
                lastOperationId: mesh.lastOperationId,
                ...(mesh.error ? { error: mesh.error } : {}),
              },
            },
          }
        : {}),
    },
  };
}

export function renderProfile(profile: ProfileRecord): Record<string, unknown> {
  return {
    id: profile.id,
    name: profile.name,
    type: PROFILE_TYPE,
    systemData: profile.systemData,
    eTag: profile.eTag,
    properties: {
      provisioningState: profile.provisioningState,
      ...(profile.memberSelector ? { memberSelector: profile.memberSelector } : {}),
      status: {
        state: profile.state,
        lastAppliedMemberSelector: profile.lastAppliedMemberSelector ?? null,
        ...(profile.lastOperationId === undefined ? {} : { lastOperationId: profile.lastOperationId }),
        ...(profile.lastOperationError === undefined ? {} : { lastOperationError: profile.lastOperationError }),
      },
    },
  };
}
