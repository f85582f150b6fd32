/**
 * Microsoft.ContainerService/fleets: fleet GET, members (get, list with nextLink, create PUT, label PATCH and DELETE
 * as long-running operations) and cluster mesh profiles (get, list, PUT 200/201, DELETE 202/204, apply POST 202).
 */
import { z } from 'zod';
import { tryParseResourceId } from '../../../shared/arm/resourceId.js';
import type { SimContext } from '../context.js';
import { badRequest, conflict, parentResourceNotFound, resourceNotFound, type ArmError } from '../http/errors.js';
import { checkPreconditions, empty, json, type ArmRequest, type ArmResponse } from '../http/request.js';
import type { Params, RouteDefinition } from '../http/router.js';
import {
  key,
  newQuotedEtag,
  systemDataFor,
  type FleetRecord,
  type MemberRecord,
  type ProfileRecord,
} from '../world.js';
import { checkName, page, parseBody, requireResourceGroup, typedPath } from './common.js';
import { FLEET_API_VERSIONS, renderFleet, renderMember, renderProfile } from './fleetRender.js';
import { startApply } from './mesh.js';
import { LABEL_KEY, LABEL_VALUE, parseSelector } from './selector.js';

const FLEET =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/fleets/{fleetName}';
const SYSTEM_LABEL_PREFIX = 'fleet.azure.com/';

function fleetId(p: Params): string {
  return `/subscriptions/${p['subscriptionId'] ?? ''}/resourceGroups/${p['resourceGroupName'] ?? ''}/providers/Microsoft.ContainerService/fleets/${p['fleetName'] ?? ''}`;
}

function requireFleet(ctx: SimContext, p: Params, asParent: boolean): FleetRecord {
  requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
  const fleet = ctx.world.fleets.get(key(fleetId(p)));
  if (!fleet) {
    const typed = `Microsoft.ContainerService/fleets/${p['fleetName'] ?? ''}`;
    throw asParent ? parentResourceNotFound(typed) : resourceNotFound(typed, p['resourceGroupName']);
  }
  return fleet;
}

function memberId(fleet: FleetRecord, name: string): string {
  return `${fleet.id}/members/${name}`;
}

function profileId(fleet: FleetRecord, name: string): string {
  return `${fleet.id}/clusterMeshProfiles/${name}`;
}

function notFound(id: string, rg: string | undefined): ArmError {
  return resourceNotFound(typedPath(id), rg);
}

const Labels = z.record(z.string(), z.string()).superRefine((labels, zctx) => {
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith(SYSTEM_LABEL_PREFIX)) continue;
    if (k.length > 317 || !LABEL_KEY.test(k))
      zctx.addIssue({ code: 'custom', message: `'${k}' is not a valid label key`, path: [k] });
    else if (v.length > 63 || !LABEL_VALUE.test(v))
      zctx.addIssue({ code: 'custom', message: `'${v}' is not a valid label value`, path: [k] });
  }
});

/** User labels from a request: Fleet's system labels (`fleet.azure.com/...`) are read-only and ignored on write. */
function userLabels(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!labels) return undefined;
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith(SYSTEM_LABEL_PREFIX)));
}

const MemberPut = z.object({
  properties: z.object({
    clusterResourceId: z.string().min(1),
    group: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .max(50)
      .optional(),
    labels: Labels.optional(),
  }),
});
const MemberPatch = z.object({
  properties: z
    .object({
      labels: Labels.optional(),
      group: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
        .max(50)
        .optional(),
    })
    .optional(),
});
const ProfilePut = z.object({
  properties: z
    .object({
      memberSelector: z.object({ byLabel: z.string().max(512) }).nullish(),
    })
    .default({}),
});

function memberLro(
  ctx: SimContext,
  request: ArmRequest,
  member: MemberRecord,
  durationMs: number,
  status: 201 | 202,
  finalState: 'Succeeded' | 'delete',
  event: 'write' | 'delete',
  existed: boolean,
  withLocation: boolean,
): ArmResponse {
  const fleet = ctx.world.fleets.get(member.fleetKey);
  const op = ctx.operations.start({
    namespace: 'Microsoft.ContainerService',
    location: fleet?.location ?? 'eastus',
    resourceId: member.id,
    principalId: request.principal.objectId,
    subscriptionId: ctx.world.subscriptionId,
    statusSegment: 'operationResults',
    expectedDurationMs: durationMs,
    result: () => (finalState === 'delete' ? empty(204) : json(200, renderMember(member, ctx.world))),
    onComplete: () => {
      ctx.emitFor(request, {
        kind: event,
        resourceUri: member.id,
        operationName: `Microsoft.ContainerService/fleets/members/${event}`,
        existed,
      });
    },
  });
  member.busyWith = op.id;
  member.lastOperationId = op.id;
  ctx.clock.schedule(durationMs, () => {
    member.busyWith = undefined;
    if (finalState === 'delete') {
      ctx.world.members.delete(key(member.id));
    } else {
      member.provisioningState = 'Succeeded';
      member.eTag = newQuotedEtag();
    }
    ctx.operations.complete(op, { status: 'Succeeded' });
  });
  const headers = ctx.operations.headers(op, request.baseUrl, request.apiVersion, {
    asyncOperation: true,
    location: withLocation,
  });
  return status === 202 ? empty(202, headers) : json(201, renderMember(member, ctx.world), headers);
}

