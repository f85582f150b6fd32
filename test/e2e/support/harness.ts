/**
 * End-to-end harness: the whole sandbox in this test process (simulator + embedded Cosmos + local host running the
 * built app), the app's HTTP API with its function key, the simulated ARM as an operator would use it, and polling
 * helpers that wait on conditions (never on fixed sleeps).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CosmosClient } from '@azure/cosmos';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../../local/sandbox/sandbox.js';
import { createCosmosClient } from '../../../shared/state/client.js';
import { createCosmosStateStore } from '../../../shared/state/cosmosStore.js';
import type { StateStore } from '../../../shared/state/store.js';
import { Arm } from '../../integration/local/simulator/support.js';

export interface ApiResult {
  readonly status: number;
  readonly headers: Headers;
  readonly json: unknown;
  readonly text: string;
}

export interface E2E {
  readonly sandbox: Sandbox;
  /** The simulated ARM as the `operator` principal (Owner): change the fleet as a user would. */
  readonly operator: Arm;
  api(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResult>;
  /** ARM path under the sandbox's fleet, e.g. `fleetPath('/members/m1')`. */
  fleetPath(suffix?: string): string;
  stop(): Promise<void>;
}

export async function startE2E(options: SandboxOptions = {}): Promise<E2E> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'fleetmesh-e2e-'));
  const lines: string[] = [];
  const sandbox = await startSandbox({
    port: 0,
    stateDir,
    timeFactor: 50,
    hostLogSink: (_level, line) => {
      lines.push(line);
      if (lines.length > 5000) lines.shift();
    },
    ...options,
  });
  const operator = new Arm(sandbox.sim, 'operator');
  return {
    sandbox,
    operator,
    async api(method, route, body, headers = {}) {
      const response = await fetch(`${sandbox.apiBaseUrl}${route}`, {
        method,
        headers: {
          'x-functions-key': sandbox.functionKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: callers assert on `text` and `status`.
      }
      return { status: response.status, headers: response.headers, json, text };
    },
    fleetPath(suffix = '') {
      return operator.sub(
        `/resourceGroups/${sandbox.resourceGroup}/providers/Microsoft.ContainerService/fleets/${sandbox.fleet}${suffix}`,
      );
    },
    async stop() {
      await sandbox.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns a value other than undefined; fails with the description and the last value. */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out waiting for ${description}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** A plain object view of JSON, for assertions. */
export function obj(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`not an object: ${JSON.stringify(value)}`);
  return Object.fromEntries(Object.entries(value));
}

export function arr(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error(`not an array: ${JSON.stringify(value)}`);
  return value;
}

/**
 * The app's state store on the sandbox's Cosmos server, for tests that write or read records as the functions do.
 * Dispose `client` when done.
 */
export function openStateStore(sandbox: Sandbox): { readonly client: CosmosClient; readonly store: StateStore } {
  const { cosmos } = sandbox;
  const client = createCosmosClient(
    { endpoint: cosmos.endpoint, database: 'fleetmesh', auth: { kind: 'key', key: cosmos.key }, caFile: undefined },
    { caPem: cosmos.certificatePem },
  );
  return { client, store: createCosmosStateStore({ client, databaseId: 'fleetmesh', eventTtlSeconds: 86_400 }) };
}

/**
 * Runs the resync timer function now (the host's admin API, master key): every managed mesh is asked to look again.
 * Throws unless the host accepted the run (202).
 */
export async function runResync(sandbox: Sandbox): Promise<void> {
  const r = await fetch(`${sandbox.host.url}/admin/functions/resync`, {
    method: 'POST',
    headers: { 'x-functions-key': sandbox.masterKey, 'content-type': 'application/json' },
    body: '{}',
  });
  if (r.status !== 202) throw new Error(`resync: ${r.status} ${await r.text()}`);
}
