/**
 * The one place that decides how every Azure SDK client of the gateways talks to ARM: endpoint, credential and scope,
 * the certificate trusted for that endpoint only (`tlsOptions.ca`, never process-wide), the user agent, the retry
 * policy, and the fleetmesh policy that paces and counts each attempt.
 *
 * Retries are the Azure pipeline's default retry policy: a 429 or 503 with `Retry-After` is retried after exactly
 * that delay (throttling strategy), other 5xx/408 and transport errors with exponential back-off, at most
 * `RETRY_OPTIONS.maxRetries` times; after that the last response (or error) surfaces and the gateway maps it to an
 * AzureApiError carrying status, ARM code and `Retry-After`.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy, PipelineResponse } from '@azure/core-rest-pipeline';
import type { Logger } from '../log.js';
import type { ArmCallRecorder } from './callContext.js';
import { parseRetryAfterMs } from './errorMapping.js';
import {
  remainingHeaderOf,
  requestClassOf,
  trafficManagerGroupOf,
  type ProviderGates,
  type RequestPacer,
} from './pacing.js';

export const USER_AGENT_PREFIX = 'fleetmesh';
export const ARM_POLICY_NAME = 'fleetmeshArmPolicy';

/** Bounded retries; delays for 429/503 come from `Retry-After`, the rest back off exponentially from 500 ms. */
export const RETRY_OPTIONS = { maxRetries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 } as const;

/** A credential that always returns the configured token (simulator only: `FLEETMESH_ARM_AUTH=static`). */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: () => Promise.resolve({ token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 }),
  };
}

/** The AAD scope of an ARM endpoint: `https://management.azure.com/.default` for the public cloud. */
export function armScope(endpoint: string): string {
  return `${new URL(endpoint).origin}/.default`;
}

/**
 * Paces each attempt (token bucket per request class, write concurrency cap), counts it under the gateway operation
 * of the async context, counts 429s, feeds ARM's remaining-requests headers back to the pacer, and keeps responses
 * for callers that asked for them. It sits after signing, so it sees every retry.
 */
export function armCallPolicy(
  recorder: ArmCallRecorder,
  pacer: RequestPacer,
  logger: Logger,
  gates?: ProviderGates,
): PipelinePolicy {
  return {
    name: ARM_POLICY_NAME,
    sendRequest: async (request, next) => {
      const call = recorder.currentCall();
      const cls = requestClassOf(request.method);
      const field = cls === 'reads' ? 'reads' : 'writes';
      // Traffic Manager's own limits first, so a wait there holds no slot of ARM's write concurrency.
      const provider = gates ? trafficManagerGroupOf(request.method, request.url) : undefined;
      if (gates && provider) await gates.pass(provider.subscriptionId, provider.group);
      return pacer.run(cls, async () => {
        let response: PipelineResponse;
        try {
          response = await next(request);
        } catch (error) {
          call.count(field);
          throw error;
        }
        call.count(field);
        if (response.status === 429) {
          call.count('throttled');
          logger.warn('ARM throttled a request', {
            operation: call.operation,
            method: request.method,
            retryAfterMs: parseRetryAfterMs(response.headers.get('retry-after')),
          });
        }
        const remaining = response.headers.get(remainingHeaderOf(cls));
        if (remaining !== undefined && /^\d+$/.test(remaining.trim())) pacer.observe(cls, Number(remaining));
        call.see({
          status: response.status,
          headers: response.headers.toJSON(),
          bodyAsText: response.bodyAsText ?? undefined,
        });
        return response;
      });
    },
  };
}

export interface ArmConnection {
  readonly endpoint: string;
  readonly credential: TokenCredential;
  readonly scope: string;
  /** PEM trusted for this endpoint only. */
  readonly ca: string | undefined;
  readonly policy: PipelinePolicy;
}

/** Pipeline options shared by every client (`@azure/core-client` and `@azure-rest/core-client` alike). */
export function pipelineOptions(connection: ArmConnection): {
  endpoint: string;
  tlsOptions?: { ca: string };
  userAgentOptions: { userAgentPrefix: string };
  retryOptions: { maxRetries: number; retryDelayInMs: number; maxRetryDelayInMs: number };
  additionalPolicies: { policy: PipelinePolicy; position: 'perRetry' }[];
} {
  return {
    endpoint: connection.endpoint,
    ...(connection.ca === undefined ? {} : { tlsOptions: { ca: connection.ca } }),
    userAgentOptions: { userAgentPrefix: USER_AGENT_PREFIX },
    retryOptions: { ...RETRY_OPTIONS },
    additionalPolicies: [{ policy: connection.policy, position: 'perRetry' }],
  };
}
