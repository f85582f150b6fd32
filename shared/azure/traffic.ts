/**
 * TrafficGateway: Traffic Manager profiles and endpoints of the fleet's subscription through
 * `@azure/arm-trafficmanager` 6.1.0 with the api-version pinned to 2022-04-01 (reference §7: the package's default
 * changed across versions). Profile and endpoint calls are synchronous; Traffic Manager has no ETags.
 *
 * `endpointMonitorStatus` is only meaningful on an endpoint's own GET (the profile's list answers null there), which
 * is why `getEndpoint` exists.
 */
import { TrafficManagerManagementClient, type Endpoint, type Profile } from '@azure/arm-trafficmanager';
import { tryParseResourceId } from '../arm/resourceId.js';
import { ValidationError } from '../errors.js';
import {
  EndpointStatuses,
  EndpointTypes,
  parseArmResource,
  TrafficManagerEndpointSchema,
  TrafficManagerProfileSchema,
  type TrafficManagerEndpoint,
  type TrafficManagerProfile,
} from '../models/index.js';
import type { EndpointType } from '../models/traffic.js';
import type { AzureApiError } from './errors.js';
import type { TrafficGateway, TrafficManagerProfileInput } from './gateways.js';
import { ArmOperation as Op } from './operations.js';
import { pipelineOptions } from './pipeline.js';
import type { GatewayRuntime } from './runtime.js';

/** The api-version every Traffic Manager call uses. */
export const TRAFFIC_MANAGER_API_VERSION = '2022-04-01';

/** `AzureEndpoints` → `Microsoft.Network/trafficManagerProfiles/azureEndpoints` (the endpoint's resource type). */
export function endpointResourceType(type: EndpointType): string {
  return `Microsoft.Network/trafficManagerProfiles/${type.charAt(0).toLowerCase()}${type.slice(1)}`;
}

function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 260 || /[/?%\\]/.test(name)) {
    throw new ValidationError(`invalid ${what} name '${name}'`);
  }
}

function checkType(type: EndpointType): void {
  if (!EndpointTypes.includes(type))
    throw new ValidationError(`endpoint type must be one of ${EndpointTypes.join(', ')}`);
}

/** 404 means absent, except a missing resource group: that is a configuration error. */
function absentOn404<T>(e: AzureApiError, value: T): { value: T } | undefined {
  return e.statusCode === 404 && e.armCode !== 'ResourceGroupNotFound' ? { value } : undefined;
}

/** An endpoint read back from a profile, as a PUT body element (read-only monitor status left out). */
function endpointBody(e: TrafficManagerEndpoint): Endpoint {
  return {
    id: e.id,
    name: e.name,
    type: e.type,
    targetResourceId: e.targetResourceId,
    target: e.target,
    endpointStatus: e.endpointStatus,
    weight: e.weight,
    priority: e.priority,
    endpointLocation: e.endpointLocation,
    alwaysServe: e.alwaysServe,
    customHeaders: e.customHeaders,
  };
}

function profileBody(input: TrafficManagerProfileInput): Profile {
  return {
    location: input.location,
    tags: input.tags === undefined ? undefined : { ...input.tags },
    profileStatus: input.profileStatus,
    trafficRoutingMethod: input.trafficRoutingMethod,
    dnsConfig: { relativeName: input.dnsConfig.relativeName, ttl: input.dnsConfig.ttl },
    monitorConfig: { ...input.monitorConfig },
    endpoints: input.endpoints?.map(endpointBody),
  };
}

