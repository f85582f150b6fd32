/**
 * Where the API is and which key to send: `--base-url`/`--key` flags, then `FLEETMESH_API_URL`/`FLEETMESH_API_KEY`,
 * then `.fleetmesh/sandbox.json` in the current directory (written by `npm start`). The sandbox's key is only used
 * with the sandbox's own URL, so a key is never sent to a URL it was not issued for.
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
}

export interface Connection {
  /** Normalised: no trailing slash, e.g. `http://localhost:7071/api`. */
  readonly baseUrl: string;
  readonly key: string | undefined;
  /** Where the URL came from, for error messages. */
  readonly source: 'flag' | 'environment' | 'sandbox';
}

export function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Connection {
  const flagUrl = nonEmpty(flags.baseUrl);
  const envUrl = nonEmpty(env.FLEETMESH_API_URL);
  const key = nonEmpty(flags.key) ?? nonEmpty(env.FLEETMESH_API_KEY);
  if (flagUrl !== undefined) return { baseUrl: normaliseBaseUrl(flagUrl, '--base-url'), key, source: 'flag' };
  if (envUrl !== undefined) {
    return { baseUrl: normaliseBaseUrl(envUrl, 'FLEETMESH_API_URL'), key, source: 'environment' };
  }
  const facts = readSandboxFacts(cwd);
  if (facts === undefined) {
    throw new CliError(
      ExitCode.Usage,
      `no API URL: pass --base-url <url> or set FLEETMESH_API_URL (for example http://localhost:7071/api), ` +
        `or run 'npm start' in this directory (it writes ${SANDBOX_FACTS_FILE})`,
    );
  }
  return {
    baseUrl: normaliseBaseUrl(facts.apiBaseUrl, SANDBOX_FACTS_FILE),
    key: key ?? facts.functionKey,
    source: 'sandbox',
  };
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
