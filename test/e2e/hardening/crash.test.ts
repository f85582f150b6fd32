/**
 * Crash campaign: the app's host is SIGKILLed at random points of an apply and started again on the same durable
 * data directory, TRIALS times. The simulator and Cosmos live in this test process and survive every kill; the app
 * runs as users run it, `node dist/local/host/cli.js --app <repo> --data <dir> ...`, as a child process.
 *
 * Each trial loads a fresh generated fleet (5 members, 2 of them missing Network Contributor, Traffic Manager
 * service IPs), asks for an apply over HTTP, kills the host (even trials after a random delay, odd trials right after a
 * randomly chosen kind of write was answered; every fourth trial kills it a second time while it resumes), restarts
 * it, and checks: the operation Succeeded, every member Connected with its enabled
 * Traffic Manager endpoint, exactly one Network Contributor assignment per fixed identity (no duplicate anywhere),
 * and at most two successful apply POSTs (one, plus one when the kill landed between the apply being accepted and
 * the activity's result being recorded: activities run at least once).
 *
 * CRASH_TRIALS and CRASH_SEED reproduce or lengthen a run (`npm run test:soak` runs 100 trials).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulator, type RunningSimulator } from '../../../local/simulator/index.js';
import {
  appliesSince,
  clusterOf,
  duplicateRoleAssignments,
  lastCallSeq,
  networkContributorGrants,
  operations,
  picked,
  progress,
  seeded,
  spawnAppHost,
  startInfra,
  waitUntil,
  type AppHost,
  type Infra,
} from './support.js';

const TRIALS = Number(process.env.CRASH_TRIALS ?? 30);
const SEED = Number(process.env.CRASH_SEED ?? 20261125);
const TIME_FACTOR = 100;
/** Kills land in [0, KILL_WINDOW_MS) after the apply was accepted: about the length of one apply here. */
const KILL_WINDOW_MS = 1500;

const Accepted = z.looseObject({ operationId: z.string() });

/** The writes of an apply, one of which odd trials kill right after. */
const WRITES = [
  'roleAssignments.create',
  'managedClusters.createOrUpdate',
  'clusterMeshProfiles.apply',
  'trafficManagerProfiles.createOrUpdate',
  'trafficManagerEndpoints.createOrUpdate',
] as const;

/**
 * Waits until `trigger` (an ARM operation) has been answered since `since` in the simulator's call log, or until
 * `deadline`; returns the milliseconds waited.
 */
async function killPoint(trigger: string | undefined, since: number, deadline: number): Promise<number> {
  const started = Date.now();
  while (Date.now() < deadline) {
    if (trigger && sim.control.calls(since).some((c) => c.operation === trigger && c.status < 300)) break;
    await new Promise((r) => setTimeout(r, trigger ? 1 : Math.max(1, deadline - Date.now())));
  }
  return Date.now() - started;
}

let sim: RunningSimulator;
let infra: Infra;

beforeAll(async () => {
  sim = await startSimulator({
    scenario: 'generated:5?missingRole=2&traffic=true&seed=1',
    timeFactor: TIME_FACTOR,
    enforceRoles: true,
  });
  infra = await startInfra(sim, { fleet: 'fleet-generated', timeFactor: TIME_FACTOR });
});

afterAll(async () => {
  await infra.stop();
  await sim.stop();
});

