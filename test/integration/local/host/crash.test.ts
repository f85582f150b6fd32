// Crash safety: SIGKILL the host at random points, start it again on the same data directory, many times; every
// orchestration must converge and no recorded activity result may be lost (activities may run again: at-least-once).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import type { HostProcess } from './hostProcess.js';
import { FIXTURE_APP, json, spawnHost, waitFor } from './hostProcess.js';

const TRIALS = 24;
const COUNT = 20;

/** A small seeded generator, so a failing run can be replayed with the same kill points (CRASH_SEED). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'host-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it(`converges after ${TRIALS} SIGKILLs at random points`, async () => {
  const seed = Number(process.env.CRASH_SEED ?? 20261125);
  const random = mulberry32(seed);
  const dataDir = path.join(dir, 'data');
  const activityLog = path.join(dir, 'activities.jsonl');
  const env = { FIXTURE_ACTIVITY_LOG: activityLog, FIXTURE_TICK_SCHEDULE: '0 0 0 1 1 *' };
  const started: string[] = [];
  let killedBeforeReady = 0;
  /** resumedInstances of every host that got ready on an existing data directory */
  const resumedAtStart: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    if (trial % 5 === 4) {
      // kill while the host starts and resumes what earlier trials left running
      const spawning = spawnHost({ dataDir, env });
      const early = await Promise.race([spawning, sleep(Math.floor(random() * 400)).then(() => undefined)]);
      const target: HostProcess | undefined = early ?? (await spawning.catch(() => undefined));
      if (!early) killedBeforeReady++;
      if (target) resumedAtStart.push(target.ready.resumedInstances);
      await target?.kill('SIGKILL');
      continue;
    }
    const host = await spawnHost({ dataDir, env });
    if (trial > 0) resumedAtStart.push(host.ready.resumedInstances);
    const id = `crash-${seed}-${trial}`;
    const res = await fetch(`${host.url}/api/orchestrators/crashSafe/${id}`, {
      method: 'POST',
      body: JSON.stringify({ count: COUNT }),
    });
    expect(res.status).toBe(202);
    started.push(id);
    await sleep(Math.floor(random() * 700));
    await host.kill('SIGKILL');
  }

  const host = await spawnHost({ dataDir, env });
  resumedAtStart.push(host.ready.resumedInstances);
  try {
    const outputs = new Map<string, unknown>();
    for (const id of started) {
      const status = await waitFor(
        `${id} to complete`,
        async () => {
          const s = z
            .looseObject({ runtimeStatus: z.string(), output: z.unknown() })
            .parse(await json(await fetch(`${host.url}/runtime/webhooks/durabletask/instances/${id}`)));
          return s.runtimeStatus === 'Completed' || s.runtimeStatus === 'Failed' ? s : undefined;
        },
        120_000,
      );
      expect(status.runtimeStatus, `${id}: ${JSON.stringify(status.output)}`).toBe('Completed');
      outputs.set(id, status.output);
    }
    const expectedTotal = Array.from({ length: COUNT }, (_, i) => i * 2).reduce((a, b) => a + b, 0);
    for (const [id, output] of outputs) {
      expect(output, id).toEqual({ total: expectedTotal, last: COUNT * 2, results: COUNT });
    }
    // every activity ran at least once; re-runs (at-least-once) are allowed, but only for activities that were
    // running when a host was killed: at most maxConcurrentActivityFunctions per kill. More would mean a recorded
    // result was lost and its activity ran again.
    const lines = (await readFile(activityLog, 'utf8')).trim().split('\n');
    const runs = lines.map((l) => z.object({ instanceId: z.string(), index: z.number() }).parse(JSON.parse(l)));
    for (const id of started) {
      const indexes = new Set(runs.filter((r) => r.instanceId === id).map((r) => r.index));
      expect(indexes.size, id).toBe(COUNT + 1);
    }
    const hostJson = z
      .object({ extensions: z.object({ durableTask: z.object({ maxConcurrentActivityFunctions: z.number() }) }) })
      .parse(JSON.parse(await readFile(path.join(FIXTURE_APP, 'host.json'), 'utf8')));
    const perKill = hostJson.extensions.durableTask.maxConcurrentActivityFunctions;
    const activities = started.length * (COUNT + 1);
    expect(runs.length).toBeLessThanOrEqual(activities + TRIALS * perKill);
    // the restarts did resume unfinished instances (otherwise this test would prove nothing about crashes)
    expect(resumedAtStart.filter((n) => n > 0).length).toBeGreaterThanOrEqual(1);
    expect(host.logs().filter((l) => l.includes('unreadable instance record'))).toEqual([]);
    console.log(
      `crash test (seed ${seed}): ${started.length} orchestrations, ${TRIALS} kills (${killedBeforeReady} before ready), ` +
        `${runs.length} activity runs for ${activities} activities (at most ${activities + TRIALS * perKill}), ` +
        `${resumedAtStart.filter((n) => n > 0).length} of ${resumedAtStart.length} restarts resumed instances`,
    );
  } finally {
    await host.kill('SIGTERM');
  }
});
