/**
 * The BASELINE: the documented manual runbook (DESIGN.md; reference fleet-networking-facts), step by step, one command
 * at a time, through the same gateways fleetmesh uses (`createGateways`: the same SDK clients, retries and pacing),
 * against the same generated fleet. What a careful operator with a script would do:
 *
 *  1. what-if: list the members, compute the plan (`az fleet clustermeshprofile apply --what-if`);
 *  2. apply and wait for the long-running operation (it ends Failed when a member fails);
 *  3. poll each member (`az fleet member show`, one after the other) until it is Connected or Failed, sleeping the
 *     runbook's 10 s (simulated) between sweeps;
 *  4. fix the roles one member at a time: read the cluster's identity, grant Network Contributor on its VNet,
 *     reconcile the cluster (`az aks update`) and wait for it;
 *  5. apply again and wait; poll each member again;
 *  6. DNS load balancing: create the Traffic Manager profile, then one endpoint per member (find the service's public
 *     IP in the node resource group, create the endpoint), one at a time. A profile holds at most 200 endpoints, so
 *     the operator routes the first 200 members by name and names endpoints as fleetmesh does: the end state is the
 *     one fleetmesh reaches, and the same convergence check applies to both.
 *
 * No human think time is counted, which flatters the baseline. Only a simulator runs here (no host, no Cosmos).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSimulator } from '../../local/simulator/index.js';
import { BuiltInRoles, parseResourceId, roleDefinitionId } from '../../shared/arm/resourceId.js';
import { isAzureApiError } from '../../shared/azure/errors.js';
import { createGateways } from '../../shared/azure/index.js';
import { loadSettings } from '../../shared/config/settings.js';
import { computeWhatIf, endpointName, MAX_ENDPOINTS_PER_PROFILE, parseMeshPolicy } from '../../shared/domain/index.js';
import { clusterVnetIds } from '../../shared/domain/preflight/snapshot.js';
import { createLogger } from '../../shared/log.js';
import { clusterPrincipalId } from '../../shared/models/index.js';
import { desiredProfile } from '../../shared/services/traffic.js';
import { armCounts, lowerBound, meshProgress, type ArmCounts, type LowerBound } from '../lib/mesh.js';
import { benchPolicy, GENERATED_FLEET, MESH, MESH_TARGET, TRAFFIC } from '../lib/sandbox.js';
import { round, sampleMemory, sleep, stopwatch, type MemoryPeak } from '../lib/util.js';

export interface RunbookOptions {
  readonly members: number;
  readonly missingRole: number;
  readonly seed: number;
  readonly timeFactor: number;
}

export interface RunbookStep {
  readonly step: string;
  readonly simSeconds: number;
}

export interface RunbookResult {
  readonly scenario: string;
  readonly members: number;
  readonly missingRole: number;
  readonly timeFactor: number;
  readonly convergedSimSeconds: number;
  readonly convergedWallSeconds: number;
  readonly converged: boolean;
  readonly lowerBound: LowerBound;
  readonly steps: readonly RunbookStep[];
  readonly arm: ArmCounts;
  readonly memory: MemoryPeak;
  readonly rolesFixed: number;
}

/** The runbook's wait between polling sweeps, simulated seconds (fleetmesh's default first poll interval). */
const SWEEP_INTERVAL_SECONDS = 10;

