/**
 * Fault soak: the simulator answers 20% of ARM requests with 429 or 5xx (10% 429, 5% 500, 5% 503), commits 5% of the
 * writes and then drops the connection (ambiguous writes), and adds latency with spikes (exponential, mean 10 ms;
 * LRO polls and member lists uniform up to 400 ms). With the resync timer on, fleetmesh must converge a generated
 * fleet (three identities missing Network Contributor, Traffic Manager on), then follow relabelling rounds, and:
 *
 * - the mesh ends as the labels say (members Connected with their endpoints, the others out);
 * - no role assignment duplicated, judged on the simulator's call log (its world refuses a duplicate with 409, so it
 *   can never show one): every role assignment PUT under its deterministic name, each missing role committed exactly
 *   once (one 201, or one write whose answer was lost), no other role written, no 409, and a re-PUT (answered 200)
 *   only as the retry of a write whose answer was lost; no role assignment PUT after the first convergence;
 * - no operation record is lost: every apply the reconciler ran (a meshApply instance, named by its operation id) has
 *   its record in Cosmos, and every record of the mesh ends in a terminal status.
 *
 * CI size: 16 members, one relabelling round. `npm run test:soak`: SOAK_MEMBERS=60, SOAK_ROUNDS=6.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPolicy } from '../../../local/sandbox/sandbox.js';
import type { FaultConfig } from '../../../local/simulator/index.js';
import { createCosmosClient } from '../../../shared/state/client.js';
import { createCosmosStateStore } from '../../../shared/state/cosmosStore.js';
import { isTerminalStatus } from '../../../shared/state/documents.js';
import type { StateStore } from '../../../shared/state/store.js';
import { startE2E, type E2E } from '../support/harness.js';
import {
  clusterOf,
  lastCallSeq,
  meshMatchesLabels,
  networkContributorTriples,
  picked,
  roleAssignmentViolations,
  roleAssignmentWrites,
  seeded,
  waitUntil,
} from './support.js';

const MEMBERS = Number(process.env.SOAK_MEMBERS ?? 16);
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 1);
const SEED = Number(process.env.SOAK_SEED ?? 77);
const SCENARIO = `generated:${MEMBERS}?missingRole=3&traffic=true&seed=5`;
const FLEET_API = '2026-03-02-preview';

const ERRORS = { '429': 0.1, '500': 0.05, '503': 0.05 };
const FAULTS: FaultConfig = {
  global: { errorRates: ERRORS, latency: { kind: 'exponential', meanMs: 10 } },
  overrides: [
    {
      name: 'writes: errors and ambiguous commits',
      match: { methods: ['PUT', 'PATCH', 'POST', 'DELETE'] },
      errorRates: ERRORS,
      ambiguousWriteRate: 0.05,
      latency: { kind: 'exponential', meanMs: 10 },
    },
    {
      name: 'latency spikes on polls and lists',
      match: { operations: ['operations.get', 'fleetMembers.list'] },
      errorRates: ERRORS,
      latency: { kind: 'uniform', minMs: 0, maxMs: 400 },
    },
  ],
};

let e2e: E2E;
let store: StateStore;
let dispose: () => void;

beforeAll(async () => {
  e2e = await startE2E({
    scenario: SCENARIO,
    fleetName: 'fleet-generated',
    resyncOnStartup: false,
    appSettings: { FLEETMESH_RESYNC_SCHEDULE: '*/5 * * * * *' },
    policy: {
      ...demoPolicy(50),
      allowRemovals: true,
      debounceSeconds: 1,
      convergence: { pollIntervalSeconds: 0.1, maxPollIntervalSeconds: 0.5, memberTimeoutMinutes: 5 },
    },
  });
  const { cosmos } = e2e.sandbox;
  const client = createCosmosClient(
    { endpoint: cosmos.endpoint, database: 'fleetmesh', auth: { kind: 'key', key: cosmos.key }, caFile: undefined },
    { caPem: cosmos.certificatePem },
  );
  dispose = () => client.dispose();
  store = createCosmosStateStore({ client, databaseId: 'fleetmesh', eventTtlSeconds: 3600 });
  e2e.sandbox.sim.control.setFaults(FAULTS);
});

afterAll(async () => {
  dispose();
  await e2e.stop();
});

/** An operator's ARM call through the same faults: retried on 429/5xx/409 and on a dropped connection. */
async function operatorPatch(member: string, labels: Record<string, string>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const r = await e2e.operator.call('PATCH', e2e.fleetPath(`/members/${member}`), {
        body: { properties: { labels } },
        apiVersion: FLEET_API,
      });
      if (r.status === 200 || r.status === 202) return;
      if (r.status !== 409 && r.status !== 429 && r.status < 500) throw new Error(`PATCH ${member}: ${r.text}`);
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('PATCH')) throw e;
      // The connection dropped (an ambiguous write): send it again, as a client would.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`PATCH ${member}: still failing after 100 attempts`);
}

