/**
 * ARM resource ids: parse, build and compare. Pure functions.
 *
 * ARM treats ids case-insensitively (event subjects mix `resourcegroups` and `resourceGroups`), so every comparison
 * here is case-insensitive and `parseResourceId` keeps the original spelling of names.
 */
import { ValidationError } from '../errors.js';

export interface ResourceTypeSegment {
  /** Type segment as written, for example `fleets` or `members`. */
  readonly type: string;
  readonly name: string;
}

export interface ParsedResourceId {
  readonly id: string;
  readonly subscriptionId: string;
  /** Absent for subscription-level resources. */
  readonly resourceGroup: string | undefined;
  /** Provider namespace, for example `Microsoft.ContainerService`. Absent for a bare resource group id. */
  readonly provider: string | undefined;
  /** Nested type/name pairs after the provider: fleets/f1/members/m1 gives two segments. */
  readonly segments: readonly ResourceTypeSegment[];
  /** Full type, for example `Microsoft.ContainerService/fleets/members`. */
  readonly fullType: string | undefined;
  /** Name of the last segment (the resource's own name). */
  readonly name: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a resource id; throws a ValidationError naming the id when it is not an ARM id. */
export function parseResourceId(id: string): ParsedResourceId {
  const result = tryParseResourceId(id);
  if (!result) throw new ValidationError(`not an ARM resource id: '${id}'`);
  return result;
}

export function tryParseResourceId(id: string): ParsedResourceId | undefined {
  if (typeof id !== 'string' || !id.startsWith('/')) return undefined;
  const parts = id.split('/').slice(1);
  if (parts.some((p) => p.length === 0)) return undefined;
  if (parts.length < 2 || parts[0]?.toLowerCase() !== 'subscriptions') return undefined;
  const subscriptionId = parts[1];
  if (subscriptionId === undefined || !GUID.test(subscriptionId)) return undefined;
  let i = 2;
  let resourceGroup: string | undefined;
  if (parts[i]?.toLowerCase() === 'resourcegroups') {
    resourceGroup = parts[i + 1];
    if (resourceGroup === undefined) return undefined;
    i += 2;
  }
  let provider: string | undefined;
  const segments: ResourceTypeSegment[] = [];
  if (i < parts.length) {
    if (parts[i]?.toLowerCase() !== 'providers') return undefined;
    provider = parts[i + 1];
    if (provider === undefined) return undefined;
    i += 2;
    const rest = parts.slice(i);
    if (rest.length === 0 || rest.length % 2 !== 0) return undefined;
    for (let j = 0; j < rest.length; j += 2) {
      const type = rest[j];
      const name = rest[j + 1];
      if (type === undefined || name === undefined) return undefined;
      segments.push({ type, name });
    }
  }
  const last = segments[segments.length - 1];
  const name = last ? last.name : (resourceGroup ?? subscriptionId);
  const fullType = provider && segments.length > 0 ? [provider, ...segments.map((s) => s.type)].join('/') : undefined;
  return { id, subscriptionId, resourceGroup, provider, segments, fullType, name };
}

/** Case-insensitive equality of two ids (ignores a trailing slash). */
export function sameResourceId(a: string | undefined | null, b: string | undefined | null): boolean {
  if (!a || !b) return false;
  return normalizeResourceId(a) === normalizeResourceId(b);
}

/** Lower-cased id without a trailing slash: a stable key for maps and sets. */
export function normalizeResourceId(id: string): string {
  return id.replace(/\/+$/, '').toLowerCase();
}

/** True when `scope` is `id` itself or one of its ancestors (an assignment at `scope` applies to `id`). */
export function isScopeOf(scope: string, id: string): boolean {
  const s = normalizeResourceId(scope);
  const r = normalizeResourceId(id);
  return r === s || r.startsWith(`${s}/`) || s === '/';
}

/**
 * For a role assignment ARM listed at `id` (`atScope()`/`assignedTo` at a VNet): true when its `scope` covers `id`.
 * An assignment at a management group (`/providers/Microsoft.Management/managementGroups/...`) covers every resource
 * of the subscriptions under it; which ones fleetmesh cannot tell from the ids, but ARM returns it at `id` only when
 * it applies there, so it is taken as covering `id`.
 */
export function assignmentCovers(scope: string, id: string): boolean {
  return (
    isScopeOf(scope, id) ||
    /^\/providers\/microsoft\.management\/managementgroups\/[^/]+$/.test(normalizeResourceId(scope))
  );
}

/** The parent id: a subnet's VNet, a member's fleet. Undefined for a top-level resource. */
export function parentResourceId(id: string): string | undefined {
  const parsed = parseResourceId(id);
  if (parsed.segments.length < 2) return undefined;
  return id.replace(/\/+$/, '').split('/').slice(0, -2).join('/');
}

export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

export function fleetId(subscriptionId: string, resourceGroup: string, fleet: string): string {
  return `${resourceGroupId(subscriptionId, resourceGroup)}/providers/Microsoft.ContainerService/fleets/${fleet}`;
}

export function fleetMemberId(subscriptionId: string, resourceGroup: string, fleet: string, member: string): string {
  return `${fleetId(subscriptionId, resourceGroup, fleet)}/members/${member}`;
}

export function clusterMeshProfileId(
  subscriptionId: string,
  resourceGroup: string,
  fleet: string,
  profile: string,
): string {
  return `${fleetId(subscriptionId, resourceGroup, fleet)}/clusterMeshProfiles/${profile}`;
}

export function roleDefinitionId(subscriptionId: string, roleGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

/** The role definition GUID at the end of a role definition id (any scope form). */
export function roleDefinitionGuid(id: string): string {
  const last = id.replace(/\/+$/, '').split('/').pop() ?? '';
  return last.toLowerCase();
}

/** Built-in role definition GUIDs the app reasons about (reference §6). */
export const BuiltInRoles = {
  networkContributor: '4d97b98b-1d4f-4787-a291-c67834d212e7',
  trafficManagerContributor: 'a4b10055-b0c7-44c2-b00f-c7b5b3550cf7',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  userAccessAdministrator: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
} as const;
