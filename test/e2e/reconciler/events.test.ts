/**
 * Event-driven behaviour on a generated fleet of 60 members (10 in the mesh, 50 waiting for the label):
 *
 *  g. 50 label events within 5 seconds lead to exactly one apply, which adds all 50;
 *  h. with every event delivered twice and deliveries reordered, the mesh still ends in the state the labels say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { obj, arr, startE2E, waitFor, type E2E } from '../support/harness.js';

const FLEET_API = '2026-03-02-preview';
let e2e: E2E;

/** Generated member names: member-001 … member-060. */
const name = (i: number): string => `member-${String(i + 1).padStart(3, '0')}`;

beforeAll(async () => {
  e2e = await startE2E({
    scenario: 'generated:60?unlabelled=50&applied=true&seed=3',
    fleetName: 'fleet-generated',
    policy: {
      mode: 'auto',
      allowRemovals: true,
      debounceSeconds: 3,
      convergence: { pollIntervalSeconds: 0.2, maxPollIntervalSeconds: 1, memberTimeoutMinutes: 5 },
    },
  });
});

afterAll(async () => {
  await e2e.stop();
});

function applies(): number {
  return e2e.sandbox.sim.control.calls().filter((c) => c.operation === 'clusterMeshProfiles.apply' && c.status < 300)
    .length;
}

async function connectedMembers(): Promise<string[]> {
  const r = await e2e.api('GET', '/meshes/demo');
  return arr(obj(r.json).members)
    .map((m) => obj(m))
    .filter((m) => m.meshState === 'Connected')
    .map((m) => String(m.name))
    .sort();
}

/** Sets a member's labels; retries while its previous label update is still running (409, as ARM answers). */
async function label(member: string, labels: Record<string, string>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await e2e.operator.call('PATCH', e2e.fleetPath(`/members/${member}`), {
      body: { properties: { labels } },
      apiVersion: FLEET_API,
    });
    if (r.status === 409 && r.text.includes('AnotherOperationInProgress') && attempt < 50) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    expect([200, 202], `PATCH ${member}: ${r.text}`).toContain(r.status);
    return;
  }
}

describe('events', () => {
  it('starts with the ten labelled members connected', async () => {
    const members = await waitFor('10 connected members', async () => {
      const c = await connectedMembers();
      return c.length === 10 ? c : undefined;
    });
    expect(members).toHaveLength(10);
  });

  it('g. coalesces 50 label events within 5 seconds into exactly one apply', async () => {
    const before = applies();
    const all = await connectedMembers();
    const waiting = Array.from({ length: 60 }, (_, i) => name(i)).filter((m) => !all.includes(m));
    expect(waiting).toHaveLength(50);
    const started = Date.now();
    for (const m of waiting) await label(m, { mesh: 'demo' });
    expect(Date.now() - started).toBeLessThan(5000);
    await waitFor('60 connected members', async () => ((await connectedMembers()).length === 60 ? true : undefined), {
      timeoutMs: 180_000,
    });
    expect(applies() - before).toBe(1);
  });

  it('h. reaches the same final state with duplicated and reordered deliveries', async () => {
    e2e.sandbox.sim.control.updateSettings({ events: { duplicateRate: 1, reorder: true } });
    const leave = Array.from({ length: 20 }, (_, i) => name(i * 3));
    const rejoin = leave.slice(0, 5);
    for (const m of leave) await label(m, { other: 'x' });
    for (const m of rejoin) await label(m, { mesh: 'demo' });
    const expected = Array.from({ length: 60 }, (_, i) => name(i))
      .filter((m) => !leave.includes(m) || rejoin.includes(m))
      .sort();
    const final = await waitFor(
      'the mesh to match the labels',
      async () => {
        const c = await connectedMembers();
        return c.join() === expected.join() ? c : undefined;
      },
      { timeoutMs: 180_000 },
    );
    expect(final).toHaveLength(45);
    const deliveries = e2e.sandbox.sim.control.deliveries();
    expect(deliveries.some((d) => d.duplicate)).toBe(true);
  });
});
