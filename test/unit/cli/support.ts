/**
 * Unit-test support for the command line: a small fake of the fleetmesh API on loopback that answers with the shapes
 * docs/api.md documents (a fake at the HTTP boundary, so the real fetch, parsing and error mapping run), canned
 * bodies, and an `Io` that captures what the CLI writes.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/core-auth';
import type { Io } from '../../../cli/io.js';
import { runCli } from '../../../cli/program.js';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface FakeResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Sent as is (not JSON). */
  readonly raw?: string;
}

export type Route = (request: RecordedRequest) => FakeResponse;

export interface FakeApi {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** `METHOD /path` (path without /api) → handler; unmatched routes get the host's plain 404. */
  on(route: string, handler: Route | FakeResponse): void;
  close(): Promise<void>;
}

export const KEY = 'test-key-123';

/** App Service authentication in front of the fake: calls without `Authorization: Bearer <token>` get its 401. */
export interface FakeEasyAuth {
  readonly token: string;
  /** The `WWW-Authenticate` header of its 401 (none when undefined). */
  readonly challenge?: string;
  /** The body of its 401 (empty when undefined). */
  readonly page?: string;
}

export async function startFakeApi(options: { requireKey?: boolean; easyAuth?: FakeEasyAuth } = {}): Promise<FakeApi> {
  const routes = new Map<string, Route>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname.replace(/^\/api/, '');
      let body: unknown = undefined;
      if (text !== '') body = JSON.parse(text);
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body };
      requests.push(recorded);
      const easyAuth = options.easyAuth;
      if (easyAuth && req.headers.authorization !== `Bearer ${easyAuth.token}`) {
        res.writeHead(401, {
          ...(easyAuth.challenge === undefined ? {} : { 'www-authenticate': easyAuth.challenge }),
          ...(easyAuth.page === undefined ? {} : { 'content-type': 'text/html' }),
        });
        res.end(easyAuth.page ?? '');
        return;
      }
      if ((options.requireKey ?? true) && req.headers['x-functions-key'] !== KEY) {
        res.writeHead(401).end();
        return;
      }
      const handler = routes.get(`${recorded.method} ${decodeURIComponent(path)}`);
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      const answer = handler(recorded);
      res.writeHead(answer.status, {
        ...(answer.raw === undefined ? { 'content-type': 'application/json' } : {}),
        ...answer.headers,
      });
      res.end(answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fake API has no TCP address');
  const { port }: AddressInfo = address;
  return {
    baseUrl: `http://127.0.0.1:${port}/api`,
    requests,
    on(route, handler) {
      routes.set(route, typeof handler === 'function' ? handler : () => handler);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

export interface Captured {
  readonly io: Io;
  stdout(): string;
  stderr(): string;
}

export function captureIo(env: Record<string, string | undefined> = {}, cwd = '/nonexistent'): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (t) => void (out += t), isTTY: false },
      stderr: { write: (t) => void (err += t), isTTY: false },
      env,
      cwd,
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** Runs the CLI against the fake with its URL and key in the environment. */
export async function cli(
  api: FakeApi,
  args: readonly string[],
  env: Record<string, string> = {},
  extra: { credential?: TokenCredential } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = captureIo({ FLEETMESH_API_URL: api.baseUrl, FLEETMESH_API_KEY: KEY, ...env });
  const code = await runCli(args, { ...c.io, ...extra });
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

export function apiError(status: number, code: string, message: string, details?: unknown): FakeResponse {
  return { status, body: { error: { code, message, ...(details === undefined ? {} : { details }) } } };
}

// ---------------------------------------------------------------------------------------------------------------
// Canned bodies in the documented shapes

const SUB = '/subscriptions/00000000-0000-0000-0000-000000000000';
export const clusterId = (name: string, rg: string): string =>
  `${SUB}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;

export function planBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    planId: 'a'.repeat(64),
    profile: 'demo',
    profileExists: true,
    profileState: 'NotConnected',
    currentSelector: 'mesh=demo',
    lastAppliedSelector: null,
    desiredSelector: 'mesh=demo',
    selectorChanges: false,
    summary: { add: 2, remove: 0, none: 0, error: 0, membersAfterApply: 2 },
    rows: [
      {
        action: 'Add',
        name: 'member-east',
        memberId: `${SUB}/.../members/member-east`,
        clusterResourceId: clusterId('aks-east', 'rg-east'),
        eTag: '"e-1"',
        meshState: '-',
      },
      {
        action: 'Add',
        name: 'member-west',
        memberId: `${SUB}/.../members/member-west`,
        clusterResourceId: clusterId('aks-west', 'rg-west'),
        eTag: '"w-1"',
        meshState: '-',
      },
    ],
    findings: [
      {
        checkId: 'identity.networkRole',
        severity: 'warning',
        member: 'member-west',
        resourceId: `${SUB}/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west`,
        message: "the cluster identity of 'aks-west' cannot join subnets of 'vnet-west'",
        remediation: "grant Network Contributor on 'vnet-west' to the cluster identity",
        fixableByFleetmesh: true,
      },
    ],
    blocked: false,
    fixes: [
      { member: 'member-west', clusterResourceId: clusterId('aks-west', 'rg-west'), principalId: 'p', scope: 'v' },
    ],
    traffic: {
      changes: [
        {
          action: 'create',
          name: 'fleetmesh#demo#demo#web#member-east',
          endpointType: 'AzureEndpoints',
          service: 'demo/web',
          member: 'member-east',
          desired: { targetResourceId: 'pip-east', weight: 500, endpointStatus: 'Disabled' },
          reason: 'new backend',
        },
      ],
      ineligible: [],
      services: [],
    },
    decision: {
      onEvent: { kind: 'applyNow', reasons: ["policy mode is 'auto'"] },
      onApply: { kind: 'applyNow', reasons: ['an operator requested this apply'] },
    },
    policy: { mode: 'auto', allowRemovals: false },
    computedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function meshBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    profile: 'demo',
    selector: 'mesh=demo',
    lastAppliedSelector: 'mesh=demo',
    profileState: 'Connected',
    members: [
      {
        name: 'member-east',
        clusterResourceId: clusterId('aks-east', 'rg-east'),
        labels: { 'fleet.azure.com/location': 'eastus', mesh: 'demo', region: 'east' },
        meshState: 'Connected',
        ciliumId: 1,
      },
      {
        name: 'member-west',
        clusterResourceId: clusterId('aks-west', 'rg-west'),
        labels: { mesh: 'demo', region: 'west' },
        meshState: 'Connecting',
        ciliumId: 2,
      },
    ],
    lastPlan: null,
    lastOperationId: 'demo.op-1',
    trafficManager: {
      profileId: 'tm',
      fqdn: 'fleetmesh-demo.trafficmanager.net',
      endpoints: [
        {
          name: 'fleetmesh#demo#demo#web#member-east',
          member: 'member-east',
          targetResourceId: 'pip-east',
          weight: 500,
          status: 'Enabled',
          monitorStatus: 'Online',
        },
      ],
    },
    policy: { mode: 'auto', allowRemovals: false, debounceSeconds: 30, approvalTimeoutHours: 24 },
    policyIsDefault: false,
    reconciler: { runtimeStatus: 'Running', status: { phase: 'idle', pendingApplies: 0, pendingChanges: 0 } },
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function operationBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'demo.op-1',
    profile: 'demo',
    kind: 'apply',
    trigger: 'http',
    status: 'Succeeded',
    phase: 'done',
    requestedBy: 'function-key',
    planId: 'a'.repeat(64),
    plan: {
      rows: [
        { action: 'Add', name: 'member-east' },
        { action: 'Add', name: 'member-west' },
      ],
      findings: [],
      fixes: [
        {
          member: 'member-west',
          clusterResourceId: clusterId('aks-west', 'rg-west'),
          principalId: '11111111-1111-1111-1111-111111111111',
          scope: `${SUB}/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west`,
        },
      ],
    },
    approvals: [],
    members: [
      {
        member: 'member-east',
        action: 'Add',
        meshState: 'Connected',
        outcome: 'Succeeded',
        attempts: 3,
        remediations: [],
        durationMs: 2500,
      },
      {
        member: 'member-west',
        action: 'Add',
        meshState: 'Connected',
        outcome: 'Succeeded',
        attempts: 5,
        remediations: [{ step: 'grantNetworkContributor', at: '2026-01-01T00:00:01.000Z', outcome: 'Succeeded' }],
        durationMs: 4100,
      },
    ],
    armCalls: { reads: 20, writes: 4, throttled: 0, errors: 0 },
    error: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:05.000Z',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:05.000Z',
    runtimeStatus: 'Completed',
    livePhase: 'done',
    ...overrides,
  };
}
