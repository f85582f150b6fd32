/**
 * Event chaos: every ARM event delivered three times (duplicateRate 1, duplicateCopies 2), deliveries reordered, and
 * 10% of them lost (dropRate 0.1), with the resync timer on (every 3 s). An operator relabels members of a generated
 * fleet (seeded sequence of label flips, the last one certainly lost); the mesh must end in exactly the state the
 * labels say — what a run without chaos reaches: every labelled member Connected with one enabled Traffic Manager
 * endpoint, every unlabelled member out of the mesh with no endpoint. The chaos must really have happened (duplicates,
 * drops, and originals delivered out of the order ARM produced them), no role is missing in this fleet so the app
 * PUTs no role assignment at all (and gets no 409), and the end state is stable: a further resync, run once the
 * reconciler is idle, makes no ARM write.
 *
 * CHAOS_CHANGES lengthens the run (`npm run test:soak` makes 120 changes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPolicy } from '../../../local/sandbox/sandbox.js';
import { runTimerNow } from '../../../bench/lib/clients.js';
import { isIdle, reconcilerStatus } from '../../../bench/lib/reconciler.js';
import { startE2E, type E2E } from '../support/harness.js';
import {
  APP_PRINCIPAL,
  lastCallSeq,
  meshMatchesLabels,
  progress,
  roleAssignmentWrites,
  seeded,
  waitUntil,
} from './support.js';

const FLEET_API = '2026-03-02-preview';
const MEMBERS = 24;
const CHANGES = Number(process.env.CHAOS_CHANGES ?? 30);
const SEED = Number(process.env.CHAOS_SEED ?? 424242);
const name = (i: number): string => `member-${String(i + 1).padStart(3, '0')}`;

let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E({
    scenario: `generated:${MEMBERS}?unlabelled=8&traffic=true&applied=true&seed=9`,
    fleetName: 'fleet-generated',
    resyncOnStartup: true,
    appSettings: { FLEETMESH_RESYNC_SCHEDULE: '*/3 * * * * *' },
    policy: {
      ...demoPolicy(50),
      allowRemovals: true,
      debounceSeconds: 1,
      convergence: { pollIntervalSeconds: 0.1, maxPollIntervalSeconds: 0.5, memberTimeoutMinutes: 5 },
    },
  });
});

afterAll(async () => {
  await e2e.stop();
});

/** A delivery Event Grid counts as delivered (the webhook answered 2xx). */
function delivered(outcome: number | string): boolean {
  return typeof outcome === 'number' && outcome >= 200 && outcome < 300;
}

/** Each member's labels as the simulator holds them. */
function labelsOf(member: string): Record<string, string> {
  const m = [...e2e.sandbox.sim.control.world().members.values()].find((x) => x.name === member);
  if (!m) throw new Error(`no member ${member}`);
  return { ...m.labels };
}

/** Sets a member's labels as an operator, retrying while its previous label update still runs (409). */
async function setLabels(member: string, labels: Record<string, string>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await e2e.operator.call('PATCH', e2e.fleetPath(`/members/${member}`), {
      body: { properties: { labels } },
      apiVersion: FLEET_API,
    });
    if ((r.status === 409 || r.status === 429) && attempt < 100) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    expect([200, 202], `PATCH ${member}: ${r.text}`).toContain(r.status);
    return;
  }
}

