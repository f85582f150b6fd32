/**
 * The simulator's command line as users start it (the built `dist/local/simulator/cli.js`, which `npm run simulator`
 * runs): the documented `--cert-out .fleetmesh/sim.pem` in a fresh clone, where `.fleetmesh/` does not exist yet;
 * start errors end the process with status 1 instead of leaving a server listening; and a shipped scenario file.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunningSimulator } from '../../../../local/simulator/index.js';
import { Arm, at } from './support.js';

const CLI = resolve('dist/local/simulator/cli.js');

const Details = z.object({
  endpoint: z.string(),
  subscriptionId: z.string(),
  certificate: z.string().nullable(),
  principals: z.array(z.object({ name: z.string(), token: z.string() })),
});

interface Run {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stderr: () => string;
  /** Exit code, or null when killed by a signal. */
  readonly exited: Promise<number | null>;
}

function run(args: readonly string[], cwd?: string): Run {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

/** The first stdout line (the `--json` details), or a rejection with stderr when the process exits first. */
function firstLine(r: Run): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    r.child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void r.exited.then((code) => reject(new Error(`exited with ${code ?? 'a signal'}: ${r.stderr()}`)));
  });
}

/** Waits for the exit, failing the test (and killing the process) if it is still running after `ms`. */
async function exitWithin(r: Run, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const outcome = await Promise.race([r.exited, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    r.child.kill('SIGKILL');
    throw new Error(`still running after ${ms} ms (stderr: ${r.stderr()})`);
  }
  return outcome;
}

/** An ARM client for a simulator started by the CLI, trusting the certificate it wrote (and nothing else). */
function clientFor(details: z.infer<typeof Details>, pem: string): Arm {
  const token = details.principals.find((p) => p.name === 'fleetmesh')?.token ?? '';
  const started: Pick<RunningSimulator, 'endpoint' | 'subscriptionId' | 'certificatePem' | 'tokens'> = {
    endpoint: details.endpoint,
    subscriptionId: details.subscriptionId,
    certificatePem: pem,
    tokens: { fleetmesh: token },
  };
  return new Arm(started as RunningSimulator, 'fleetmesh');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fleetmesh-sim-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('simulator CLI', () => {
  it('creates the certificate directory when it does not exist (the documented .fleetmesh/sim.pem in a fresh clone)', async () => {
    // Relative, as documented, from a working directory with no .fleetmesh/ in it.
    const r = run(['--scenario', 'two-regions', '--cert-out', '.fleetmesh/nested/sim.pem', '--json'], dir);
    try {
      const details = Details.parse(JSON.parse(await firstLine(r)));
      expect(details.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(details.certificate).toBe('.fleetmesh/nested/sim.pem');
      const pem = readFileSync(join(dir, '.fleetmesh/nested/sim.pem'), 'utf8');
      expect(pem).toContain('BEGIN CERTIFICATE');
      // The written certificate is the one the server presents: a client trusting only it gets an answer.
      const client = clientFor(details, pem);
      try {
        const res = await client.get(client.fleet('/clusterMeshProfiles/demo'));
        expect(res.status).toBe(200);
      } finally {
        client.close();
      }
    } finally {
      r.child.kill('SIGTERM');
      await r.exited;
    }
  });

  it('exits 1 with a clear message, and stops listening, when the certificate cannot be written', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const r = run(['--scenario', 'two-regions', '--cert-out', join(blocker, 'sim.pem'), '--port', '0']);
    expect(await exitWithin(r, 15_000)).toBe(1);
    expect(r.stderr()).toContain(`simulator: cannot write the certificate to '${join(blocker, 'sim.pem')}'`);
    expect(r.stderr()).not.toContain('--help');
    expect(existsSync(join(blocker, 'sim.pem'))).toBe(false);
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const r = run(['--scenario', 'two-regions', '--port', String(port)]);
      expect(await exitWithin(r, 15_000)).toBe(1);
      expect(r.stderr()).toMatch(/^simulator: .*EADDRINUSE/m);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('exits 1 and points to --help on a bad option', async () => {
    const r = run(['--port', 'eighty']);
    expect(await exitWithin(r, 15_000)).toBe(1);
    expect(r.stderr()).toContain("--port must be a number, got 'eighty'");
    expect(r.stderr()).toContain('Run with --help for usage.');
  });

  it('npm run simulator goes through local/simulator/start.mjs, which passes the options on to the built CLI', async () => {
    const child = spawn(process.execPath, [resolve('local/simulator/start.mjs'), '--help'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('Usage: npm run simulator -- [options]');
  });

  it('accepts the shipped scenario file local/simulator/scenarios/two-regions.json', async () => {
    const certFile = join(dir, 'file-scenario.pem');
    const scenarioFile = resolve('local/simulator/scenarios/two-regions.json');
    const r = run(['--scenario', scenarioFile, '--cert-out', certFile, '--json']);
    try {
      const details = Details.parse(JSON.parse(await firstLine(r)));
      const client = clientFor(details, readFileSync(certFile, 'utf8'));
      try {
        const res = await client.get(client.fleet('/members'));
        expect(res.status).toBe(200);
        const names = (at(res.json, 'value') as { name: string }[]).map((m) => m.name).sort();
        expect(names).toEqual(['member-central', 'member-east', 'member-west']);
      } finally {
        client.close();
      }
    } finally {
      r.child.kill('SIGTERM');
      await r.exited;
    }
  });
});