export function fleetRoutes(): RouteDefinition[] {
  const v = FLEET_API_VERSIONS;
  return [
    {
      operation: 'fleets.get',
      method: 'GET',
      pattern: FLEET,
      apiVersions: v,
      handle: (_req, p, ctx) => json(200, renderFleet(requireFleet(ctx, p, false))),
    },
    {
      operation: 'fleetMembers.list',
      method: 'GET',
      pattern: `${FLEET}/members`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        // Fleet accepts $filter here, but its grammar is not documented (reference §1.6: the spec says only "Filter
        // the result list using the given expression"), so no answer of the simulator could be trusted to be Fleet's.
        // Refused on purpose, naming why, rather than answering with a guessed match; fleetmesh never sends it.
        if (req.query.has('$filter')) {
          throw badRequest(
            'InvalidParameter',
            "The simulator does not evaluate $filter on the fleet member list: Fleet's $filter grammar is not documented, so the simulator cannot answer as Fleet would. List all members (with $top and $skipToken if you page) and filter them yourself, as `az fleet clustermeshprofile apply --what-if` does.",
            '$filter',
          );
        }
        const members = ctx.world.membersOf(key(fleet.id)).map((m) => renderMember(m, ctx.world));
        return json(200, page(members, req, ctx.settings.pageSize));
      },
    },
    {
      operation: 'fleetMembers.get',
      method: 'GET',
      pattern: `${FLEET}/members/{memberName}`,
      apiVersions: v,
      handle: (_req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        const id = memberId(fleet, p['memberName'] ?? '');
        const member = ctx.world.members.get(key(id));
        if (!member) throw notFound(id, p['resourceGroupName']);
        return json(200, renderMember(member, ctx.world));
      },
    },
    {
      operation: 'fleetMembers.create',
      method: 'PUT',
      pattern: `${FLEET}/members/{memberName}`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        const name = p['memberName'] ?? '';
        checkName(name, 'fleet member', 50);
        const id = memberId(fleet, name);
        const existing = ctx.world.members.get(key(id));
        checkPreconditions(req, existing?.eTag, `fleet member '${name}'`);
        const body = parseBody(MemberPut, req.body);
        const clusterId = body.properties.clusterResourceId;
        const parsed = tryParseResourceId(clusterId);
        if (parsed?.fullType?.toLowerCase() !== 'microsoft.containerservice/managedclusters') {
          throw badRequest(
            'InvalidParameter',
            `properties.clusterResourceId '${clusterId}' is not a managed cluster resource id.`,
            'properties.clusterResourceId',
          );
        }
        if (existing) {
          if (key(existing.clusterResourceId) !== key(clusterId)) {
            throw badRequest(
              'InvalidParameter',
              `properties.clusterResourceId of fleet member '${name}' cannot be changed.`,
              'properties.clusterResourceId',
            );
          }
          if (existing.busyWith)
            throw conflict(
              'AnotherOperationInProgress',
              `Fleet member '${name}' has an operation in progress (${existing.busyWith}).`,
            );
          existing.labels = userLabels(body.properties.labels) ?? {};
          existing.group = body.properties.group;
          existing.provisioningState = 'Updating';
          existing.eTag = newQuotedEtag();
          existing.systemData = systemDataFor(req.principal, ctx.clock.nowIso(), existing.systemData);
          const res = memberLro(
            ctx,
            req,
            existing,
            ctx.settings.timing.memberUpdateMs,
            201,
            'Succeeded',
            'write',
            true,
            false,
          );
          return { ...res, status: 200 };
        }
        if (!ctx.world.clusters.has(key(clusterId))) {
          throw badRequest(
            'InvalidParameter',
            `The managed cluster '${clusterId}' does not exist.`,
            'properties.clusterResourceId',
          );
        }
        const already = [...ctx.world.members.values()].find((m) => key(m.clusterResourceId) === key(clusterId));
        if (already)
          throw conflict('Conflict', `The managed cluster '${clusterId}' is already a member ('${already.id}').`);
        const now = ctx.clock.nowIso();
        const member: MemberRecord = {
          id,
          name,
          fleetKey: key(fleet.id),
          resourceGroup: fleet.resourceGroup,
          clusterResourceId: clusterId,
          group: body.properties.group,
          labels: userLabels(body.properties.labels) ?? {},
          provisioningState: 'Joining',
          lastOperationId: undefined,
          lastOperationError: undefined,
          mesh: undefined,
          eTag: newQuotedEtag(),
          systemData: systemDataFor(req.principal, now),
          busyWith: undefined,
        };
        ctx.world.members.set(key(id), member);
        return memberLro(ctx, req, member, ctx.settings.timing.memberJoinMs, 201, 'Succeeded', 'write', false, false);
      },
    },
    {
      operation: 'fleetMembers.update',
      method: 'PATCH',
      pattern: `${FLEET}/members/{memberName}`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        const name = p['memberName'] ?? '';
        const id = memberId(fleet, name);
        const member = ctx.world.members.get(key(id));
        checkPreconditions(req, member?.eTag, `fleet member '${name}'`);
        if (!member) throw notFound(id, p['resourceGroupName']);
        const body = parseBody(MemberPatch, req.body);
        if (member.busyWith) {
          throw conflict(
            'AnotherOperationInProgress',
            `Fleet member '${name}' has an operation in progress (${member.busyWith}). Retry when it has finished.`,
          );
        }
        // A label update replaces the whole user label map (reference §2).
        const labels = userLabels(body.properties?.labels);
        if (labels) member.labels = labels;
        if (body.properties?.group !== undefined) member.group = body.properties.group;
        member.provisioningState = 'Updating';
        member.eTag = newQuotedEtag();
        member.systemData = systemDataFor(req.principal, ctx.clock.nowIso(), member.systemData);
        return memberLro(ctx, req, member, ctx.settings.timing.memberUpdateMs, 202, 'Succeeded', 'write', true, true);
      },
    },
    {
      operation: 'fleetMembers.delete',
      method: 'DELETE',
      pattern: `${FLEET}/members/{memberName}`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        const name = p['memberName'] ?? '';
        const member = ctx.world.members.get(key(memberId(fleet, name)));
        checkPreconditions(req, member?.eTag, `fleet member '${name}'`);
        if (!member) return empty(204);
        if (member.mesh) {
          throw conflict(
            'Conflict',
            `Fleet member '${name}' is in cluster mesh profile '${member.mesh.profileId}' (state ${member.mesh.state}) and cannot be removed from the fleet. Change the profile's selector so it no longer matches the member, apply it, and wait until the member has left the mesh.`,
          );
        }
        if (member.busyWith)
          throw conflict(
            'AnotherOperationInProgress',
            `Fleet member '${name}' has an operation in progress (${member.busyWith}).`,
          );
        member.provisioningState = 'Leaving';
        member.eTag = newQuotedEtag();
        return memberLro(ctx, req, member, ctx.settings.timing.memberLeaveMs, 202, 'delete', 'delete', true, true);
      },
    },
    {
      operation: 'clusterMeshProfiles.list',
      method: 'GET',
      pattern: `${FLEET}/clusterMeshProfiles`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        return json(200, page(ctx.world.profilesOf(key(fleet.id)).map(renderProfile), req, ctx.settings.pageSize));
      },
    },
    {
      operation: 'clusterMeshProfiles.get',
      method: 'GET',
      pattern: `${FLEET}/clusterMeshProfiles/{profileName}`,
      apiVersions: v,
      handle: (_req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        const id = profileId(fleet, p['profileName'] ?? '');
        const profile = ctx.world.profiles.get(key(id));
        if (!profile) throw notFound(id, p['resourceGroupName']);
        return json(200, renderProfile(profile));
      },
    },
    {
      operation: 'clusterMeshProfiles.createOrUpdate',
      method: 'PUT',
      pattern: `${FLEET}/clusterMeshProfiles/{profileName}`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        const name = p['profileName'] ?? '';
        checkName(name, 'cluster mesh profile', 63);
        const id = profileId(fleet, name);
        const existing = ctx.world.profiles.get(key(id));
        checkPreconditions(req, existing?.eTag, `cluster mesh profile '${name}'`);
        const body = parseBody(ProfilePut, req.body);
        const selector = body.properties.memberSelector ?? undefined;
        if (selector) {
          const parsed = parseSelector(selector.byLabel);
          if (!parsed.ok)
            throw badRequest(
              'InvalidParameter',
              `properties.memberSelector.byLabel is invalid: ${parsed.error}.`,
              'properties.memberSelector.byLabel',
            );
        }
        if (existing?.deleting)
          throw conflict('AnotherOperationInProgress', `Cluster mesh profile '${name}' is being deleted.`);
        const now = ctx.clock.nowIso();
        if (existing) {
          existing.memberSelector = selector ? { byLabel: selector.byLabel } : undefined;
          existing.eTag = newQuotedEtag();
          existing.systemData = systemDataFor(req.principal, now, existing.systemData);
          ctx.emitFor(req, {
            kind: 'write',
            resourceUri: existing.id,
            operationName: 'Microsoft.ContainerService/fleets/clusterMeshProfiles/write',
            existed: true,
          });
          return json(200, renderProfile(existing));
        }
        const profile: ProfileRecord = {
          id,
          name,
          fleetKey: key(fleet.id),
          resourceGroup: fleet.resourceGroup,
          memberSelector: selector ? { byLabel: selector.byLabel } : undefined,
          provisioningState: 'Succeeded',
          state: 'NotConnected',
          lastAppliedMemberSelector: undefined,
          lastOperationId: undefined,
          lastOperationError: undefined,
          eTag: newQuotedEtag(),
          systemData: systemDataFor(req.principal, now),
          applying: undefined,
          deleting: undefined,
          ciliumIds: new Map(),
        };
        ctx.world.profiles.set(key(id), profile);
        ctx.emitFor(req, {
          kind: 'write',
          resourceUri: id,
          operationName: 'Microsoft.ContainerService/fleets/clusterMeshProfiles/write',
          existed: false,
        });
        return json(201, renderProfile(profile));
      },
    },
    {
      operation: 'clusterMeshProfiles.delete',
      method: 'DELETE',
      pattern: `${FLEET}/clusterMeshProfiles/{profileName}`,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        const name = p['profileName'] ?? '';
        const profile = ctx.world.profiles.get(key(profileId(fleet, name)));
        checkPreconditions(req, profile?.eTag, `cluster mesh profile '${name}'`);
        if (!profile) return empty(204);
        if (profile.applying)
          throw conflict(
            'AnotherOperationInProgress',
            `Cluster mesh profile '${name}' is being applied (${profile.applying}).`,
          );
        const inMesh = ctx.world.membersOf(profile.fleetKey).filter((m) => m.mesh?.profileKey === key(profile.id));
        if (inMesh.length > 0) {
          throw conflict(
            'Conflict',
            `Cluster mesh profile '${name}' still has ${inMesh.length} member(s) (${inMesh
              .slice(0, 5)
              .map((m) => m.name)
              .join(
                ', ',
              )}${inMesh.length > 5 ? ', ...' : ''}). Disconnect them first: change the selector to match nothing, apply, and wait until no member is left.`,
          );
        }
        if (profile.deleting) {
          const running = ctx.operations.get(profile.deleting);
          if (running)
            return empty(
              202,
              ctx.operations.headers(running, req.baseUrl, req.apiVersion, { asyncOperation: false, location: true }),
            );
        }
        const op = ctx.operations.start({
          namespace: 'Microsoft.ContainerService',
          location: fleet.location,
          resourceId: profile.id,
          principalId: req.principal.objectId,
          subscriptionId: ctx.world.subscriptionId,
          statusSegment: 'operationResults',
          expectedDurationMs: ctx.settings.timing.profileDeleteMs,
          result: () => empty(204),
          onComplete: () => {
            ctx.emitFor(req, {
              kind: 'delete',
              resourceUri: profile.id,
              operationName: 'Microsoft.ContainerService/fleets/clusterMeshProfiles/delete',
              existed: true,
            });
          },
        });
        // provisioningState stays as it is: the reference lists only Succeeded | Failed | Canceled for profiles.
        profile.deleting = op.id;
        profile.eTag = newQuotedEtag();
        ctx.clock.schedule(ctx.settings.timing.profileDeleteMs, () => {
          ctx.world.profiles.delete(key(profile.id));
          ctx.operations.complete(op, { status: 'Succeeded' });
        });
        return empty(
          202,
          ctx.operations.headers(op, req.baseUrl, req.apiVersion, { asyncOperation: false, location: true }),
        );
      },
    },
    {
      operation: 'clusterMeshProfiles.apply',
      method: 'POST',
      pattern: `${FLEET}/clusterMeshProfiles/{profileName}/apply`,
      apiVersions: v,
      scope: (p) => `${fleetId(p)}/clusterMeshProfiles/${p['profileName'] ?? ''}`,
      handle: (req, p, ctx) => {
        const fleet = requireFleet(ctx, p, true);
        const name = p['profileName'] ?? '';
        const id = profileId(fleet, name);
        const profile = ctx.world.profiles.get(key(id));
        checkPreconditions(req, profile?.eTag, `cluster mesh profile '${name}'`);
        if (!profile) throw notFound(id, p['resourceGroupName']);
        const op = startApply(ctx, profile, req);
        return empty(
          202,
          ctx.operations.headers(op, req.baseUrl, req.apiVersion, { asyncOperation: true, location: true }),
        );
      },
    },
  ];
}
