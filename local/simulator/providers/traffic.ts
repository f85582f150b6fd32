/**
 * Microsoft.Network/trafficManagerProfiles (api-version 2022-04-01, as `@azure/arm-trafficmanager` 6.1.0 sends it):
 * profiles get/put/patch/delete/list by resource group, and endpoints get/put/patch/delete under
 * `/{AzureEndpoints|ExternalEndpoints|NestedEndpoints}/{name}`. Synchronous, no ETags (ARM has none here).
 *
 * `endpointMonitorStatus` follows the simulated health of the endpoint's target: `CheckingEndpoint` for
 * `timing.trafficManagerProbeMs` after the endpoint is created or retargeted, then `Online` or `Degraded`; a later
 * health change shows after the same probe window (the old status until then); `Stopped` at once when the target is
 * stopped; `Disabled` when the endpoint or the profile is disabled. The profile list returns it as null (as ARM does,
 * azure-rest-api-specs#4065); profile GET and endpoint GET return it.
 */
import { z } from 'zod';
import type { SimContext } from '../context.js';
import { ArmError, badRequest, conflict, parentResourceNotFound, resourceNotFound } from '../http/errors.js';
import { empty, json } from '../http/request.js';
import type { Params, RouteDefinition } from '../http/router.js';
import {
  cloneJson,
  isJsonObject,
  key,
  omit,
  type EndpointTypeSegment,
  type Health,
  type JsonObject,
  type TrafficEndpointRecord,
  type TrafficProfileRecord,
} from '../world.js';
import { requireResourceGroup, Tags } from './common.js';
import { PUBLIC_IP_TYPE } from './network.js';

export const TRAFFIC_MANAGER_API_VERSIONS = ['2022-04-01'] as const;

/**
 * The 200 body of a profile or endpoint DELETE: `DeleteOperationResult` (reference §7 "Delete returns
 * `{operationResult: bool}`"). `operationResult` is the SDK's name (`x-ms-client-name`) of the REST field `boolean`
 * (azure-rest-api-specs trafficmanager 2022-04-01 `definitions.DeleteOperationResult`), so the wire carries
 * `{"boolean": true}` and `@azure/arm-trafficmanager` returns `{ operationResult: true }`. A resource already gone
 * answers 204 with no body.
 */
const DELETED = { boolean: true } as const;

/** Azure's limit: "Endpoints per profile: 200" (Azure subscription limits, Traffic Manager), endpoints of all types. */
export const MAX_ENDPOINTS_PER_PROFILE = 200;

function endpointLimitExceeded(profile: TrafficProfileRecord, count: number): ArmError {
  return badRequest(
    'BadRequest',
    `Traffic Manager profile '${profile.name}' would hold ${count} endpoints; a profile allows at most ${MAX_ENDPOINTS_PER_PROFILE} endpoints (of all types).`,
  );
}

const RG = '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}';
const PROFILES = `${RG}/providers/Microsoft.Network/trafficmanagerprofiles`;
const PROFILE = `${PROFILES}/{profileName}`;
const ENDPOINT = `${PROFILE}/{endpointType}/{endpointName}`;

const SEGMENTS: Record<string, EndpointTypeSegment> = {
  azureendpoints: 'azureEndpoints',
  externalendpoints: 'externalEndpoints',
  nestedendpoints: 'nestedEndpoints',
};

function profileId(p: Params): string {
  return `/subscriptions/${p['subscriptionId'] ?? ''}/resourceGroups/${p['resourceGroupName'] ?? ''}/providers/Microsoft.Network/trafficManagerProfiles/${p['profileName'] ?? ''}`;
}

function segmentOf(p: Params): EndpointTypeSegment {
  const raw = p['endpointType'] ?? '';
  const seg = SEGMENTS[raw.toLowerCase()];
  if (!seg) {
    throw badRequest(
      'BadRequest',
      `The endpoint type '${raw}' is not valid: use AzureEndpoints, ExternalEndpoints or NestedEndpoints.`,
      'endpointType',
    );
  }
  return seg;
}

