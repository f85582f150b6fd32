/**
 * The planner (shared/services/planner.ts) against the simulator and the embedded Cosmos server, counting its ARM
 * reads: cluster identities that share a VNet have their role assignments listed once per VNet (not once per
 * principal), the fixes are exactly the members whose identity lacks Network Contributor, and the clusters it reads
 * are remembered for the Traffic Manager sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateFleetScenario, parseGeneratedName } from '../../../../local/simulator/scenario/generate.js';
import { ClusterFacts } from '../../../../shared/services/clusterFacts.js';
import { computeMeshPlan } from '../../../../shared/services/planner.js';
import { FAST } from '../../local/simulator/support.js';
import { startHarness as startGateways, type GatewayHarness } from '../azure/support.js';
import { startHarness as startCosmos, type Harness as CosmosHarness } from '../state/harness.js';

const SCENARIO = 'generated:12?missingRole=3&unpeered=1&seed=11';
const Misconfigured = z.looseObject({ misconfigured: z.record(z.string(), z.array(z.string())) });
const picked = Misconfigured.parse(generateFleetScenario(parseGeneratedName(SCENARIO)).metadata).misconfigured;

let h: GatewayHarness;
let cosmos: CosmosHarness;

beforeAll(async () => {
  h = await startGateways({ ...FAST, scenario: SCENARIO }, { FLEETMESH_FLEET_NAME: 'fleet-generated' });
  cosmos = await startCosmos();
});

afterAll(async () => {
  await h.close();
  await cosmos.close();
});

describe('computeMeshPlan', () => {
  it('lists role assignments once per shared VNet and still finds every identity lacking Network Contributor', async () => {
    const facts = new ClusterFacts();
    h.sim.control.clearCalls();
    const plan = await computeMeshPlan(
      {
        gateways: h.gateways,
        store: cosmos.store(),
        fleet: { subscriptionId: h.sim.subscriptionId, resourceGroup: 'rg-fleet', fleetName: 'fleet-generated' },
        now: () => new Date(),
        clusterFacts: facts,
      },
      { profile: 'demo' },
    );
    const lists = h.sim.control.calls().filter((c) => c.operation === 'roleAssignments.listForScope');
    // Eleven identities share the four regional VNets (one list each); the unpeered member is alone in its own VNet
    // (one list filtered by its principal): 5 lists, not 12.
    expect(lists).toHaveLength(5);
    expect(plan.fixes.map((f) => f.member).sort()).toEqual([...(picked['missingRole'] ?? [])].sort());
    expect(plan.fixes).toHaveLength(3);
    expect(facts.size).toBe(12);
  });
});
