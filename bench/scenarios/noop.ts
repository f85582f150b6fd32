/**
 * `noop`: a resync of a mesh that is already converged. The generated fleet's profile is applied at load (every
 * member Connected); the startup resync creates the Traffic Manager endpoints; once that has settled, the counters
 * are reset and the `resync` timer function is run once more (through the host's admin endpoint, as the timer would).
 * Nothing needs to change, so every ARM write it makes is waste: the target is zero.
 */
import { armCounts, meshProgress, type ArmCounts } from '../lib/mesh.js';
import { runTimerNow } from '../lib/clients.js';
import { isIdle, reconcilerStatus } from '../lib/reconciler.js';
import { benchPolicy, MESH, MESH_TARGET, startBenchSandbox } from '../lib/sandbox.js';
import { historySummary, type HistorySummary } from '../lib/history.js';
import { round, sampleMemory, stopwatch, waitUntil, type MemoryPeak } from '../lib/util.js';

export interface NoopOptions {
  readonly members: number;
  readonly seed: number;
  readonly timeFactor: number;
}

export interface NoopResult {
  readonly scenario: string;
  readonly members: number;
  readonly timeFactor: number;
  /** The resync's ARM calls (writes: target 0). */
  readonly arm: ArmCounts;
  /** From running the timer to the reconciler idle again (includes the debounce). */
  readonly cycleWallSeconds: number;
  readonly debounceSeconds: number;
  readonly memory: MemoryPeak;
  readonly history: HistorySummary;
}

export async function runNoop(o: NoopOptions): Promise<NoopResult> {
  const memory = sampleMemory();
  const scenario = `generated:${o.members}?traffic=true&applied=true&seed=${o.seed}`;
  const policy = benchPolicy(o.timeFactor);
  const bench = await startBenchSandbox({ scenario, timeFactor: o.timeFactor, policy, resyncOnStartup: true });
  try {
    const { sandbox } = bench;
    const sim = sandbox.sim;
    await waitUntil('the startup resync to sync Traffic Manager', () =>
      meshProgress(sim, MESH_TARGET).converged ? true : undefined,
    );
    const settled = await waitUntil('the reconciler to go idle', async () => {
      const s = await reconcilerStatus(sandbox, MESH);
      return isIdle(s) && s.cycles >= 1 ? s : undefined;
    });
    sim.control.resetCounters();
    const clock = stopwatch();
    const status = await runTimerNow(sandbox, 'resync');
    if (status !== 202) throw new Error(`running the resync timer answered ${status}`);
    await waitUntil('the resync cycle to finish', async () => {
      const s = await reconcilerStatus(sandbox, MESH);
      return isIdle(s) && s.cycles > settled.cycles ? s : undefined;
    });
    const cycleWallSeconds = clock();
    if (!meshProgress(sim, MESH_TARGET).converged) throw new Error('the resync broke the converged mesh');
    return {
      scenario,
      members: o.members,
      timeFactor: o.timeFactor,
      arm: armCounts(sim.control.counters()),
      cycleWallSeconds: round(cycleWallSeconds),
      debounceSeconds: policy.debounceSeconds ?? 30,
      memory: memory.stop(),
      history: historySummary(sandbox.host.durableHistoryStats()),
    };
  } finally {
    await bench.stop();
  }
}