export function createTrafficGateway(runtime: GatewayRuntime, subscriptionId: string): TrafficGateway {
  const { connection } = runtime;
  const client = new TrafficManagerManagementClient(connection.credential, subscriptionId, {
    ...pipelineOptions(connection),
    credentialScopes: [connection.scope],
    apiVersion: TRAFFIC_MANAGER_API_VERSION,
  });
  const profileId = (rg: string, name: string): string =>
    `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/trafficManagerProfiles/${name}`;
  const endpointId = (rg: string, profile: string, type: EndpointType, name: string): string =>
    `${profileId(rg, profile)}/${type}/${name}`;
  const parseProfile = (raw: unknown, id: string): TrafficManagerProfile =>
    parseArmResource(TrafficManagerProfileSchema, 'Traffic Manager profile', raw, id);
  const parseEndpoint = (raw: unknown, id: string): TrafficManagerEndpoint =>
    parseArmResource(TrafficManagerEndpointSchema, 'Traffic Manager endpoint', raw, id);

  const getProfile = async (resourceGroup: string, name: string): Promise<TrafficManagerProfile | undefined> => {
    checkName('resource group', resourceGroup);
    checkName('Traffic Manager profile', name);
    const id = profileId(resourceGroup, name);
    return runtime.call(
      Op.trafficProfilesGet,
      id,
      async (): Promise<TrafficManagerProfile | undefined> =>
        parseProfile(await client.profiles.get(resourceGroup, name), id),
      (e) => absentOn404(e, undefined),
    );
  };

  return {
    getProfile,

    async createOrUpdateProfile(resourceGroup, name, profile) {
      checkName('resource group', resourceGroup);
      checkName('Traffic Manager profile', name);
      const id = profileId(resourceGroup, name);
      return runtime.call(Op.trafficProfilesPut, id, async () =>
        parseProfile(await client.profiles.createOrUpdate(resourceGroup, name, profileBody(profile)), id),
      );
    },

    async updateProfile(resourceGroup, name, patch) {
      checkName('resource group', resourceGroup);
      checkName('Traffic Manager profile', name);
      const id = profileId(resourceGroup, name);
      return runtime.call(Op.trafficProfilesPatch, id, async () => {
        let dnsConfig: Profile['dnsConfig'];
        if (patch.dnsConfig) {
          // dnsConfig is sent whole (relativeName included), so the PATCH means the same under shallow or deep merge.
          const current = await getProfile(resourceGroup, name);
          const relativeName = current?.dnsConfig?.relativeName;
          if (relativeName === undefined) {
            throw new ValidationError(`Traffic Manager profile ${id} does not exist or has no DNS name`);
          }
          dnsConfig = { relativeName, ttl: patch.dnsConfig.ttl };
        }
        // Never `endpoints`: a PATCH that leaves them out cannot drop endpoints written meanwhile.
        const body: Profile = {
          ...(patch.tags === undefined ? {} : { tags: { ...patch.tags } }),
          ...(patch.profileStatus === undefined ? {} : { profileStatus: patch.profileStatus }),
          ...(patch.trafficRoutingMethod === undefined ? {} : { trafficRoutingMethod: patch.trafficRoutingMethod }),
          ...(patch.monitorConfig === undefined ? {} : { monitorConfig: { ...patch.monitorConfig } }),
          ...(dnsConfig === undefined ? {} : { dnsConfig }),
        };
        return parseProfile(await client.profiles.update(resourceGroup, name, body), id);
      });
    },

    async getEndpoint(resourceGroup, profile, type, name) {
      checkName('resource group', resourceGroup);
      checkName('Traffic Manager profile', profile);
      checkType(type);
      checkName('endpoint', name);
      const id = endpointId(resourceGroup, profile, type, name);
      return runtime.call(
        Op.trafficEndpointsGet,
        id,
        async (): Promise<TrafficManagerEndpoint | undefined> =>
          parseEndpoint(await client.endpoints.get(resourceGroup, profile, type, name), id),
        (e) => absentOn404(e, undefined),
      );
    },

    async createOrUpdateEndpoint(resourceGroup, profile, type, name, endpoint) {
      checkName('resource group', resourceGroup);
      checkName('Traffic Manager profile', profile);
      checkType(type);
      checkName('endpoint', name);
      if (type === 'ExternalEndpoints') {
        throw new ValidationError('external endpoints need a target (FQDN or IP); fleetmesh writes Azure endpoints');
      }
      if (!tryParseResourceId(endpoint.targetResourceId)) {
        throw new ValidationError(
          `endpoint targetResourceId is not an ARM resource id: '${endpoint.targetResourceId}'`,
        );
      }
      if (!EndpointStatuses.includes(endpoint.endpointStatus)) {
        throw new ValidationError(`endpointStatus must be one of ${EndpointStatuses.join(', ')}`);
      }
      if (!Number.isInteger(endpoint.weight) || endpoint.weight < 1 || endpoint.weight > 1000) {
        throw new ValidationError(`endpoint weight must be an integer from 1 to 1000, got ${endpoint.weight}`);
      }
      const id = endpointId(resourceGroup, profile, type, name);
      return runtime.call(Op.trafficEndpointsPut, id, async () =>
        parseEndpoint(
          await client.endpoints.createOrUpdate(resourceGroup, profile, type, name, {
            type: endpointResourceType(type),
            targetResourceId: endpoint.targetResourceId,
            endpointStatus: endpoint.endpointStatus,
            weight: endpoint.weight,
          }),
          id,
        ),
      );
    },

    async deleteEndpoint(resourceGroup, profile, type, name) {
      checkName('resource group', resourceGroup);
      checkName('Traffic Manager profile', profile);
      checkType(type);
      checkName('endpoint', name);
      const id = endpointId(resourceGroup, profile, type, name);
      await runtime.call(
        Op.trafficEndpointsDelete,
        id,
        async () => {
          await client.endpoints.delete(resourceGroup, profile, type, name);
        },
        (e) => absentOn404(e, undefined),
      );
    },
  };
}
