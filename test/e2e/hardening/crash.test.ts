/**
 * Crash campaign: the app's host is SIGKILLed at points of an apply and started again on the same durable data
 * directory, TRIALS times. The simulator and Cosmos live in this test process and survive every kill; the app runs as
 * users run it, `node dist/local/host/cli.js --app <repo> --data <dir> ...`, as a child process.
 *
 * A calibration apply (never killed) first counts the ARM writes an apply of this fleet shape makes (W). Each trial
 * then loads a fresh generated fleet (5 members, 2 of them missing Network Contributor, Traffic Manager service IPs),
 * asks for an apply over HTTP and kills the host at a point chosen from the apply's progress in the simulator's call
 * log, so every kill lands mid-apply: even trials right after the app's Nth answered ARM write (N seeded in 0..W-1;
 * 0 = at its first ARM call, while it plans), odd trials right after the first answered write of a seeded kind. Every
 * fourth trial kills it a second time while it resumes. Then it restarts the host and checks: the operation was not
 * terminal at the kill (every trial), it Succeeded, every member Connected with its enabled Traffic Manager endpoint,
 * at most two successful apply POSTs (one, plus one when the kill landed between the apply being accepted and the
 * activity's result being recorded: activities run at least once), and, on the call log, each missing role PUT under
 * its deterministic name and created exactly once (201), never answered 409, re-PUT (answered 200) at most once per
 * kill of the trial (the grant activity run again because its result was lost with the host).
 *
 * CRASH_TRIALS and CRASH_SEED reproduce or lengthen a run (`npm run test:soak` runs 100 trials).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulator, type RunningSimulator } from '../../../local/simulator/index.js';
import { isTerminalStatus } from '../../../shared/state/documents.js';
import {
  appliesSince,
  APP_PRINCIPAL,
  clusterOf,
  lastCallSeq,
  networkContributorTriples,
  operations,
  picked,
  progress,
  roleAssignmentViolations,
  roleAssignmentWrites,
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
/** How long a kill point may take to come before the trial counts as killed too late (it then fails). */
const KILL_DEADLINE_MS = 30_000;

const Accepted = z.looseObject({ operationId: z.string() });

/** The writes of an apply, one of which odd trials kill right after. */
const WRITES = [
  'roleAssignments.create',
  'managedClusters.createOrUpdate',
  'clusterMeshProfiles.apply',
  'trafficManagerProfiles.createOrUpdate',
  'trafficManagerEndpoints.createOrUpdate',
] as const;

/** Where a trial kills the host: after the app's Nth answered ARM write (0: its first ARM call), or a write's kind. */
type KillPoint = { readonly afterWrites: number } | { readonly afterWriteOf: (typeof WRITES)[number] };

/** The app's ARM writes since `since` that ARM answered (2xx). */
function appWrites(since: number): number {
  return sim.control
    .calls(since)
    .filter((c) => c.principal === APP_PRINCIPAL && c.method !== 'GET' && c.status >= 200 && c.status < 300).length;
}

function reached(point: KillPoint, since: number): boolean {
  if ('afterWriteOf' in point) {
    return sim.control
      .calls(since)
      .some((c) => c.operation === point.afterWriteOf && c.status >= 200 && c.status < 300);
  }
  if (point.afterWrites === 0) return sim.control.calls(since).some((c) => c.principal === APP_PRINCIPAL);
  return appWrites(since) >= point.afterWrites;
}

/** Waits (polling every millisecond) until `point` is reached since `since`; returns the milliseconds waited. */
async function killPoint(point: KillPoint, since: number): Promise<number> {
  const started = Date.now();
  while (!reached(point, since)) {
    if (Date.now() - started > KILL_DEADLINE_MS) break;
    await new Promise((r) => setTimeout(r, 1));
  }
  return Date.now() - started;
}

