/**
 * What every gateway implementation is built from: the ARM connection, the call recorder, and `call`, which runs one
 * gateway operation (attributing its HTTP attempts to the operation name), maps failures to AzureApiError and counts
 * the failures that are not an expected answer.
 */
import type { Logger } from '../log.js';
import type { ArmCallRecorder } from './callContext.js';
import { AzureApiError } from './errors.js';
import { toAzureApiError } from './errorMapping.js';
import type { ArmConnection } from './pipeline.js';

export interface GatewayRuntime {
  readonly connection: ArmConnection;
  /** The fleet's subscription: for calls whose input names none (tenant-level role definition ids). */
  readonly defaultSubscriptionId: string;
  readonly recorder: ArmCallRecorder;
  readonly logger: Logger;
  /** Wait between LRO polls in `*AndWait` when the service sent no (or a zero) `Retry-After`. */
  readonly pollIntervalMs: number;
  /**
   * Runs `fn` as gateway operation `operation`. A failure is mapped to AzureApiError; `recover` may turn an expected
   * failure into a value (`{ value }`), which is then not counted as an error.
   */
  call<T>(
    operation: string,
    resourceId: string | undefined,
    fn: () => Promise<T>,
    recover?: (error: AzureApiError) => { value: T } | undefined,
  ): Promise<T>;
}

export function createRuntime(init: {
  readonly connection: ArmConnection;
  readonly defaultSubscriptionId: string;
  readonly recorder: ArmCallRecorder;
  readonly logger: Logger;
  readonly pollIntervalMs: number;
}): GatewayRuntime {
  const { recorder } = init;
  // An error already counted by an inner call (updateMemberLabels reads the member first) is not counted again.
  const counted = new WeakSet<Error>();
  return {
    ...init,
    async call(operation, resourceId, fn, recover) {
      try {
        return await recorder.withOperation(operation, fn);
      } catch (error) {
        const mapped = toAzureApiError(error, operation, resourceId);
        if (recover && mapped instanceof AzureApiError) {
          const recovered = recover(mapped);
          if (recovered) return recovered.value;
        }
        if (!counted.has(mapped)) {
          counted.add(mapped);
          recorder.count(operation, 'errors');
        }
        throw mapped;
      }
    },
  };
}

/** One SDK client per subscription id (resource ids may name any subscription), created on first use. */
export function perSubscription<T>(create: (subscriptionId: string) => T): (subscriptionId: string) => T {
  const clients = new Map<string, T>();
  return (subscriptionId) => {
    const key = subscriptionId.toLowerCase();
    let client = clients.get(key);
    if (client === undefined) {
      client = create(subscriptionId);
      clients.set(key, client);
    }
    return client;
  };
}