describe('event chaos', () => {
  it('starts converged: 16 labelled members in the mesh, with their endpoints', async () => {
    await waitUntil('the initial mesh', () => (meshMatchesLabels(e2e.sandbox.sim) ? true : undefined), 120_000);
    expect(progress(e2e.sandbox.sim).connected).toBe(16);
  });

  it(`reaches the state the labels say after ${CHANGES} relabels with duplicated, reordered and lost events`, async () => {
    const sim = e2e.sandbox.sim;
    sim.control.updateSettings({ events: { duplicateRate: 1, duplicateCopies: 2, reorder: true, dropRate: 0.1 } });
    const deliveredBefore = sim.control.deliveries().length;
    const producedBefore = sim.control.events().length;
    const random = seeded(SEED);
    const changed = new Map<string, number>();
    /** ARM's write events for `member`'s labels produced since the chaos began (a label update ends asynchronously). */
    const writeEvents = (member: string): number => {
      const subject = e2e.fleetPath(`/members/${member}`).toLowerCase();
      return sim.control
        .events()
        .slice(producedBefore)
        .filter((e) => e.subject.toLowerCase() === subject && e.eventType.endsWith('ResourceWriteSuccess')).length;
    };
    let last = '';
    for (let change = 0; change < CHANGES; change++) {
      const member = name(Math.floor(random() * MEMBERS));
      last = member;
      const labels = labelsOf(member);
      const index = labels['index'] ?? '';
      if (change === CHANGES - 1) {
        // The last one is lost for certain, and only it: Event Grid decides to drop a batch when it is about to
        // deliver it, so first wait until ARM has produced the events of the earlier label updates and each was
        // delivered or dropped at the 10% rate (copies are never dropped; they may still be queued).
        await waitUntil(
          'the earlier label updates to produce their events',
          () => ([...changed.entries()].every(([m, n]) => writeEvents(m) >= n) ? true : undefined),
          60_000,
        );
        await waitUntil(
          'the earlier events to be delivered or dropped',
          () => {
            const done = new Set(
              sim.control
                .deliveries()
                .slice(deliveredBefore)
                .filter((d) => !d.duplicate && (d.outcome === 'dropped' || delivered(d.outcome)))
                .flatMap((d) => d.eventIds),
            );
            const pending = sim.control
              .events()
              .slice(producedBefore)
              .filter((e) => e.subject.toLowerCase().includes('/members/') && !done.has(e.id));
            return pending.length === 0 ? true : undefined;
          },
          60_000,
        );
        sim.control.updateSettings({ events: { dropRate: 1 } });
      }
      await setLabels(member, labels['mesh'] === 'demo' ? { index } : { mesh: 'demo', index });
      changed.set(member, (changed.get(member) ?? 0) + 1);
    }
    // The last label update's event is lost for certain: wait until it was produced and dropped.
    const subject = e2e.fleetPath(`/members/${last}`).toLowerCase();
    await waitUntil(
      'the last label event to be dropped',
      () => {
        const event = sim.control
          .events()
          .filter((e) => e.subject.toLowerCase() === subject && e.eventType.endsWith('ResourceWriteSuccess'))
          .at(-1);
        const dropped =
          event && sim.control.deliveries().some((d) => d.outcome === 'dropped' && d.eventIds.includes(event.id));
        return dropped ? true : undefined;
      },
      60_000,
    );
    sim.control.updateSettings({ events: { dropRate: 0.1 } });

    await waitUntil(
      'the mesh to match the labels',
      () => (meshMatchesLabels(e2e.sandbox.sim) ? true : undefined),
      180_000,
      100,
    );
    const deliveries = sim.control.deliveries().slice(deliveredBefore);
    expect(deliveries.filter((d) => d.duplicate).length).toBeGreaterThan(0);
    expect(deliveries.filter((d) => d.outcome === 'dropped').length).toBeGreaterThan(0);
    // Reordered: the originals (first copies) reached the webhook in an order other than the one ARM produced them in.
    const produced = new Map(sim.control.events().map((e, i) => [e.id, i]));
    const arrived = deliveries
      .filter((d) => !d.duplicate && delivered(d.outcome))
      .flatMap((d) => d.eventIds.map((id) => produced.get(id) ?? -1));
    expect(arrived.every((i) => i >= 0)).toBe(true);
    const overtaken = arrived.filter((i, k) => k > 0 && i < Math.max(...arrived.slice(0, k))).length;
    expect(overtaken).toBeGreaterThan(0);
    // No role is missing in this fleet: no role assignment PUT at all, hence no 409 either.
    const roles = roleAssignmentWrites(sim, 0);
    expect(roles.puts).toBe(0);
    expect(roles.conflicts).toBe(0);

    // Stable: once the reconciler is idle, a further resync (the timer run now) changes nothing.
    const settled = await waitUntil(
      'the reconciler to go idle',
      async () => {
        const s = await reconcilerStatus(e2e.sandbox, 'demo');
        return isIdle(s) && meshMatchesLabels(sim) ? s : undefined;
      },
      60_000,
    );
    const stableFrom = lastCallSeq(sim);
    expect(await runTimerNow(e2e.sandbox, 'resync')).toBe(202);
    await waitUntil(
      'a resync cycle after the mesh settled',
      async () => {
        const s = await reconcilerStatus(e2e.sandbox, 'demo');
        return isIdle(s) && s.cycles > settled.cycles ? s : undefined;
      },
      60_000,
    );
    const after = sim.control.calls(stableFrom).filter((c) => c.principal === APP_PRINCIPAL);
    expect(after.filter((c) => c.method === 'GET').length).toBeGreaterThan(0); // the resync read the fleet
    expect(after.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.operation} ${c.status}`)).toEqual([]);
    expect(meshMatchesLabels(sim)).toBe(true);
    console.log(
      `event chaos (seed ${SEED}): ${CHANGES} relabels, ${deliveries.length} deliveries ` +
        `(${deliveries.filter((d) => d.duplicate).length} duplicates, ${deliveries.filter((d) => d.outcome === 'dropped').length} dropped, ` +
        `${overtaken} of ${arrived.length} originals arrived after a later event); ` +
        `final mesh ${progress(sim).connected} members; resync after settling: ${after.length} reads, 0 writes`,
    );
  });
});
