/**
 * Turns what the Azure SDK clients throw (RestError from the pipeline or the deserializer) and the non-2xx responses
 * of the REST client into `AzureApiError`: HTTP status (0 when no response arrived), the ARM error code of the
 * envelope `{"error":{"code","message"}}` (reference §8), the message, the gateway operation, the resource id and
 * `Retry-After`.
 */
import { isRestError, type RestError } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import { FleetMeshError } from '../errors.js';
import { AzureApiError } from './errors.js';

const ErrorEnvelope = z.object({
  error: z.object({ code: z.string().optional(), message: z.string().optional() }),
});
/** Some services answer the bare detail instead of the envelope. */
const BareError = z.object({ code: z.string(), message: z.string().optional() });

/** `{code, message}` of an ARM error body (parsed JSON or text), if it has one. */
export function armErrorOf(body: unknown): { code: string | undefined; message: string | undefined } | undefined {
  let value = body;
  if (typeof value === 'string') {
    if (value.trim() === '') return undefined;
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const envelope = ErrorEnvelope.safeParse(value);
  if (envelope.success) return { code: envelope.data.error.code, message: envelope.data.error.message };
  const bare = BareError.safeParse(value);
  if (bare.success) return { code: bare.data.code, message: bare.data.message };
  return undefined;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or bad. */
export function parseRetryAfterMs(value: string | undefined | null, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export interface HttpFailure {
  readonly status: number;
  /** Header lookup, case-insensitive. */
  readonly header: (name: string) => string | undefined;
  readonly body: unknown;
}

/** An AzureApiError for a response with a failure status. */
export function azureErrorFromResponse(
  failure: HttpFailure,
  operation: string,
  resourceId: string | undefined,
  cause?: unknown,
): AzureApiError {
  const arm = armErrorOf(failure.body);
  return new AzureApiError({
    statusCode: failure.status,
    armCode: arm?.code,
    message: arm?.message ?? `${operation} answered HTTP ${failure.status}`,
    operation,
    resourceId,
    retryAfterMs: parseRetryAfterMs(failure.header('retry-after')),
    cause,
  });
}

/**
 * What of a RestError is kept as the cause: name, message, code, status and request id. Its request and response are
 * dropped: the request carries the `Authorization` header, and an error may be serialised far from here.
 */
export function restErrorSummary(error: RestError): Error {
  const summary = new Error(error.message);
  summary.name = 'RestError';
  return Object.assign(summary, {
    code: error.code,
    statusCode: error.statusCode,
    requestId: error.request?.requestId,
  });
}

/**
 * Maps anything an SDK call threw. Errors that already belong to the project (AzureApiError, ValidationError,
 * InvalidArmResourceError) and aborts pass through unchanged; every other failure becomes an AzureApiError, with
 * status 0 when no HTTP response arrived (connection refused or reset, DNS, TLS).
 */
export function toAzureApiError(error: unknown, operation: string, resourceId: string | undefined): Error {
  if (error instanceof FleetMeshError) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (isRestError(error)) {
    const response = error.response;
    const status = error.statusCode ?? response?.status;
    if (status !== undefined && status > 0) {
      const fromBody = armErrorOf(response?.bodyAsText);
      return new AzureApiError({
        statusCode: status,
        armCode: fromBody?.code ?? error.code,
        message: fromBody?.message ?? error.message,
        operation,
        resourceId,
        retryAfterMs: parseRetryAfterMs(response?.headers.get('retry-after')),
        cause: restErrorSummary(error),
      });
    }
    return new AzureApiError({
      statusCode: 0,
      armCode: undefined,
      message: `${operation}: no response from ARM (${error.code ?? 'transport error'}): ${error.message}`,
      operation,
      resourceId,
      cause: restErrorSummary(error),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AzureApiError({
    statusCode: 0,
    armCode: undefined,
    message: `${operation}: ${message}`,
    operation,
    resourceId,
    cause: error,
  });
}
