/**
 * The fleetmesh HTTP API as the command line calls it: the function key in `x-functions-key` and, behind App Service
 * authentication, a Microsoft Entra bearer token in `Authorization` (both in headers, never in the URL, so they do
 * not end up in proxy or server logs, and never in a message), JSON bodies, every response parsed with a zod schema,
 * and every failure turned into a `CliError` with the exit code scripts rely on and a message naming the URL tried.
 *
 * A 401 says who refused: App Service authentication (it challenges with `WWW-Authenticate: Bearer`, or answers with
 * its own page) wants a token or refused the one sent; the Functions host (a bare 401) refused the function key. A
 * 403 names the app role the call needs.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { z } from 'zod';
import type { BearerAuth, Connection } from './config.js';
import { CliError, ExitCode, exitCodeForStatus } from './exitCodes.js';
import { ApiErrorBodySchema } from './schemas.js';

export interface ApiClientOptions {
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
  /** Gets the tokens for `--audience` (default: DefaultAzureCredential, created on first use). */
  readonly credential?: TokenCredential;
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

export const ROLES = { operator: 'FleetMesh.Operator', reader: 'FleetMesh.Reader' } as const;

/** A token this close to its expiry is renewed before a call (a long `--wait` outlives a token). */
const TOKEN_RENEW_MS = 2 * 60_000;

export class ApiClient {
  readonly baseUrl: string;
  private readonly key: string | undefined;
  private readonly auth: BearerAuth | undefined;
  private readonly source: Connection['source'];
  private readonly timeoutMs: number;
  private credential: TokenCredential | undefined;
  private token: AccessToken | undefined;

