/**
 * ClusterGateway: AKS managed clusters through `@azure/arm-containerservice` 25.3.0 (modular client, its default
 * api-version 2026-04-01), one client per subscription.
 *
 * Reconcile is what `az aks update` with no arguments does (reference §4): GET the cluster, PUT the same model back
 * with `If-Match` on its eTag, and wait for the long-running operation. The SDK's serializer already leaves out the
 * read-only fields (`provisioningState`, `currentKubernetesVersion`, `powerState`, `fqdn`, `eTag`, ids, ...), so the
 * model read is sent as is. `beginReconcile` returns the poller's serialised state; `pollReconcile` restores it with
 * the client's `restorePoller` and polls once.
 */
import {
  ContainerServiceClient,
  restorePoller,
  type ManagedCluster as SdkManagedCluster,
} from '@azure/arm-containerservice';
import { isRestError } from '@azure/core-rest-pipeline';
import { parseResourceId } from '../arm/resourceId.js';
import { ValidationError } from '../errors.js';
import { ManagedClusterSchema, parseArmResource, type ManagedCluster } from '../models/index.js';
import type { SeenResponse } from './callContext.js';
import { armErrorOf, parseRetryAfterMs } from './errorMapping.js';
import type { ClusterGateway, LroState } from './gateways.js';
import { checkLroState, toLroPoll, waitForLro, type LroStep } from './lro.js';
import { ArmOperation as Op } from './operations.js';
import { pipelineOptions } from './pipeline.js';
import { perSubscription, type GatewayRuntime } from './runtime.js';

interface ClusterTarget {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

function clusterTarget(id: string): ClusterTarget {
  const parsed = parseResourceId(id);
  if (parsed.fullType?.toLowerCase() !== 'microsoft.containerservice/managedclusters' || !parsed.resourceGroup) {
    throw new ValidationError(`not a managed cluster id: '${id}'`);
  }
  return { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.name };
}

export function createClusterGateway(runtime: GatewayRuntime): ClusterGateway {
  const { connection } = runtime;
  const clientFor = perSubscription(
    (subscriptionId) =>
      new ContainerServiceClient(connection.credential, subscriptionId, {
        ...pipelineOptions(connection),
        credentials: { scopes: [connection.scope] },
      }),
  );

  const read = async (id: string): Promise<SdkManagedCluster> => {
    const t = clusterTarget(id);
    return runtime.call(Op.managedClustersGet, id, () =>
      clientFor(t.subscriptionId).managedClusters.get(t.resourceGroup, t.name),
    );
  };
  const parse = (cluster: unknown): ManagedCluster =>
    parseArmResource(ManagedClusterSchema, 'managed cluster', cluster);

  const beginReconcile = async (id: string): Promise<LroState> => {
    const t = clusterTarget(id);
    return runtime.call(Op.managedClustersPut, id, async () => {
      const cluster = await read(id);
      const poller = clientFor(t.subscriptionId).managedClusters.createOrUpdate(t.resourceGroup, t.name, cluster, {
        ...(cluster.eTag === undefined ? {} : { ifMatch: cluster.eTag }),
      });
      await poller.submitted();
      return { kind: 'clusterReconcile' as const, resourceId: id, state: await poller.serialize() };
    });
  };

  const pollStep = async (state: LroState): Promise<LroStep<ManagedCluster>> => {
    checkLroState(state, 'clusterReconcile', connection.endpoint);
    const t = clusterTarget(state.resourceId);
    const client = clientFor(t.subscriptionId);
    const seen: SeenResponse[] = [];
    return runtime.call(Op.managedClustersPut, state.resourceId, () =>
      runtime.recorder.withOperation(
        Op.managedClustersPut,
        async (): Promise<LroStep<ManagedCluster>> => {
          const poller = restorePoller(client, state.state, client.managedClusters.createOrUpdate);
          try {
            await poller.poll();
          } catch (error) {
            // The poller throws its own (non-HTTP) error when the operation ended Failed or Canceled.
            const status = poller.operationState?.status;
            if (isRestError(error) || (status !== 'failed' && status !== 'canceled')) throw error;
          }
          const last = seen[seen.length - 1];
          const after = poller.operationState;
          switch (after?.status) {
            case 'succeeded':
              return { status: 'succeeded', result: parse(poller.result) };
            case 'failed':
            case 'canceled': {
              const arm = armErrorOf(last?.bodyAsText);
              return {
                status: 'failed',
                error: {
                  code: arm?.code ?? (after.status === 'canceled' ? 'Canceled' : 'OperationFailed'),
                  message: arm?.message ?? `reconciling ${state.resourceId} ended ${after.status}`,
                },
                // Without a poll answer, the initial (2xx) answer already reported the end.
                httpStatus: last?.status ?? 200,
              };
            }
            default:
              return {
                status: 'running',
                next: await poller.serialize(),
                retryAfterMs: parseRetryAfterMs(last?.headers['retry-after']),
              };
          }
        },
        seen,
      ),
    );
  };

  return {
    async getCluster(id) {
      return parse(await read(id));
    },

    beginReconcile,

    async pollReconcile(state) {
      return toLroPoll('clusterReconcile', state.resourceId, await pollStep(state));
    },

    async reconcileAndWait(id) {
      return runtime.call(Op.managedClustersPut, id, async () => {
        const begun = await beginReconcile(id);
        return waitForLro(
          begun.state,
          (s) => pollStep({ ...begun, state: s }),
          runtime.pollIntervalMs,
          Op.managedClustersPut,
          id,
        );
      });
    },
  };
}
