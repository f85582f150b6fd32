/**
 * Test support for the gateway contract tests: a simulator (fast settings from the simulator's own test support),
 * its certificate in a temporary file, settings built through `loadSettings` exactly as the app builds them, and
 * gateways from `createGateways`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningSimulator, SimulatorOptions } from '../../../../local/simulator/index.js';
import { loadSettings, type Settings } from '../../../../shared/config/settings.js';
import { createGateways, type Gateways } from '../../../../shared/azure/index.js';
import { createLogger } from '../../../../shared/log.js';
import { start, type Arm } from '../../local/simulator/support.js';

export { at, FAST, waitFor } from '../../local/simulator/support.js';

export const FLEET_RG = 'rg-fleet';
export const FLEET_NAME = 'fleet-demo';
export const NETWORK_CONTRIBUTOR = '4d97b98b-1d4f-4787-a291-c67834d212e7';

export interface GatewayHarness {
  readonly sim: RunningSimulator;
  readonly arm: Arm;
  readonly settings: Settings;
  readonly gateways: Gateways;
  readonly caFile: string;
  /** What the gateways logged (JSON lines). */
  readonly logs: string[];
  /** Full id under the simulator's subscription. */
  sub(path: string): string;
  /** Another gateway set over the same settings (a fresh process, as far as the gateways can tell). */
  fresh(): Gateways;
  close(): Promise<void>;
}

export function settingsFor(
  sim: RunningSimulator,
  caFile: string,
  extra: Readonly<Record<string, string>> = {},
): Settings {
  return loadSettings({
    FLEETMESH_SUBSCRIPTION_ID: sim.subscriptionId,
    FLEETMESH_FLEET_RESOURCE_GROUP: FLEET_RG,
    FLEETMESH_FLEET_NAME: FLEET_NAME,
    FLEETMESH_ARM_ENDPOINT: sim.endpoint,
    FLEETMESH_ARM_AUTH: 'static',
    FLEETMESH_ARM_STATIC_TOKEN: sim.tokens['fleetmesh'] ?? '',
    FLEETMESH_ARM_CA_FILE: caFile,
    FLEETMESH_COSMOS_ENDPOINT: 'https://127.0.0.1:8081',
    FLEETMESH_TASK_HUB: 'fleetmeshtests',
    ...extra,
  });
}

/** Starts a simulator and builds gateways against it (polls every 10 ms when the simulator sends no Retry-After). */
export async function startHarness(
  options: SimulatorOptions = {},
  extraSettings: Readonly<Record<string, string>> = {},
): Promise<GatewayHarness> {
  const { sim, arm } = await start(options);
  const dir = mkdtempSync(join(tmpdir(), 'fleetmesh-gw-'));
  const caFile = join(dir, 'sim.pem');
  writeFileSync(caFile, sim.certificatePem);
  const settings = settingsFor(sim, caFile, extraSettings);
  const logs: string[] = [];
  const logger = createLogger({ minLevel: 'debug', sink: (_level, line) => logs.push(line) });
  const fresh = (): Gateways => createGateways(settings, { pollIntervalMs: 10, logger });
  return {
    sim,
    arm,
    settings,
    gateways: fresh(),
    caFile,
    logs,
    sub: (path) => `/subscriptions/${sim.subscriptionId}${path}`,
    fresh,
    async close() {
      arm.close();
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
