/**
 * Clients the benchmark drives the sandbox with: the app's HTTP API (function key), and the simulated ARM as the
 * `operator` principal would use it (a user changing labels), over HTTPS trusting the simulator's certificate only.
 */
import { Agent, request } from 'node:https';
import type { Sandbox } from '../../local/sandbox/sandbox.js';

export interface HttpAnswer {
  readonly status: number;
  readonly json: unknown;
  readonly text: string;
}

async function answer(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

/** The app's API under `/api`, with the sandbox's function key. */
export function appApi(sandbox: Sandbox): (method: string, route: string, body?: unknown) => Promise<HttpAnswer> {
  return async (method, route, body) =>
    answer(
      await fetch(`${sandbox.apiBaseUrl}${route}`, {
        method,
        headers: {
          'x-functions-key': sandbox.functionKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
}

/** Runs a timer function now through the host's admin endpoint (master key), as `POST /admin/functions/{name}`. */
export async function runTimerNow(sandbox: Sandbox, name: string): Promise<number> {
  const r = await fetch(`${sandbox.host.url}/admin/functions/${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'x-functions-key': sandbox.masterKey, 'content-type': 'application/json' },
    body: '{}',
  });
  await r.arrayBuffer();
  return r.status;
}

/** ARM calls as the simulator's `operator` principal (Owner). */
export class OperatorArm {
  private readonly agent: Agent;
  private readonly endpoint: URL;
  private readonly token: string;

  constructor(sandbox: Pick<Sandbox, 'armEndpoint' | 'operatorToken' | 'sim'>) {
    this.agent = new Agent({ ca: sandbox.sim.certificatePem, keepAlive: true, maxSockets: 32 });
    this.endpoint = new URL(sandbox.armEndpoint);
    this.token = sandbox.operatorToken;
  }

  call(method: string, path: string, apiVersion: string, body?: unknown): Promise<HttpAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(`${path}?api-version=${apiVersion}`, this.endpoint);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, json, text });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
