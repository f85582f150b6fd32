/**
 * Azure failures, classified by small predicates (as fleet-networking's `azureerrors` does): not found, forbidden,
 * throttled, conflict, precondition failed. Gateways turn every SDK/pipeline error into an `AzureApiError`; callers
 * branch on the predicates, never on message text.
 */
import { FleetMeshError, type ErrorCode } from '../errors.js';

export interface AzureApiErrorInit {
  /** HTTP status from ARM; 0 when no response arrived (connection reset, DNS, TLS). */
  readonly statusCode: number;
  /** ARM error code (`ResourceNotFound`, `AuthorizationFailed`, `RoleAssignmentExists`, ...) when the body had one. */
  readonly armCode?: string | undefined;
  readonly message: string;
  /** Gateway operation name, for example `fleetMembers.get`. */
  readonly operation: string;
  readonly resourceId?: string | undefined;
  /** From `Retry-After` (429/503). */
  readonly retryAfterMs?: number | undefined;
  readonly cause?: unknown;
}

export class AzureApiError extends FleetMeshError {
  readonly statusCode: number;
  readonly armCode: string | undefined;
  readonly operation: string;
  readonly resourceId: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(init: AzureApiErrorInit) {
    super(codeFor(init.statusCode), init.message, {
      status: httpStatusFor(init.statusCode),
      retryable: isRetryableStatus(init.statusCode),
      cause: init.cause,
      details: { statusCode: init.statusCode, armCode: init.armCode, operation: init.operation },
    });
    this.statusCode = init.statusCode;
    this.armCode = init.armCode;
    this.operation = init.operation;
    this.resourceId = init.resourceId;
    this.retryAfterMs = init.retryAfterMs;
  }
}

function codeFor(status: number): ErrorCode {
  switch (status) {
    case 404:
      return 'NotFound';
    case 403:
      return 'Forbidden';
    case 401:
      return 'Unauthorized';
    case 409:
      return 'Conflict';
    case 412:
      return 'PreconditionFailed';
    case 429:
      return 'Throttled';
    default:
      return 'ArmError';
  }
}

/** What our own HTTP API answers when an ARM failure reaches it: ARM's 4xx as is, anything else 502. */
function httpStatusFor(status: number): number {
  return status >= 400 && status < 500 ? status : 502;
}

export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

export function isAzureApiError(e: unknown): e is AzureApiError {
  return e instanceof AzureApiError;
}

export function isNotFound(e: unknown): boolean {
  return isAzureApiError(e) && e.statusCode === 404;
}

export function isForbidden(e: unknown): boolean {
  return isAzureApiError(e) && e.statusCode === 403;
}

export function isThrottled(e: unknown): boolean {
  return isAzureApiError(e) && e.statusCode === 429;
}

export function isConflict(e: unknown): boolean {
  return isAzureApiError(e) && e.statusCode === 409;
}

export function isPreconditionFailed(e: unknown): boolean {
  return isAzureApiError(e) && e.statusCode === 412;
}

/** Short reason for findings and logs: `403 AuthorizationFailed`, `404 ResourceNotFound`, or the message. */
export function describeAzureError(e: unknown): string {
  if (isAzureApiError(e)) {
    const status = e.statusCode === 0 ? 'no response' : String(e.statusCode);
    return e.armCode ? `${status} ${e.armCode}` : `${status}: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}
