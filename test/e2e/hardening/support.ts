/**
 * Support for the hardening tests (fault soak, crash campaign, event chaos, fuzzing): checks of the simulator's world
 * (converged mesh, duplicate role assignments), the operation records in Cosmos, and the app host as a CHILD process
 * (`node dist/local/host/cli.js`, what users run) for tests that kill it, with the simulator and Cosmos kept alive in
 * the test process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { meshProgress, type MeshProgress, type MeshTarget } from '../../../bench/lib/mesh.js';
import { startCosmosServer, type EmbeddedCosmosServer } from '../../../local/cosmos/server.js';
import { demoPolicy, projectRoot } from '../../../local/sandbox/sandbox.js';
import type { RunningSimulator } from '../../../local/simulator/index.js';
import { generateFleetScenario, parseGeneratedName } from '../../../local/simulator/scenario/generate.js';
import { normalizeResourceId } from '../../../shared/arm/resourceId.js';
import { roleAssignmentName } from '../../../shared/azure/index.js';
import { MeshPolicySchema, type MeshPolicyInput } from '../../../shared/domain/index.js';
import { createCosmosClient } from '../../../shared/state/client.js';
import { ensureContainers } from '../../../shared/state/containers.js';
import { createCosmosStateStore } from '../../../shared/state/cosmosStore.js';
import { isTerminalStatus, JsonObjectSchema, type Operation } from '../../../shared/state/documents.js';
import type { StateStore } from '../../../shared/state/store.js';

export const GENERATED: MeshTarget = {
  fleet: 'fleet-generated',
  profile: 'demo',
  trafficResourceGroup: 'rg-traffic',
  trafficProfile: 'fleetmesh-demo',
};

export function progress(sim: RunningSimulator, target: MeshTarget = GENERATED): MeshProgress {
  return meshProgress(sim, target);
}

/**
 * The mesh is exactly what the labels say: every member labelled with the selector Connected with one enabled
 * Traffic Manager endpoint, every other member out of the mesh, and no endpoint for anyone else.
 */
export function meshMatchesLabels(sim: RunningSimulator, target: MeshTarget = GENERATED): boolean {
  const world = sim.control.world();
  const members = [...world.members.values()].filter((m) =>
    m.fleetKey.endsWith(`/fleets/${target.fleet.toLowerCase()}`),
  );
  const labelled = members.filter((m) => m.labels['mesh'] === 'demo');
  const others = members.filter((m) => m.labels['mesh'] !== 'demo');
  const p = meshProgress(sim, target);
  const tm = [...world.trafficProfiles.values()].find(
    (x) => x.name.toLowerCase() === target.trafficProfile.toLowerCase(),
  );
  return (
    p.converged &&
    p.selected === labelled.length &&
    others.every((m) => m.mesh === undefined) &&
    p.enabledEndpoints === labelled.length &&
    (tm?.endpoints.size ?? 0) === labelled.length
  );
}

/** The simulator's principal name for the app (its token is `sim.tokens['fleetmesh']`). */
export const APP_PRINCIPAL = 'fleetmesh';

const NETWORK_CONTRIBUTOR = '4d97b98b-1d4f-4787-a291-c67834d212e7';
const ROLE_ASSIGNMENT_PATH = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i;

/** What the app's role assignment PUTs to one (principal, scope, role) were answered, in call log order. */
export interface TripleWrites {
  /** `principalId|roleGuid|scope`, lower case. */
  readonly key: string;
  readonly principalId: string;
  readonly roleGuid: string;
  readonly scope: string;
  /** 201: the assignment was created by this PUT and the app heard so. */
  readonly created: number;
  /** Committed, answer lost (the simulator dropped the connection: call log status 0, note `ambiguous:*`). */
  readonly ambiguous: number;
  /** 200: the PUT found the assignment already there under the same name (a retry of its own write). */
  readonly updated: number;
  /** 409 (`RoleAssignmentExists`: the triple exists under another name; never for a deterministic retry). */
  readonly conflicts: number;
  /** Anything else (injected 429/5xx, refused before the handler: nothing committed). */
  readonly failed: number;
  /** Answers in call log order: the status, or `ambiguous`. */
  readonly answers: readonly (number | 'ambiguous')[];
}

