/**
 * The `/_sim/` control API over HTTPS with the admin token, and the CLI started as users start it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunningSimulator } from '../../../../local/simulator/index.js';
import { Arm, at, start } from './support.js';

let sim: RunningSimulator;
let arm: Arm;

beforeAll(async () => {
  ({ sim, arm } = await start());
});
afterAll(async () => {
  arm.close();
  await sim.stop();
});

const admin = (): { token: string; apiVersion: null } => ({ token: sim.adminToken, apiVersion: null });

describe('control API', () => {
  it('needs the admin token', async () => {
    const r = await arm.get('/_sim/state', { apiVersion: null });
    expect(r.status).toBe(401);
    expect(at(r.json, 'error', 'code')).toBe('AuthenticationFailed');
  });

  it('reads the whole state, the call log and the counters', async () => {
    await arm.get(arm.fleet('/members'));
    await arm.get(arm.fleet('/members/nope'));
    const state = await arm.get('/_sim/state', admin());
    expect(state.status).toBe(200);
    expect(at(state.json, 'subscriptionId')).toBe(sim.subscriptionId);
    expect(z.array(z.unknown()).parse(at(state.json, 'members'))).toHaveLength(3);
    expect(z.array(z.unknown()).parse(at(state.json, 'managedClusters'))).toHaveLength(3);
    const calls = await arm.get('/_sim/calls?since=0', admin());
    const entries = z
      .array(
        z.object({
          seq: z.number(),
          method: z.string(),
          path: z.string(),
          status: z.number(),
          principal: z.string().optional(),
          latencyMs: z.number(),
        }),
      )
      .parse(at(calls.json, 'value'));
    expect(entries.slice(-2).map((e) => [e.method, e.status, e.principal])).toEqual([
      ['GET', 200, 'fleetmesh'],
      ['GET', 404, 'fleetmesh'],
    ]);
    const since = entries.at(-1)?.seq ?? 0;
    expect(
      z.array(z.unknown()).parse(at((await arm.get(`/_sim/calls?since=${since}`, admin())).json, 'value')),
    ).toHaveLength(0);
    const counters = await arm.get('/_sim/counters', admin());
    expect(at(counters.json, 'fleetMembers.list', 'reads')).toBe(1);
    expect(at(counters.json, 'fleetMembers.get', 'errors')).toBe(1);
    expect((await arm.delete('/_sim/counters', admin())).status).toBe(200);
    expect(at((await arm.get('/_sim/counters', admin())).json, 'fleetMembers.list')).toBeUndefined();
  });

  it('sets and clears faults, validating them', async () => {
    const bad = await arm.put('/_sim/faults', { global: { errorRates: { '500': 2 } } }, admin());
    expect(bad.status).toBe(400);
    expect(String(at(bad.json, 'error', 'message'))).toContain('global.errorRates.500');
    const ok = await arm.put(
      '/_sim/faults',
      { overrides: [{ match: { pathPattern: '/members$' }, errorRates: { '503': 1 }, times: 1 }] },
      admin(),
    );
    expect(ok.status).toBe(200);
    expect((await arm.get(arm.fleet('/members'))).status).toBe(503);
    expect((await arm.get(arm.fleet('/members'))).status).toBe(200);
    await arm.put('/_sim/faults', { global: { errorRates: { '500': 1 } } }, admin());
    expect((await arm.get(arm.fleet('/members'))).status).toBe(500);
    expect((await arm.delete('/_sim/faults', admin())).status).toBe(200);
    expect((await arm.get(arm.fleet('/members'))).status).toBe(200);
  });

  it('changes the time factor, advances time, toggles throttling and role enforcement', async () => {
    const paused = await arm.put('/_sim/time', { factor: 0 }, admin());
    expect(at(paused.json, 'factor')).toBe(0);
    const t0 = Date.parse(String(at(paused.json, 'now')));
    const moved = await arm.post('/_sim/time/advance', { ...admin(), body: { ms: 3_600_000 } });
    expect(Date.parse(String(at(moved.json, 'now'))) - t0).toBeGreaterThanOrEqual(3_600_000);
    await arm.put('/_sim/time', { factor: 100 }, admin());
    expect(
      at(
        (await arm.put('/_sim/throttling', { enabled: true, reads: { size: 1, refillPerSecond: 0 } }, admin())).json,
        'enabled',
      ),
    ).toBe(true);
    await arm.get(arm.fleet('/members'));
    expect((await arm.get(arm.fleet('/members'))).status).toBe(429);
    await arm.put('/_sim/throttling', { enabled: false }, admin());
    expect((await arm.get(arm.fleet('/members'))).status).toBe(200);
    expect(at((await arm.put('/_sim/roleEnforcement', { enabled: true }, admin())).json, 'enabled')).toBe(true);
    await arm.put('/_sim/roleEnforcement', { enabled: false }, admin());
    const settings = await arm.call('PATCH', '/_sim/settings', { ...admin(), body: { pageSize: 1 } });
    expect(at(settings.json, 'pageSize')).toBe(1);
    expect(at((await arm.get(arm.fleet('/members'))).json, 'nextLink')).toBeDefined();
    const invalid = await arm.call('PATCH', '/_sim/settings', { ...admin(), body: { pageSize: 0 } });
    expect(invalid.status).toBe(400);
    await arm.call('PATCH', '/_sim/settings', { ...admin(), body: { pageSize: 100 } });
  });

  it('sets simulated health and manages event subscriptions', async () => {
    const pip = arm.sub(
      '/resourceGroups/MC_rg-east_aks-east_eastus/providers/Microsoft.Network/publicIPAddresses/kubernetes-demo-web-east',
    );
    expect((await arm.put('/_sim/health', { resourceId: pip, health: 'Degraded' }, admin())).status).toBe(200);
    expect(at(sim.control.state(), 'health', pip.toLowerCase())).toBe('Degraded');
    expect(
      (
        await arm.put(
          '/_sim/health',
          {
            resourceId: arm.sub('/resourceGroups/x/providers/Microsoft.Network/publicIPAddresses/none'),
            health: 'Degraded',
          },
          admin(),
        )
      ).status,
    ).toBe(404);
    const sub = await arm.post('/_sim/eventSubscriptions', {
      ...admin(),
      body: {
        name: 'hook-1',
        endpoint: 'http://127.0.0.1:9/never',
        filter: { includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess'] },
      },
    });
    expect(sub.status).toBe(201);
    const badSub = await arm.post('/_sim/eventSubscriptions', {
      ...admin(),
      body: { name: 'x', endpoint: 'ftp://nope' },
    });
    expect(badSub.status).toBe(400);
    expect(
      z.array(z.unknown()).parse(at((await arm.get('/_sim/eventSubscriptions', admin())).json, 'value')),
    ).toHaveLength(1);
    expect((await arm.delete('/_sim/eventSubscriptions/hook-1', admin())).status).toBe(200);
    expect((await arm.delete('/_sim/eventSubscriptions/hook-1', admin())).status).toBe(404);
  });

  it('loads a scenario, keeping tokens, and reports scenario errors naming the path', async () => {
    const bad = await arm.post('/_sim/scenario', { ...admin(), body: { scenario: { clusters: [{ name: 'x' }] } } });
    expect(bad.status).toBe(400);
    expect(at(bad.json, 'error', 'code')).toBe('InvalidScenario');
    expect(at(bad.json, 'error', 'target')).toBe('clusters[0].resourceGroup');
    const loaded = await arm.post('/_sim/scenario', { ...admin(), body: { scenario: 'generated:5' } });
    expect(loaded.status).toBe(200);
    expect(at(loaded.json, 'subscriptionId')).toBe(sim.subscriptionId);
    const members = await arm.get(
      arm.sub('/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-generated/members'),
    );
    expect(members.status).toBe(200);
    expect(z.array(z.unknown()).parse(at(members.json, 'value'))).toHaveLength(5);
    expect((await arm.get(arm.fleet('/members'))).status).toBe(404);
  });
});

describe('a rejected scenario', () => {
  it('changes nothing: neither the settings it carries nor the world', async () => {
    const before = sim.control.settings();
    const members = (): number => sim.control.world().members.size;
    const count = members();
    // Valid settings, but a member of an undeclared cluster: refused when the world is built.
    const bad = await arm.post('/_sim/scenario', {
      ...admin(),
      body: {
        scenario: {
          settings: { timeFactor: 0, pageSize: 3 },
          fleets: [
            { resourceGroup: 'rg', name: 'f', location: 'eastus', members: [{ name: 'm', cluster: 'rg/none' }] },
          ],
        },
      },
    });
    expect(bad.status).toBe(400);
    expect(at(bad.json, 'error', 'target')).toBe('fleets[0].members[0].cluster');
    expect(sim.control.settings()).toEqual(before);
    expect(members()).toBe(count);
  });
});

describe('CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetmesh-sim-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from dist, prints endpoint, subscription and tokens, and writes the certificate', async () => {
    const certFile = join(dir, 'sim.pem');
    const child = spawn(
      process.execPath,
      [
        'dist/local/simulator/cli.js',
        '--scenario',
        'two-regions',
        '--cert-out',
        certFile,
        '--json',
        '--time-factor',
        '10',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString('utf8');
          const nl = out.indexOf('\n');
          if (nl >= 0) resolve(out.slice(0, nl));
        });
        child.stderr.on('data', (c: Buffer) => reject(new Error(c.toString('utf8'))));
        child.once('exit', (code) => reject(new Error(`exited with ${code ?? 'signal'}`)));
      });
      const details = z
        .object({
          endpoint: z.string(),
          subscriptionId: z.string(),
          principals: z.array(z.object({ name: z.string(), token: z.string() })),
        })
        .parse(JSON.parse(line));
      expect(details.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const pem = readFileSync(certFile, 'utf8');
      expect(pem).toContain('BEGIN CERTIFICATE');
      const token = details.principals.find((p) => p.name === 'fleetmesh')?.token ?? '';
      const cliSim = {
        endpoint: details.endpoint,
        subscriptionId: details.subscriptionId,
        certificatePem: pem,
        tokens: { fleetmesh: token },
      };
      const client = new Arm({ ...sim, ...cliSim }, 'fleetmesh');
      try {
        const r = await client.get(
          `/subscriptions/${details.subscriptionId}/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-demo/clusterMeshProfiles/demo`,
        );
        expect(r.status).toBe(200);
        expect(at(r.json, 'properties', 'memberSelector', 'byLabel')).toBe('mesh=demo');
      } finally {
        client.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('fails with a clear message for an unknown scenario', async () => {
    const child = spawn(process.execPath, ['dist/local/simulator/cli.js', '--scenario', 'no-such-scenario'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain("'no-such-scenario' is neither a built-in scenario nor a readable file");
  });
});