  constructor(connection: Connection, options: ApiClientOptions = {}) {
    this.baseUrl = connection.baseUrl;
    this.key = connection.key;
    this.auth = connection.auth;
    this.source = connection.source;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.credential = options.credential;
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
    const authorization = await this.authorization();
    if (authorization !== undefined) headers.authorization = authorization;
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
      throw this.httpError(method, route, response, text, json);
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

  /** `Bearer <token>`: the one given, or one from the caller's Azure sign-in for the audience (renewed near expiry). */
  private async authorization(): Promise<string | undefined> {
    const auth = this.auth;
    if (auth === undefined) return undefined;
    if (auth.kind === 'token') return `Bearer ${auth.token}`;
    if (this.token !== undefined && this.token.expiresOnTimestamp - Date.now() > TOKEN_RENEW_MS) {
      return `Bearer ${this.token.token}`;
    }
    let token: AccessToken | null;
    try {
      this.credential ??= await defaultCredential();
      token = await this.credential.getToken(auth.scope);
    } catch (e) {
      throw new CliError(
        ExitCode.Auth,
        `cannot get a bearer token for ${auth.scope} (${auth.from}): ${oneLine(e)}; sign in with 'az login' ` +
          `(or set AZURE_CLIENT_ID and AZURE_TENANT_ID with a secret or certificate for a service principal), ` +
          `or pass a token with --token or FLEETMESH_API_TOKEN`,
        { code: 'TokenUnavailable' },
      );
    }
    if (token === null) {
      throw new CliError(ExitCode.Auth, `no bearer token for ${auth.scope} (${auth.from}): sign in with 'az login'`, {
        code: 'TokenUnavailable',
      });
    }
    this.token = token;
    return `Bearer ${token.token}`;
  }

  private httpError(method: string, route: string, response: Response, text: string, json: unknown): CliError {
    const url = `${this.baseUrl}${route}`;
    const { status, statusText } = response;
    const body = ApiErrorBodySchema.safeParse(json);
    const code = exitCodeForStatus(status);
    if (status === 403) return this.forbidden(method, route, body.success ? body.data.error : undefined);
    if (!body.success) {
      // Not the API's own error shape: App Service authentication, the host (missing or wrong key, unknown route) or
      // something else answered.
      if (status === 401) {
        const challenge = parseChallenge(response.headers.get('www-authenticate'));
        // App Service authentication challenges for a bearer token; without the header, its own page (not JSON)
        // still tells it from the Functions host, whose 401 for a key has no body.
        if (challenge.bearer || (json === undefined && text.trim() !== '')) return this.signInError(challenge);
        return this.key === undefined
          ? new CliError(
              code,
              `the API at ${this.baseUrl} needs a function key (401): pass --key or set FLEETMESH_API_KEY`,
              { apiCode: 'Unauthorized', code: 'FunctionKeyRequired' },
            )
          : new CliError(
              code,
              `the API at ${this.baseUrl} refused the function key (401 Unauthorized): check --key or FLEETMESH_API_KEY`,
              { apiCode: 'Unauthorized', code: 'FunctionKeyRefused' },
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
    let errorText = `${message} (${status} ${apiCode})`;
    const currentPlanId = planIdOf(details);
    if (apiCode === 'PlanMismatch' && currentPlanId !== undefined) {
      errorText += `; the current plan is ${currentPlanId}: review it with 'fleetmesh plan' and apply again`;
    }
    if (status >= 500) errorText = `the API failed ${method} ${url}: ${errorText}`;
    return new CliError(code, errorText, { apiCode, ...(details === undefined ? {} : { details }) });
  }

  /** App Service authentication refused the call: no token, or not this one. Never echoes the token. */
  private signInError(challenge: Challenge): CliError {
    const auth = this.auth;
    const origin = new URL(this.baseUrl).origin;
    const expected = challenge.params.resource_id;
    const detail = challenge.params.error_description ?? challenge.params.error;
    const said = `401${detail === undefined ? '' : `: ${detail}`}`;
    const options = { apiCode: 'Unauthorized' };
    if (auth === undefined) {
      return new CliError(
        ExitCode.Auth,
        `the API at ${this.baseUrl} requires a Microsoft Entra sign-in: App Service authentication answered ${said} ` +
          `to a call without a bearer token; pass --audience ${expected ?? '<app client id>'} (or set ` +
          `FLEETMESH_API_AUDIENCE) to get one from your Azure sign-in, or a token with --token or FLEETMESH_API_TOKEN`,
        { ...options, code: 'SignInRequired' },
      );
    }
    if (auth.kind === 'token') {
      return new CliError(
        ExitCode.Auth,
        `App Service authentication at ${origin} refused the bearer token from ${auth.from} (${said}): it may have ` +
          `expired or be for another audience${expected === undefined ? '' : ` (the app takes tokens for ${expected})`}; ` +
          `get a new one, for example with --audience ${expected ?? '<app client id>'}`,
        { ...options, code: 'TokenRefused' },
      );
    }
    const mismatch = expected !== undefined && !auth.audience.toLowerCase().includes(expected.toLowerCase());
    return new CliError(
      ExitCode.Auth,
      `App Service authentication at ${origin} refused the token for ${auth.scope} (${auth.from}, ${said}): ` +
        (mismatch
          ? `the app takes tokens for ${expected}; pass --audience ${expected}`
          : `check that the audience is this app's registration (azd env get-value FLEETMESH_AUTH_CLIENT_ID) and ` +
            `that you signed in to its tenant`),
      { ...options, code: 'TokenRefused' },
    );
  }

  /** 403: name the app role the call needs, whoever answered. */
  private forbidden(method: string, route: string, apiError: { code: string; message: string } | undefined): CliError {
    const role = roleNeeded(method, route);
    const assign =
      `ask an administrator to assign ${role} to you on the app's enterprise application (Users and groups), ` +
      `then get a new token: the roles are read from the token`;
    if (apiError !== undefined) {
      return new CliError(ExitCode.Auth, `${apiError.message} (403 ${apiError.code}): ${assign}`, {
        apiCode: apiError.code,
        code: 'RoleMissing',
      });
    }
    return new CliError(
      ExitCode.Auth,
      `the API at ${this.baseUrl} refused ${method} ${route} (403 Forbidden): it needs the app role ${role}; ` +
        `${assign}. If the role is assigned, the app's access restrictions may block this caller`,
      { apiCode: 'Forbidden', code: 'Forbidden' },
    );
  }
}

/** Reads (GET, and the read-only POST /plan) take FleetMesh.Reader or FleetMesh.Operator; the rest FleetMesh.Operator. */
export function roleNeeded(method: string, route: string): string {
  const read = method === 'GET' || (method === 'POST' && /^\/meshes\/[^/]+\/plan$/.test(route));
  return read ? `${ROLES.reader} (or ${ROLES.operator})` : ROLES.operator;
}

interface Challenge {
  readonly bearer: boolean;
  readonly params: Readonly<Record<string, string>>;
}

/** `WWW-Authenticate: Bearer realm="..." authorization_uri="..." resource_id="..."` (commas optional). */
export function parseChallenge(header: string | null): Challenge {
  if (header === null) return { bearer: false, params: {} };
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/([A-Za-z_]+)="([^"]*)"/g)) {
    const [, name, value] = m;
    if (name !== undefined && value !== undefined) params[name.toLowerCase()] = value;
  }
  return { bearer: /(^|[\s,])bearer(\s|$)/i.test(header), params };
}

async function defaultCredential(): Promise<TokenCredential> {
  // Loaded only when a token is needed: @azure/identity is large and most calls (the sandbox) never need it.
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DefaultAzureCredential();
}

function oneLine(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
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