function requireProfile(ctx: SimContext, p: Params, asParent: boolean): TrafficProfileRecord {
  requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
  const profile = ctx.world.trafficProfiles.get(key(profileId(p)));
  if (!profile) {
    const typed = `Microsoft.Network/trafficManagerProfiles/${p['profileName'] ?? ''}`;
    throw asParent ? parentResourceNotFound(typed) : resourceNotFound(typed, p['resourceGroupName']);
  }
  return profile;
}

/** Health of an endpoint's target: explicit health of the public IP, else of its cluster (by node resource group or tag). */
export function targetHealth(ctx: SimContext, endpoint: TrafficEndpointRecord): Health {
  const world = ctx.world;
  const targetId = endpoint.properties['targetResourceId'];
  if (typeof targetId === 'string') {
    const explicit = world.health.get(key(targetId));
    if (explicit) return explicit;
    const pip = world.networkResources.get(key(targetId));
    if (pip?.type === PUBLIC_IP_TYPE) {
      const clusterName = pip.tags['kubernetes-cluster-name'];
      const cluster = [...world.clusters.values()].find(
        (c) =>
          c.nodeResourceGroup.toLowerCase() === pip.resourceGroup.toLowerCase() ||
          (clusterName !== undefined && c.name === clusterName),
      );
      if (cluster) {
        if (cluster.powerState === 'Stopped') return 'Stopped';
        return world.health.get(key(cluster.id)) ?? 'Healthy';
      }
    }
    return 'Healthy';
  }
  const target = endpoint.properties['target'];
  return (typeof target === 'string' ? world.health.get(`target:${target.toLowerCase()}`) : undefined) ?? 'Healthy';
}

function endpointMonitorStatus(
  ctx: SimContext,
  profile: TrafficProfileRecord,
  endpoint: TrafficEndpointRecord,
): string {
  if (profile.properties['profileStatus'] === 'Disabled' || endpoint.properties['endpointStatus'] === 'Disabled')
    return 'Disabled';
  if (endpoint.properties['alwaysServe'] === 'Enabled') return 'Unmonitored';
  const now = ctx.clock.now();
  const probeMs = ctx.settings.timing.trafficManagerProbeMs;
  const actual = targetHealth(ctx, endpoint);
  // ARM knows at once that the target is stopped; degradation and recovery show once probes have seen them.
  if (actual === 'Stopped') return 'Stopped';
  if (now - endpoint.probeSince < probeMs) return 'CheckingEndpoint';
  const change = endpoint.healthChange;
  const health = change && now - change.at < probeMs && change.previous !== 'Stopped' ? change.previous : actual;
  return health === 'Healthy' ? 'Online' : 'Degraded';
}

function profileMonitorStatus(ctx: SimContext, profile: TrafficProfileRecord): string {
  if (profile.properties['profileStatus'] === 'Disabled') return 'Disabled';
  const statuses = [...profile.endpoints.values()]
    .map((e) => endpointMonitorStatus(ctx, profile, e))
    .filter((s) => s !== 'Disabled');
  if (statuses.length === 0) return 'Inactive';
  if (statuses.includes('CheckingEndpoint')) return 'CheckingEndpoints';
  if (statuses.every((s) => s === 'Online' || s === 'Unmonitored')) return 'Online';
  return 'Degraded';
}

export function renderEndpoint(
  ctx: SimContext,
  profile: TrafficProfileRecord,
  endpoint: TrafficEndpointRecord,
  withMonitor: boolean,
): Record<string, unknown> {
  return {
    id: endpoint.id,
    name: endpoint.name,
    type: `Microsoft.Network/trafficManagerProfiles/${endpoint.typeSegment}`,
    properties: {
      ...cloneJson(endpoint.properties),
      endpointMonitorStatus: withMonitor ? endpointMonitorStatus(ctx, profile, endpoint) : null,
    },
  };
}