export async function runRunbook(o: RunbookOptions): Promise<RunbookResult> {
  const memory = sampleMemory();
  const scenario = `generated:${o.members}?traffic=true&missingRole=${o.missingRole}&seed=${o.seed}`;
  const sim = await startSimulator({ scenario, timeFactor: o.timeFactor, throttling: true, enforceRoles: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetmesh-runbook-'));
  try {
    const caFile = path.join(dir, 'sim.pem');
    writeFileSync(caFile, sim.certificatePem);
    const settings = loadSettings({
      FLEETMESH_SUBSCRIPTION_ID: sim.subscriptionId,
      FLEETMESH_FLEET_RESOURCE_GROUP: 'rg-fleet',
      FLEETMESH_FLEET_NAME: GENERATED_FLEET,
      FLEETMESH_ARM_ENDPOINT: sim.endpoint,
      FLEETMESH_ARM_AUTH: 'static',
      FLEETMESH_ARM_STATIC_TOKEN: sim.tokens['fleetmesh'] ?? '',
      FLEETMESH_ARM_CA_FILE: caFile,
      FLEETMESH_COSMOS_ENDPOINT: 'https://127.0.0.1:8081',
      FLEETMESH_TASK_HUB: 'runbook',
    });
    const g = createGateways(settings, { logger: createLogger({ minLevel: 'error', sink: () => undefined }) });
    const policy = parseMeshPolicy(benchPolicy(o.timeFactor));
    const traffic = policy.traffic;
    if (!traffic) throw new Error('the bench policy has no traffic section');
    const timing = sim.control.settings().timing;
    sim.control.resetCounters();

    const simStart = sim.control.now();
    const wall = stopwatch();
    const steps: RunbookStep[] = [];
    const mark = (step: string): void => {
      steps.push({ step, simSeconds: round((sim.control.now() - simStart) / 1000) });
    };
    const waitSim = (seconds: number): Promise<void> => sleep((seconds * 1000) / o.timeFactor);

    const applyAndWait = async (): Promise<void> => {
      try {
        await g.fleet.applyMeshProfileAndWait(MESH);
      } catch (e) {
        // A member that fails makes the operation fail: the runbook reads the members next.
        if (!(isAzureApiError(e) && e.armCode === 'ClusterMeshApplyFailed')) throw e;
      }
    };
    /** Polls each member, one GET after the other, until every one is Connected or Failed; returns the Failed ones. */
    const pollEachMember = async (names: readonly string[]): Promise<string[]> => {
      let pending = [...names];
      const failed: string[] = [];
      for (;;) {
        const next: string[] = [];
        for (const name of pending) {
          const m = await g.fleet.getMember(name);
          const state = m.properties.meshProperties?.status.state;
          if (state === 'Failed') failed.push(name);
          else if (state !== 'Connected') next.push(name);
        }
        pending = next;
        if (pending.length === 0) return failed;
        await waitSim(SWEEP_INTERVAL_SECONDS);
      }
    };

    // 1. what-if
    const [members, profile] = await Promise.all([g.fleet.listMembers(), g.fleet.getMeshProfile(MESH)]);
    if (!profile) throw new Error('the generated fleet has no demo profile');
    const plan = computeWhatIf({
      profileId: profile.id,
      desiredSelector: profile.properties.memberSelector?.byLabel ?? '',
      members,
    });
    const selected = plan.rows.filter((r) => r.action === 'Add' || r.action === 'None').map((r) => r.name);
    mark('what-if');
    // 2. apply, 3. poll
    await applyAndWait();
    mark('apply');
    const failed = await pollEachMember(selected);
    mark('poll members');
    // 4. fix roles, one member at a time
    for (const name of failed) {
      const member = await g.fleet.getMember(name);
      const clusterId = member.properties.clusterResourceId;
      const cluster = await g.clusters.getCluster(clusterId);
      const principalId = clusterPrincipalId(cluster);
      if (!principalId) throw new Error(`cluster ${clusterId} has no identity`);
      for (const vnetId of clusterVnetIds(cluster)) {
        await g.authorization.createRoleAssignment({
          scope: vnetId,
          roleDefinitionId: roleDefinitionId(parseResourceId(vnetId).subscriptionId, BuiltInRoles.networkContributor),
          principalId,
          principalType: 'ServicePrincipal',
        });
      }
      await g.clusters.reconcileAndWait(clusterId);
    }
    mark(`fix roles (${failed.length})`);
    // 5. apply again, poll again
    if (failed.length > 0) {
      await applyAndWait();
      mark('apply again');
      const still = await pollEachMember(failed);
      if (still.length > 0) throw new Error(`still failed after the runbook: ${still.join(', ')}`);
      mark('poll members again');
    }
    // 6. Traffic Manager: profile, then one endpoint per member
    await g.traffic.createOrUpdateProfile(TRAFFIC.resourceGroup, TRAFFIC.profile, desiredProfile(traffic));
    const routed = [...selected].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, MAX_ENDPOINTS_PER_PROFILE);
    const weight = Math.ceil(1000 / routed.length);
    for (const name of routed) {
      const member = await g.fleet.getMember(name);
      const clusterId = member.properties.clusterResourceId;
      const cluster = await g.clusters.getCluster(clusterId);
      const ips = await g.network.listPublicIPAddresses(
        parseResourceId(clusterId).subscriptionId,
        cluster.nodeResourceGroup ?? '',
      );
      const ip = ips.find((p) => p.tags?.['k8s-azure-service'] === 'demo/web');
      if (!ip?.id) throw new Error(`no demo/web public IP for ${name}`);
      const endpoint = endpointName(MESH, 'demo/web', name);
      await g.traffic.createOrUpdateEndpoint(TRAFFIC.resourceGroup, TRAFFIC.profile, 'AzureEndpoints', endpoint, {
        targetResourceId: ip.id,
        endpointStatus: 'Enabled',
        weight,
      });
    }
    mark('traffic manager');
    const convergedWallSeconds = wall();
    const convergedSimSeconds = (sim.control.now() - simStart) / 1000;
    return {
      scenario,
      members: o.members,
      missingRole: o.missingRole,
      timeFactor: o.timeFactor,
      convergedSimSeconds: round(convergedSimSeconds),
      convergedWallSeconds: round(convergedWallSeconds),
      converged: meshProgress(sim, { ...MESH_TARGET }).converged,
      lowerBound: lowerBound(timing, o.missingRole),
      steps,
      arm: armCounts(sim.control.counters()),
      memory: memory.stop(),
      rolesFixed: failed.length,
    };
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
