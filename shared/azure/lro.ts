/**
 * Long-running operations as the gateways expose them: `begin*` returns a serialisable `LroState` (the
 * `@azure/core-lro` poller state string), `poll*` restores a poller from it and polls exactly once, `*AndWait` loops
 * `poll*` honouring `Retry-After`.
 *
 * The preview fleet API is reached through `@azure-rest/core-client`, so its pollers are `createHttpPoller` over a
 * `RunningOperation` adapter (this file). Managed clusters use the modular client's own poller and `restorePoller`
 * (./clusters.ts).
 */
import type { Client, PathUncheckedResponse } from '@azure-rest/core-client';
import {
  createHttpPoller,
  deserializeState,
  type OperationResponse,
  type OperationState,
  type ResourceLocationConfig,
  type RunningOperation,
} from '@azure/core-lro';
import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '../errors.js';
import { AzureApiError } from './errors.js';
import { armErrorOf, azureErrorFromResponse, parseRetryAfterMs } from './errorMapping.js';
import type { LroPoll, LroState } from './gateways.js';

export type LroKind = LroState['kind'];

/**
 * One poll. `next` is the serialised poller state to resume from; a failure carries the HTTP status of the answer
 * that reported it (for `*AndWait`'s error).
 */
export type LroStep<T> =
  | { readonly status: 'running'; readonly next: string; readonly retryAfterMs: number | undefined }
  | { readonly status: 'succeeded'; readonly result: T }
  | {
      readonly status: 'failed';
      readonly error: { readonly code: string; readonly message: string };
      readonly httpStatus: number;
    };

/** The public form of a step: a running step's state wrapped as the LroState of `kind` on `resourceId`. */
export function toLroPoll<T>(kind: LroKind, resourceId: string, step: LroStep<T>): LroPoll<T> {
  switch (step.status) {
    case 'failed':
      return { status: 'failed', error: step.error };
    case 'running':
      return { status: 'running', next: { kind, resourceId, state: step.next }, retryAfterMs: step.retryAfterMs };
    default:
      return step;
  }
}

/**
 * Checks an LroState handed back by a caller: the right kind, a poller state that parses, and every URL in it on the
 * configured ARM endpoint (the poller sends the bearer token to those URLs).
 */
export function checkLroState(state: LroState, kind: LroKind, endpoint: string): void {
  if (state.kind !== kind) {
    throw new ValidationError(`expected a '${kind}' operation state, got '${state.kind}'`);
  }
  let parsed: unknown;
  try {
    parsed = deserializeState(state.state);
  } catch {
    throw new ValidationError(`the '${kind}' operation state of ${state.resourceId} is not a poller state`);
  }
  const config: unknown = parsed !== null && typeof parsed === 'object' ? Reflect.get(parsed, 'config') : undefined;
  if (config === null || typeof config !== 'object') {
    throw new ValidationError(`the '${kind}' operation state of ${state.resourceId} has no poller configuration`);
  }
  const origin = new URL(endpoint).origin;
  for (const key of ['initialRequestUrl', 'operationLocation', 'resourceLocation']) {
    const url: unknown = Reflect.get(config, key);
    if (url === undefined) continue;
    if (typeof url !== 'string' || !sameOrigin(url, origin)) {
      throw new ValidationError(`the '${kind}' operation state points outside the ARM endpoint ${origin} (${key})`);
    }
  }
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url, origin).origin === origin;
  } catch {
    return false;
  }
}

/** Polls until the operation ends, waiting `Retry-After` (or `intervalMs` without one) between polls. */
export async function waitForLro<T>(
  first: string,
  pollOnce: (state: string) => Promise<LroStep<T>>,
  intervalMs: number,
  operation: string,
  resourceId: string,
): Promise<T> {
  let state = first;
  for (;;) {
    const step = await pollOnce(state);
    if (step.status === 'succeeded') return step.result;
    if (step.status === 'failed') {
      throw new AzureApiError({
        statusCode: step.httpStatus,
        armCode: step.error.code,
        message: step.error.message,
        operation,
        resourceId,
      });
    }
    const wait = step.retryAfterMs !== undefined && step.retryAfterMs > 0 ? step.retryAfterMs : intervalMs;
    await sleep(wait);
    state = step.next;
  }
}

/** `@azure/core-lro` over the REST client: begin (initial request) and poll-once from a serialised state. */
export class RestLro {
  private readonly client: Client;
  private readonly operation: string;

  constructor(client: Client, operation: string) {
    this.client = client;
    this.operation = operation;
  }

  /** Sends the initial request and returns the serialised poller state (terminal already if the answer was). */
  async begin(
    resourceId: string,
    send: () => PromiseLike<PathUncheckedResponse>,
    resourceLocationConfig: ResourceLocationConfig,
  ): Promise<string> {
    const poller = createHttpPoller<unknown, OperationState<unknown>>(this.adapter(resourceId, [], send), {
      resourceLocationConfig,
      resolveOnUnsuccessful: true,
      processResult: (body) => Promise.resolve(body),
    });
    await poller.submitted();
    return poller.serialize();
  }

  /** Restores the poller and polls once; `parse` turns the final body into the result. */
  async pollOnce<T>(resourceId: string, state: string, parse: (body: unknown) => T): Promise<LroStep<T>> {
    const seen: PathUncheckedResponse[] = [];
    const poller = createHttpPoller<unknown, OperationState<unknown>>(
      this.adapter(resourceId, seen, () => {
        throw new Error('a restored poller does not send the initial request again');
      }),
      { restoreFrom: state, resolveOnUnsuccessful: true, processResult: (body) => Promise.resolve(body) },
    );
    const after = await poller.poll();
    const last = seen[seen.length - 1];
    switch (after.status) {
      case 'succeeded':
        return { status: 'succeeded', result: parse(after.result) };
      case 'failed':
      case 'canceled': {
        const arm = armErrorOf(last?.body) ?? armErrorOf(after.result);
        const canceled = after.status === 'canceled';
        return {
          status: 'failed',
          error: {
            code: arm?.code ?? (canceled ? 'Canceled' : 'OperationFailed'),
            message: arm?.message ?? `the long-running operation on ${resourceId} ended ${after.status}`,
          },
          // Without a poll answer, the initial (2xx) answer already reported the end.
          httpStatus: last ? Number(last.status) : 200,
        };
      }
      default:
        return {
          status: 'running',
          next: await poller.serialize(),
          retryAfterMs: parseRetryAfterMs(last?.headers['retry-after']),
        };
    }
  }

  private adapter(
    resourceId: string,
    seen: PathUncheckedResponse[],
    send: () => PromiseLike<PathUncheckedResponse>,
  ): RunningOperation {
    const check = (response: PathUncheckedResponse): OperationResponse => {
      const status = Number(response.status);
      if (!(status >= 200 && status < 300)) {
        throw azureErrorFromResponse(
          { status, header: (name) => response.headers[name.toLowerCase()], body: response.body },
          this.operation,
          resourceId,
        );
      }
      seen.push(response);
      const body: unknown = response.body;
      return {
        flatResponse: body,
        rawResponse: {
          statusCode: status,
          headers: response.headers,
          body,
          request: { method: response.request.method, url: response.request.url },
        },
      };
    };
    return {
      sendInitialRequest: async () => check(await send()),
      sendPollRequest: async (path, options) =>
        check(await this.client.pathUnchecked(path).get({ abortSignal: options?.abortSignal })),
    };
  }
}
