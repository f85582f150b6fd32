/**
 * The what-if plan of a cluster mesh profile, computed the way `az fleet clustermeshprofile apply --what-if` does
 * (reference §1.6): the members currently applied (their `meshProperties.clusterMeshProfileResourceId` is this profile,
 * compared case-insensitively) against the members the desired selector matches (client-side label matching over all
 * members).
 *
 * | applied | matched | in another profile | action |
 * |---------|---------|--------------------|--------|
 * | yes     | yes     | –                  | None   |
 * | yes     | no      | –                  | Remove |
 * | no      | yes     | no                 | Add    |
 * | no      | yes     | yes                | Error (names the other profile) |
 *
 * Members neither applied nor matched get no row. Rows are sorted by member name, then member id.
 *
 * **Mesh size limit.** A mesh holds at most 255 members. When the members after the apply (None + Add rows) would be
 * more than 255, *every* Add row becomes Error: an apply applies the whole selector, so fleetmesh cannot admit a
 * subset, and naming an arbitrary subset as "would be added" would be untrue. None and Remove rows keep their action.
 *
 * **Plan id.** `planId` is the SHA-256 (hex) of exactly what the plan was computed from, so an apply can insist on
 * that plan and fail when anything it depends on has changed. It covers: an algorithm version tag; the profile id
 * (lower-cased); the canonical desired selector (so `b=2,a=1` and `a=1,b=2` are the same plan); and, for every member
 * that gets a row (applied or matched), sorted by lower-cased id: the id, eTag, all labels (sorted), the mesh profile
 * id it is in (lower-cased) and its mesh state. Member order does not matter. Members without a row are left out on
 * purpose: a change to one of them (other than one that makes it match, which gives it a row and so changes the id)
 * cannot change the plan. The eTag is included because it is what the plan shows and what an apply would act on:
 * any write to a member in the plan makes the plan stale.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors.js';
import { normalizeResourceId, sameResourceId, tryParseResourceId } from '../arm/resourceId.js';
import type { ClusterMeshProfile, FleetMember, MeshMemberState } from '../models/index.js';
import { compareText } from './order.js';
import { memberMatches, parseSelector, printSelector } from './selector.js';

export const MAX_MESH_MEMBERS = 255;
const PLAN_ID_VERSION = 'fleetmesh.whatIf/v1';

export type WhatIfAction = 'Add' | 'Remove' | 'None' | 'Error';

export interface WhatIfInput {
  /** The cluster mesh profile's ARM id. */
  readonly profileId: string;
  /** The desired `memberSelector.byLabel` (usually the profile's own); empty or missing matches nothing. */
  readonly desiredSelector: string | null | undefined;
  /** All members of the fleet. */
  readonly members: readonly FleetMember[];
}

export interface WhatIfRow {
  readonly action: WhatIfAction;
  /** Member name. */
  readonly name: string;
  readonly memberId: string;
  readonly clusterResourceId: string;
  /** The member's eTag, when it has one. */
  readonly eTag?: string;
  /** The member's mesh state in whichever profile it is in, or `-` when it is in none (as the CLI prints it). */
  readonly meshState: MeshMemberState | '-';
  /** The profile the member is in now, when it is in one. */
  readonly meshProfileId?: string;
  readonly errorMessage?: string;
}

export interface WhatIfSummary {
  readonly add: number;
  readonly remove: number;
  readonly none: number;
  readonly error: number;
  /** None + Add: the members the mesh will hold after the apply. */
  readonly membersAfterApply: number;
}

export interface WhatIfPlan {
  readonly planId: string;
  readonly profileId: string;
  /** Canonical text of the desired selector. */
  readonly desiredSelector: string;
  readonly rows: readonly WhatIfRow[];
  readonly summary: WhatIfSummary;
}

/** Computes the plan. Throws ValidationError when the desired selector is not valid. */
export function computeWhatIf(input: WhatIfInput): WhatIfPlan {
  const selector = parseSelector(input.desiredSelector);
  const relevant = sortMembers(
    input.members.filter((m) => isAppliedTo(m, input.profileId) || memberMatches(selector, m)),
  );
  const rows = applyMemberLimit(relevant.map((m) => rowFor(m, input.profileId, memberMatches(selector, m))));
  return {
    planId: planIdOf(input.profileId, printSelector(selector), relevant),
    profileId: input.profileId,
    desiredSelector: printSelector(selector),
    rows,
    summary: summarize(rows),
  };
}

/**
 * The plan for a profile as read from ARM: its id, and its own `memberSelector.byLabel` unless `desiredSelector` is
 * given (`''` matches nothing).
 */
export function computeWhatIfForProfile(
  profile: ClusterMeshProfile,
  members: readonly FleetMember[],
  desiredSelector?: string,
): WhatIfPlan {
  return computeWhatIf({
    profileId: profile.id,
    desiredSelector: desiredSelector ?? profile.properties.memberSelector?.byLabel,
    members,
  });
}

