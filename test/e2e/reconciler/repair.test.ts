/**
 * A mesh left with a Failed member (applied at load, one cluster identity without Network Contributor) is repaired
 * by fleetmesh on its own under policy `auto`: the membership is right, so the plan adds nothing, but the failed
 * member has a fix preflight can see: grant the role, reconcile the cluster, re-apply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleetScenario, parseGeneratedName } from '../../../local/simulator/index.js';
import { arr, obj, startE2E, waitFor, type E2E } from '../support/harness.js';

const scenario = generateFleetScenario(parseGeneratedName('generated:5?missingRole=1&applied=true&seed=5'));
const broken = String(arr(obj(obj(scenario.metadata).misconfigured).missingRole)[0]);
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E({
    scenario,
    fleetName: 'fleet-generated',
    policy: {
      mode: 'auto',
      debounceSeconds: 0.5,
      convergence: { pollIntervalSeconds: 0.2, maxPollIntervalSeconds: 1 },
    },
  });
});

afterAll(async () => {
  await e2e.stop();
});

describe('repair under auto', () => {
  it('connects the member that the manual apply left Failed', async () => {
    const members = await waitFor(
      'all five members Connected',
      async () => {
        const view = obj((await e2e.api('GET', '/meshes/demo')).json);
        const list = arr(view.members).map((m) => obj(m));
        return list.length === 5 && list.every((m) => m.meshState === 'Connected') ? view : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const op = obj((await e2e.api('GET', `/operations/${encodeURIComponent(String(members.lastOperationId))}`)).json);
    expect(op.status).toBe('Succeeded');
    const fixed = obj(arr(op.members).find((m) => obj(m).member === broken));
    expect(arr(fixed.remediations).map((r) => obj(r).step)).toEqual(['grantNetworkContributor', 'reconcileCluster']);
    expect(arr(op.members)).toHaveLength(1);
  });
});
