/**
 * The mesh view kept in Cosmos DB for `GET /api/meshes/{profile}`: what the reconciler last observed (selector,
 * profile state, the members the profile holds or selects, with labels, mesh state and Cilium id) and did (last plan,
 * last operation, Traffic Manager endpoints). Refreshed after every plan, apply and traffic sync.
 */
import { clusterMeshProfileId, sameResourceId } from '../arm/resourceId.js';
import { computeWhatIf, tryParseSelector, type WhatIfPlan } from '../domain/index.js';
import type { ClusterMeshProfile, FleetMember } from '../models/index.js';
import {
  emptyMeshView,
  JsonValueSchema,
  type MemberView,
  type MeshView,
  type TrafficManagerView,
} from '../state/documents.js';
import type { StateStore } from '../state/store.js';
import type { FleetCoordinates } from './planner.js';

export interface ViewUpdate {
  readonly profile: string;
  /** The profile and members as just read. */
  readonly observed?: { readonly profile: ClusterMeshProfile | undefined; readonly members: readonly FleetMember[] };
  readonly lastPlan?: { readonly plan: WhatIfPlan; readonly computedAt: string; readonly details?: unknown };
  readonly lastOperationId?: string;
  readonly trafficManager?: TrafficManagerView;
}

export async function updateView(
  store: StateStore,
  fleet: FleetCoordinates,
  update: ViewUpdate,
): Promise<MeshView | undefined> {
  const stored = await store.updateMeshView(update.profile, (current) => {
    const base = current ?? { ...emptyMeshView(), profile: update.profile };
    const next = { ...base };
    if (update.observed) {
      const profileId =
        update.observed.profile?.id ??
        clusterMeshProfileId(fleet.subscriptionId, fleet.resourceGroup, fleet.fleetName, update.profile);
      const p = update.observed.profile;
      next.selector = p?.properties.memberSelector?.byLabel ?? null;
      next.lastAppliedSelector = p?.properties.status?.lastAppliedMemberSelector?.byLabel ?? null;
      next.profileState = p?.properties.status?.state ?? null;
      next.members = memberViews(profileId, next.selector, update.observed.members);
    }
    if (update.lastPlan) {
      next.lastPlan = {
        planId: update.lastPlan.plan.planId,
        computedAt: update.lastPlan.computedAt,
        plan: JsonValueSchema.parse(update.lastPlan.details ?? update.lastPlan.plan),
      };
    }
    if (update.lastOperationId) next.lastOperationId = update.lastOperationId;
    if (update.trafficManager) next.trafficManager = update.trafficManager;
    return next;
  });
  return stored?.value;
}

/** The members the profile holds now or its selector picks, as the view shows them. */
export function memberViews(profileId: string, selector: string | null, members: readonly FleetMember[]): MemberView[] {
  const parsed = tryParseSelector(selector ?? '');
  const rows = parsed.ok
    ? computeWhatIf({ profileId, desiredSelector: selector ?? '', members }).rows.map((r) => r.name)
    : members
        .filter((m) => sameResourceId(m.properties.meshProperties?.clusterMeshProfileResourceId, profileId))
        .map((m) => m.name);
  const wanted = new Set(rows);
  return members
    .filter((m) => wanted.has(m.name))
    .map((m) => {
      const mesh = m.properties.meshProperties;
      const inThis = mesh !== undefined && sameResourceId(mesh.clusterMeshProfileResourceId, profileId);
      const error = inThis ? mesh.status.error : undefined;
      return {
        name: m.name,
        clusterResourceId: m.properties.clusterResourceId,
        labels: { ...m.properties.labels },
        meshState: inThis ? mesh.status.state : null,
        ...(mesh && !inThis ? { otherProfile: mesh.clusterMeshProfileResourceId } : {}),
        ciliumId: inThis ? mesh.ciliumProperties.id : null,
        ...(error ? { error: { code: error.code ?? 'Unknown', message: error.message ?? '' } } : {}),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