/** The plan id alone (the same value `computeWhatIf` puts in `planId`). */
export function computePlanId(input: WhatIfInput): string {
  return computeWhatIf(input).planId;
}

/** True when the member is in this profile's mesh now. */
export function isAppliedTo(member: FleetMember, profileId: string): boolean {
  return sameResourceId(member.properties.meshProperties?.clusterMeshProfileResourceId, profileId);
}

/** True when the plan adds or removes at least one member. */
export function planHasChanges(plan: WhatIfPlan): boolean {
  return plan.summary.add > 0 || plan.summary.remove > 0;
}

/** Names of the members with the given actions, in row order. */
export function membersWithAction(plan: WhatIfPlan, ...actions: readonly WhatIfAction[]): string[] {
  return plan.rows.filter((r) => actions.includes(r.action)).map((r) => r.name);
}

/**
 * The members preflight should check for this plan: those the selector picks (None, Add and Error rows), in the order
 * of `members`. Remove rows leave the mesh, so they are not checked.
 */
export function membersForPreflight(plan: WhatIfPlan, members: readonly FleetMember[]): FleetMember[] {
  const picked = new Set(plan.rows.filter((r) => r.action !== 'Remove').map((r) => normalizeResourceId(r.memberId)));
  return members.filter((m) => picked.has(normalizeResourceId(m.id)));
}

function rowFor(member: FleetMember, profileId: string, matched: boolean): WhatIfRow {
  const mesh = member.properties.meshProperties;
  const base = {
    name: member.name,
    memberId: member.id,
    clusterResourceId: member.properties.clusterResourceId,
    ...(member.eTag === undefined ? {} : { eTag: member.eTag }),
    meshState: mesh?.status.state ?? '-',
    ...(mesh === undefined ? {} : { meshProfileId: mesh.clusterMeshProfileResourceId }),
  } as const;
  const applied = isAppliedTo(member, profileId);
  if (applied) return { ...base, action: matched ? 'None' : 'Remove' };
  if (mesh !== undefined) {
    return {
      ...base,
      action: 'Error',
      errorMessage: `member '${member.name}' is already in cluster mesh profile '${profileName(mesh.clusterMeshProfileResourceId)}' (${mesh.clusterMeshProfileResourceId}); a member can be in only one mesh`,
    };
  }
  return { ...base, action: 'Add' };
}

function applyMemberLimit(rows: readonly WhatIfRow[]): WhatIfRow[] {
  const staying = rows.filter((r) => r.action === 'None').length;
  const adding = rows.filter((r) => r.action === 'Add').length;
  if (staying + adding <= MAX_MESH_MEMBERS) return [...rows];
  const message =
    `the selector picks ${staying + adding} members (${staying} already in the mesh, ${adding} to add); ` +
    `a mesh holds at most ${MAX_MESH_MEMBERS} members, and an apply applies the whole selector, so no member is added`;
  return rows.map((r) => (r.action === 'Add' ? { ...r, action: 'Error', errorMessage: message } : r));
}

function summarize(rows: readonly WhatIfRow[]): WhatIfSummary {
  const count = (action: WhatIfAction) => rows.filter((r) => r.action === action).length;
  return {
    add: count('Add'),
    remove: count('Remove'),
    none: count('None'),
    error: count('Error'),
    membersAfterApply: count('None') + count('Add'),
  };
}

function sortMembers(members: readonly FleetMember[]): FleetMember[] {
  return [...members].sort((a, b) => compareText(a.name, b.name) || compareText(a.id, b.id));
}

function planIdOf(profileId: string, canonicalSelector: string, relevant: readonly FleetMember[]): string {
  const memberFacts = relevant
    .map(
      (m) =>
        [
          normalizeResourceId(m.id),
          m.eTag ?? null,
          Object.entries(m.properties.labels).sort(([a], [b]) => compareText(a, b)),
          m.properties.meshProperties
            ? normalizeResourceId(m.properties.meshProperties.clusterMeshProfileResourceId)
            : null,
          m.properties.meshProperties?.status.state ?? null,
        ] as const,
    )
    .sort((a, b) => compareText(a[0], b[0]));
  const material = JSON.stringify([PLAN_ID_VERSION, normalizeResourceId(profileId), canonicalSelector, memberFacts]);
  return createHash('sha256').update(material, 'utf8').digest('hex');
}

function profileName(id: string): string {
  return tryParseResourceId(id)?.name ?? id;
}

/** Rejects a plan id that is not a SHA-256 hex digest (for HTTP input). */
export function assertPlanId(planId: string): void {
  if (!/^[0-9a-f]{64}$/.test(planId)) {
    throw new ValidationError(`planId '${planId}' is not a plan id (64 lower-case hex characters)`);
  }
}
