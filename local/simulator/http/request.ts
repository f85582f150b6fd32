/**
 * What a provider handler sees of an ARM request, and what it answers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AccessEvidence } from '../rbac/access.js';
import type { Principal } from '../world.js';
import { preconditionFailed } from './errors.js';

export interface ArmRequest {
  readonly method: string;
  /** Path with repeated slashes collapsed, original casing, no query. */
  readonly path: string;
  readonly url: URL;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when there is none). */
  readonly body: unknown;
  readonly principal: Principal;
  readonly apiVersion: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly correlationId: string;
  readonly clientIp: string;
  /** `https://127.0.0.1:PORT`, for Location headers and nextLinks. */
  readonly baseUrl: string;
  /** The action checked for this request, its scope, and the assignment that grants it (if any). */
  readonly access: { readonly action: string; readonly scope: string; readonly evidence: AccessEvidence | undefined };
}

export interface ArmResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export function header(request: ArmRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * ETag preconditions: `If-Match` (`*` or the exact eTag, quotes included) and `If-None-Match: *`.
 * `current` is the resource's eTag, undefined when the resource does not exist.
 */
export function checkPreconditions(request: ArmRequest, current: string | undefined, what: string): void {
  const ifMatch = header(request, 'if-match');
  if (ifMatch !== undefined && ifMatch !== '') {
    if (current === undefined) {
      throw preconditionFailed(`The ${what} does not exist, so the If-Match condition '${ifMatch}' cannot be met.`);
    }
    const wanted = ifMatch.split(',').map((s) => s.trim());
    if (!wanted.includes('*') && !wanted.includes(current)) {
      throw preconditionFailed(
        `The If-Match condition '${ifMatch}' does not match the current eTag '${current}' of the ${what}. Read the resource again and retry.`,
      );
    }
  }
  const ifNoneMatch = header(request, 'if-none-match');
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() === '*' && current !== undefined) {
    throw preconditionFailed(`The ${what} already exists and If-None-Match is '*'.`);
  }
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): ArmResponse {
  return { status, body, headers };
}

export function empty(status: number, headers: Record<string, string> = {}): ArmResponse {
  return { status, headers };
}
