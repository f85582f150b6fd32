/**
 * `storm`: N label changes within `windowSeconds` (wall). The generated fleet starts with every member unlabelled and
 * the (empty) profile applied; an operator labels all N members `mesh=demo`, the PATCHes spread evenly over 90% of the
 * window. Each label update is a long-running ARM operation whose `ResourceWriteSuccess` event reaches the app's
 * Event Grid webhook when it completes. Measured: how many applies the storm triggers (target: one), and the time
 * from the last event's delivery to the plan that covers all N members (the mesh view's `lastPlan.computedAt`).
 * The run continues until the mesh has converged and the reconciler has handled the apply's own event, so an apply
 * triggered late is counted too.
 */
import { z } from 'zod';
import { isTerminalStatus } from '../../shared/state/documents.js';
import { OperatorArm } from '../lib/clients.js';
import { armCounts, meshProgress, type ArmCounts } from '../lib/mesh.js';
import { isIdle, reconcilerStatus } from '../lib/reconciler.js';
import { benchPolicy, GENERATED_FLEET, MESH, MESH_TARGET, startBenchSandbox } from '../lib/sandbox.js';
import { historySummary, type HistorySummary } from '../lib/history.js';
import { round, sampleMemory, sleep, stopwatch, waitUntil, type MemoryPeak } from '../lib/util.js';

const FLEET_API = '2026-03-02-preview';
/** The part of a stored what-if plan this scenario reads. */
const PlanSummary = z.looseObject({ summary: z.looseObject({ add: z.int() }) });

export interface StormOptions {
  readonly members: number;
  readonly windowSeconds: number;
  readonly seed: number;
  readonly timeFactor: number;
}

export interface StormResult {
  readonly scenario: string;
  readonly members: number;
  readonly timeFactor: number;
  /** Wall seconds from the first PATCH to the last one answered. */
  readonly labelWallSeconds: number;
  /** Wall seconds from the first to the last label event delivered to the app. */
  readonly eventSpreadWallSeconds: number;
  readonly events: number;
  readonly appliesTriggered: number;
  /** Wall seconds from the last label event's delivery to the plan covering every member. */
  readonly lastEventToPlanSeconds: number;
  readonly debounceSeconds: number;
  /** Wall seconds from the last event to the mesh converged (every member Connected, Traffic Manager synced). */
  readonly lastEventToConvergedSeconds: number;
  readonly arm: ArmCounts;
  readonly memory: MemoryPeak;
  readonly history: HistorySummary;
}