export interface RoleAssignmentWrites {
  /** Role assignment PUTs by the app. */
  readonly puts: number;
  /** PUT paths whose name is not `roleAssignmentName(scope, principal, role)` for any principal and role the world knows. */
  readonly nonDeterministic: readonly string[];
  /** Every 409 the app's role assignment PUTs received. */
  readonly conflicts: number;
  readonly byTriple: ReadonlyMap<string, TripleWrites>;
}

/**
 * The app's role assignment PUTs since `sinceSeq`, from the simulator's call log, each traced to its (principal,
 * scope, role) through its name: fleetmesh names an assignment `roleAssignmentName(scope, principal, role)` (a UUID v5,
 * shared/azure/roleAssignmentName.ts), so a retry PUTs the same name and ARM answers 200, never a second 201 or a 409.
 * The simulator refuses a second assignment of a triple (409 `RoleAssignmentExists`), so its world can never show a
 * duplicate: these counts are what shows whether the app tried to make one.
 */
export function roleAssignmentWrites(sim: RunningSimulator, sinceSeq = 0): RoleAssignmentWrites {
  const world = sim.control.world();
  const principals = [...world.principals.values()].map((p) => p.objectId.toLowerCase());
  const roles = [...world.roleDefinitions.keys()];
  const byName = new Map<string, Map<string, { principalId: string; roleGuid: string }>>();
  const namesAt = (scope: string): Map<string, { principalId: string; roleGuid: string }> => {
    const k = normalizeResourceId(scope);
    let names = byName.get(k);
    if (!names) {
      names = new Map();
      for (const principalId of principals) {
        for (const roleGuid of roles)
          names.set(roleAssignmentName(scope, principalId, roleGuid), { principalId, roleGuid });
      }
      byName.set(k, names);
    }
    return names;
  };
  const nonDeterministic: string[] = [];
  const byTriple = new Map<
    string,
    { -readonly [K in keyof TripleWrites]: TripleWrites[K] } & { answers: (number | 'ambiguous')[] }
  >();
  let puts = 0;
  let conflicts = 0;
  const calls = sim.control.calls(sinceSeq);
  if (calls.length > 0 && (calls[0]?.seq ?? 0) > sinceSeq + 1) {
    throw new Error(`the simulator's call log no longer holds call ${sinceSeq + 1} (a ring of 20,000): check sooner`);
  }
  for (const c of calls) {
    if (c.operation !== 'roleAssignments.create' || c.method !== 'PUT' || c.principal !== APP_PRINCIPAL) continue;
    puts += 1;
    if (c.status === 409) conflicts += 1;
    const m = ROLE_ASSIGNMENT_PATH.exec(decodeURIComponent(c.path));
    const triple = m?.[1] !== undefined && m[2] !== undefined ? namesAt(m[1]).get(m[2].toLowerCase()) : undefined;
    if (!m?.[1] || !triple) {
      nonDeterministic.push(c.path);
      continue;
    }
    const scope = normalizeResourceId(m[1]);
    const key = `${triple.principalId}|${triple.roleGuid}|${scope}`;
    let t = byTriple.get(key);
    if (!t) {
      t = { key, ...triple, scope, created: 0, ambiguous: 0, updated: 0, conflicts: 0, failed: 0, answers: [] };
      byTriple.set(key, t);
    }
    const ambiguous = c.status === 0 && (c.note ?? '').startsWith('ambiguous:');
    t.answers.push(ambiguous ? 'ambiguous' : c.status);
    if (ambiguous) t.ambiguous += 1;
    else if (c.status === 201) t.created += 1;
    else if (c.status === 200) t.updated += 1;
    else if (c.status === 409) t.conflicts += 1;
    else t.failed += 1;
  }
  return { puts, nonDeterministic, conflicts, byTriple };
}

