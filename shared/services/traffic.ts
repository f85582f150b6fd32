/**
 * Traffic Manager for a mesh: read what the traffic plan needs, and carry a plan out.
 *
 * Reads: the Traffic Manager profile (its endpoints), and for every member in the mesh the public IPs of its
 * cluster's node resource group (the cluster GET names that group). Writes: only owned endpoints, one PUT or DELETE
 * each; the profile itself is created with a PUT and afterwards only PATCHed, and only when a field fleetmesh owns
 * differs (Traffic Manager has no ETags, so fleetmesh never PUTs a whole profile that would echo endpoints).
 * The changes are written in the plan's phases, in order (shared/domain/traffic.ts, "Write order"): the deletes that
 * free room under the 200 endpoints a profile allows first, then the creates and updates that enable endpoints, and
 * only then the delete or disable of a service's last enabled endpoint, so a service that has an enabled endpoint has
 * one at every moment. Once a write of a service fails, no later-phase write of that service is made (a failed create
 * must not be followed by the delete it made safe); the writes of other services go on, and the sync then fails with
 * the first error.
 */
import pLimit from 'p-limit';
import { normalizeResourceId, parseResourceId } from '../arm/resourceId.js';
import { describeAzureError, isNotFound } from '../azure/errors.js';
import type { Gateways, TrafficManagerProfileInput, TrafficManagerProfilePatch } from '../azure/gateways.js';
import {
  computeTrafficPlan,
  isAppliedTo,
  type EndpointChange,
  ownerPrefix,
  parseEndpointName,
  type TrafficPlan,
  type TrafficSettings,
} from '../domain/index.js';
import { writePhases } from '../domain/traffic.js';
import type { FleetMember, PublicIPAddress, TrafficManagerProfile } from '../models/index.js';
import type { TrafficManagerView } from '../state/documents.js';
import type { Logger } from '../log.js';
import type { ClusterFacts } from './clusterFacts.js';

export interface TrafficDeps {
  readonly gateways: Gateways;
  readonly logger?: Logger;
  readonly readConcurrency?: number;
  /** Parallel endpoint writes; the gateways pace writes against ARM's token bucket as well. */
  readonly writeConcurrency?: number;
  /** Node resource groups remembered from earlier cluster reads (they never change): no cluster GET for those. */
  readonly clusterFacts?: ClusterFacts;
}

export interface TrafficArgs {
  readonly profileId: string;
  readonly traffic: TrafficSettings;
  readonly members: readonly FleetMember[];
}

/** The Traffic Manager changes the mesh needs now (read-only). */
export async function planTraffic(deps: TrafficDeps, args: TrafficArgs): Promise<TrafficPlan> {
  const [profile, publicIps] = await Promise.all([
    deps.gateways.traffic.getProfile(args.traffic.resourceGroup, args.traffic.profileName),
    readPublicIps(deps, args),
  ]);
  return computeTrafficPlan({
    profileId: args.profileId,
    services: args.traffic.services,
    memberWeights: args.traffic.memberWeights,
    members: args.members,
    publicIps,
    endpoints: profile?.endpoints ?? [],
  });
}

export interface TrafficSyncOutcome {
  readonly plan: TrafficPlan;
  /** Changes actually written (every action but `none`). */
  readonly written: number;
  readonly view: TrafficManagerView;
}

/** Ensures the profile, computes the plan, writes the changes, and reads back the owned endpoints' monitor status. */
export async function syncTraffic(deps: TrafficDeps, args: TrafficArgs): Promise<TrafficSyncOutcome> {
  const { profileName } = args.traffic;
  const current = await ensureProfile(deps, args.traffic);
  const plan = computeTrafficPlan({
    profileId: args.profileId,
    services: args.traffic.services,
    memberWeights: args.traffic.memberWeights,
    members: args.members,
    publicIps: await readPublicIps(deps, args),
    endpoints: current.endpoints ?? [],
  });
  if (plan.notRouted.length > 0) {
    deps.logger?.warn('traffic members not routed', {
      profile: profileName,
      reason: plan.notRouted[0]?.reason ?? '',
      count: plan.notRouted.length,
      members: plan.notRouted.map((n) => `${n.service}:${n.member}`).join(','),
    });
  }
  const writes = plan.changes.filter((c) => c.action !== 'none');
  await writeInPhases(deps, args.traffic, writes);
  const view = await readView(deps, args, current);
  return { plan, written: writes.length, view: { ...view, notRouted: plan.notRouted.map((n) => ({ ...n })) } };
}

/**
 * Writes the changes phase by phase. Once a write of a service fails, the service's writes in later phases are
 * skipped; when anything failed, throws the first error after the phases are done.
 */