export function renderTrafficProfile(
  ctx: SimContext,
  profile: TrafficProfileRecord,
  withMonitor: boolean,
): Record<string, unknown> {
  const props = cloneJson(profile.properties);
  const dns = isJsonObject(props['dnsConfig']) ? props['dnsConfig'] : {};
  const relative = typeof dns['relativeName'] === 'string' ? dns['relativeName'] : profile.name;
  const monitor = isJsonObject(props['monitorConfig']) ? props['monitorConfig'] : {};
  return {
    id: profile.id,
    name: profile.name,
    type: 'Microsoft.Network/trafficManagerProfiles',
    location: 'global',
    tags: profile.tags,
    properties: {
      ...props,
      dnsConfig: { ...dns, relativeName: relative, fqdn: `${relative}.trafficmanager.net` },
      monitorConfig: { ...monitor, profileMonitorStatus: profileMonitorStatus(ctx, profile) },
      endpoints: [...profile.endpoints.values()].map((e) => renderEndpoint(ctx, profile, e, withMonitor)),
    },
  };
}

const Header = z.object({ name: z.string(), value: z.string() });
const EndpointProps = z
  .object({
    targetResourceId: z.string().nullish(),
    target: z.string().nullish(),
    endpointStatus: z.enum(['Enabled', 'Disabled']).nullish(),
    weight: z.int().min(1).max(1000).nullish(),
    priority: z.int().min(1).max(1000).nullish(),
    endpointLocation: z.string().nullish(),
    minChildEndpoints: z.int().min(0).nullish(),
    geoMapping: z.array(z.string()).nullish(),
    customHeaders: z.array(Header).max(8).nullish(),
    alwaysServe: z.enum(['Enabled', 'Disabled']).nullish(),
    endpointMonitorStatus: z.unknown().optional(),
  })
  .loose();
const EndpointBody = z.object({
  name: z.string().optional(),
  type: z.string().optional(),
  properties: EndpointProps.default({}),
});

const MonitorConfig = z
  .object({
    protocol: z.enum(['HTTP', 'HTTPS', 'TCP']).nullish(),
    port: z.int().min(1).max(65535).nullish(),
    path: z.string().nullish(),
    intervalInSeconds: z.union([z.literal(10), z.literal(30)]).nullish(),
    timeoutInSeconds: z.int().min(5).max(10).nullish(),
    toleratedNumberOfFailures: z.int().min(0).max(9).nullish(),
    customHeaders: z.array(Header).max(8).nullish(),
    expectedStatusCodeRanges: z.array(z.object({ min: z.int(), max: z.int() })).nullish(),
    profileMonitorStatus: z.unknown().optional(),
  })
  .loose();

const ProfileProps = z
  .object({
    profileStatus: z.enum(['Enabled', 'Disabled']).nullish(),
    trafficRoutingMethod: z
      .enum(['Performance', 'Priority', 'Weighted', 'Geographic', 'MultiValue', 'Subnet'])
      .nullish(),
    dnsConfig: z
      .object({
        relativeName: z
          .string()
          .regex(/^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/, 'must be 1-63 letters, digits or hyphens')
          .nullish(),
        ttl: z.int().min(0).max(2147483647).nullish(),
        fqdn: z.unknown().optional(),
      })
      .loose()
      .nullish(),
    monitorConfig: MonitorConfig.nullish(),
    endpoints: z.array(EndpointBody).nullish(),
    trafficViewEnrollmentStatus: z.enum(['Enabled', 'Disabled']).nullish(),
    allowedEndpointRecordTypes: z.array(z.string()).nullish(),
    maxReturn: z.int().min(1).max(8).nullish(),
  })
  .loose();
const ProfileBody = z.object({
  location: z.string().nullish(),
  tags: Tags.nullish(),
  properties: ProfileProps.default({}),
});

function issuePath(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0];
  return { path: issue ? issue.path.map(String).join('.') : '', message: issue?.message ?? 'invalid' };
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined) throw badRequest('BadRequest', 'The request body is required.');
  const r = schema.safeParse(body);
  if (!r.success) {
    const { path, message } = issuePath(r.error);
    throw badRequest(
      'BadRequest',
      `The request body is invalid at '${path || '(body)'}': ${message}.`,
      path || undefined,
    );
  }
  return r.data;
}

