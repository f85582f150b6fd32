/**
 * The fleetmesh HTTP API as the command line calls it: the function key in `x-functions-key` (never in the URL, so it
 * does not end up in proxy or server logs), JSON bodies, every response parsed with a zod schema, and every failure
 * turned into a `CliError` with the exit code scripts rely on and a message naming the URL tried.
 */
import type { z } from 'zod';
import type { Connection } from './config.js';
import { CliError, ExitCode, exitCodeForStatus } from './exitCodes.js';
import { ApiErrorBodySchema } from './schemas.js';

export interface ApiClientOptions {
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly data: T;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly key: string | undefined;
  private readonly source: Connection['source'];
  private readonly timeoutMs: number;

  constructor(connection: Connection, options: ApiClientOptions = {}) {
    this.baseUrl = connection.baseUrl;
    this.key = connection.key;
    this.source = connection.source;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** `route` starts with `/` and is already encoded (use `path` to build it). */
  async request<S extends z.ZodType>(
    method: string,
    route: string,
    schema: S,
    options: RequestOptions = {},
  ): Promise<ApiResponse<z.output<S>>> {
    const url = `${this.baseUrl}${route}`;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.key !== undefined) headers['x-functions-key'] = this.key;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (e) {
      throw this.unreachable(method, url, e);
    }
    const text = await response.text().catch(() => '');
    const json = parseJson(text);
    if (response.status < 200 || response.status >= 300) {
      throw this.httpError(method, url, response.status, response.statusText, json);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first && first.path.length > 0 ? `'${first.path.map(String).join('.')}': ` : '';
      throw new CliError(
        ExitCode.ApiError,
        `unexpected response from ${method} ${url} (${response.status}): ${where}${first?.message ?? 'not the documented shape'}` +
          (json === undefined ? ' (the body is not JSON: is the base URL the fleetmesh API?)' : ''),
      );
    }
    return { status: response.status, headers: response.headers, data: parsed.data };
  }

  private unreachable(method: string, url: string, error: unknown): CliError {
    const from = { flag: '--base-url', environment: 'FLEETMESH_API_URL', sandbox: '.fleetmesh/sandbox.json' }[
      this.source
    ];
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return new CliError(
        ExitCode.Unreachable,
        `the fleetmesh API at ${url} did not answer ${method} within ${Math.round(this.timeoutMs / 1000)} s ` +
          `(URL from ${from}); raise --request-timeout or check the app`,
      );
    }
    const reason = describeNetworkError(error);
    const hint =
      this.source === 'sandbox'
        ? 'is the sandbox still running (npm start)? .fleetmesh/sandbox.json may be left over from an earlier run'
        : `is the app running and is the URL right (from ${from})?`;
    return new CliError(ExitCode.Unreachable, `cannot reach the fleetmesh API at ${url} (${reason}); ${hint}`);
  }

  private httpError(method: string, url: string, status: number, statusText: string, json: unknown): CliError {
    const body = ApiErrorBodySchema.safeParse(json);
    const code = exitCodeForStatus(status);
    if (!body.success) {
      // Not the API's own error shape: the host answered (missing or wrong key, unknown route) or something else did.
      if (status === 401) {
        return new CliError(
          code,
          this.key === undefined
            ? `the API at ${this.baseUrl} needs a function key (401): pass --key or set FLEETMESH_API_KEY`
            : `the API at ${this.baseUrl} refused the function key (401 Unauthorized): check --key or FLEETMESH_API_KEY`,
          { apiCode: 'Unauthorized' },
        );
      }
      if (status === 404) {
        return new CliError(
          code,
          `no such route: ${method} ${url} answered 404; the base URL should be the API root ending in /api ` +
            `(for example http://localhost:7071/api)`,
          { apiCode: 'NotFound' },
        );
      }
      return new CliError(code, `${method} ${url} failed: ${status} ${statusText}`.trim());
    }
    const { code: apiCode, message, details } = body.data.error;
    let text = `${message} (${status} ${apiCode})`;
    const currentPlanId = planIdOf(details);
    if (apiCode === 'PlanMismatch' && currentPlanId !== undefined) {
      text += `; the current plan is ${currentPlanId}: review it with 'fleetmesh plan' and apply again`;
    }
    if (status >= 500) text = `the API failed ${method} ${url}: ${text}`;
    return new CliError(code, text, { apiCode });
  }
}

/** Encodes route segments: `path('meshes', profile, 'plan')` → `/meshes/<profile>/plan`. */
export function path(...segments: readonly string[]): string {
  return segments.map((s) => `/${encodeURIComponent(s)}`).join('');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function planIdOf(details: unknown): string | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const value: unknown = Reflect.get(details, 'currentPlanId');
  return typeof value === 'string' ? value : undefined;
}

function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = 'code' in current && typeof current.code === 'string' ? current.code : undefined;
    const message = current.message;
    if (message && message !== 'fetch failed') parts.push(message);
    else if (code) parts.push(code);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(': ') : String(error);
}
