/**
 * Microsoft.ContainerService/managedClusters: GET, and PUT as a long-running operation (`Azure-AsyncOperation`,
 * provisioningState `Updating`/`Creating` until it completes). A PUT of the GET model is what `az aks update` with no
 * arguments does (reconcile); when it completes, a pending clustermesh-apiserver load balancer is retried.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SimContext } from '../context.js';
import { badRequest, conflict, resourceNotFound } from '../http/errors.js';
import { checkPreconditions, json, type ArmRequest } from '../http/request.js';
import type { Params, RouteDefinition } from '../http/router.js';
import {
  cloneJson,
  isJsonObject,
  key,
  newQuotedEtag,
  systemDataFor,
  type ClusterRecord,
  type JsonObject,
  type JsonValue,
} from '../world.js';
import { parseBody, requireResourceGroup, Tags } from './common.js';

/**
 * The stable api-versions `@azure/arm-containerservice` 25.3.0 lists (`KnownVersions`; it sends the last, its
 * default): one model serves them all, so they share the fields the simulator renders (`networkProfile` with
 * `networkDataplane` and `advancedNetworking`, `currentKubernetesVersion`, `identity`, agent pools with `podSubnetID`).
 * A client pinned to one of them (or `az aks`, which sends a recent stable one) is answered as ARM would; previews and
 * older versions are refused (400 `NoRegisteredProviderFound`), so a pin the simulator cannot vouch for shows up.
 */
export const MANAGED_CLUSTER_API_VERSIONS = [
  '2025-10-01',
  '2026-01-01',
  '2026-02-01',
  '2026-03-01',
  '2026-04-01',
] as const;

const CLUSTER =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName}';

/** Read-only fields of `properties` the simulator computes (dropped from a PUT body). */
const READ_ONLY = [
  'provisioningState',
  'powerState',
  'currentKubernetesVersion',
  'fqdn',
  'privateFQDN',
  'azurePortalFQDN',
  'maxAgentPools',
  'identityProfile',
  'resourceUID',
];
const POOL_READ_ONLY = ['provisioningState', 'powerState', 'currentOrchestratorVersion', 'nodeImageVersion', 'eTag'];

const PutBody = z.object({
  location: z.string().min(1),
  tags: Tags.nullish(),
  identity: z
    .object({ type: z.enum(['SystemAssigned', 'UserAssigned', 'None']).optional() })
    .loose()
    .nullish(),
  properties: z.record(z.string(), z.json()),
});

function clusterId(p: Params): string {
  return `/subscriptions/${p['subscriptionId'] ?? ''}/resourceGroups/${p['resourceGroupName'] ?? ''}/providers/Microsoft.ContainerService/managedClusters/${p['resourceName'] ?? ''}`;
}

export function renderCluster(cluster: ClusterRecord, tenantId: string): Record<string, unknown> {
  const props = cloneJson(cluster.properties);
  const pools = Array.isArray(props['agentPoolProfiles']) ? props['agentPoolProfiles'] : [];
  const k8s =
    typeof props['kubernetesVersion'] === 'string' ? props['kubernetesVersion'] : cluster.currentKubernetesVersion;
  props['agentPoolProfiles'] = pools.map((pool): JsonValue => {
    if (!isJsonObject(pool)) return pool;
    return {
      ...pool,
      orchestratorVersion: typeof pool['orchestratorVersion'] === 'string' ? pool['orchestratorVersion'] : k8s,
      currentOrchestratorVersion: cluster.currentKubernetesVersion,
      provisioningState: cluster.provisioningState,
      powerState: { code: cluster.powerState },
    };
  });
  return {
    id: cluster.id,
    name: cluster.name,
    type: 'Microsoft.ContainerService/ManagedClusters',
    location: cluster.location,
    tags: cluster.tags,
    eTag: cluster.eTag,
    systemData: cluster.systemData,
    sku: { name: 'Base', tier: 'Standard' },
    identity: { type: 'SystemAssigned', principalId: cluster.identityPrincipalId, tenantId },
    properties: {
      provisioningState: cluster.provisioningState,
      powerState: { code: cluster.powerState },
      ...props,
      currentKubernetesVersion: cluster.currentKubernetesVersion,
      fqdn: cluster.fqdn,
      nodeResourceGroup: cluster.nodeResourceGroup,
      identityProfile: { kubeletidentity: { ...cluster.kubelet } },
    },
  };
}

function writableProperties(props: Record<string, JsonValue>): JsonObject {
  const out: JsonObject = {};
  for (const [k, value] of Object.entries(props)) {
    if (READ_ONLY.includes(k) || k === 'nodeResourceGroup') continue;
    if (k === 'agentPoolProfiles' && Array.isArray(value)) {
      out[k] = value.map((pool): JsonValue => {
        if (!isJsonObject(pool)) return pool;
        return Object.fromEntries(Object.entries(pool).filter(([pk]) => !POOL_READ_ONLY.includes(pk)));
      });
      continue;
    }
    out[k] = value;
  }
  return out;
}

/** The patch version a requested `kubernetesVersion` resolves to. */
function resolveVersion(requested: string | undefined, current: string): string {
  if (requested === undefined) return current;
  if (/^\d+\.\d+\.\d+$/.test(requested)) return requested;
  const minor = /^(\d+\.\d+)$/.exec(requested)?.[1];
  if (minor === undefined) return current;
  return current.startsWith(`${minor}.`) ? current : `${minor}.0`;
}