function jsonObject(value: unknown): JsonObject {
  const parsed = z.record(z.string(), z.json()).safeParse(value);
  if (!parsed.success) return {};
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== null));
}

/** Validates and completes an endpoint's properties (target of Azure endpoints from the public IP's DNS name). */
function buildEndpoint(
  ctx: SimContext,
  profile: TrafficProfileRecord,
  segment: EndpointTypeSegment,
  name: string,
  input: unknown,
  previous: TrafficEndpointRecord | undefined,
): TrafficEndpointRecord {
  const props = omit(jsonObject(input), ['endpointMonitorStatus']);
  if (segment === 'azureEndpoints') {
    const targetId = props['targetResourceId'];
    if (typeof targetId !== 'string')
      throw badRequest(
        'BadRequest',
        `Endpoint '${name}': targetResourceId is required for Azure endpoints.`,
        'properties.targetResourceId',
      );
    const pip = ctx.world.networkResources.get(key(targetId));
    if (pip?.type !== PUBLIC_IP_TYPE) {
      throw badRequest(
        'BadRequest',
        `Endpoint '${name}': the target resource '${targetId}' was not found or is not a public IP address.`,
        'properties.targetResourceId',
      );
    }
    const dns = pip.properties['dnsSettings'];
    const label = isJsonObject(dns) ? dns['domainNameLabel'] : undefined;
    if (typeof label !== 'string' || label === '') {
      throw badRequest(
        'BadRequest',
        `Endpoint '${name}': the public IP address '${targetId}' has no DNS name. Azure endpoints of type public IP address need a DNS name label (dnsSettings.domainNameLabel).`,
        'properties.targetResourceId',
      );
    }
    props['targetResourceId'] = pip.id;
    props['target'] = `${label}.${pip.location}.cloudapp.azure.com`;
    props['endpointLocation'] = pip.location;
  } else if (segment === 'externalEndpoints') {
    if (typeof props['target'] !== 'string' || props['target'] === '') {
      throw badRequest(
        'BadRequest',
        `Endpoint '${name}': target is required for external endpoints.`,
        'properties.target',
      );
    }
  } else {
    const targetId = props['targetResourceId'];
    if (typeof targetId !== 'string' || !ctx.world.trafficProfiles.has(key(targetId))) {
      throw badRequest(
        'BadRequest',
        `Endpoint '${name}': targetResourceId must name an existing Traffic Manager profile for nested endpoints.`,
        'properties.targetResourceId',
      );
    }
  }
  props['endpointStatus'] ??= 'Enabled';
  const method = profile.properties['trafficRoutingMethod'];
  if (method === 'Weighted') props['weight'] ??= 1;
  if (method === 'Priority' && props['priority'] === undefined) {
    const used = new Set([...profile.endpoints.values()].map((e) => e.properties['priority']));
    let next = 1;
    while (used.has(next)) next++;
    props['priority'] = next;
  }
  props['alwaysServe'] ??= 'Disabled';
  const changed =
    !previous ||
    previous.properties['targetResourceId'] !== props['targetResourceId'] ||
    previous.properties['target'] !== props['target'] ||
    previous.properties['endpointStatus'] !== props['endpointStatus'];
  return {
    id: `${profile.id}/${segment}/${name}`,
    name,
    typeSegment: segment,
    properties: props,
    probeSince: changed ? ctx.clock.now() : previous.probeSince,
    healthChange: changed ? undefined : previous.healthChange,
  };
}