export async function runStorm(o: StormOptions): Promise<StormResult> {
  const memory = sampleMemory();
  const scenario = `generated:${o.members}?traffic=true&unlabelled=${o.members}&applied=true&seed=${o.seed}`;
  const policy = benchPolicy(o.timeFactor);
  const bench = await startBenchSandbox({ scenario, timeFactor: o.timeFactor, policy });
  const operator = new OperatorArm(bench.sandbox);
  try {
    const { sandbox, store } = bench;
    const sim = sandbox.sim;
    sim.control.resetCounters();
    const firstCall = sim.control.calls().at(-1)?.seq ?? 0;
    const fleetPath = `/subscriptions/${sandbox.subscriptionId}/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/${GENERATED_FLEET}`;
    const names = Array.from({ length: o.members }, (_, i) => `member-${String(i + 1).padStart(3, '0')}`);
    const stormStart = new Date();
    const clock = stopwatch();
    const spacingMs = (o.windowSeconds * 900) / o.members;
    await Promise.all(
      names.map(async (name, i) => {
        await sleep(i * spacingMs);
        for (let attempt = 0; ; attempt++) {
          const r = await operator.call('PATCH', `${fleetPath}/members/${name}`, FLEET_API, {
            properties: { labels: { mesh: 'demo', index: name.slice(-3) } },
          });
          if (r.status === 200 || r.status === 202) return;
          if (r.status === 429 && attempt < 20) {
            await sleep(1000);
            continue;
          }
          throw new Error(`labelling ${name} answered ${r.status}: ${r.text}`);
        }
      }),
    );
    const labelWallSeconds = clock();

    // Every member's label event delivered (2xx) to the app.
    const memberSubject = (name: string): string => `${fleetPath}/members/${name}`.toLowerCase();
    const wanted = new Set(names.map(memberSubject));
    const delivered = await waitUntil(
      'every label event to be delivered',
      () => {
        const ids = new Map<string, string>();
        for (const e of sim.control.events()) {
          if (e.eventType === 'Microsoft.Resources.ResourceWriteSuccess' && wanted.has(e.subject.toLowerCase())) {
            ids.set(e.id, e.subject.toLowerCase());
          }
        }
        const firstAt = new Map<string, number>();
        for (const d of sim.control.deliveries()) {
          if (typeof d.outcome !== 'number' || d.outcome < 200 || d.outcome >= 300) continue;
          for (const id of d.eventIds) {
            const subject = ids.get(id);
            if (subject && !firstAt.has(subject)) firstAt.set(subject, Date.parse(d.at));
          }
        }
        return firstAt.size === wanted.size ? [...firstAt.values()] : undefined;
      },
      { intervalMs: 20 },
    );
    // Deliveries are stamped in simulated time; map them to wall time.
    const toWall = (simMs: number): number => Date.now() - (sim.control.now() - simMs) / o.timeFactor;
    const lastEventWall = toWall(Math.max(...delivered));
    const firstEventWall = toWall(Math.min(...delivered));

    const plan = await waitUntil(
      'the plan that covers every member',
      async () => {
        const view = await store.getMeshView(MESH);
        const last = view?.value.lastPlan;
        if (!last || Date.parse(last.computedAt) < stormStart.getTime()) return undefined;
        const parsed = PlanSummary.safeParse(last.plan);
        return parsed.success && parsed.data.summary.add === o.members ? last : undefined;
      },
      { intervalMs: 20 },
    );
    const lastEventToPlanSeconds = (Date.parse(plan.computedAt) - lastEventWall) / 1000;

    await waitUntil('the mesh to converge', () => (meshProgress(sim, MESH_TARGET).converged ? true : undefined));
    const lastEventToConvergedSeconds = (Date.now() - lastEventWall) / 1000;
    // The apply's own ARM event comes back as a signal: wait for the reconciler to handle it (a late second apply
    // would show here), then count.
    const applied = await waitUntil('the storm operation to finish', async () => {
      const ops = await store.listOperations(MESH, { limit: 5 });
      const op = ops.find((x) => x.kind === 'apply' && Date.parse(x.createdAt) >= stormStart.getTime());
      return op && isTerminalStatus(op.status) ? op : undefined;
    });
    const cyclesAtApply = (await reconcilerStatus(sandbox, MESH))?.cycles ?? 0;
    await waitUntil('the reconciler to handle the apply event and go idle', async () => {
      const s = await reconcilerStatus(sandbox, MESH);
      return isIdle(s) && s.cycles > cyclesAtApply ? s : undefined;
    });
    const appliesTriggered = sim.control
      .calls(firstCall)
      .filter((c) => c.operation === 'clusterMeshProfiles.apply' && c.method === 'POST' && c.status < 300).length;
    if (applied.status !== 'Succeeded') throw new Error(`the storm's apply ended ${applied.status}`);
    return {
      scenario,
      members: o.members,
      timeFactor: o.timeFactor,
      labelWallSeconds: round(labelWallSeconds),
      eventSpreadWallSeconds: round((lastEventWall - firstEventWall) / 1000),
      events: delivered.length,
      appliesTriggered,
      lastEventToPlanSeconds: round(lastEventToPlanSeconds),
      debounceSeconds: policy.debounceSeconds ?? 30,
      lastEventToConvergedSeconds: round(lastEventToConvergedSeconds),
      arm: armCounts(sim.control.counters()),
      memory: memory.stop(),
      history: historySummary(sandbox.host.durableHistoryStats()),
    };
  } finally {
    operator.close();
    await bench.stop();
  }
}