describe('crash campaign', () => {
  it(`converges after SIGKILLs at random points of ${TRIALS} applies`, async () => {
    const random = seeded(SEED);
    const ops = operations(infra.store);
    const outcomes: {
      trial: number;
      killAfterMs: number;
      trigger: string;
      phase: string;
      resumeKill: boolean;
      applies: number;
      seconds: number;
    }[] = [];
    let host: AppHost | undefined;
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const scenario = `generated:5?missingRole=2&traffic=true&seed=${trial + 1}`;
        sim.control.loadScenario(scenario, { subscriptionId: sim.subscriptionId });
        const since = lastCallSeq(sim);
        const started = Date.now();
        host ??= await spawnAppHost(infra);
        const answer = await host.api('POST', '/meshes/demo/apply');
        expect(answer.status, answer.text).toBe(202);
        const { operationId } = Accepted.parse(answer.json);

        // Odd trials kill right after a write of a randomly chosen kind was answered (before the app can record
        // its result: the step runs again after the restart); even trials at a random moment.
        const trigger = trial % 2 === 1 ? WRITES[Math.floor(random() * WRITES.length)] : undefined;
        const killAt = Date.now() + Math.floor(random() * KILL_WINDOW_MS);
        const killAfterMs = await killPoint(trigger, since, trigger ? Date.now() + KILL_WINDOW_MS * 2 : killAt);
        await host.kill('SIGKILL');
        const atKill = await ops.get(operationId);
        const phase = atKill ? `${atKill.status}/${atKill.phase ?? '-'}` : 'not recorded';
        host = undefined;
        const resumeKill = trial % 4 === 3;
        if (resumeKill) {
          // Killed again while it resumes what the first kill interrupted.
          const resuming = await spawnAppHost(infra);
          await new Promise((r) => setTimeout(r, Math.floor(random() * 800)));
          await resuming.kill('SIGKILL');
        }
        host = await spawnAppHost(infra);

        const op = await ops.waitTerminal(operationId, 60_000).catch(async (e: unknown) => {
          const running = await host?.durable('instances?runtimeStatus=Running,Pending');
          throw new Error(
            `trial ${trial} (killed ${killAfterMs} ms after the apply, trigger ${trigger ?? 'time'}, ${phase}): ` +
              `${e instanceof Error ? e.message : String(e)}; running: ${JSON.stringify(running)}; ` +
              `host log: ${host?.logs().slice(-15).join('\n')}`,
          );
        });
        expect(op.status, `trial ${trial} (kill after ${killAfterMs} ms): ${JSON.stringify(op.error)}`).toBe(
          'Succeeded',
        );
        await waitUntil(`trial ${trial}: the mesh converged`, () => (progress(sim).converged ? true : undefined));
        const fixed = picked(scenario, 'missingRole').map(clusterOf);
        expect([...networkContributorGrants(sim, fixed).values()], `trial ${trial}`).toEqual(fixed.map(() => 1));
        expect(duplicateRoleAssignments(sim)).toEqual([]);
        const applies = appliesSince(sim, since);
        expect(applies, `trial ${trial}`).toBeGreaterThanOrEqual(1);
        expect(applies, `trial ${trial}`).toBeLessThanOrEqual(2);
        outcomes.push({
          trial,
          killAfterMs,
          trigger: trigger ?? 'time',
          phase,
          resumeKill,
          applies,
          seconds: (Date.now() - started) / 1000,
        });
      }
      expect(host?.logs().filter((l) => l.includes('unreadable instance record'))).toEqual([]);
    } finally {
      await host?.kill('SIGTERM');
    }
    const twice = outcomes.filter((o) => o.applies === 2).length;
    const phases = new Map<string, number>();
    for (const o of outcomes) phases.set(o.phase, (phases.get(o.phase) ?? 0) + 1);
    const triggers = new Map<string, number>();
    for (const o of outcomes) triggers.set(o.trigger, (triggers.get(o.trigger) ?? 0) + 1);
    console.log(
      `crash campaign (seed ${SEED}): ${outcomes.length} applies, ${outcomes.length + outcomes.filter((o) => o.resumeKill).length} kills; ` +
        `${twice} trial(s) applied twice (the kill landed after the apply was accepted, before its result was recorded); ` +
        `killed after: ${[...triggers.entries()].map(([p, n]) => `${p} ×${n}`).join(', ')}; ` +
        `operation at the kill: ${[...phases.entries()].map(([p, n]) => `${p} ×${n}`).join(', ')}`,
    );
    expect(outcomes).toHaveLength(TRIALS);
  });
});
