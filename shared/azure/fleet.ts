/**
 * FleetGateway: fleet members and cluster mesh profiles of the configured fleet, over `@azure-rest/core-client` with
 * the Azure pipeline, api-version from configuration (`FLEETMESH_FLEET_API_VERSION`, `2026-03-02-preview` by default).
 * The mesh operations exist only in preview api-versions and are missing from the npm SDK (reference §0), so the
 * bodies are the REST wire shape, parsed with the wire schemas of `shared/models/fleet.ts`.
 */
import type { Client, PathUncheckedResponse } from '@azure-rest/core-client';
import { z } from 'zod';
import { clusterMeshProfileId, fleetId as buildFleetId, fleetMemberId } from '../arm/resourceId.js';
import { ValidationError } from '../errors.js';
import {
  ClusterMeshProfileSchema,
  FleetMemberSchema,
  MemberSelectorSchema,
  parseArmResource,
  parseArmResources,
  type ClusterMeshProfile,
  type FleetMember,
  type MemberSelector,
} from '../models/index.js';
import { InvalidArmResourceError } from '../errors.js';
import { azureErrorFromResponse } from './errorMapping.js';
import type { Conditions, FleetGateway, LroPoll, LroState } from './gateways.js';
import { checkLroState, RestLro, toLroPoll, waitForLro, type LroStep } from './lro.js';
import { ArmOperation as Op } from './operations.js';
import type { GatewayRuntime } from './runtime.js';

/** Fleet's own labels on every member (reference §2): read-only, never written back. */
export const SYSTEM_LABEL_PREFIX = 'fleet.azure.com/';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Kubernetes label syntax (Fleet labels become the member cluster's labels): optional DNS prefix, 63-char name. */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function checkLabel(key: string, value: string | null): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = key.slice(slash + 1);
  if (!LABEL_NAME.test(name) || (prefix !== undefined && !LABEL_PREFIX.test(prefix))) {
    throw new ValidationError(`invalid label key '${key}': [prefix/]name, name 1-63 of [A-Za-z0-9-_.]`);
  }
  if (value !== null && (typeof value !== 'string' || !LABEL_VALUE.test(value))) {
    throw new ValidationError(`invalid value for label '${key}': up to 63 of [A-Za-z0-9-_.], or null to remove it`);
  }
}
const MAX_PAGES = 1000;

const PageSchema = z.object({ value: z.array(z.unknown()), nextLink: z.string().nullish() });

function checkName(kind: string, name: string, max: number): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > max || !NAME.test(name)) {
    throw new ValidationError(`invalid ${kind} name '${name}': 1-${max} characters matching ${NAME.source}`);
  }
}

function conditionHeaders(conditions: Conditions | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (conditions?.ifMatch !== undefined) headers['if-match'] = conditions.ifMatch;
  if (conditions?.ifNoneMatch !== undefined) headers['if-none-match'] = conditions.ifNoneMatch;
  return headers;
}

/** The user labels of a member: what it carries minus Fleet's system labels. */
export function userLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!k.toLowerCase().startsWith(SYSTEM_LABEL_PREFIX)) out[k] = v;
  return out;
}

/** Applies label changes (a string sets, null removes) to a user label map. */
export function mergeLabels(
  current: Readonly<Record<string, string>>,
  changes: Readonly<Record<string, string | null>>,
): Record<string, string> {
  const merged: Record<string, string> = { ...current };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) Reflect.deleteProperty(merged, k);
    else merged[k] = v;
  }
  return merged;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && b[k] === a[k]);
}

