/**
 * Where the API is and how to authenticate: `--base-url`/`--key` flags, then `FLEETMESH_API_URL`/`FLEETMESH_API_KEY`,
 * then `.fleetmesh/sandbox.json` in the current directory (written by `npm start`). The sandbox's key is only used
 * with the sandbox's own URL, so a key is never sent to a URL it was not issued for.
 *
 * Behind App Service authentication (Azure) every call also needs a Microsoft Entra bearer token: `--token` or
 * `FLEETMESH_API_TOKEN` (used as given), or `--audience`/`FLEETMESH_API_AUDIENCE` (the app registration's client id or
 * `api://` URI), for which the command line gets a token from the caller's Azure sign-in. A token is only sent over
 * https (or to a loopback address), never to a plain-http URL elsewhere.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CliError, ExitCode } from './exitCodes.js';

export const SANDBOX_FACTS_FILE = path.join('.fleetmesh', 'sandbox.json');

const SandboxFactsSchema = z.looseObject({ apiBaseUrl: z.string().min(1), functionKey: z.string().min(1) });

export interface ConnectionFlags {
  readonly baseUrl?: string | undefined;
  readonly key?: string | undefined;
  readonly token?: string | undefined;
  readonly audience?: string | undefined;
}

/** How the command line gets the bearer token for App Service authentication. */
export type BearerAuth =
  /** A token given as is (it is sent until it expires; the command line cannot renew it). */
  | { readonly kind: 'token'; readonly token: string; readonly from: '--token' | 'FLEETMESH_API_TOKEN' }
  /** A token requested from the caller's Azure sign-in (DefaultAzureCredential) for `scope`. */
  | {
      readonly kind: 'audience';
      readonly audience: string;
      readonly scope: string;
      readonly from: '--audience' | 'FLEETMESH_API_AUDIENCE';
    };

export interface Connection {
  /** Normalised: no trailing slash, e.g. `http://localhost:7071/api`. */
  readonly baseUrl: string;
  readonly key: string | undefined;
  /** Where the URL came from, for error messages. */
  readonly source: 'flag' | 'environment' | 'sandbox';
  /** The bearer token (App Service authentication), when one is configured. */
  readonly auth?: BearerAuth | undefined;
}

export function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Connection {
  const flagUrl = nonEmpty(flags.baseUrl);
  const envUrl = nonEmpty(env.FLEETMESH_API_URL);
  const key = nonEmpty(flags.key) ?? nonEmpty(env.FLEETMESH_API_KEY);
  const auth = resolveAuth(flags, env);
  const withAuth = (connection: Connection): Connection => {
    if (auth === undefined) return connection;
    checkTokenTransport(connection.baseUrl, auth);
    return { ...connection, auth };
  };
  if (flagUrl !== undefined) {
    return withAuth({ baseUrl: normaliseBaseUrl(flagUrl, '--base-url'), key, source: 'flag' });
  }
  if (envUrl !== undefined) {
    return withAuth({ baseUrl: normaliseBaseUrl(envUrl, 'FLEETMESH_API_URL'), key, source: 'environment' });
  }
  const facts = readSandboxFacts(cwd);
  if (facts === undefined) {
    throw new CliError(
      ExitCode.Usage,
      `no API URL: pass --base-url <url> or set FLEETMESH_API_URL (for example http://localhost:7071/api), ` +
        `or run 'npm start' in this directory (it writes ${SANDBOX_FACTS_FILE})`,
    );
  }
  return withAuth({
    baseUrl: normaliseBaseUrl(facts.apiBaseUrl, SANDBOX_FACTS_FILE),
    key: key ?? facts.functionKey,
    source: 'sandbox',
  });
}

/** A token given (flag, then environment) wins over an audience to get one for (flag, then environment). */
function resolveAuth(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
): BearerAuth | undefined {
  const flagToken = nonEmpty(flags.token);
  if (flagToken !== undefined) return { kind: 'token', token: bearerValue(flagToken, '--token'), from: '--token' };
  const envToken = nonEmpty(env.FLEETMESH_API_TOKEN);
  if (envToken !== undefined) {
    return { kind: 'token', token: bearerValue(envToken, 'FLEETMESH_API_TOKEN'), from: 'FLEETMESH_API_TOKEN' };
  }
  const flagAudience = nonEmpty(flags.audience);
  const envAudience = nonEmpty(env.FLEETMESH_API_AUDIENCE);
  const audience = flagAudience ?? envAudience;
  if (audience === undefined) return undefined;
  const from = flagAudience !== undefined ? '--audience' : 'FLEETMESH_API_AUDIENCE';
  return { kind: 'audience', audience, scope: scopeFor(audience, from), from };
}

/** `<audience>/.default`: the app registration's client id or application id URI (`api://...`). */
export function scopeFor(audience: string, from: string): string {
  if (/\s/.test(audience)) {
    throw new CliError(ExitCode.Usage, `${from}: the audience must be one client id or application id URI`);
  }
  return audience.endsWith('/.default') ? audience : `${audience.replace(/\/+$/, '')}/.default`;
}

/** The token itself: a pasted `Bearer ...` loses its prefix; a value that cannot be a header value is refused. */
function bearerValue(text: string, from: string): string {
  const token = text.replace(/^bearer\s+/i, '');
  // Header values cannot hold control characters or spaces inside a token; say so without echoing the token.
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new CliError(ExitCode.Usage, `${from}: not a bearer token (it holds spaces or control characters)`);
  }
  return token;
}

/** A bearer token is a credential to the whole app: never over plain http except to this machine. */
function checkTokenTransport(baseUrl: string, auth: BearerAuth): void {
  const url = new URL(baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (url.protocol !== 'https:' && !loopback) {
    throw new CliError(
      ExitCode.Usage,
      `${auth.from}: a bearer token is only sent over https (or to localhost), not to ${url.origin}; ` +
        `use the app's https URL`,
    );
  }
}

function readSandboxFacts(cwd: string): z.output<typeof SandboxFactsSchema> | undefined {
  const file = path.join(cwd, SANDBOX_FACTS_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT') return undefined;
    throw new CliError(ExitCode.Usage, `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(ExitCode.Usage, `${file} is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = SandboxFactsSchema.safeParse(json);
  if (!parsed.success) {
    throw new CliError(ExitCode.Usage, `${file} has no apiBaseUrl and functionKey; restart the sandbox (npm start)`);
  }
  return parsed.data;
}

/** An absolute http(s) URL without query, fragment or trailing slash. */
export function normaliseBaseUrl(text: string, from: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(ExitCode.Usage, `${from}: '${text}' is not a URL (expected e.g. http://localhost:7071/api)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(ExitCode.Usage, `${from}: '${text}' must be an http or https URL`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new CliError(
      ExitCode.Usage,
      `${from}: the base URL must not carry a query, fragment or credentials; pass the key with --key or FLEETMESH_API_KEY`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
