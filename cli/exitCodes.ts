/**
 * Exit codes of `fleetmesh`, stable for scripts (documented in docs/operator.md). Every failure the command line
 * reports is a `CliError` carrying one of them; anything else thrown is a bug and exits with `Internal`.
 */
export const ExitCode = {
  /** The command did what was asked (an apply with `--wait` succeeded). */
  Ok: 0,
  /** The operation ended `Failed` or `Rejected` (`apply --wait`, `wait`). */
  OperationFailed: 1,
  /** Bad command line, bad input file, or a request the API rejected as invalid (400, 415). */
  Usage: 2,
  /**
   * Authentication failed (401: the function key or the bearer token missing or refused, or no token to be had for
   * `--audience`) or the caller lacks the app role (403).
   */
  Auth: 3,
  /** No such mesh profile or operation (404). */
  NotFound: 4,
  /** A conflict: the pinned plan no longer matches, the operation is not awaiting approval, or the policy changed (409, 412). */
  Conflict: 5,
  /** The API could not be reached (connection refused, DNS, TLS, timeout). */
  Unreachable: 6,
  /** The API answered with a server error (5xx, `AzureError`) or with something that is not the documented shape. */
  ApiError: 7,
  /** `--wait` gave up: the operation was still running when `--timeout` elapsed. */
  Timeout: 8,
  /** A bug in the command line itself. */
  Internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The name of each exit code: the `error.code` of a JSON error when neither the API nor the CLI has a finer one. */
export const EXIT_CODE_NAMES: Readonly<Record<ExitCode, string>> = {
  0: 'Ok',
  1: 'OperationFailed',
  2: 'UsageError',
  3: 'AuthError',
  4: 'NotFound',
  5: 'Conflict',
  6: 'Unreachable',
  7: 'ApiError',
  8: 'Timeout',
  70: 'InternalError',
};

export interface CliErrorOptions {
  /** The API's error code, when the API sent one. */
  readonly apiCode?: string;
  /** A finer code of the command line's own (`FunctionKeyRefused`, `SignInRequired`, ...). */
  readonly code?: string;
  /** The API's `error.details`, passed on in JSON errors (e.g. `currentPlanId` of a `PlanMismatch`). */
  readonly details?: unknown;
  readonly cause?: unknown;
}

export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** The API's error code (`PlanMismatch`, `NotFound`, ...), when the API sent one. */
  readonly apiCode: string | undefined;
  /** Machine-readable, for `--output json`: the CLI's own code, else the API's, else the exit code's name. */
  readonly code: string;
  readonly details: unknown;

  constructor(exitCode: ExitCode, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.apiCode = options.apiCode;
    this.code = options.code ?? options.apiCode ?? EXIT_CODE_NAMES[exitCode];
    this.details = options.details;
  }
}

/** The exit code for an HTTP error status. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 400 || status === 415 || status === 422) return ExitCode.Usage;
  if (status === 401 || status === 403) return ExitCode.Auth;
  if (status === 404) return ExitCode.NotFound;
  if (status === 409 || status === 412) return ExitCode.Conflict;
  return ExitCode.ApiError;
}