async function writeInPhases(
  deps: TrafficDeps,
  traffic: TrafficSettings,
  changes: readonly EndpointChange[],
): Promise<void> {
  const failedServices = new Set<string>();
  const errors: unknown[] = [];
  for (const phase of writePhases(changes)) {
    const go = phase.filter((c) => c.service === undefined || !failedServices.has(c.service));
    for (const change of phase.filter((c) => !go.includes(c))) {
      deps.logger?.warn('traffic endpoint write skipped', {
        endpoint: change.name,
        action: change.action,
        reason: 'an earlier write for the service failed',
      });
    }
    for (const { change, error } of await writeChanges(deps, traffic, go)) {
      if (change.service !== undefined) failedServices.add(change.service);
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** Writes endpoint changes in parallel (at most `writeConcurrency` at once); returns the failed ones. */
async function writeChanges(
  deps: TrafficDeps,
  traffic: TrafficSettings,
  changes: readonly EndpointChange[],
): Promise<{ change: EndpointChange; error: unknown }[]> {
  const { resourceGroup, profileName } = traffic;
  const limit = pLimit(deps.writeConcurrency ?? 4);
  const failed: { change: EndpointChange; error: unknown }[] = [];
  await Promise.all(
    changes.map((change) =>
      limit(async () => {
        try {
          if (change.action === 'delete') {
            await deps.gateways.traffic.deleteEndpoint(resourceGroup, profileName, change.endpointType, change.name);
          } else if (change.desired) {
            await deps.gateways.traffic.createOrUpdateEndpoint(
              resourceGroup,
              profileName,
              change.endpointType,
              change.name,
              change.desired,
            );
          }
        } catch (error) {
          deps.logger?.warn('traffic endpoint write failed', {
            endpoint: change.name,
            action: change.action,
            reason: describeAzureError(error),
          });
          failed.push({ change, error });
          return;
        }
        deps.logger?.info('traffic endpoint written', {
          endpoint: change.name,
          action: change.action,
          reason: change.reason,
        });
      }),
    ),
  );
  return failed;
}

/**
 * The owned endpoints as they are now, with each one's monitor status. A profile GET carries it; only an endpoint
 * whose status came back null (as profile lists return it, azure-rest-api-specs#4065) is read on its own.
 */
async function readView(
  deps: TrafficDeps,
  args: TrafficArgs,
  profile: TrafficManagerProfile,
): Promise<TrafficManagerView> {
  const { resourceGroup, profileName } = args.traffic;
  const profileNameOfMesh = parseResourceId(args.profileId).name;
  const prefix = ownerPrefix(profileNameOfMesh);
  const fresh = await deps.gateways.traffic.getProfile(resourceGroup, profileName);
  const owned = (fresh?.endpoints ?? []).filter((e) => e.name?.toLowerCase().startsWith(prefix));
  const limit = pLimit(deps.readConcurrency ?? 16);
  const endpoints = await Promise.all(
    owned.map((e) =>
      limit(async () => {
        const name = e.name ?? '';
        let monitorStatus: string | null = e.endpointMonitorStatus ?? null;
        if (monitorStatus === null) {
          try {
            const one = await deps.gateways.traffic.getEndpoint(resourceGroup, profileName, 'AzureEndpoints', name);
            monitorStatus = one?.endpointMonitorStatus ?? null;
          } catch (error) {
            deps.logger?.warn('traffic endpoint monitor status unreadable', {
              endpoint: name,
              reason: describeAzureError(error),
            });
          }
        }
        const parsed = parseEndpointName(name, profileNameOfMesh);
        return {
          name,
          ...(parsed ? { member: parsed.member } : {}),
          ...(e.targetResourceId ? { targetResourceId: e.targetResourceId } : {}),
          ...(e.target ? { target: e.target } : {}),
          weight: e.weight ?? 1,
          status: e.endpointStatus ?? 'Enabled',
          monitorStatus,
        };
      }),
    ),
  );
  endpoints.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    profileId: (fresh ?? profile).id,
    ...((fresh ?? profile).dnsConfig?.fqdn ? { fqdn: (fresh ?? profile).dnsConfig?.fqdn } : {}),
    endpoints,
  };
}

/** Creates the profile when missing; otherwise PATCHes the fields fleetmesh owns when they differ. */
export async function ensureProfile(deps: TrafficDeps, traffic: TrafficSettings): Promise<TrafficManagerProfile> {
  const { resourceGroup, profileName } = traffic;
  const desired = desiredProfile(traffic);
  const current = await deps.gateways.traffic.getProfile(resourceGroup, profileName);
  if (!current) {
    deps.logger?.info('traffic manager profile created', { profile: profileName, resourceGroup });
    return deps.gateways.traffic.createOrUpdateProfile(resourceGroup, profileName, desired);
  }
  const patch = managedFieldsDiff(current, desired);
  if (!patch) return current;
  deps.logger?.info('traffic manager profile settings restored', {
    profile: profileName,
    fields: Object.keys(patch).join(','),
  });
  return deps.gateways.traffic.updateProfile(resourceGroup, profileName, patch);
}

export function desiredProfile(traffic: TrafficSettings): TrafficManagerProfileInput {
  return {
    location: 'global',
    tags: { 'fleetmesh.io/managed': 'true' },
    profileStatus: 'Enabled',
    trafficRoutingMethod: 'Weighted',
    dnsConfig: { relativeName: traffic.relativeDnsName, ttl: traffic.ttl },
    monitorConfig: {
      protocol: traffic.monitor.protocol,
      port: traffic.monitor.port,
      ...(traffic.monitor.protocol === 'TCP' ? {} : { path: traffic.monitor.path }),
      intervalInSeconds: traffic.monitor.intervalInSeconds,
      timeoutInSeconds: traffic.monitor.timeoutInSeconds,
      toleratedNumberOfFailures: traffic.monitor.toleratedNumberOfFailures,
    },
  };
}

/** The PATCH that restores the owned fields, or undefined when they all match. */
export function managedFieldsDiff(
  current: TrafficManagerProfile,
  desired: TrafficManagerProfileInput,
): TrafficManagerProfilePatch | undefined {
  const patch: { -readonly [K in keyof TrafficManagerProfilePatch]: TrafficManagerProfilePatch[K] } = {};
  if (!sameText(current.profileStatus, desired.profileStatus)) patch.profileStatus = desired.profileStatus;
  if (!sameText(current.trafficRoutingMethod, desired.trafficRoutingMethod)) {
    patch.trafficRoutingMethod = desired.trafficRoutingMethod;
  }
  if (current.dnsConfig?.ttl !== desired.dnsConfig.ttl) patch.dnsConfig = { ttl: desired.dnsConfig.ttl };
  const m = current.monitorConfig;
  const d = desired.monitorConfig;
  if (
    !m ||
    !sameText(m.protocol, d.protocol) ||
    m.port !== d.port ||
    (d.path !== undefined && m.path !== d.path) ||
    m.intervalInSeconds !== d.intervalInSeconds ||
    m.timeoutInSeconds !== d.timeoutInSeconds ||
    m.toleratedNumberOfFailures !== d.toleratedNumberOfFailures
  ) {
    patch.monitorConfig = d;
  }
  const tags = current.tags ?? {};
  if (Object.entries(desired.tags ?? {}).some(([k, v]) => tags[k] !== v)) patch.tags = { ...tags, ...desired.tags };
  return Object.keys(patch).length === 0 ? undefined : patch;
}

function sameText(a: string | undefined, b: string): boolean {
  return a?.toLowerCase() === b.toLowerCase();
}

/** Public IPs of each mesh member's node resource group, keyed by normalised cluster id; unreadable ones omitted. */
async function readPublicIps(
  deps: TrafficDeps,
  args: TrafficArgs,
): Promise<Record<string, readonly PublicIPAddress[]>> {
  const limit = pLimit(deps.readConcurrency ?? 16);
  const result: Record<string, readonly PublicIPAddress[]> = {};
  const inMesh = args.members.filter((m) => isAppliedTo(m, args.profileId));
  await Promise.all(
    inMesh.map((member) =>
      limit(async () => {
        const clusterId = member.properties.clusterResourceId;
        try {
          const subscriptionId = parseResourceId(clusterId).subscriptionId;
          const known = deps.clusterFacts?.nodeResourceGroup(clusterId);
          if (known !== undefined) {
            try {
              result[normalizeResourceId(clusterId)] = await deps.gateways.network.listPublicIPAddresses(
                subscriptionId,
                known,
              );
              return;
            } catch (error) {
              // The cluster may have been created again with another node resource group: read it below.
              if (!isNotFound(error)) throw error;
              deps.clusterFacts?.forget(clusterId);
            }
          }
          const cluster = await deps.gateways.clusters.getCluster(clusterId);
          deps.clusterFacts?.remember(cluster);
          if (!cluster.nodeResourceGroup) return;
          result[normalizeResourceId(clusterId)] = await deps.gateways.network.listPublicIPAddresses(
            subscriptionId,
            cluster.nodeResourceGroup,
          );
        } catch (error) {
          deps.logger?.warn('public IPs unreadable', { member: member.name, reason: describeAzureError(error) });
        }
      }),
    ),
  );
  return result;
}