function startPut(
  ctx: SimContext,
  req: ArmRequest,
  cluster: ClusterRecord,
  existed: boolean,
): { status: number; headers: Record<string, string> } {
  const duration = ctx.settings.timing.clusterReconcileMs;
  const op = ctx.operations.start({
    namespace: 'Microsoft.ContainerService',
    location: cluster.location,
    resourceId: cluster.id,
    principalId: req.principal.objectId,
    subscriptionId: ctx.world.subscriptionId,
    statusSegment: 'operations',
    expectedDurationMs: duration,
    result: () => json(200, renderCluster(cluster, ctx.world.tenantId)),
    onComplete: () => {
      ctx.emitFor(req, {
        kind: 'write',
        resourceUri: cluster.id,
        operationName: 'Microsoft.ContainerService/managedClusters/write',
        existed,
      });
    },
  });
  cluster.busyWith = op.id;
  cluster.provisioningState = existed ? 'Updating' : 'Creating';
  cluster.eTag = newQuotedEtag();
  cluster.systemData = systemDataFor(req.principal, ctx.clock.nowIso(), existed ? cluster.systemData : undefined);
  const requested =
    typeof cluster.properties['kubernetesVersion'] === 'string' ? cluster.properties['kubernetesVersion'] : undefined;
  ctx.clock.schedule(duration, () => {
    cluster.busyWith = undefined;
    cluster.provisioningState = 'Succeeded';
    cluster.currentKubernetesVersion = resolveVersion(requested, cluster.currentKubernetesVersion);
    cluster.eTag = newQuotedEtag();
    ctx.hooks.onClusterReconciled(key(cluster.id));
    ctx.operations.complete(op, { status: 'Succeeded' });
  });
  return {
    status: existed ? 200 : 201,
    headers: ctx.operations.headers(op, req.baseUrl, req.apiVersion, { asyncOperation: true, location: false }),
  };
}

export function clusterRoutes(): RouteDefinition[] {
  const v = MANAGED_CLUSTER_API_VERSIONS;
  return [
    {
      operation: 'managedClusters.get',
      method: 'GET',
      pattern: CLUSTER,
      apiVersions: v,
      handle: (_req, p, ctx) => {
        requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
        const cluster = ctx.world.clusters.get(key(clusterId(p)));
        if (!cluster)
          throw resourceNotFound(
            `Microsoft.ContainerService/managedClusters/${p['resourceName'] ?? ''}`,
            p['resourceGroupName'],
          );
        return json(200, renderCluster(cluster, ctx.world.tenantId));
      },
    },
    {
      operation: 'managedClusters.createOrUpdate',
      method: 'PUT',
      pattern: CLUSTER,
      apiVersions: v,
      handle: (req, p, ctx) => {
        const rg = requireResourceGroup(ctx, p['subscriptionId'] ?? '', p['resourceGroupName'] ?? '');
        const id = clusterId(p);
        const existing = ctx.world.clusters.get(key(id));
        checkPreconditions(req, existing?.eTag, `managed cluster '${p['resourceName'] ?? ''}'`);
        const body = parseBody(PutBody, req.body);
        if (existing) {
          if (existing.busyWith) {
            throw conflict(
              'OperationNotAllowed',
              `Operation is not allowed because there's an in progress update managed cluster operation (${existing.busyWith}). Please wait for it to finish before starting a new operation.`,
            );
          }
          if (body.location.toLowerCase().replace(/\s/g, '') !== existing.location.toLowerCase()) {
            throw badRequest(
              'BadRequest',
              `The location of managed cluster '${existing.name}' cannot be changed from '${existing.location}' to '${body.location}'.`,
              'location',
            );
          }
          existing.properties = writableProperties(body.properties);
          if (body.tags) existing.tags = { ...body.tags };
          const started = startPut(ctx, req, existing, true);
          return json(started.status, renderCluster(existing, ctx.world.tenantId), started.headers);
        }
        const name = p['resourceName'] ?? '';
        if (!/^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$/.test(name)) {
          throw badRequest('InvalidResourceName', `The managed cluster name '${name}' is invalid.`, 'name');
        }
        const location = body.location.toLowerCase().replace(/\s/g, '');
        const principalId = randomUUID();
        ctx.world.principals.set(principalId, {
          objectId: principalId,
          name: `${name}-identity`,
          kind: 'ManagedIdentity',
          clientId: randomUUID(),
          token: undefined,
        });
        const nodeResourceGroup = `MC_${rg.name}_${name}_${location}`;
        const props = writableProperties(body.properties);
        const requested = typeof props['kubernetesVersion'] === 'string' ? props['kubernetesVersion'] : '1.33.0';
        const cluster: ClusterRecord = {
          id,
          name,
          resourceGroup: rg.name,
          location,
          tags: body.tags ? { ...body.tags } : {},
          properties: props,
          currentKubernetesVersion: resolveVersion(requested, '1.33.0'),
          nodeResourceGroup,
          identityPrincipalId: principalId,
          kubelet: {
            resourceId: `/subscriptions/${ctx.world.subscriptionId}/resourceGroups/${nodeResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}-agentpool`,
            clientId: randomUUID(),
            objectId: randomUUID(),
          },
          fqdn: `${name}-dns-${randomUUID().slice(0, 8)}.hcp.${location}.azmk8s.io`,
          provisioningState: 'Creating',
          powerState: 'Running',
          eTag: newQuotedEtag(),
          systemData: systemDataFor(req.principal, ctx.clock.nowIso()),
          meshLoadBalancer: 'none',
          meshLoadBalancerError: undefined,
          busyWith: undefined,
        };
        ctx.world.clusters.set(key(id), cluster);
        const started = startPut(ctx, req, cluster, false);
        return json(started.status, renderCluster(cluster, ctx.world.tenantId), started.headers);
      },
    },
  ];
}