function applyProfileProps(
  ctx: SimContext,
  profile: TrafficProfileRecord,
  props: z.output<typeof ProfileProps>,
  creating: boolean,
): void {
  const stored = omit(jsonObject(props), ['endpoints']);
  const merged: JsonObject = { ...profile.properties, ...stored };
  if (creating) {
    merged['profileStatus'] ??= 'Enabled';
    merged['trafficViewEnrollmentStatus'] ??= 'Disabled';
    if (merged['trafficRoutingMethod'] === undefined)
      throw badRequest('BadRequest', 'properties.trafficRoutingMethod is required.', 'properties.trafficRoutingMethod');
  }
  const dns = omit(jsonObject(merged['dnsConfig']), ['fqdn']);
  if (typeof dns['relativeName'] !== 'string')
    throw badRequest(
      'BadRequest',
      'properties.dnsConfig.relativeName is required.',
      'properties.dnsConfig.relativeName',
    );
  dns['relativeName'] = dns['relativeName'].toLowerCase();
  dns['ttl'] ??= 60;
  const relative = dns['relativeName'];
  for (const other of ctx.world.trafficProfiles.values()) {
    // A PUT builds a new record for the same profile: the stored one is not "another profile".
    if (other === profile || key(other.id) === key(profile.id)) continue;
    const od = jsonObject(other.properties['dnsConfig']);
    if (od['relativeName'] === relative) {
      throw conflict(
        'Conflict',
        `The domain name '${relative}.trafficmanager.net' is already in use by another Traffic Manager profile. Choose a different relative DNS name.`,
      );
    }
  }
  merged['dnsConfig'] = dns;
  const monitor = omit(jsonObject(merged['monitorConfig']), ['profileMonitorStatus']);
  monitor['protocol'] ??= 'HTTP';
  monitor['port'] ??= 80;
  if (monitor['protocol'] !== 'TCP') monitor['path'] ??= '/';
  monitor['intervalInSeconds'] ??= 30;
  monitor['timeoutInSeconds'] ??= monitor['intervalInSeconds'] === 10 ? 9 : 10;
  monitor['toleratedNumberOfFailures'] ??= 3;
  if (
    monitor['intervalInSeconds'] === 10 &&
    typeof monitor['timeoutInSeconds'] === 'number' &&
    monitor['timeoutInSeconds'] > 9
  ) {
    throw badRequest(
      'BadRequest',
      'monitorConfig.timeoutInSeconds must be 5-9 when intervalInSeconds is 10.',
      'properties.monitorConfig.timeoutInSeconds',
    );
  }
  merged['monitorConfig'] = monitor;
  profile.properties = merged;
  if (props.endpoints) {
    if (props.endpoints.length > MAX_ENDPOINTS_PER_PROFILE) {
      throw endpointLimitExceeded(profile, props.endpoints.length);
    }
    const next = new Map<string, TrafficEndpointRecord>();
    for (const [i, e] of props.endpoints.entries()) {
      const name = e.name;
      if (name === undefined || name === '')
        throw badRequest(
          'BadRequest',
          `properties.endpoints[${i}].name is required.`,
          `properties.endpoints.${i}.name`,
        );
      const typeName = (e.type ?? '').split('/').pop() ?? '';
      const segment = SEGMENTS[typeName.toLowerCase()];
      if (!segment)
        throw badRequest(
          'BadRequest',
          `properties.endpoints[${i}].type '${e.type ?? ''}' is not a Traffic Manager endpoint type.`,
          `properties.endpoints.${i}.type`,
        );
      if (next.has(name.toLowerCase()))
        throw badRequest(
          'BadRequest',
          `Endpoint name '${name}' appears more than once.`,
          `properties.endpoints.${i}.name`,
        );
      next.set(
        name.toLowerCase(),
        buildEndpoint(ctx, profile, segment, name, e.properties, profile.endpoints.get(name.toLowerCase())),
      );
    }
    profile.endpoints.clear();
    for (const [k, v] of next) profile.endpoints.set(k, v);
  }
}

