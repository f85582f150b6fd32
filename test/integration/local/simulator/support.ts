/**
 * Test support: start a simulator, call it over real HTTPS trusting its certificate explicitly (an https.Agent with
 * `ca`; TLS verification stays on), and build the real Azure SDK clients against it.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { Agent, request as httpsRequest } from 'node:https';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../../../local/simulator/index.js';

export const FLEET_API = '2026-03-02-preview';
export const AKS_API = '2026-04-01';
export const NETWORK_API = '2025-05-01';
export const AUTHZ_API = '2022-04-01';
export const TM_API = '2022-04-01';

/** A TokenCredential that always returns the simulator token it was given (what the gateways use locally). */
export class StaticTokenCredential implements TokenCredential {
  private readonly token: string;
  constructor(token: string) {
    this.token = token;
  }
  getToken(): Promise<AccessToken> {
    return Promise.resolve({ token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 });
  }
}

/** Client options every Azure SDK client accepts: the simulator endpoint, and trust of its certificate only. */
export function sdkOptions(sim: RunningSimulator): { endpoint: string; tlsOptions: { ca: string } } {
  return { endpoint: sim.endpoint, tlsOptions: { ca: sim.certificatePem } };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  readonly json: unknown;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Bearer token; `null` sends no Authorization header. Default: the `fleetmesh` principal's token. */
  readonly token?: string | null;
  readonly apiVersion?: string | null;
}

/** A small ARM client over node:https that trusts the simulator's certificate (and nothing else). */
export class Arm {
  readonly sim: RunningSimulator;
  readonly agent: Agent;
  readonly defaultToken: string;

  constructor(sim: RunningSimulator, principal = 'fleetmesh') {
    this.sim = sim;
    this.agent = new Agent({ ca: sim.certificatePem, keepAlive: true });
    const token = sim.tokens[principal];
    if (token === undefined) throw new Error(`no token for principal ${principal}`);
    this.defaultToken = token;
  }

  sub(path: string): string {
    return `/subscriptions/${this.sim.subscriptionId}${path}`;
  }

  fleet(path = ''): string {
    return this.sub(`/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-demo${path}`);
  }

  async call(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<HttpResult> {
    const url = new URL(pathOrUrl, this.sim.endpoint);
    const apiVersion = options.apiVersion === undefined ? FLEET_API : options.apiVersion;
    if (apiVersion !== null && !url.searchParams.has('api-version')) url.searchParams.set('api-version', apiVersion);
    const token = options.token === undefined ? this.defaultToken : options.token;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.headers ?? {}),
    };
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out[k] = v;
          resolve({ status: res.statusCode ?? 0, headers: out, text, json });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  get(path: string, options?: RequestOptions): Promise<HttpResult> {
    return this.call('GET', path, options);
  }
  put(path: string, body: unknown, options?: RequestOptions): Promise<HttpResult> {
    return this.call('PUT', path, { ...options, body });
  }
  patch(path: string, body: unknown, options?: RequestOptions): Promise<HttpResult> {
    return this.call('PATCH', path, { ...options, body });
  }
  post(path: string, options?: RequestOptions): Promise<HttpResult> {
    return this.call('POST', path, options);
  }
  delete(path: string, options?: RequestOptions): Promise<HttpResult> {
    return this.call('DELETE', path, options);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Fast test defaults: throttling off, short durations, time running 100x, no Retry-After wait. */
export const FAST: SimulatorOptions = {
  throttling: false,
  timeFactor: 100,
  settings: {
    retryAfterSeconds: 0,
    timing: {
      applyMs: 500,
      connectMs: 1000,
      disconnectMs: 500,
      clusterReconcileMs: 1000,
      memberJoinMs: 500,
      memberUpdateMs: 500,
      memberLeaveMs: 500,
      profileDeleteMs: 500,
      networkWriteMs: 200,
      trafficManagerProbeMs: 1000,
    },
  },
};

export async function start(options: SimulatorOptions = {}): Promise<{ sim: RunningSimulator; arm: Arm }> {
  const sim = await startSimulator({
    ...FAST,
    ...options,
    settings: { ...FAST.settings, ...(options.settings ?? {}) },
  });
  return { sim, arm: new Arm(sim) };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Field access on parsed JSON without casts (tests only). */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}

/** Polls an Azure-AsyncOperation URL until the operation is no longer InProgress; returns its status body. */
export async function pollAsyncOperation(arm: Arm, url: string): Promise<unknown> {
  return waitFor(async () => {
    const r = await arm.get(url);
    const status = at(r.json, 'status');
    return status === 'InProgress' ? undefined : r.json;
  }, `operation ${url}`);
}