/** The (principal, scope, Network Contributor) triples fleetmesh must grant: each named cluster's identity on its VNet(s). */
export function networkContributorTriples(sim: RunningSimulator, clusterNames: readonly string[]): string[] {
  const world = sim.control.world();
  return clusterNames.flatMap((name) => {
    const cluster = [...world.clusters.values()].find((c) => c.name === name);
    if (!cluster) throw new Error(`no cluster ${name}`);
    return clusterVnets(sim, name).map(
      (vnet) => `${cluster.identityPrincipalId.toLowerCase()}|${NETWORK_CONTRIBUTOR}|${normalizeResourceId(vnet)}`,
    );
  });
}

/**
 * Checks the app's role assignment PUTs since `sinceSeq` against what a run may legitimately do, and returns what it
 * found wrong (empty: nothing): every PUT under the deterministic name; exactly the `expected` triples committed (each
 * exactly once: one 201 or one committed write whose answer was lost, never a second creation), no other triple
 * written; no 409; and no more 200 re-PUTs (retries of a write the app did not hear about) than `retriesAllowed(t)`.
 */
export function roleAssignmentViolations(
  writes: RoleAssignmentWrites,
  expected: readonly string[],
  retriesAllowed: (t: TripleWrites) => number,
): string[] {
  const problems: string[] = [];
  for (const p of writes.nonDeterministic) problems.push(`PUT under a name that is not roleAssignmentName(...): ${p}`);
  if (writes.conflicts > 0) problems.push(`${writes.conflicts} role assignment PUT(s) answered 409`);
  const want = new Set(expected);
  for (const key of want) if (!writes.byTriple.has(key)) problems.push(`never granted: ${key}`);
  for (const t of writes.byTriple.values()) {
    const describe = `${t.key} [${t.answers.join(', ')}]`;
    if (!want.has(t.key)) problems.push(`granted though never missing: ${describe}`);
    if (t.created > 1) problems.push(`created ${t.created} times (201): ${describe}`);
    // The first write that committed is the creation (201, or a lost answer); every later commit must find it (200).
    const commits = t.answers.filter((a) => a === 201 || a === 'ambiguous' || a === 200);
    if (commits.length === 0) problems.push(`no PUT committed: ${describe}`);
    else if (commits[0] === 200) problems.push(`answered 200 before any creation: ${describe}`);
    else if (commits.slice(1).some((a) => a === 201)) problems.push(`a second creation: ${describe}`);
    if (t.updated > retriesAllowed(t))
      problems.push(`${t.updated} re-PUT(s) answered 200, at most ${retriesAllowed(t)} allowed: ${describe}`);
  }
  return problems;
}

const AgentPools = z.looseObject({
  agentPoolProfiles: z
    .array(z.looseObject({ vnetSubnetID: z.string().optional(), podSubnetID: z.string().optional() }))
    .optional(),
});

/** The VNets of a cluster's node and pod subnets (where fleetmesh grants Network Contributor), normalised. */
function clusterVnets(sim: RunningSimulator, clusterName: string): string[] {
  const cluster = [...sim.control.world().clusters.values()].find((c) => c.name === clusterName);
  if (!cluster) throw new Error(`no cluster ${clusterName}`);
  const pools = AgentPools.parse(cluster.properties).agentPoolProfiles ?? [];
  const subnets = pools.flatMap((p) => [p.vnetSubnetID, p.podSubnetID]).filter((id) => id !== undefined);
  return [
    ...new Set(
      subnets
        .map((id) => normalizeResourceId(id))
        .filter((id) => id.includes('/subnets/'))
        .map((id) => id.slice(0, id.lastIndexOf('/subnets/'))),
    ),
  ];
}

