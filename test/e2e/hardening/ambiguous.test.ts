/**
 * Writes whose answer is lost (ARM committed them, the connection dropped): the pipeline sends them again, so every
 * non-idempotent step must recognise its own earlier attempt. Each case makes exactly one write of one kind
 * ambiguous (simulator fault override, `times: 1`) during a 4-member apply with one missing role, and checks the
 * operation still Succeeds, the mesh converges, and the write's effect is not duplicated. Role assignments are checked
 * on the simulator's call log (its world can never hold a duplicate: it refuses one with 409): the one missing role is
 * PUT under its deterministic name and answered exactly `201` — or, when that PUT is the ambiguous one, the lost
 * commit then exactly one `200` (the retry finding its own assignment) — and no PUT is ever answered 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { obj, startE2E, type E2E } from '../support/harness.js';
import type { SettingsInput } from '../../../local/simulator/index.js';
import {
  appliesSince,
  clusterOf,
  lastCallSeq,
  networkContributorTriples,
  operations,
  picked,
  progress,
  roleAssignmentViolations,
  roleAssignmentWrites,
  waitUntil,
} from './support.js';
import { createCosmosClient } from '../../../shared/state/client.js';
import { createCosmosStateStore } from '../../../shared/state/cosmosStore.js';
import type { StateStore } from '../../../shared/state/store.js';

const SCENARIO = 'generated:4?missingRole=1&traffic=true&seed=2';
const Accepted = z.looseObject({ operationId: z.string() });

let e2e: E2E;
let store: StateStore;
let dispose: () => void;

beforeAll(async () => {
  e2e = await startE2E({ scenario: SCENARIO, fleetName: 'fleet-generated', resyncOnStartup: false });
  const { cosmos } = e2e.sandbox;
  const client = createCosmosClient(
    { endpoint: cosmos.endpoint, database: 'fleetmesh', auth: { kind: 'key', key: cosmos.key }, caFile: undefined },
    { caPem: cosmos.certificatePem },
  );
  dispose = () => client.dispose();
  store = createCosmosStateStore({ client, databaseId: 'fleetmesh', eventTtlSeconds: 3600 });
});

afterAll(async () => {
  dispose();
  await e2e.stop();
});

/** A fresh fleet (same subscription and tokens), one ambiguous write of `operation`, and an operator's apply. */
async function applyWithAmbiguous(
  operation: string,
  settings: SettingsInput = {},
  during: () => Promise<void> = () => Promise.resolve(),
): Promise<{ since: number; status: string; error: unknown }> {
  const sim = e2e.sandbox.sim;
  sim.control.loadScenario(SCENARIO, { subscriptionId: sim.subscriptionId });
  sim.control.updateSettings(settings);
  sim.control.setFaults({
    overrides: [
      { name: `ambiguous-${operation}`, match: { operations: [operation] }, ambiguousWriteRate: 1, times: 1 },
    ],
  });
  const since = lastCallSeq(sim);
  const r = await e2e.api('POST', '/meshes/demo/apply');
  expect(r.status, r.text).toBe(202);
  const { operationId } = Accepted.parse(r.json);
  await during();
  const op = await operations(store).waitTerminal(operationId);
  return { since, status: op.status, error: op.error };
}

describe('an ambiguous write is recognised when it is sent again', () => {
  it.each([
    'clusterMeshProfiles.apply',
    'managedClusters.createOrUpdate',
    'roleAssignments.create',
    'trafficManagerEndpoints.createOrUpdate',
    'trafficManagerProfiles.createOrUpdate',
  ])('%s', async (operation) => {
    const { since, status, error } = await applyWithAmbiguous(operation);
    const sim = e2e.sandbox.sim;
    expect(sim.control.faults().overrides ?? []).toEqual([]); // the one ambiguous write happened
    expect(status, JSON.stringify(error)).toBe('Succeeded');
    await waitUntil('converged', () => (progress(sim).converged ? true : undefined), 60_000);
    const fixed = picked(SCENARIO, 'missingRole').map(clusterOf);
    const expected = networkContributorTriples(sim, fixed);
    expect(expected).toHaveLength(1);
    const writes = roleAssignmentWrites(sim, since);
    // Only the lost answer of the role assignment PUT itself justifies a re-PUT (answered 200, never 409).
    expect(roleAssignmentViolations(writes, expected, (t) => t.ambiguous)).toEqual([]);
    expect(writes.conflicts).toBe(0);
    expect([...writes.byTriple.values()].map((t) => t.answers)).toEqual([
      operation === 'roleAssignments.create' ? ['ambiguous', 200] : [201],
    ]);
    expect(appliesSince(sim, since)).toBeLessThanOrEqual(2);
  });
});

describe('an adopted apply whose members connect slowly', () => {
  it('polls each member at the policy interval, continuing as new every 16 polls, until Connected', async () => {
    const sim = e2e.sandbox.sim;
    const policy = obj((await e2e.api('GET', '/meshes/demo')).json).policy;
    const put = await e2e.api('PUT', '/meshes/demo/policy', {
      ...obj(policy),
      convergence: { pollIntervalSeconds: 0.05, maxPollIntervalSeconds: 0.05, memberTimeoutMinutes: 5 },
    });
    expect(put.status, put.text).toBe(200);
    // Connecting takes 100 s simulated after the apply, which is adopted while it runs, so every member is still
    // Connecting at its first check. From the moment the members are being watched until one of them has continued
    // as new (16 checks), simulated time runs at wall-clock speed (100 s of connecting then outlasts any slowness of
    // the machine), then fast again. (A paused clock would also hold up the simulator's simulated latencies.)
    const host = e2e.sandbox.host;
    const converging = () => host.durableHistoryStats().filter((s) => s.name === 'memberConverge');
    const { status, error } = await applyWithAmbiguous(
      'clusterMeshProfiles.apply',
      { timing: { connectMs: 100_000 } },
      async () => {
        await waitUntil('members being watched', () => (converging().length > 0 ? true : undefined), 60_000);
        const factor = sim.control.settings().timeFactor;
        sim.control.setTimeFactor(1);
        try {
          await waitUntil(
            'a member continued as new',
            () => (converging().some((s) => s.continuedAsNew > 0) ? true : undefined),
            120_000,
          );
        } finally {
          sim.control.setTimeFactor(factor);
        }
      },
    );
    expect(status, JSON.stringify(error)).toBe('Succeeded');
    const members = e2e.sandbox.host.durableHistoryStats().filter((s) => s.name === 'memberConverge');
    const continued = members.filter((s) => s.continuedAsNew > 0);
    expect(continued.length).toBeGreaterThan(0);
    expect(Math.max(...members.map((s) => s.peakHistoryEvents))).toBeLessThanOrEqual(200);
    expect(progress(sim).converged).toBe(true);
  });
});
