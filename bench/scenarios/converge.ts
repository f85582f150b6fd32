/**
 * `converge-N`: fleetmesh drives an empty mesh of N generated members (profile created, never applied; `missingRole`
 * members whose cluster identity lacks Network Contributor) to every member `Connected` with one enabled Traffic
 * Manager endpoint each. Started by an operator's `POST /api/meshes/demo/apply` (no debounce), measured until the
 * simulator's world shows the converged state, then until the operation record is terminal.
 */
import { z } from 'zod';
import { isTerminalStatus, type Operation } from '../../shared/state/documents.js';
import { appApi } from '../lib/clients.js';
import {
  armCounts,
  issueLowerBound,
  lowerBound,
  meshProgress,
  timeline,
  type ArmCounts,
  type LowerBound,
  type OperationSpan,
} from '../lib/mesh.js';
import { benchPolicy, MESH, MESH_TARGET, startBenchSandbox } from '../lib/sandbox.js';
import { round, sampleMemory, stopwatch, waitUntil, type MemoryPeak } from '../lib/util.js';
import { historySummary, type HistorySummary } from '../lib/history.js';

const Accepted = z.looseObject({ operationId: z.string().min(1) });
const PlanFixes = z.looseObject({ fixes: z.array(z.looseObject({ member: z.string() })) });

export interface ConvergeOptions {
  readonly members: number;
  readonly missingRole: number;
  readonly seed: number;
  readonly timeFactor: number;
}

export interface ConvergeResult {
  readonly scenario: string;
  readonly members: number;
  readonly missingRole: number;
  readonly timeFactor: number;
  /** Until every member Connected and Traffic Manager synced (the simulator's world). */
  readonly convergedSimSeconds: number;
  readonly convergedWallSeconds: number;
  /** Until the operation record was terminal. */
  readonly operationSimSeconds: number;
  readonly operationWallSeconds: number;
  readonly operationStatus: string;
  /** This fleet's bound: the issue's when no role is missing, plus one cluster reconcile when one is. */
  readonly lowerBound: LowerBound;
  readonly ratioToLowerBound: number;
  /** The issue's bound (apply + slowest connect) and the ratio to it, whatever the fleet. */
  readonly issueLowerBound: LowerBound;
  readonly ratioToIssueLowerBound: number;
  /** ARM calls the simulator answered (all principals: only the app calls ARM in this scenario). */
  readonly arm: ArmCounts;
  /** First and last call of each ARM operation, simulated seconds from the apply request. */
  readonly timeline: readonly OperationSpan[];
  /** ARM calls the operation record counted (the apply and its children; the reconciler's own plan is not in it). */
  readonly operationArmCalls: Operation['armCalls'];
  readonly memory: MemoryPeak;
  readonly history: HistorySummary;
  /** Members whose cluster identity fleetmesh granted Network Contributor. */
  readonly roleFixes: number;
}

export async function runConverge(o: ConvergeOptions): Promise<ConvergeResult> {
  const memory = sampleMemory();
  const scenario = `generated:${o.members}?traffic=true&missingRole=${o.missingRole}&seed=${o.seed}`;
  const bench = await startBenchSandbox({ scenario, timeFactor: o.timeFactor, policy: benchPolicy(o.timeFactor) });
  try {
    const { sandbox, store } = bench;
    const sim = sandbox.sim;
    const timing = sim.control.settings().timing;
    sim.control.resetCounters();
    const firstCall = sim.control.calls().at(-1)?.seq ?? 0;
    const api = appApi(sandbox);
    const simStart = sim.control.now();
    const wall = stopwatch();
    const started = await api('POST', `/meshes/${MESH}/apply`);
    if (started.status !== 202) throw new Error(`apply answered ${started.status}: ${started.text}`);
    const { operationId } = Accepted.parse(started.json);

    await waitUntil('the mesh to converge', () => (meshProgress(sim, MESH_TARGET).converged ? true : undefined), {
      intervalMs: 20,
    });
    const convergedWallSeconds = wall();
    const convergedSimSeconds = (sim.control.now() - simStart) / 1000;

    const operation = await waitUntil(
      'the operation to finish',
      async () => {
        const op = await store.getOperation(operationId);
        return op && isTerminalStatus(op.value.status) ? op.value : undefined;
      },
      { intervalMs: 50 },
    );
    const operationWallSeconds = wall();
    const operationSimSeconds = (sim.control.now() - simStart) / 1000;
    const bound = lowerBound(timing, o.missingRole);
    const issueBound = issueLowerBound(timing);
    // Roles granted: before the apply (the plan's fixes) or while converging (a member's remediation).
    const fixes = PlanFixes.safeParse(operation.plan);
    const roleFixes = new Set([
      ...(fixes.success ? fixes.data.fixes.map((f) => f.member) : []),
      ...operation.members
        .filter((m) => m.remediations.some((r) => r.step === 'grantNetworkContributor'))
        .map((m) => m.member),
    ]).size;
    return {
      scenario,
      members: o.members,
      missingRole: o.missingRole,
      timeFactor: o.timeFactor,
      convergedSimSeconds: round(convergedSimSeconds),
      convergedWallSeconds: round(convergedWallSeconds),
      operationSimSeconds: round(operationSimSeconds),
      operationWallSeconds: round(operationWallSeconds),
      operationStatus: operation.status,
      lowerBound: bound,
      ratioToLowerBound: round(convergedSimSeconds / bound.seconds, 3),
      issueLowerBound: issueBound,
      ratioToIssueLowerBound: round(convergedSimSeconds / issueBound.seconds, 3),
      arm: armCounts(sim.control.counters()),
      timeline: timeline(sim, firstCall, simStart),
      operationArmCalls: operation.armCalls,
      memory: memory.stop(),
      history: historySummary(sandbox.host.durableHistoryStats()),
      roleFixes,
    };
  } finally {
    await bench.stop();
  }
}
