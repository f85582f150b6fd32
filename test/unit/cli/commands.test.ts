/**
 * The command line end to end in-process against a fake API on loopback: what each command sends, what it prints
 * (table and JSON), and the exit code for every kind of failure.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/program.js';
import { ExitCode } from '../../../cli/exitCodes.js';
import {
  apiError,
  captureIo,
  cli,
  KEY,
  meshBody,
  operationBody,
  planBody,
  startFakeApi,
  type FakeApi,
} from './support.js';

let api: FakeApi;

beforeEach(async () => {
  api = await startFakeApi();
});

afterEach(async () => {
  await api.close();
});

describe('plan', () => {
  it('says which members get no Traffic Manager endpoint for lack of room', async () => {
    const traffic = {
      changes: [],
      ineligible: [],
      notRouted: [
        { service: 'demo/web', member: 'member-west', reason: 'Traffic Manager allows 200 endpoints per profile' },
      ],
      services: [],
    };
    api.on('POST /meshes/demo/plan', { status: 200, body: planBody({ traffic }) });
    const r = await cli(api, ['plan', 'demo']);
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout).toContain(
      'not routed, 1 member(s) without an endpoint (Traffic Manager allows 200 endpoints per profile): member-west (demo/web)',
    );
  });

  it('prints the what-if table, the findings with remediation and the Traffic Manager changes', async () => {
    api.on('POST /meshes/demo/plan', { status: 200, body: planBody() });
    const r = await cli(api, ['plan', 'demo']);
    expect(r.code).toBe(ExitCode.Ok);
    const lines = r.stdout.split('\n');
    const header = lines.find((l) => l.startsWith('Action'));
    expect(header?.split(/\s{2,}/)).toEqual(['Action', 'Name', 'ClusterResourceId', 'MeshMembershipState', 'ETag']);
    expect(lines.find((l) => l.startsWith('Add') && l.includes('member-west'))).toMatch(
      /^Add\s+member-west\s+\/subscriptions\/.*\/managedClusters\/aks-west\s+-\s+"w-1"$/,
    );
    expect(r.stdout).toContain('Summary: 2 to add, 0 to remove, 0 unchanged, 0 in error; 2 member(s)');
    expect(r.stdout).toContain('WARNING identity.networkRole [member-west] (fleetmesh fixes this during the apply)');
    expect(r.stdout).toContain("remediation: grant Network Contributor on 'vnet-west' to the cluster identity");
    expect(r.stdout).toMatch(/create\s+fleetmesh#demo#demo#web#member-east\s+demo\/web\s+member-east\s+500\s+Disabled/);
    expect(r.stdout).toContain(`fleetmesh apply demo --plan ${'a'.repeat(64)} --wait`);
    expect(api.requests[0]?.body).toEqual({});
    expect(api.requests[0]?.headers['x-functions-key']).toBe(KEY);
  });

  it('sends --selector as memberSelector, including the empty selector', async () => {
    api.on('POST /meshes/demo/plan', { status: 200, body: planBody({ desiredSelector: '', selectorChanges: true }) });
    const r = await cli(api, ['plan', 'demo', '--selector', '']);
    expect(r.code).toBe(0);
    expect(api.requests[0]?.body).toEqual({ memberSelector: '' });
    expect(r.stdout).toContain("mesh=demo -> (empty: selects nothing) (the apply changes the profile's selector)");
    // The apply must carry the same selector, or it would apply the profile's own one and mismatch the plan.
    expect(r.stdout).toContain(`fleetmesh apply demo --plan ${'a'.repeat(64)} --selector '' --wait`);
  });

  it('says when preflight blocks the apply and shows Error rows with their reason', async () => {
    const body = planBody({
      blocked: true,
      rows: [
        {
          action: 'Error',
          name: 'member-x',
          clusterResourceId: '/c/x',
          meshState: 'Connected',
          errorMessage: "member 'member-x' is already in cluster mesh profile 'other'",
        },
      ],
      findings: [
        {
          checkId: 'network.peering',
          severity: 'error',
          member: 'member-east',
          peerMember: 'member-west',
          message: "'vnet-east' has no peering to 'vnet-west'",
          remediation: 'peer the two virtual networks',
        },
      ],
      traffic: null,
    });
    api.on('POST /meshes/demo/plan', { status: 200, body });
    const r = await cli(api, ['plan', 'demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Error member-x: member 'member-x' is already in cluster mesh profile 'other'");
    expect(r.stdout).toContain('ERROR network.peering [member-east <-> member-west]');
    expect(r.stdout).toContain('remediation: peer the two virtual networks');
    expect(r.stdout).toContain('The apply is blocked until the preflight errors above are fixed.');
    expect(r.stdout).toContain('Traffic Manager: not managed');
  });

  it('--output json prints the parsed plan, fields it does not know included', async () => {
    api.on('POST /meshes/demo/plan', { status: 200, body: planBody({ extra: { kept: true } }) });
    const r = await cli(api, ['--output', 'json', 'plan', 'demo']);
    expect(r.code).toBe(0);
    const json: unknown = JSON.parse(r.stdout);
    expect(json).toMatchObject({ planId: 'a'.repeat(64), extra: { kept: true }, summary: { add: 2 } });
  });

  it('accepts the global options after the command too', async () => {
    api.on('POST /meshes/demo/plan', { status: 200, body: planBody() });
    const r = await cli(api, ['plan', 'demo', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
  });
});

describe('exit codes and messages for failures', () => {
  it.each([
    [400, 'ValidationFailed', ExitCode.Usage],
    [403, 'Forbidden', ExitCode.Auth],
    [404, 'NotFound', ExitCode.NotFound],
    [409, 'Conflict', ExitCode.Conflict],
    [412, 'PreconditionFailed', ExitCode.Conflict],
    [502, 'AzureError', ExitCode.ApiError],
    [500, 'InternalError', ExitCode.ApiError],
  ])('%i %s exits %i and prints the API message', async (status, code, exit) => {
    api.on('GET /meshes/demo', apiError(status, code, `the message for ${code}`));
    const r = await cli(api, ['status', 'demo']);
    expect(r.code).toBe(exit);
    expect(r.stderr).toContain(`the message for ${code} (${status} ${code})`);
    expect(r.stdout).toBe('');
  });

  it('a wrong key is exit 3 and names the API, never the key', async () => {
    const r = await cli(api, ['status', 'demo'], { FLEETMESH_API_KEY: 'wrong-key' });
    expect(r.code).toBe(ExitCode.Auth);
    expect(r.stderr).toContain(`the API at ${api.baseUrl} refused the function key (401 Unauthorized)`);
    expect(r.stderr).not.toContain('wrong-key');
  });

  it('no key at all is exit 3 and says how to pass one', async () => {
    const c = captureIo({ FLEETMESH_API_URL: api.baseUrl });
    expect(await runCli(['status', 'demo'], c.io)).toBe(ExitCode.Auth);
    expect(c.stderr()).toContain('needs a function key (401): pass --key or set FLEETMESH_API_KEY');
    expect(api.requests[0]?.headers['x-functions-key']).toBeUndefined();
  });

  it('an unknown profile is exit 4 with the API message', async () => {
    api.on('GET /meshes/nope', apiError(404, 'NotFound', "mesh profile 'nope' does not exist in fleet 'fleet-demo'"));
    const r = await cli(api, ['status', 'nope']);
    expect(r.code).toBe(ExitCode.NotFound);
    expect(r.stderr).toContain("mesh profile 'nope' does not exist in fleet 'fleet-demo'");
  });

  it('a base URL without /api gets a hint, exit 4', async () => {
    const r = await cli(api, ['status', 'demo'], { FLEETMESH_API_URL: api.baseUrl.replace(/\/api$/, '/wrong') });
    expect(r.code).toBe(ExitCode.NotFound);
    expect(r.stderr).toContain('no such route: GET');
    expect(r.stderr).toContain('ending in /api');
  });

  it('an unreachable API is exit 6 and names the URL tried', async () => {
    const url = api.baseUrl;
    await api.close();
    const r = await cli(api, ['status', 'demo']);
    expect(r.code).toBe(ExitCode.Unreachable);
    expect(r.stderr).toContain(`cannot reach the fleetmesh API at ${url}/meshes/demo`);
    expect(r.stderr).toContain('ECONNREFUSED');
    api = await startFakeApi(); // for afterEach
  });

  it('a response of the wrong shape is exit 7 naming the field', async () => {
    api.on('GET /meshes/demo', { status: 200, body: meshBody({ members: [{ name: 5 }] }) });
    const r = await cli(api, ['status', 'demo']);
    expect(r.code).toBe(ExitCode.ApiError);
    expect(r.stderr).toMatch(/unexpected response from GET .*\/meshes\/demo \(200\): 'members\.0\.name'/);
  });

  it('a body that is not JSON is exit 7 and asks whether the URL is the API', async () => {
    api.on('GET /meshes/demo', { status: 200, raw: '<html>hello</html>', headers: { 'content-type': 'text/html' } });
    const r = await cli(api, ['status', 'demo']);
    expect(r.code).toBe(ExitCode.ApiError);
    expect(r.stderr).toContain('is the base URL the fleetmesh API?');
  });

  it.each([
    [['plan', 'Demo'], "'Demo' is not a mesh profile name"],
    [['approve', 'not-an-id'], "'not-an-id' is not an operation id"],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['plan'], "missing required argument 'profile'"],
    [['--output', 'xml', 'plan', 'demo'], "argument 'xml' is invalid"],
    [['apply', 'demo', '--wait', '--timeout', '-3'], '--timeout must be a positive number'],
    [['policy', 'demo', '--mode', 'sometimes'], "argument 'sometimes' is invalid"],
  ])('usage error %j exits 2 without calling the API', async (args, message) => {
    const r = await cli(api, args);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain(message);
    expect(api.requests).toHaveLength(0);
  });

  it('--help and --version exit 0', async () => {
    const help = await cli(api, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 ok');
    const version = await cli(api, ['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('status', () => {
  it('shows members with state and Cilium id, endpoints with weight and monitor, policy, and the last operation', async () => {
    api.on('GET /meshes/demo', { status: 200, body: meshBody() });
    api.on('GET /operations/demo.op-1', { status: 200, body: operationBody() });
    const r = await cli(api, ['status', 'demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Mesh profile 'demo': Connected");
    expect(r.stdout).toMatch(/member-east\s+Connected\s+1\s+mesh=demo,region=east/);
    expect(r.stdout).toMatch(/member-west\s+Connecting\s+2/);
    expect(r.stdout).toMatch(/fleetmesh#demo#demo#web#member-east\s+member-east\s+500\s+Enabled\s+Online/);
    expect(r.stdout).toContain('Policy: mode auto, allowRemovals false, debounce 30 s');
    expect(r.stdout).toContain('Reconciler: Running, phase idle, 0 pending apply(ies)');
    expect(r.stdout).toContain('Last operation: demo.op-1 apply Succeeded');
  });

  it('names the members Traffic Manager has no room for (200 endpoints per profile), the first ten of them', async () => {
    const reason = 'Traffic Manager allows 200 endpoints per profile';
    const notRouted = Array.from({ length: 12 }, (_, i) => ({
      service: 'demo/web',
      member: `member-${200 + i}`,
      reason,
    }));
    const body = meshBody();
    api.on('GET /meshes/demo', {
      status: 200,
      body: { ...body, trafficManager: { ...(body['trafficManager'] as object), notRouted } },
    });
    const r = await cli(api, ['status', 'demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`not routed, 12 member(s) without an endpoint (${reason}): member-200 (demo/web),`);
    expect(r.stdout).toContain('member-209 (demo/web), and 2 more');
    expect(r.stdout).not.toContain('member-210');
    api.on('GET /meshes/demo', { status: 200, body: meshBody() });
    expect((await cli(api, ['status', 'demo'])).stdout).not.toContain('not routed');
  });

  it('still answers when the last operation is gone, and tells how to answer one awaiting approval', async () => {
    api.on('GET /meshes/demo', { status: 200, body: meshBody() });
    const gone = await cli(api, ['status', 'demo']);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toContain('Last operation: demo.op-1');
    api.on('GET /operations/demo.op-1', { status: 200, body: operationBody({ status: 'AwaitingApproval' }) });
    const waiting = await cli(api, ['status', 'demo']);
    expect(waiting.stdout).toContain('fleetmesh approve demo.op-1');
  });

  it('--output json adds the last operation to the view', async () => {
    api.on('GET /meshes/demo', { status: 200, body: meshBody() });
    api.on('GET /operations/demo.op-1', { status: 200, body: operationBody() });
    const r = await cli(api, ['-o', 'json', 'status', 'demo']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      profile: 'demo',
      lastOperation: { id: 'demo.op-1', status: 'Succeeded' },
    });
  });
});

describe('apply', () => {
  const accepted = {
    status: 202,
    body: { operationId: 'demo.op-2', status: 'Pending', statusUrl: 'http://x/api/operations/demo.op-2', durable: {} },
  };

  it('without --wait prints the operation id and how to follow it', async () => {
    api.on('POST /meshes/demo/apply', accepted);
    const r = await cli(api, ['apply', 'demo', '--plan', 'b'.repeat(64)]);
    expect(r.code).toBe(0);
    expect(api.requests[0]?.body).toEqual({ planId: 'b'.repeat(64) });
    expect(r.stdout).toContain('Apply started: operation demo.op-2');
    expect(r.stdout).toContain('fleetmesh operation demo.op-2 --wait');
  });

  it('a plan that no longer matches is exit 5 and names the current plan', async () => {
    api.on(
      'POST /meshes/demo/apply',
      apiError(409, 'PlanMismatch', 'the fleet changed since plan b… was computed; plan again', {
        currentPlanId: 'c'.repeat(64),
      }),
    );
    const r = await cli(api, ['apply', 'demo', '--plan', 'b'.repeat(64), '--wait']);
    expect(r.code).toBe(ExitCode.Conflict);
    expect(r.stderr).toContain(`the current plan is ${'c'.repeat(64)}`);
  });

  it('--wait follows the operation member by member and exits 0 when it succeeds', async () => {
    api.on('POST /meshes/demo/apply', accepted);
    const running = (progress: unknown[], livePhase: string, members: unknown[] = []): Record<string, unknown> =>
      operationBody({
        id: 'demo.op-2',
        status: 'Running',
        phase: 'apply',
        livePhase,
        runtimeStatus: 'Running',
        members,
        progress,
        finishedAt: null,
      });
    const sequence = [
      operationBody({ id: 'demo.op-2', status: 'Pending', plan: null, members: [], livePhase: null, finishedAt: null }),
      running([], 'preflight'),
      running([], 'remediating'),
      running(
        [
          { member: 'member-east', outcome: 'converging', meshState: 'Connecting', step: 'watching' },
          { member: 'member-west', outcome: 'converging', meshState: 'Failed', step: 'grantNetworkContributor' },
        ],
        'converging',
      ),
      running(
        [
          // A convergence batch reports finished members with its own words (connected, removed, failed, timeout).
          { member: 'member-east', outcome: 'connected', meshState: 'Connected' },
          { member: 'member-west', outcome: 'converging', meshState: 'Connecting', step: 'watching' },
        ],
        'converging',
      ),
      operationBody({ id: 'demo.op-2' }),
    ];
    let poll = 0;
    api.on('GET /operations/demo.op-2', () => ({ status: 200, body: sequence[Math.min(poll++, sequence.length - 1)] }));
    const r = await cli(api, ['apply', 'demo', '--wait', '--poll', '0.01']);
    expect(r.code).toBe(ExitCode.Ok);
    const progress = r.stderr;
    expect(progress).toContain('Apply started: operation demo.op-2');
    expect(progress).toContain('status Pending');
    expect(progress).toContain('phase preflight');
    expect(progress).toContain(
      'fix before the apply: member-west: grantNetworkContributor on vnet-west, then reconcileCluster',
    );
    expect(progress).toContain('member-west: converging, mesh state Failed, step grantNetworkContributor');
    expect(progress).toContain('member-east: connected, mesh state Connected');
    expect(progress).toContain('progress [##########..........] 1/2 member(s) done');
    expect(progress).toContain('progress [####################] 2/2 member(s) done');
    expect(progress).toContain('remediation member-west: grantNetworkContributor Succeeded');
    // The order is the order things happened.
    expect(progress.indexOf('phase preflight')).toBeLessThan(progress.indexOf('grantNetworkContributor'));
    // The result on stdout: the members with their remediations.
    expect(r.stdout).toContain('Operation demo.op-2 (apply');
    expect(r.stdout).toMatch(
      /member-west\s+Add\s+Succeeded\s+Connected\s+5\s+grantNetworkContributor Succeeded\s+4\.1 s/,
    );
    expect(r.stdout).toContain('ARM calls: 20 read(s), 4 write(s), 0 throttled, 0 error(s)');
    expect(r.stdout).toContain(
      'fixes before the apply:\n    member-west: grantNetworkContributor on vnet-west, then reconcileCluster Succeeded',
    );
  });

  it('--wait on a terminal draws a progress bar in place, with the changes logged above it', async () => {
    api.on('POST /meshes/demo/apply', accepted);
    let poll = 0;
    const sequence = [
      operationBody({ id: 'demo.op-2', status: 'Running', livePhase: 'converging', members: [], finishedAt: null }),
      operationBody({ id: 'demo.op-2' }),
    ];
    api.on('GET /operations/demo.op-2', () => ({ status: 200, body: sequence[Math.min(poll++, 1)] }));
    let drawn = '';
    const terminal = Object.assign(
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          drawn += chunk.toString('utf8');
          done();
        },
      }),
      { isTTY: true, columns: 120 },
    );
    const c = captureIo({ FLEETMESH_API_URL: api.baseUrl, FLEETMESH_API_KEY: KEY, NO_COLOR: '1' });
    const io = { ...c.io, stderr: { write: (t: string) => void terminal.write(t), isTTY: true, stream: terminal } };
    expect(await runCli(['apply', 'demo', '--wait', '--poll', '0.01'], io)).toBe(0);
    expect(drawn).toContain('\u001b[2K'); // the bar clears and redraws its line
    expect(drawn).toMatch(/ done \[#{24}\] 2\/2 member\(s\) done/);
    // Lines logged above the bar, including those of the last poll, are all written.
    expect(drawn).toContain('status Succeeded');
    expect(drawn).toContain('member-west: Succeeded, mesh state Connected');
  });

  it('--wait exits 1 when the operation fails, with its error', async () => {
    api.on('POST /meshes/demo/apply', accepted);
    api.on('GET /operations/demo.op-2', {
      status: 200,
      body: operationBody({
        id: 'demo.op-2',
        status: 'Failed',
        error: { code: 'PreflightBlocked', message: 'preflight found 1 error(s)' },
      }),
    });
    const r = await cli(api, ['apply', 'demo', '--wait', '--poll', '0.01']);
    expect(r.code).toBe(ExitCode.OperationFailed);
    expect(r.stdout).toContain('PreflightBlocked: preflight found 1 error(s)');
    // Preflight blocked the apply before the fixes: they are listed without an outcome.
    expect(r.stdout).toMatch(/member-west: grantNetworkContributor on vnet-west, then reconcileCluster$/m);
  });

  it('--wait --timeout exits 8 while the operation goes on, and says how to follow it', async () => {
    api.on('POST /meshes/demo/apply', accepted);
    api.on('GET /operations/demo.op-2', {
      status: 200,
      body: operationBody({ id: 'demo.op-2', status: 'Running', livePhase: 'converging', finishedAt: null }),
    });
    const r = await cli(api, ['apply', 'demo', '--wait', '--poll', '0.01', '--timeout', '0.05']);
    expect(r.code).toBe(ExitCode.Timeout);
    expect(r.stderr).toContain(
      "operation demo.op-2 is still Running (converging) after 0 s; it goes on in the app: follow it with 'fleetmesh operation demo.op-2 --wait'",
    );
  });

  it('--wait rides out a failed poll', async () => {
    api.on('POST /meshes/demo/apply', accepted);
    let poll = 0;
    api.on('GET /operations/demo.op-2', () =>
      poll++ === 0
        ? apiError(503, 'Unavailable', 'restarting')
        : { status: 200, body: operationBody({ id: 'demo.op-2' }) },
    );
    const r = await cli(api, ['apply', 'demo', '--wait', '--poll', '0.01']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('poll failed (1/5), retrying');
  });

  it('--output json with --wait prints only the final operation on stdout', async () => {
    api.on('POST /meshes/demo/apply', accepted);
    api.on('GET /operations/demo.op-2', { status: 200, body: operationBody({ id: 'demo.op-2', status: 'Rejected' }) });
    const r = await cli(api, ['apply', 'demo', '--wait', '--poll', '0.01', '-o', 'json']);
    expect(r.code).toBe(ExitCode.OperationFailed);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'demo.op-2', status: 'Rejected' });
  });
});

describe('approve and reject', () => {
  it('approve sends the comment and exits 0', async () => {
    api.on('POST /operations/demo.op-3/approve', {
      status: 202,
      body: { operationId: 'demo.op-3', decision: 'approve', by: 'function-key' },
    });
    const r = await cli(api, ['approve', 'demo.op-3', '--comment', 'central leaves']);
    expect(r.code).toBe(0);
    expect(api.requests[0]?.body).toEqual({ comment: 'central leaves' });
    expect(r.stdout).toContain('Approved demo.op-3 as function-key.');
  });

  it('reject of an operation not awaiting approval is exit 5', async () => {
    api.on(
      'POST /operations/demo.op-3/reject',
      apiError(409, 'Conflict', "operation 'demo.op-3' is Succeeded, not waiting for approval"),
    );
    const r = await cli(api, ['reject', 'demo.op-3']);
    expect(r.code).toBe(ExitCode.Conflict);
    expect(r.stderr).toContain('is Succeeded, not waiting for approval');
  });

  it('a comment longer than the API keeps is a usage error before any call', async () => {
    const r = await cli(api, ['approve', 'demo.op-3', '--comment', 'x'.repeat(1025)]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(api.requests).toHaveLength(0);
  });
});

describe('policy', () => {
  const traffic = {
    resourceGroup: 'rg-traffic',
    profileName: 'tm',
    relativeDnsName: 'tm',
    memberWeights: { 'member-a': 3 },
  };

  it('without flags shows the policy', async () => {
    api.on('GET /meshes/demo', { status: 200, body: meshBody() });
    const r = await cli(api, ['policy', 'demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Policy of 'demo': mode auto");
    expect(api.requests.map((q) => q.method)).toEqual(['GET']);
  });

  it('applies the flags to the current policy and PUTs it whole; prints the ETag', async () => {
    api.on('GET /meshes/demo', {
      status: 200,
      body: meshBody({ policy: { mode: 'auto', debounceSeconds: 30, traffic } }),
    });
    api.on('PUT /meshes/demo/policy', (q) => ({
      status: 200,
      headers: { etag: '"etag-2"' },
      body: { profile: 'demo', policy: q.body, updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: 'function-key' },
    }));
    const r = await cli(api, [
      'policy',
      'demo',
      '--mode',
      'approve',
      '--allow-removals',
      '--debounce',
      '0',
      '--weight',
      'member-east=2',
      '--clear-weight',
      'member-a',
    ]);
    expect(r.code).toBe(0);
    const put = api.requests.find((q) => q.method === 'PUT');
    expect(put?.body).toEqual({
      mode: 'approve',
      allowRemovals: true,
      debounceSeconds: 0,
      traffic: { ...traffic, memberWeights: { 'member-east': 2 } },
    });
    expect(put?.headers['if-none-match']).toBeUndefined();
    expect(put?.headers['if-match']).toBeUndefined();
    expect(r.stdout).toContain('ETag "etag-2"');
  });

  it('creates only (If-None-Match: *) when no policy is set yet, and a lost race is exit 5', async () => {
    api.on('GET /meshes/demo', { status: 200, body: meshBody({ policyIsDefault: true }) });
    api.on('PUT /meshes/demo/policy', apiError(412, 'PreconditionFailed', 'the policy exists'));
    const r = await cli(api, ['policy', 'demo', '--mode', 'manual']);
    expect(r.code).toBe(ExitCode.Conflict);
    expect(api.requests.find((q) => q.method === 'PUT')?.headers['if-none-match']).toBe('*');
    expect(r.stderr).toContain("the policy of 'demo' changed meanwhile");
  });

  it('--file replaces the policy with the file, --if-match makes it conditional', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetmesh-cli-'));
    const file = path.join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ mode: 'auto', traffic }));
    api.on('PUT /meshes/demo/policy', (q) => ({
      status: 200,
      body: { profile: 'demo', policy: q.body, updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: 'me' },
    }));
    const r = await cli(api, ['policy', 'demo', '--file', file, '--mode', 'approve', '--if-match', '"e-1"']);
    expect(r.code).toBe(0);
    expect(api.requests.map((q) => q.method)).toEqual(['PUT']);
    expect(api.requests[0]?.body).toEqual({ mode: 'approve', traffic });
    expect(api.requests[0]?.headers['if-match']).toBe('"e-1"');
  });

  it.each([
    [['--file', '/no/such/policy.json'], 'cannot read /no/such/policy.json'],
    [['--weight', 'member-east'], "--weight 'member-east': expected <member>=<weight>"],
    [['--weight', 'member-east=1001'], 'a weight from 0 to 1000'],
    [['--if-match', '"x"'], '--if-match only applies to a change'],
  ])('bad policy input %j is a usage error', async (flags, message) => {
    api.on('GET /meshes/demo', { status: 200, body: meshBody() });
    const r = await cli(api, ['policy', 'demo', ...flags]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain(message);
    expect(api.requests.filter((q) => q.method === 'PUT')).toHaveLength(0);
  });

  it('--weight without a traffic section is a usage error', async () => {
    api.on('GET /meshes/demo', { status: 200, body: meshBody() });
    const r = await cli(api, ['policy', 'demo', '--weight', 'member-east=2']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('the policy has no traffic section');
  });

  it('a policy the API rejects is exit 2 with the field named', async () => {
    api.on('GET /meshes/demo', { status: 200, body: meshBody() });
    api.on(
      'PUT /meshes/demo/policy',
      apiError(400, 'ValidationFailed', "invalid request body: 'debounceSeconds': Too big"),
    );
    const r = await cli(api, ['policy', 'demo', '--debounce', '900']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("'debounceSeconds': Too big");
  });
});

describe('connection from the sandbox facts', () => {
  it('uses .fleetmesh/sandbox.json in the current directory when no URL is given', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetmesh-cli-'));
    mkdirSync(path.join(dir, '.fleetmesh'));
    writeFileSync(
      path.join(dir, '.fleetmesh', 'sandbox.json'),
      JSON.stringify({ apiBaseUrl: api.baseUrl, functionKey: KEY }),
    );
    api.on('GET /meshes', { status: 200, body: { value: [] } });
    const c = captureIo({}, dir);
    expect(await runCli(['meshes'], c.io)).toBe(0);
    expect(c.stdout()).toContain('No cluster mesh profiles in this fleet.');
    expect(api.requests[0]?.headers['x-functions-key']).toBe(KEY);
  });

  it('--base-url elsewhere never gets the sandbox key', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetmesh-cli-'));
    mkdirSync(path.join(dir, '.fleetmesh'));
    writeFileSync(
      path.join(dir, '.fleetmesh', 'sandbox.json'),
      JSON.stringify({ apiBaseUrl: 'http://127.0.0.1:9/api', functionKey: 'sandbox-key' }),
    );
    const c = captureIo({}, dir);
    expect(await runCli(['--base-url', api.baseUrl, 'meshes'], c.io)).toBe(ExitCode.Auth);
    expect(api.requests[0]?.headers['x-functions-key']).toBeUndefined();
  });
});
