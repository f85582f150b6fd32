// Runs the local host CLI (dist/local/host/cli.js, built by `npm test`) as a child process, as users run it.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, renameSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const readySchema = z.looseObject({ event: z.literal('ready'), url: z.string(), resumedInstances: z.number() });

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const CLI = path.join(REPO_ROOT, 'dist/local/host/cli.js');
export const FIXTURE_APP = path.join(REPO_ROOT, 'test/fixtures/host-app');

// The fixture app keeps its settings as a tracked sample, as an app repository should (local.settings.json is
// git-ignored); the tests copy it into place the way a developer would. Copy-then-rename, so a test file running
// in a parallel fork never reads a half-written file.
const fixtureSettings = path.join(FIXTURE_APP, 'local.settings.json');
if (!existsSync(fixtureSettings)) {
  const staging = `${fixtureSettings}.${process.pid}.tmp`;
  copyFileSync(`${fixtureSettings}.sample`, staging);
  renameSync(staging, fixtureSettings);
}

export interface HostProcess {
  url: string;
  child: ChildProcess;
  ready: z.infer<typeof readySchema>;
  /** Every stderr line so far (JSON log lines). */
  logs(): string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  appDir?: string;
  dataDir?: string;
  keysFile?: string;
  env?: Record<string, string>;
  extraArgs?: string[];
}

export function spawnHost(options: SpawnOptions = {}): Promise<HostProcess> {
  const args = [CLI, '--app', options.appDir ?? FIXTURE_APP, '--port', '0'];
  if (options.dataDir) args.push('--data', options.dataDir);
  if (options.keysFile) args.push('--keys', options.keysFile);
  args.push(...(options.extraArgs ?? []));
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  let stderrRest = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const lines = (stderrRest + chunk).split('\n');
    stderrRest = lines.pop() ?? '';
    stderr.push(...lines);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timeout = setTimeout(() => {
      void kill();
      reject(new Error(`host not ready within 60s; stderr:\n${stderr.slice(-20).join('\n')}`));
    }, 60_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      const ready = readySchema.parse(JSON.parse(stdout.slice(0, newline)));
      clearTimeout(timeout);
      resolve({ url: ready.url, child, ready, logs: () => [...stderr], kill });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timeout);
      reject(
        new Error(`host exited (${code ?? signal ?? '?'}) before ready; stderr:\n${stderr.slice(-20).join('\n')}`),
      );
    });
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err: unknown) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function json(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  const value: unknown = JSON.parse(text);
  return value;
}