function labelsOf(member: string): Record<string, string> {
  const m = [...e2e.sandbox.sim.control.world().members.values()].find((x) => x.name === member);
  if (!m) throw new Error(`no member ${member}`);
  return { ...m.labels };
}

describe('fault soak', () => {
  it(`converges ${MEMBERS} members and follows ${ROUNDS} relabelling round(s) through 20% errors, 5% ambiguous writes and latency spikes`, async () => {
    const sim = e2e.sandbox.sim;
    // An operator's apply through our API (which itself reads ARM, faults included: ask again on a 5xx).
    await waitUntil(
      'the apply to be accepted',
      async () => ((await e2e.api('POST', '/meshes/demo/apply')).status === 202 ? true : undefined),
      60_000,
      200,
    );
    await waitUntil('the mesh to converge', () => (meshMatchesLabels(sim) ? true : undefined), 240_000, 100);
    // The roles are granted before the first convergence: checked now, while the call log still holds every call.
    const grants = roleAssignmentWrites(sim, 0);
    const converged = lastCallSeq(sim);

    const random = seeded(SEED);
    for (let round = 0; round < ROUNDS; round++) {
      const flips = new Set(
        Array.from({ length: 4 }, () => `member-${String(1 + Math.floor(random() * MEMBERS)).padStart(3, '0')}`),
      );
      for (const member of flips) {
        const labels = labelsOf(member);
        const index = labels['index'] ?? '';
        await operatorPatch(member, labels['mesh'] === 'demo' ? { index } : { mesh: 'demo', index });
      }
      await waitUntil(
        `round ${round}: the mesh to match the labels`,
        () => (meshMatchesLabels(sim) ? true : undefined),
        240_000,
        100,
      );
    }

    // Faults really happened.
    const notes = sim.control.calls().map((c) => c.note ?? '');
    expect(notes.filter((n) => n.startsWith('injected:')).length).toBeGreaterThan(0);
    expect(notes.filter((n) => n.startsWith('ambiguous:')).length).toBeGreaterThan(0);

    // No duplicate role assignment (call log): every missing role committed exactly once under its deterministic
    // name; a re-PUT only for a write whose answer was lost; no 409; nothing granted once the mesh had converged.
    const fixed = picked(SCENARIO, 'missingRole').map(clusterOf);
    const expected = networkContributorTriples(sim, fixed);
    expect(expected).toHaveLength(fixed.length);
    expect(roleAssignmentViolations(grants, expected, (t) => t.ambiguous)).toEqual([]);
    expect(grants.conflicts).toBe(0);
    expect(roleAssignmentWrites(sim, converged).puts).toBe(0);

    // No operation record lost: every apply instance has its record, and every record ends terminal.
    const applies = e2e.sandbox.host.durableHistoryStats().filter((s) => s.name === 'meshApply');
    expect(applies.length).toBeGreaterThan(0);
    for (const instance of applies) {
      const op = await waitUntil(
        `operation ${instance.instanceId} to finish`,
        async () => {
          const found = (await store.getOperation(instance.instanceId))?.value;
          return found && isTerminalStatus(found.status) ? found : undefined;
        },
        120_000,
      );
      expect(op.kind).toBe('apply');
    }
    const records = await waitUntil(
      'every operation record to end',
      async () => {
        const all = await store.listOperations('demo', { limit: 100 });
        return all.every((o) => isTerminalStatus(o.status)) ? all : undefined;
      },
      120_000,
    );
    expect(records.filter((o) => o.kind === 'apply').length).toBeGreaterThanOrEqual(applies.length);
    const failed = records.filter((o) => o.status === 'Failed');
    console.log(
      `fault soak: ${MEMBERS} members, ${ROUNDS} round(s), ${sim.control.calls().length} ARM calls ` +
        `(${notes.filter((n) => n.startsWith('injected:')).length} injected errors, ${notes.filter((n) => n.startsWith('ambiguous:')).length} ambiguous writes); ` +
        `role assignment PUTs ${grants.puts}: ${[...grants.byTriple.values()].map((t) => `[${t.answers.join(', ')}]`).join(' ')}; ` +
        `${records.length} operation records, ${failed.length} failed (${failed.map((o) => o.error?.code ?? '?').join(', ')})`,
    );
  });
});