export function createFleetGateway(
  runtime: GatewayRuntime,
  client: Client,
  coordinates: { readonly subscriptionId: string; readonly resourceGroup: string; readonly fleetName: string },
): FleetGateway {
  const { subscriptionId, resourceGroup, fleetName } = coordinates;
  const fleetId = buildFleetId(subscriptionId, resourceGroup, fleetName);
  const memberId = (name: string): string => fleetMemberId(subscriptionId, resourceGroup, fleetName, name);
  const profileId = (name: string): string => clusterMeshProfileId(subscriptionId, resourceGroup, fleetName, name);
  const origin = new URL(runtime.connection.endpoint).origin;

  /** The body of a response with one of the `ok` statuses, or the AzureApiError it means. */
  function bodyOf(operation: string, resourceId: string, response: PathUncheckedResponse, ok: string[]): unknown {
    if (ok.includes(response.status)) {
      const body: unknown = response.body;
      return body;
    }
    throw azureErrorFromResponse(
      { status: Number(response.status), header: (n) => response.headers[n.toLowerCase()], body: response.body },
      operation,
      resourceId,
    );
  }

  async function listAll<T>(
    operation: string,
    path: string,
    kind: string,
    parseItems: (items: unknown[]) => T[],
  ): Promise<T[]> {
    return runtime.call(operation, fleetId, async () => {
      const out: T[] = [];
      let response = await client.pathUnchecked(path).get();
      for (let pages = 1; ; pages += 1) {
        const page = parseArmResource(
          PageSchema,
          `${kind} page`,
          bodyOf(operation, fleetId, response, ['200']),
          fleetId,
        );
        out.push(...parseItems(page.value));
        if (!page.nextLink) return out;
        const next = new URL(page.nextLink, origin);
        if (next.origin !== origin) {
          throw new InvalidArmResourceError(fleetId, `${kind} page: nextLink ${next.origin} is not the ARM endpoint`);
        }
        if (pages >= MAX_PAGES) {
          throw new InvalidArmResourceError(fleetId, `${kind} list: more than ${MAX_PAGES} pages`);
        }
        response = await client.pathUnchecked(next.href).get();
      }
    });
  }

  const parseMember = (body: unknown): FleetMember => parseArmResource(FleetMemberSchema, 'fleet member', body);
  const parseProfile = (body: unknown): ClusterMeshProfile =>
    parseArmResource(ClusterMeshProfileSchema, 'cluster mesh profile', body);

  const labelsLro = new RestLro(client, Op.fleetMembersUpdate);
  const putLro = new RestLro(client, Op.meshProfilesPut);
  const applyLro = new RestLro(client, Op.meshProfilesApply);
  const deleteLro = new RestLro(client, Op.meshProfilesDelete);

  const getMember = async (name: string): Promise<FleetMember> => {
    checkName('fleet member', name, 50);
    const id = memberId(name);
    return runtime.call(Op.fleetMembersGet, id, async () =>
      parseMember(bodyOf(Op.fleetMembersGet, id, await client.pathUnchecked(id).get(), ['200'])),
    );
  };

  const pollApply = async (state: LroState): Promise<LroStep<ClusterMeshProfile>> => {
    checkLroState(state, 'meshApply', runtime.connection.endpoint);
    return runtime.call(Op.meshProfilesApply, state.resourceId, () =>
      applyLro.pollOnce(state.resourceId, state.state, parseProfile),
    );
  };

  const beginApply = async (name: string, conditions?: Conditions): Promise<LroState> => {
    checkName('cluster mesh profile', name, 63);
    const id = profileId(name);
    return runtime.call(Op.meshProfilesApply, id, async () => ({
      kind: 'meshApply' as const,
      resourceId: id,
      state: await applyLro.begin(
        id,
        () => client.pathUnchecked(`${id}/apply`).post({ headers: conditionHeaders(conditions) }),
        'location',
      ),
    }));
  };

  return {
    fleetId,

    listMembers: () =>
      listAll(Op.fleetMembersList, `${fleetId}/members`, 'fleet member', (items) =>
        parseArmResources(FleetMemberSchema, 'fleet member', items),
      ),

    getMember,

    async updateMemberLabels(name, changes) {
      checkName('fleet member', name, 50);
      for (const [key, value] of Object.entries(changes)) {
        if (key.toLowerCase().startsWith(SYSTEM_LABEL_PREFIX)) {
          throw new ValidationError(`label '${key}' is a Fleet system label: it cannot be set or removed`);
        }
        checkLabel(key, value);
      }
      const id = memberId(name);
      return runtime.call(Op.fleetMembersUpdate, id, async () => {
        const member = await getMember(name);
        const current = userLabels(member.properties.labels);
        const merged = mergeLabels(current, changes);
        if (sameLabels(current, merged)) return member;
        // A label PATCH replaces the whole user label map (reference §2): send all of it, never the system labels.
        const state = await labelsLro.begin(
          id,
          () =>
            client.pathUnchecked(id).patch({
              headers: conditionHeaders(member.eTag === undefined ? undefined : { ifMatch: member.eTag }),
              body: { properties: { labels: merged } },
            }),
          'original-uri',
        );
        return waitForLro(
          state,
          (s) => labelsLro.pollOnce(id, s, parseMember),
          runtime.pollIntervalMs,
          Op.fleetMembersUpdate,
          id,
        );
      });
    },

    listMeshProfiles: () =>
      listAll(Op.meshProfilesList, `${fleetId}/clusterMeshProfiles`, 'cluster mesh profile', (items) =>
        parseArmResources(ClusterMeshProfileSchema, 'cluster mesh profile', items),
      ),

    async getMeshProfile(name) {
      checkName('cluster mesh profile', name, 63);
      const id = profileId(name);
      return runtime.call(
        Op.meshProfilesGet,
        id,
        async () => parseProfile(bodyOf(Op.meshProfilesGet, id, await client.pathUnchecked(id).get(), ['200'])),
        // Absent profile: undefined. A missing fleet or resource group is a configuration problem, not "absent".
        (e) =>
          e.statusCode === 404 && e.armCode !== 'ParentResourceNotFound' && e.armCode !== 'ResourceGroupNotFound'
            ? { value: undefined }
            : undefined,
      );
    },

    async putMeshProfile(name, memberSelector: MemberSelector, conditions) {
      checkName('cluster mesh profile', name, 63);
      const selector = MemberSelectorSchema.safeParse(memberSelector);
      if (!selector.success) throw new ValidationError(`invalid member selector: ${selector.error.message}`);
      const id = profileId(name);
      return runtime.call(Op.meshProfilesPut, id, async () => {
        // Documented as an LRO (201 + Retry-After); the service answers synchronously today. The poller covers both.
        const state = await putLro.begin(
          id,
          () =>
            client.pathUnchecked(id).put({
              headers: conditionHeaders(conditions),
              body: { properties: { memberSelector: { byLabel: selector.data.byLabel } } },
            }),
          'original-uri',
        );
        return waitForLro(
          state,
          (s) => putLro.pollOnce(id, s, parseProfile),
          runtime.pollIntervalMs,
          Op.meshProfilesPut,
          id,
        );
      });
    },

    beginApplyMeshProfile: beginApply,

    async pollApplyMeshProfile(state): Promise<LroPoll<ClusterMeshProfile>> {
      return toLroPoll('meshApply', state.resourceId, await pollApply(state));
    },

    async applyMeshProfileAndWait(name, conditions) {
      checkName('cluster mesh profile', name, 63);
      return runtime.call(Op.meshProfilesApply, profileId(name), async () => {
        const begun = await beginApply(name, conditions);
        return waitForLro(
          begun.state,
          (s) => pollApply({ ...begun, state: s }),
          runtime.pollIntervalMs,
          Op.meshProfilesApply,
          begun.resourceId,
        );
      });
    },

    async deleteMeshProfileAndWait(name, conditions) {
      checkName('cluster mesh profile', name, 63);
      const id = profileId(name);
      await runtime.call(Op.meshProfilesDelete, id, async () => {
        const state = await deleteLro.begin(
          id,
          () => client.pathUnchecked(id).delete({ headers: conditionHeaders(conditions) }),
          'location',
        );
        await waitForLro(
          state,
          (s) => deleteLro.pollOnce(id, s, () => undefined),
          runtime.pollIntervalMs,
          Op.meshProfilesDelete,
          id,
        );
      });
    },
  };
}