/** Successful apply POSTs in the simulator's call log after `sinceSeq`. */
export function appliesSince(sim: RunningSimulator, sinceSeq: number): number {
  return sim.control
    .calls(sinceSeq)
    .filter((c) => c.operation === 'clusterMeshProfiles.apply' && c.method === 'POST' && c.status < 300).length;
}

export function lastCallSeq(sim: RunningSimulator): number {
  return sim.control.calls().at(-1)?.seq ?? 0;
}

const Misconfigured = z.looseObject({ misconfigured: z.record(z.string(), z.array(z.string())) });

/** The members the generator picks for a knob of a `generated:N?...` scenario name (same options, same picks). */
export function picked(scenario: string, knob: string): string[] {
  return Misconfigured.parse(generateFleetScenario(parseGeneratedName(scenario)).metadata).misconfigured[knob] ?? [];
}

/** Generated member `member-NNN` runs on cluster `aks-NNN`. */
export function clusterOf(member: string): string {
  return member.replace(/^member-/, 'aks-');
}

export interface Operations {
  /** Every operation of the profile (newest first), up to 100. */
  all(): Promise<Operation[]>;
  get(id: string): Promise<Operation | undefined>;
  waitTerminal(id: string, timeoutMs?: number): Promise<Operation>;
}

export function operations(store: StateStore, profile = 'demo'): Operations {
  return {
    all: () => store.listOperations(profile, { limit: 100 }),
    get: async (id) => (await store.getOperation(id))?.value,
    waitTerminal: (id, timeoutMs = 120_000) =>
      waitUntil(
        `operation ${id} to finish`,
        async () => {
          const op = (await store.getOperation(id))?.value;
          return op && isTerminalStatus(op.status) ? op : undefined;
        },
        timeoutMs,
      ),
  };
}

export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 120_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The app host as a child process, with the simulator and Cosmos in the test process

export interface Infra {
  readonly cosmos: EmbeddedCosmosServer;
  readonly store: StateStore;
  readonly dir: string;
  readonly dataDir: string;
  readonly settingsFile: string;
  readonly keysFile: string;
  readonly functionKey: string;
  stop(): Promise<void>;
}

/**
 * Cosmos (containers created, the policy seeded), certificates, the host's settings and keys files, and a durable
 * data directory, for an app host run as a child process against `sim`.
 */