function describePoint(point: KillPoint): string {
  return 'afterWriteOf' in point
    ? point.afterWriteOf
    : point.afterWrites === 0
      ? 'first call'
      : `write ${point.afterWrites}`;
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
  it(`converges after SIGKILLs in the middle of ${TRIALS} applies`, async () => {
    const random = seeded(SEED);
    const ops = operations(infra.store);
    const outcomes: {
      trial: number;
      killAfterMs: number;
      point: string;
      phase: string;
      terminalAtKill: boolean;
      resumeKill: boolean;
      applies: number;
      rePuts: number;
      seconds: number;
    }[] = [];
    let host: AppHost | undefined;
    let writesPerApply: number | undefined;
    try {
      // Calibration: one apply of the same fleet shape, never killed, counts the ARM writes an apply makes.
      sim.control.loadScenario(`generated:5?missingRole=2&traffic=true&seed=${TRIALS + 1}`, {
        subscriptionId: sim.subscriptionId,
      });
      const calibrationSince = lastCallSeq(sim);
      host = await spawnAppHost(infra);
      const calibration = await host.api('POST', '/meshes/demo/apply');
      expect(calibration.status, calibration.text).toBe(202);
      const calibrated = await ops.waitTerminal(Accepted.parse(calibration.json).operationId, 60_000);
      expect(calibrated.status).toBe('Succeeded');
      writesPerApply = appWrites(calibrationSince);
      expect(writesPerApply).toBeGreaterThanOrEqual(WRITES.length);

      for (let trial = 0; trial < TRIALS; trial++) {
        const scenario = `generated:5?missingRole=2&traffic=true&seed=${trial + 1}`;
        sim.control.loadScenario(scenario, { subscriptionId: sim.subscriptionId });
        // Each trial reads only its own calls: an empty log keeps the kill point's 1 ms polling cheap (sequence
        // numbers go on after a clear).
        const since = lastCallSeq(sim);
        sim.control.clearCalls();
        const started = Date.now();
        host ??= await spawnAppHost(infra);
        const answer = await host.api('POST', '/meshes/demo/apply');
        expect(answer.status, answer.text).toBe(202);
        const { operationId } = Accepted.parse(answer.json);

        // Odd trials kill right after a write of a seeded kind was answered (before the app can record its result:
        // the step runs again after the restart); even trials after the app's Nth answered write, N < W, so at least
        // one write of the apply is still to come.
        const point: KillPoint =
          trial % 2 === 1
            ? { afterWriteOf: WRITES[Math.floor(random() * WRITES.length)] ?? 'clusterMeshProfiles.apply' }
            : { afterWrites: Math.floor(random() * writesPerApply) };
        const killAfterMs = await killPoint(point, since);
        await host.kill('SIGKILL');
        const atKill = await ops.get(operationId);
        const phase = atKill ? `${atKill.status}/${atKill.phase ?? '-'}` : 'not recorded';
        const terminalAtKill = atKill !== undefined && isTerminalStatus(atKill.status);
        host = undefined;
        const resumeKill = trial % 4 === 3;
        if (resumeKill) {
          // Killed again while it resumes what the first kill interrupted.
          const resuming = await spawnAppHost(infra);
          await new Promise((r) => setTimeout(r, Math.floor(random() * 800)));
          await resuming.kill('SIGKILL');
        }
        host = await spawnAppHost(infra);
        const label = `trial ${trial} (killed ${killAfterMs} ms after the apply, at ${describePoint(point)}, ${phase})`;

        const op = await ops.waitTerminal(operationId, 60_000).catch(async (e: unknown) => {
          const running = await host?.durable('instances?runtimeStatus=Running,Pending');
          throw new Error(
            `${label}: ${e instanceof Error ? e.message : String(e)}; running: ${JSON.stringify(running)}; ` +
              `host log: ${host?.logs().slice(-15).join('\n')}`,
          );
        });
        expect(terminalAtKill, `${label}: the kill landed after the operation ended`).toBe(false);
        expect(op.status, `${label}: ${JSON.stringify(op.error)}`).toBe('Succeeded');
        await waitUntil(`trial ${trial}: the mesh converged`, () => (progress(sim).converged ? true : undefined));
        const fixed = picked(scenario, 'missingRole').map(clusterOf);
        const kills = resumeKill ? 2 : 1;
        const roles = roleAssignmentWrites(sim, since);
        expect(
          roleAssignmentViolations(roles, networkContributorTriples(sim, fixed), () => kills),
          label,
        ).toEqual([]);
        expect(roles.conflicts, label).toBe(0);
        // No fault drops an answer here: every missing role is created by exactly one PUT answered 201.
        expect(
          [...roles.byTriple.values()].map((t) => [t.created, t.ambiguous]),
          label,
        ).toEqual(fixed.map(() => [1, 0]));
        const applies = appliesSince(sim, since);
        expect(applies, label).toBeGreaterThanOrEqual(1);
        expect(applies, label).toBeLessThanOrEqual(2);
        outcomes.push({
          trial,
          killAfterMs,
          point: 'afterWriteOf' in point ? point.afterWriteOf : 'Nth write',
          phase,
          terminalAtKill,
          resumeKill,
          applies,
          rePuts: [...roles.byTriple.values()].reduce((n, t) => n + t.updated, 0),
          seconds: (Date.now() - started) / 1000,
        });
      }
      expect(host.logs().filter((l) => l.includes('unreadable instance record'))).toEqual([]);
    } finally {
      await host?.kill('SIGTERM');
    }
    const twice = outcomes.filter((o) => o.applies === 2).length;
    const count = (key: (o: (typeof outcomes)[number]) => string): string => {
      const m = new Map<string, number>();
      for (const o of outcomes) m.set(key(o), (m.get(key(o)) ?? 0) + 1);
      return [...m.entries()].map(([p, n]) => `${p} ×${n}`).join(', ');
    };
    console.log(
      `crash campaign (seed ${SEED}): ${outcomes.length} applies (${String(writesPerApply)} ARM writes each when uninterrupted), ` +
        `${outcomes.length + outcomes.filter((o) => o.resumeKill).length} kills, ` +
        `${outcomes.filter((o) => !o.terminalAtKill).length} of them mid-apply; ` +
        `${twice} trial(s) applied twice (the kill landed after the apply was accepted, before its result was recorded); ` +
        `${outcomes.reduce((n, o) => n + o.rePuts, 0)} role assignment re-PUT(s) answered 200, none 409; ` +
        `killed after: ${count((o) => o.point)}; operation at the kill: ${count((o) => o.phase)}`,
    );
    expect(outcomes).toHaveLength(TRIALS);
    expect(outcomes.filter((o) => o.terminalAtKill)).toEqual([]);
  });
});
