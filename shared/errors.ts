/**
 * The project's few error classes. Each carries a discriminating `code`, an HTTP-ish `status` used when the error
 * crosses the HTTP boundary, and whether retrying the same call can help (`retryable`).
 *
 * Validation and other 4xx errors are never retryable; throttling (429) and server errors (5xx) are, honouring
 * `retryAfterMs` when the server sent `Retry-After`.
 */

export type ErrorCode =
  | 'ValidationFailed'
  | 'InvalidArmResource'
  | 'ConfigurationError'
  | 'NotFound'
  | 'Conflict'
  | 'PreconditionFailed'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Throttled'
  | 'PlanMismatch'
  | 'ArmError'
  | 'Internal';

export interface FleetMeshErrorOptions {
  status?: number;
  retryable?: boolean;
  details?: unknown;
  cause?: unknown;
}

export class FleetMeshError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: FleetMeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** Bad input from a caller (HTTP body, query, event, scenario file). Maps to 400 unless a status is given. */
export class ValidationError extends FleetMeshError {
  constructor(message: string, options: Omit<FleetMeshErrorOptions, 'retryable'> = {}) {
    super('ValidationFailed', message, { status: 400, ...options, retryable: false });
  }
}

/** A setting is missing or malformed. Names the setting. Raised once at start-up. */
export class ConfigurationError extends FleetMeshError {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super('ConfigurationError', `setting ${setting}: ${message}`, { status: 500, retryable: false });
    this.setting = setting;
  }
}

/** An Azure resource body did not have the shape the app relies on. Names the resource id and the field. */
export class InvalidArmResourceError extends FleetMeshError {
  readonly resourceId: string;
  constructor(resourceId: string, message: string, details?: unknown) {
    super('InvalidArmResource', message, { status: 502, retryable: false, details });
    this.resourceId = resourceId;
  }
}

/** Normalises anything thrown into an Error, without losing the original value. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return new Error(`non-error thrown: ${text}`, { cause: value });
}