export async function startInfra(
  sim: RunningSimulator,
  options: { fleet: string; policy?: MeshPolicyInput; timeFactor: number; appSettings?: Record<string, string> },
): Promise<Infra> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetmesh-hardening-'));
  const cosmos = await startCosmosServer();
  const client = createCosmosClient(
    { endpoint: cosmos.endpoint, database: 'fleetmesh', auth: { kind: 'key', key: cosmos.key }, caFile: undefined },
    { caPem: cosmos.certificatePem },
  );
  await ensureContainers(client, 'fleetmesh');
  const store = createCosmosStateStore({ client, databaseId: 'fleetmesh', eventTtlSeconds: 86_400 });
  const policy = options.policy ?? demoPolicy(options.timeFactor);
  await store.putPolicy('demo', JsonObjectSchema.parse(MeshPolicySchema.parse(policy)), 'test');
  const simCert = path.join(dir, 'sim.pem');
  const cosmosCert = path.join(dir, 'cosmos.pem');
  writeFileSync(simCert, sim.certificatePem);
  writeFileSync(cosmosCert, cosmos.certificatePem);
  const functionKey = 'hardening-function-key-0123456789';
  const keysFile = path.join(dir, 'keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify({
      masterKey: MASTER_KEY,
      functionKeys: { default: functionKey },
      systemKeys: { eventgrid_extension: 'hardening-eventgrid-key-0123456789' },
    }),
  );
  const settingsFile = path.join(dir, 'settings.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({
      FLEETMESH_SUBSCRIPTION_ID: sim.subscriptionId,
      FLEETMESH_FLEET_RESOURCE_GROUP: 'rg-fleet',
      FLEETMESH_FLEET_NAME: options.fleet,
      FLEETMESH_ARM_ENDPOINT: sim.endpoint,
      FLEETMESH_ARM_AUTH: 'static',
      FLEETMESH_ARM_STATIC_TOKEN: sim.tokens['fleetmesh'] ?? '',
      FLEETMESH_ARM_CA_FILE: simCert,
      FLEETMESH_COSMOS_ENDPOINT: cosmos.endpoint,
      FLEETMESH_COSMOS_AUTH: 'key',
      FLEETMESH_COSMOS_KEY: cosmos.key,
      FLEETMESH_COSMOS_CA_FILE: cosmosCert,
      FLEETMESH_TASK_HUB: 'fleetmesh',
      FLEETMESH_RESYNC_SCHEDULE: '0 0 0 1 1 *',
      FLEETMESH_RESYNC_ON_STARTUP: 'false',
      FLEETMESH_LOG_LEVEL: 'warn',
      ...options.appSettings,
    }),
  );
  return {
    cosmos,
    store,
    dir,
    dataDir: path.join(dir, 'data'),
    settingsFile,
    keysFile,
    functionKey,
    async stop() {
      client.dispose();
      await cosmos.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const MASTER_KEY = 'hardening-master-key-0123456789';

const ReadySchema = z.looseObject({ event: z.literal('ready'), url: z.string(), resumedInstances: z.number() });

export interface AppHost {
  readonly url: string;
  readonly child: ChildProcess;
  readonly resumedInstances: number;
  /** stderr lines so far. */
  logs(): string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
  api(method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }>;
  /** GET on the host's durable API (`/runtime/webhooks/durabletask/<path>`, master key), for diagnostics. */
  durable(pathAndQuery: string): Promise<unknown>;
}

/** `node dist/local/host/cli.js --app <repo> --port 0 --data --keys --settings`, resolved when it prints ready. */
export function spawnAppHost(infra: Infra): Promise<AppHost> {
  const root = projectRoot();
  const args = [
    path.join(root, 'dist/local/host/cli.js'),
    '--app',
    root,
    '--port',
    '0',
    '--data',
    infra.dataDir,
    '--keys',
    infra.keysFile,
    '--settings',
    infra.settingsFile,
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  let rest = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    stderr.push(...lines);
    if (stderr.length > 2000) stderr.splice(0, stderr.length - 2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const timeout = setTimeout(() => {
      void kill();
      reject(new Error(`app host not ready within 60 s; stderr:\n${stderr.slice(-20).join('\n')}`));
    }, 60_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      // The app may log on stdout before the host's ready line: find the line that says ready.
      for (const line of out.split('\n')) {
        if (!line.includes('"event":"ready"')) continue;
        const ready = ReadySchema.safeParse(JSON.parse(line));
        if (!ready.success) continue;
        clearTimeout(timeout);
        out = '';
        const url = ready.data.url;
        resolve({
          url,
          child,
          resumedInstances: ready.data.resumedInstances,
          logs: () => [...stderr],
          kill,
          async durable(pathAndQuery) {
            const sep = pathAndQuery.includes('?') ? '&' : '?';
            const r = await fetch(`${url}/runtime/webhooks/durabletask/${pathAndQuery}${sep}code=${MASTER_KEY}`);
            const text = await r.text();
            try {
              return JSON.parse(text) as unknown;
            } catch {
              return text;
            }
          },
          async api(method, route, body) {
            const r = await fetch(`${url}/api${route}`, {
              method,
              headers: {
                'x-functions-key': infra.functionKey,
                ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              },
              ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            });
            const text = await r.text();
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            return { status: r.status, json, text };
          },
        });
        return;
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timeout);
      reject(
        new Error(`app host exited (${code ?? signal ?? '?'}) before ready; stderr:\n${stderr.slice(-20).join('\n')}`),
      );
    });
  });
}

/** A small seeded generator (mulberry32), so a failing campaign can be replayed with the same choices. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
