/**
 * Every function the app registers has what its bindings need in Azure: the built app is loaded by the local host
 * with exactly the application settings the template deploys (infra/config/app-settings.json, representative values).
 * A binding that references a setting the template does not set (`%NAME%`) stops the host, as it stops indexing in
 * Azure. Then the registrations are checked against the Event Grid subscription, host.json and the auth exclusions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { glob } from 'tinyglobby';
import { startHost, type HostHandle } from '../../../local/host/index.js';
import { projectRoot } from '../../../local/sandbox/sandbox.js';

const root = projectRoot();
const AppSettings = z.object({ application: z.array(z.string()) });
const FleetEvents = z.object({ functionName: z.string() });
const Auth = z.object({ excludedPaths: z.array(z.string()) });
const read = <S extends z.ZodType>(file: string, schema: S): z.output<S> =>
  schema.parse(JSON.parse(readFileSync(path.join(root, file), 'utf8')));

const REPRESENTATIVE: Record<string, string> = {
  FLEETMESH_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
  FLEETMESH_FLEET_RESOURCE_GROUP: 'rg-fleet',
  FLEETMESH_FLEET_NAME: 'fleet1',
  FLEETMESH_ARM_ENDPOINT: 'https://management.azure.com/',
  FLEETMESH_ARM_AUTH: 'managedIdentity',
  FLEETMESH_FLEET_API_VERSION: '2026-03-02-preview',
  FLEETMESH_ARM_MAX_CONCURRENT_WRITES: '8',
  FLEETMESH_COSMOS_ENDPOINT: 'https://cosmos-abc.documents.azure.com:443/',
  FLEETMESH_COSMOS_DATABASE: 'fleetmesh',
  FLEETMESH_COSMOS_AUTH: 'entra',
  FLEETMESH_TASK_HUB: 'fleetmeshprod',
  FLEETMESH_RESYNC_SCHEDULE: '0 */10 * * * *',
  FLEETMESH_RESYNC_ON_STARTUP: 'false',
  FLEETMESH_OUTCOME_TOPIC_ENDPOINT: '',
  FLEETMESH_EVENT_DEDUP_TTL_SECONDS: '86400',
  FLEETMESH_PROFILE_LIST_CACHE_SECONDS: '60',
  FLEETMESH_LOG_LEVEL: 'error',
};

/**
 * Routes without a function key that are not public either: the status page is a shell with no data (its script
 * calls the keyed API with the key from the URL fragment, so the key never reaches a request log), and in Azure App
 * Service authentication still guards it (docs/operator.md).
 */
const KEYLESS_SHELLS = ['/api/ui'];

let host: HostHandle;

beforeAll(async () => {
  const deployed = read('infra/config/app-settings.json', AppSettings).application;
  const settings: Record<string, string> = {};
  for (const name of deployed) {
    const value = REPRESENTATIVE[name];
    if (value === undefined) throw new Error(`no representative value for deployed setting ${name}`);
    settings[name] = value;
  }
  host = await startHost({ appDir: root, port: 0, settings, logger: undefined });
});

afterAll(async () => {
  await host.stop();
});

describe('the app as Azure would index it with the deployed settings', () => {
  it('loads: every %SETTING% a binding references is deployed', () => {
    expect(host.functions.length).toBeGreaterThan(10);
  });

  it('loads the telemetry entry point with the functions (package.json main), a no-op without the connection string', async () => {
    const main = z
      .object({ main: z.string() })
      .parse(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')));
    const files = await glob(main.main, { cwd: root, onlyFiles: true });
    expect(files).toContain('dist/shared/config/telemetryStartup.js');
    expect(files.filter((f) => f.startsWith('dist/functions/')).length).toBeGreaterThan(10);
    // This host was started with the application settings only (no APPLICATIONINSIGHTS_CONNECTION_STRING) and loaded.
    expect(host.functions.length).toBeGreaterThan(10);
  });

  it('has the Event Grid trigger the subscription delivers to', () => {
    const name = read('infra/config/fleet-events.json', FleetEvents).functionName;
    expect(host.functions.find((f) => f.name === name)?.trigger).toBe('eventGridTrigger');
  });

  it('uses the task hub named by the deployed setting, through host.json', () => {
    expect(host.hubName).toBe(REPRESENTATIVE.FLEETMESH_TASK_HUB);
  });

  it('keeps every HTTP route behind a function key except the paths App Service authentication also exempts', () => {
    const excluded = read('infra/config/auth.json', Auth).excludedPaths;
    const http = host.functions.filter((f) => f.trigger === 'httpTrigger');
    expect(http.length).toBeGreaterThan(5);
    const anonymous = http.filter((f) => f.authLevel === 'anonymous').map((f) => f.route ?? '');
    for (const route of anonymous.filter((r) => !KEYLESS_SHELLS.includes(r))) expect(excluded).toContain(route);
    expect(anonymous).toContain('/api/health');
    // A key-less shell holds no data and must stay behind App Service authentication.
    for (const route of KEYLESS_SHELLS) {
      expect(anonymous).toContain(route);
      expect(excluded).not.toContain(route);
    }
  });

  it('registers every orchestration and activity the orchestrators call', async () => {
    const { Orchestrations, Activities } = await import('../../../orchestrations/names.js');
    const registered = new Map(host.functions.map((f) => [f.name, f.trigger]));
    for (const name of Object.values(Orchestrations)) expect(registered.get(name), name).toBe('orchestrationTrigger');
    for (const name of Object.values(Activities)) expect(registered.get(name), name).toBe('activityTrigger');
  });
});
