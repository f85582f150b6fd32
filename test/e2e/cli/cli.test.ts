/**
 * The built command line (`node dist/cli/main.js`, a child process as an operator would run it) against the whole
 * sandbox: plan, apply --wait with the West member's remediation, status, policy, approve and reject of applies that
 * wait for approval, and the exit codes for a wrong key, an unknown profile and an unreachable API (as text and as
 * JSON errors).
 *
 * The sandbox starts in `manual` mode, so nothing is applied until the command line applies it.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPolicy, projectRoot } from '../../../local/sandbox/sandbox.js';
import { arr, obj, startE2E, waitFor, type E2E } from '../support/harness.js';

const FLEET_API = '2026-03-02-preview';
const root = projectRoot();
const main = path.join(root, 'dist', 'cli', 'main.js');

let e2e: E2E;
let cwd: string;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI; the sandbox's URL and key come from `.fleetmesh/sandbox.json` in `cwd`, as after `npm start`. */
function fleetmesh(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function json(run: Run): Record<string, unknown> {
  try {
    return obj(JSON.parse(run.stdout));
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
}

async function setLabels(member: string, labels: Record<string, string>): Promise<void> {
  const r = await e2e.operator.call('PATCH', e2e.fleetPath(`/members/${member}`), {
    body: { properties: { labels } },
    apiVersion: FLEET_API,
  });
  expect([200, 202]).toContain(r.status);
}

async function operationAwaitingApproval(notId?: string): Promise<string> {
  return waitFor('an operation awaiting approval', async () => {
    const view = obj((await e2e.api('GET', '/meshes/demo')).json);
    const id = typeof view.lastOperationId === 'string' ? view.lastOperationId : undefined;
    if (!id || id === notId) return undefined;
    const op = obj((await e2e.api('GET', `/operations/${encodeURIComponent(id)}`)).json);
    return op.status === 'AwaitingApproval' ? id : undefined;
  });
}

beforeAll(async () => {
  e2e = await startE2E({ policy: { ...demoPolicy(50), mode: 'manual' } });
  cwd = mkdtempSync(path.join(tmpdir(), 'fleetmesh-cli-e2e-'));
  mkdirSync(path.join(cwd, '.fleetmesh'));
  copyFileSync(path.join(e2e.sandbox.stateDir, 'sandbox.json'), path.join(cwd, '.fleetmesh', 'sandbox.json'));
});

afterAll(async () => {
  await e2e.stop();
  rmSync(cwd, { recursive: true, force: true });
});

describe('fleetmesh against the sandbox', () => {
  let planId = '';

  it('plan: both labelled members to add, West lacking Network Contributor, no Traffic Manager backend yet', async () => {
    const table = await fleetmesh(['plan', 'demo']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^Action\s+Name\s+ClusterResourceId\s+MeshMembershipState\s+ETag$/m);
    expect(table.stdout).toMatch(/^Add\s+member-east\s+\/subscriptions\/\S+\/managedClusters\/aks-east\s+-\s+\S+$/m);
    expect(table.stdout).toMatch(/^Add\s+member-west\s+\/subscriptions\/\S+\/managedClusters\/aks-west\s+-\s+\S+$/m);
    expect(table.stdout).toContain(
      'WARNING identity.networkRole [member-west] (fleetmesh fixes this during the apply)',
    );
    expect(table.stdout).toMatch(/remediation: .+/);
    // No member is meshed yet, so Traffic Manager has no backend to add: the section says so.
    expect(table.stdout).toMatch(/Traffic Manager changes\n {2}no endpoints\./);

    const plan = json(await fleetmesh(['plan', 'demo', '--output', 'json']));
    expect(plan.planId).toMatch(/^[0-9a-f]{64}$/);
    expect(arr(plan.rows).map((r) => [obj(r).action, obj(r).name])).toEqual([
      ['Add', 'member-east'],
      ['Add', 'member-west'],
    ]);
    planId = String(plan.planId);
  });

  it('apply --plan --wait: follows both members to Connected, West remediated, exit 0', async () => {
    const run = await fleetmesh(['apply', 'demo', '--plan', planId, '--wait', '--poll', '0.2', '--timeout', '240']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Apply started: operation demo\.\S+/);
    expect(run.stderr).toContain('status Succeeded');
    expect(run.stderr).toMatch(/progress \[#+\] 2\/2 member\(s\) done/);
    expect(run.stderr).toContain(
      'fix before the apply: member-west: grantNetworkContributor on vnet-west, then reconcileCluster',
    );
    expect(run.stdout).toMatch(/Operation demo\.\S+ \(apply of 'demo' by http, requested by function-key\): Succeeded/);
    expect(run.stdout).toMatch(/^member-east\s+Add\s+Succeeded\s+Connected\s+\d+\s+-/m);
    expect(run.stdout).toMatch(/^member-west\s+Add\s+Succeeded\s+Connected\s+\d+/m);
    expect(run.stdout).toContain(
      'fixes before the apply:\n    member-west: grantNetworkContributor on vnet-west, then reconcileCluster Succeeded',
    );
  });

  it('status: both Connected with Cilium ids, and the Traffic Manager endpoints with their weights', async () => {
    await waitFor('two enabled endpoints', async () => {
      const tm = obj((await e2e.api('GET', '/meshes/demo')).json).trafficManager;
      return tm && arr(obj(tm).endpoints).filter((e) => obj(e).status === 'Enabled').length === 2 ? true : undefined;
    });
    const run = await fleetmesh(['status', 'demo']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("Mesh profile 'demo': Connected");
    expect(run.stdout).toMatch(/^member-east\s+Connected\s+\d+\s+mesh=demo/m);
    expect(run.stdout).toMatch(/^member-west\s+Connected\s+\d+\s+mesh=demo/m);
    expect(run.stdout).toMatch(/member-east\s+500\s+Enabled/);
    expect(run.stdout).toMatch(/member-west\s+500\s+Enabled/);
    expect(run.stdout).toMatch(/Last operation: demo\.\S+ apply Succeeded/);
  });

  it('approve: under mode approve, a labelled member waits; approved, it joins; answering again is exit 5', async () => {
    const policy = await fleetmesh(['policy', 'demo', '--mode', 'approve']);
    expect(policy.code, policy.stderr).toBe(0);
    expect(policy.stdout).toContain("Policy of 'demo' set by function-key");
    expect(policy.stdout).toContain('mode approve');

    await setLabels('member-central', { mesh: 'demo', region: 'central' });
    const id = await operationAwaitingApproval();
    const status = await fleetmesh(['status', 'demo']);
    expect(status.stdout).toContain(`waiting for approval: fleetmesh approve ${id}`);

    const approve = await fleetmesh(['approve', id, '--comment', 'central joins']);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain(`Approved ${id} as function-key.`);

    const done = await fleetmesh(['operation', id, '--wait', '--poll', '0.2', '--timeout', '240']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^member-central\s+Add\s+Succeeded\s+Connected/m);
    expect(done.stdout).toContain('approved by function-key');
    expect(done.stdout).toContain('central joins');

    const again = await fleetmesh(['approve', id]);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('not waiting for approval');
  });

  it('reject: a removal waiting for approval is rejected; following it ends with exit 1', async () => {
    const before = obj((await e2e.api('GET', '/meshes/demo')).json).lastOperationId;
    await setLabels('member-central', { region: 'central' });
    const id = await operationAwaitingApproval(typeof before === 'string' ? before : undefined);
    const reject = await fleetmesh(['reject', id, '--comment', 'keep central']);
    expect(reject.code, reject.stderr).toBe(0);
    const followed = await fleetmesh(['operation', id, '--wait', '--poll', '0.2', '--timeout', '120']);
    expect(followed.code).toBe(1);
    expect(followed.stdout).toMatch(/Rejected/);
  });

  it('exit codes: wrong key 3, unknown profile 4, unreachable API 6, each naming what is wrong', async () => {
    const wrongKey = await fleetmesh(['status', 'demo'], { FLEETMESH_API_KEY: 'not-the-key' });
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toContain(
      `the API at ${e2e.sandbox.apiBaseUrl} refused the function key (401 Unauthorized)`,
    );
    expect(wrongKey.stderr).not.toContain('not-the-key');

    const unknown = await fleetmesh(['status', 'nope']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain("mesh profile 'nope' does not exist");

    const unreachable = await fleetmesh(['status', 'demo'], { FLEETMESH_API_URL: 'http://127.0.0.1:9/api' });
    expect(unreachable.code).toBe(6);
    expect(unreachable.stderr).toContain('cannot reach the fleetmesh API at http://127.0.0.1:9/api/meshes/demo');

    // With -o json the same failures are one JSON object on stderr, with the same exit codes.
    const asJson = await fleetmesh(['status', 'nope', '-o', 'json']);
    expect(asJson.code).toBe(4);
    expect(asJson.stdout).toBe('');
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'NotFound' }, exitCode: 4 });
    const keyAsJson = await fleetmesh(['-o', 'json', 'status', 'demo'], { FLEETMESH_API_KEY: 'not-the-key' });
    expect(keyAsJson.code).toBe(3);
    expect(JSON.parse(keyAsJson.stderr)).toMatchObject({ error: { code: 'FunctionKeyRefused' }, exitCode: 3 });
  });
});

describe('the read routes the status page adds', () => {
  it('GET /meshes/{profile}/topology: each member in its VNet, the two VNets peered; 404 for an unknown profile', async () => {
    const r = await e2e.api('GET', '/meshes/demo/topology');
    expect(r.status).toBe(200);
    const topology = obj(r.json);
    const vnets = arr(topology.vnets).map((v) => obj(v));
    expect(vnets.map((v) => [v.name, v.members])).toEqual([
      ['vnet-central', ['member-central']],
      ['vnet-east', ['member-east']],
      ['vnet-west', ['member-west']],
    ]);
    const peered = arr(topology.peerings).map((p) => obj(p));
    expect(peered).toHaveLength(3);
    expect(peered.every((p) => p.peered === true)).toBe(true);
    expect((await e2e.api('GET', '/meshes/nope/topology')).status).toBe(404);
  });

  it('GET /meshes/{profile}/operations: newest first, limited; a bad limit is a 400 naming it', async () => {
    const all = arr(obj((await e2e.api('GET', '/meshes/demo/operations')).json).value).map((o) => obj(o));
    expect(all.length).toBeGreaterThanOrEqual(3);
    const created = all.map((o) => String(o.createdAt));
    expect([...created].sort().reverse()).toEqual(created);
    const two = await e2e.api('GET', '/meshes/demo/operations?limit=2');
    expect(arr(obj(two.json).value).map((o) => obj(o).id)).toEqual(all.slice(0, 2).map((o) => o.id));
    const bad = await e2e.api('GET', '/meshes/demo/operations?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("'limit'");
  });
});
