/**
 * Signalling a profile's reconciler: raise `Reconcile` on its fixed instance, starting it first when it is not
 * running. getStatus throws on 404 (durable-functions v3); startNew fails when another caller started the instance a
 * moment earlier (the extension refuses to replace a running instance), in which case the event is raised instead.
 */
import { OrchestrationRuntimeStatus, type DurableClient } from 'durable-functions';
import type { ReconcileSignal } from '../../orchestrations/contracts.js';
import { Events, Orchestrations, reconcilerInstanceId } from '../../orchestrations/names.js';
import { ensureError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

const RUNNING: ReadonlySet<OrchestrationRuntimeStatus> = new Set([
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.ContinuedAsNew,
  OrchestrationRuntimeStatus.Suspended,
]);

export async function signalReconciler(
  client: DurableClient,
  profile: string,
  signal: ReconcileSignal,
  logger: Logger,
): Promise<'started' | 'signalled'> {
  const instanceId = reconcilerInstanceId(profile);
  if (!(await isRunning(client, instanceId))) {
    try {
      await client.startNew(Orchestrations.meshReconciler, { instanceId, input: { profile, signals: [signal] } });
      logger.info('reconciler started', { mesh: profile, signal: signal.kind });
      return 'started';
    } catch (e) {
      if (!(await isRunning(client, instanceId))) throw e;
      // Started concurrently by another trigger: fall through and signal it.
    }
  }
  await client.raiseEvent(instanceId, Events.reconcile, signal);
  logger.info('reconciler signalled', { mesh: profile, signal: signal.kind });
  return 'signalled';
}

/**
 * `signalReconciler` for work already recorded in Cosmos DB (an operator's Pending apply), which the reconciler finds
 * by itself at its next cycle: a failed wake-up is logged and its reason returned instead of thrown.
 */
export async function wakeReconciler(
  client: DurableClient,
  profile: string,
  signal: ReconcileSignal,
  logger: Logger,
): Promise<{ readonly woken: true } | { readonly woken: false; readonly reason: string }> {
  try {
    await signalReconciler(client, profile, signal, logger);
    return { woken: true };
  } catch (e) {
    const error = ensureError(e);
    logger.warn('reconciler not signalled; the recorded work waits for its next cycle', { mesh: profile, error });
    return { woken: false, reason: error.message };
  }
}

async function isRunning(client: DurableClient, instanceId: string): Promise<boolean> {
  try {
    const status = await client.getStatus(instanceId);
    return RUNNING.has(status.runtimeStatus);
  } catch (e) {
    if (e instanceof Error && /404/.test(e.message)) return false;
    throw e;
  }
}