export function trafficRoutes(): RouteDefinition[] {
  const v = TRAFFIC_MANAGER_API_VERSIONS;
  return [
    {
      operation: 'trafficManagerProfiles.list',
      method: 'GET',
      pattern: PROFILES,
      apiVersions: v,
      handle: (_req, p, ctx) => {
        requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
        const prefix = `${key(`/subscriptions/${p['subscriptionId'] ?? ''}/resourceGroups/${p['resourceGroupName'] ?? ''}`)}/providers/`;
        const items = [...ctx.world.trafficProfiles.values()]
          .filter((x) => key(x.id).startsWith(prefix))
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((x) => renderTrafficProfile(ctx, x, false));
        return json(200, { value: items });
      },
    },
    {
      operation: 'trafficManagerProfiles.get',
      method: 'GET',
      pattern: PROFILE,
      apiVersions: v,
      handle: (_req, p, ctx) => json(200, renderTrafficProfile(ctx, requireProfile(ctx, p, false), true)),
    },
    {
      operation: 'trafficManagerProfiles.createOrUpdate',
      method: 'PUT',
      pattern: PROFILE,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const rg = requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
        const name = p['profileName'] ?? '';
        if (!/^[A-Za-z0-9]([-A-Za-z0-9.]{0,61}[A-Za-z0-9])?$/.test(name))
          throw badRequest('BadRequest', `The profile name '${name}' is invalid.`, 'name');
        const body = parse(ProfileBody, req.body);
        if (body.location && body.location.toLowerCase() !== 'global') {
          throw badRequest(
            'BadRequest',
            `Traffic Manager profiles must have location 'global', not '${body.location}'.`,
            'location',
          );
        }
        const id = profileId(p);
        const existing = ctx.world.trafficProfiles.get(key(id));
        // A PUT replaces the profile: start from an empty record, keeping endpoint probe history for unchanged endpoints.
        const profile: TrafficProfileRecord = {
          id,
          name,
          resourceGroup: rg.name,
          tags: body.tags ? { ...body.tags } : {},
          properties: {},
          endpoints: new Map(existing?.endpoints ?? []),
        };
        applyProfileProps(ctx, profile, { ...body.properties, endpoints: body.properties.endpoints ?? [] }, true);
        ctx.world.trafficProfiles.set(key(id), profile);
        ctx.emitFor(req, {
          kind: 'write',
          resourceUri: id,
          operationName: 'Microsoft.Network/trafficManagerProfiles/write',
          existed: existing !== undefined,
        });
        return json(existing ? 200 : 201, renderTrafficProfile(ctx, profile, true));
      },
    },
    {
      operation: 'trafficManagerProfiles.update',
      method: 'PATCH',
      pattern: PROFILE,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const stored = requireProfile(ctx, p, false);
        const body = parse(ProfileBody, req.body);
        // Changes are made on a draft and kept only when the whole request is valid: a refused PATCH changes nothing.
        const profile: TrafficProfileRecord = {
          ...stored,
          tags: body.tags ? { ...body.tags } : stored.tags,
          endpoints: new Map(stored.endpoints),
        };
        applyProfileProps(ctx, profile, body.properties, false);
        stored.tags = profile.tags;
        stored.properties = profile.properties;
        stored.endpoints.clear();
        for (const [k, e] of profile.endpoints) stored.endpoints.set(k, e);
        ctx.emitFor(req, {
          kind: 'write',
          resourceUri: profile.id,
          operationName: 'Microsoft.Network/trafficManagerProfiles/write',
          existed: true,
        });
        return json(200, renderTrafficProfile(ctx, profile, true));
      },
    },
    {
      operation: 'trafficManagerProfiles.delete',
      method: 'DELETE',
      pattern: PROFILE,
      apiVersions: v,
      handle: (req, p, ctx) => {
        requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
        const id = profileId(p);
        const profile = ctx.world.trafficProfiles.get(key(id));
        if (!profile) return empty(204);
        ctx.world.trafficProfiles.delete(key(id));
        ctx.emitFor(req, {
          kind: 'delete',
          resourceUri: profile.id,
          operationName: 'Microsoft.Network/trafficManagerProfiles/delete',
          existed: true,
        });
        return json(200, DELETED);
      },
    },
    {
      operation: 'trafficManagerEndpoints.get',
      method: 'GET',
      pattern: ENDPOINT,
      apiVersions: v,
      endpointTypeParam: 'endpointType',
      handle: (_req, p, ctx) => {
        const profile = requireProfile(ctx, p, true);
        const segment = segmentOf(p);
        const endpoint = profile.endpoints.get((p['endpointName'] ?? '').toLowerCase());
        if (endpoint?.typeSegment !== segment) {
          throw resourceNotFound(
            `Microsoft.Network/trafficManagerProfiles/${profile.name}/${segment}/${p['endpointName'] ?? ''}`,
            p['resourceGroupName'],
          );
        }
        return json(200, renderEndpoint(ctx, profile, endpoint, true));
      },
    },
    {
      operation: 'trafficManagerEndpoints.createOrUpdate',
      method: 'PUT',
      pattern: ENDPOINT,
      apiVersions: v,
      endpointTypeParam: 'endpointType',
      handle: (req, p, ctx) => {
        const profile = requireProfile(ctx, p, true);
        const segment = segmentOf(p);
        const name = p['endpointName'] ?? '';
        if (name.length < 1 || name.length > 260)
          throw badRequest('BadRequest', `The endpoint name '${name}' must be 1-260 characters.`, 'name');
        const body = parse(EndpointBody, req.body);
        const existing = profile.endpoints.get(name.toLowerCase());
        if (existing && existing.typeSegment !== segment) {
          throw new ArmError(
            400,
            'BadRequest',
            `An endpoint named '${existing.name}' of type '${existing.typeSegment}' already exists in profile '${profile.name}'.`,
          );
        }
        if (!existing && profile.endpoints.size >= MAX_ENDPOINTS_PER_PROFILE) {
          throw endpointLimitExceeded(profile, profile.endpoints.size + 1);
        }
        const endpoint = buildEndpoint(ctx, profile, segment, existing?.name ?? name, body.properties, existing);
        profile.endpoints.set(name.toLowerCase(), endpoint);
        ctx.emitFor(req, {
          kind: 'write',
          resourceUri: endpoint.id,
          operationName: `Microsoft.Network/trafficManagerProfiles/${segment}/write`,
          existed: existing !== undefined,
        });
        return json(existing ? 200 : 201, renderEndpoint(ctx, profile, endpoint, true));
      },
    },
    {
      operation: 'trafficManagerEndpoints.update',
      method: 'PATCH',
      pattern: ENDPOINT,
      apiVersions: v,
      endpointTypeParam: 'endpointType',
      handle: (req, p, ctx) => {
        const profile = requireProfile(ctx, p, true);
        const segment = segmentOf(p);
        const name = p['endpointName'] ?? '';
        const existing = profile.endpoints.get(name.toLowerCase());
        if (existing?.typeSegment !== segment) {
          throw resourceNotFound(
            `Microsoft.Network/trafficManagerProfiles/${profile.name}/${segment}/${name}`,
            p['resourceGroupName'],
          );
        }
        const body = parse(EndpointBody, req.body);
        const merged = { ...existing.properties, ...jsonObject(body.properties) };
        const endpoint = buildEndpoint(ctx, profile, segment, existing.name, merged, existing);
        profile.endpoints.set(name.toLowerCase(), endpoint);
        ctx.emitFor(req, {
          kind: 'write',
          resourceUri: endpoint.id,
          operationName: `Microsoft.Network/trafficManagerProfiles/${segment}/write`,
          existed: true,
        });
        return json(200, renderEndpoint(ctx, profile, endpoint, true));
      },
    },
    {
      operation: 'trafficManagerEndpoints.delete',
      method: 'DELETE',
      pattern: ENDPOINT,
      apiVersions: v,
      endpointTypeParam: 'endpointType',
      handle: (req, p, ctx) => {
        const profile = requireProfile(ctx, p, true);
        const segment = segmentOf(p);
        const name = p['endpointName'] ?? '';
        const existing = profile.endpoints.get(name.toLowerCase());
        if (existing?.typeSegment !== segment) return empty(204);
        profile.endpoints.delete(name.toLowerCase());
        ctx.emitFor(req, {
          kind: 'delete',
          resourceUri: existing.id,
          operationName: `Microsoft.Network/trafficManagerProfiles/${segment}/delete`,
          existed: true,
        });
        return json(200, DELETED);
      },
    },
  ];
}
