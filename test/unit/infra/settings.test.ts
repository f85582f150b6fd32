/**
 * App settings: the names the template deploys (infra/config/app-settings.json, loaded by infra/app/api.bicep) against
 * the names the code reads (SETTINGS in shared/config/settings.ts) and the %NAME% references in host.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS, loadSettings } from '../../../shared/config/settings.js';
import { TELEMETRY_SETTINGS } from '../../../shared/config/telemetry.js';
import {
  callArguments,
  callsOf,
  parseBicep,
  propertyValue,
  stringLiteral,
  variableObjectKeys,
  type BicepFile,
} from './support/bicep.js';
import { loadAppSettingsConfig, loadRbacConfig, repoRoot } from './support/config.js';

const spec = loadAppSettingsConfig();
const codeNames = Object.keys(SETTINGS);
const requiredNames = Object.entries(SETTINGS)
  .filter(([, s]) => s.required)
  .map(([name]) => name);
/** Everything the template can set, with either durable backend. */
const deployable = [...spec.application, ...spec.runtime, ...spec.durableTaskScheduler];
/** What each backend deploys (api.bicep adds the durableTaskScheduler group only for that backend). */
const deployedWithAzureStorage = [...spec.application, ...spec.runtime];
const deployedWithScheduler = deployable;

/**
 * Settings whose names look like secrets but hold none, with the reason. api.bicep's values are checked below.
 */
const NOT_SECRETS: Readonly<Record<string, RegExp>> = {
  // Ingestion endpoint and resource id; with local auth off ingestion needs an Entra token as well.
  APPLICATIONINSIGHTS_CONNECTION_STRING: /^applicationInsightsConnectionString$/,
  // Endpoint, Authentication=ManagedIdentity and the identity's client id.
  // The name of the setting above, not a value.
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName:
    /^'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'$/,
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING:
    /^'Endpoint=\$\{[A-Za-z]+\};Authentication=ManagedIdentity;ClientID=\$\{identityClientId\}'$/,
};

/** %NAME% references in host.json: the host resolves them from app settings. */
function hostJsonSettingReferences(): string[] {
  const text = readFileSync(path.join(repoRoot, 'host.json'), 'utf8');
  return [...text.matchAll(/%([A-Za-z0-9_]+)%/g)].flatMap((m) => (m[1] ? [m[1]] : []));
}

describe('app settings the template deploys', () => {
  it('sets every setting the code requires', () => {
    expect(requiredNames.length).toBeGreaterThan(0);
    for (const deployed of [deployedWithAzureStorage, deployedWithScheduler]) {
      const missing = requiredNames.filter((n) => !deployed.includes(n));
      expect(missing, 'required settings not set by infra/config/app-settings.json').toEqual([]);
    }
  });

  it('deploys no application setting the code does not read', () => {
    const unknown = spec.application.filter((n) => !codeNames.includes(n));
    expect(unknown, 'settings in "application" that are not in SETTINGS').toEqual([]);
  });

  it('accounts for every setting the code reads: deployed, or local-only with a reason', () => {
    const unaccounted = codeNames.filter((n) => !spec.application.includes(n) && !(n in spec.notSetInAzure));
    expect(unaccounted).toEqual([]);
    const both = spec.application.filter((n) => n in spec.notSetInAzure);
    expect(both, 'a setting cannot be both deployed and local-only').toEqual([]);
    const stale = Object.keys(spec.notSetInAzure).filter((n) => !codeNames.includes(n));
    expect(stale, 'notSetInAzure lists names the code no longer reads').toEqual([]);
  });

  it('keeps runtime-owned settings apart from the application settings', () => {
    const runtimeOwned = [...spec.runtime, ...spec.durableTaskScheduler];
    expect(runtimeOwned.filter((n) => codeNames.includes(n))).toEqual([]);
    expect(runtimeOwned.filter((n) => n.startsWith('FLEETMESH_'))).toEqual([]);
    expect(new Set(deployable).size, 'a name is listed twice').toBe(deployable.length);
  });

  it('never deploys secret-bearing or Flex-rejected settings', () => {
    const forbidden = [...Object.keys(spec.neverSet), ...Object.keys(spec.notSetInAzure)];
    expect(deployable.filter((n) => forbidden.includes(n))).toEqual([]);
    // Names that look like secrets must be known not to hold one (checked against api.bicep below).
    const secretLooking = deployable.filter((n) => /KEY|SECRET|PASSWORD|TOKEN|CONNECTION_?STRING/i.test(n));
    expect(secretLooking.sort()).toEqual(Object.keys(NOT_SECRETS).sort());
  });

  it('connects to storage with the managed identity (AzureWebJobsStorage__*), never a connection string', () => {
    expect(spec.runtime).toEqual(
      expect.arrayContaining([
        'AzureWebJobsStorage__credential',
        'AzureWebJobsStorage__clientId',
        'AzureWebJobsStorage__blobServiceUri',
        'AzureWebJobsStorage__queueServiceUri',
        'AzureWebJobsStorage__tableServiceUri',
        'AZURE_CLIENT_ID',
        'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
      ]),
    );
    expect(deployable).not.toContain('AzureWebJobsStorage');
  });

  it('sets what OpenTelemetry needs: the connection string and the identity, with Entra ID for the host', () => {
    for (const name of TELEMETRY_SETTINGS) expect(spec.runtime, name).toContain(name);
    const host: unknown = JSON.parse(readFileSync(path.join(repoRoot, 'host.json'), 'utf8'));
    expect(host).toMatchObject({ telemetryMode: 'OpenTelemetry' });
    // Local auth is off on Application Insights: the identity publishes with Monitoring Metrics Publisher there.
    const rbac = loadRbacConfig();
    const publisher = rbac.assignments.find((a) => a.scope === 'applicationInsights');
    expect(publisher && [publisher.principal, publisher.role, publisher.when]).toEqual([
      'app',
      'monitoringMetricsPublisher',
      'always',
    ]);
    expect(rbac.builtInRoles.monitoringMetricsPublisher?.id).toBe('3913510d-42f4-4e42-8a64-420c390055eb');
  });

  it('loads the telemetry entry point with the functions (package.json main)', () => {
    const pkg: unknown = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ main: 'dist/{functions/*.js,shared/config/telemetryStartup.js}' });
    expect(readFileSync(path.join(repoRoot, 'shared/config/telemetryStartup.ts'), 'utf8')).toContain(
      'await setupTelemetry()',
    );
  });

  it('sets every %NAME% that host.json references', () => {
    const references = hostJsonSettingReferences();
    expect(references).toContain('FLEETMESH_TASK_HUB');
    for (const deployed of [deployedWithAzureStorage, deployedWithScheduler]) {
      expect(references.filter((r) => !deployed.includes(r))).toEqual([]);
    }
  });

  it('points the Durable Task Scheduler override at the connection setting it deploys', () => {
    expect(spec.durableTaskScheduler).toEqual(
      expect.arrayContaining([
        'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
        'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type',
        'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName',
      ]),
    );
  });
});

describe('infra/app/api.bicep', () => {
  let api: BicepFile;
  beforeAll(async () => {
    api = await parseBicep('infra/app/api.bicep');
  });

  it('has a value for exactly the names of app-settings.json (settingValues)', () => {
    const keys = variableObjectKeys(api.root, 'settingValues');
    expect([...keys].sort()).toEqual([...deployable].sort());
  });

  it("authenticates the host's telemetry with the app's identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)", () => {
    expect(api.source).toContain(
      "APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'",
    );
    expect(api.source).toContain('AZURE_CLIENT_ID: identityClientId');
  });

  it('gives the secret-looking settings values that hold no secret', () => {
    const object = api.root
      .descendantsOfType('variable_declaration')
      .find((d) => d.namedChildren[0]?.text === 'settingValues')?.namedChildren[1];
    expect(object).toBeDefined();
    for (const [name, expected] of Object.entries(NOT_SECRETS)) {
      const value = object ? propertyValue(object, name) : undefined;
      expect(value?.text, name).toMatch(expected);
    }
    expect(api.source).not.toMatch(/listKeys|AccountKey=|SharedAccessKey/);
  });

  it('builds the app settings from app-settings.json', () => {
    const loads = callsOf(api.root, 'loadJsonContent').map((c) => stringLiteral(callArguments(c)[0]));
    expect(loads).toContain('../config/app-settings.json');
    const toObjects = callsOf(api.root, 'toObject').map((c) => callArguments(c)[0]?.text);
    expect(toObjects).toContain('deployedSettingNames');
  });

  it('the deployed values satisfy the code: loadSettings accepts the settings api.bicep produces', () => {
    // The literal values api.bicep sets, plus representative values for the ones it takes from other resources.
    const env: Record<string, string> = {
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
      FLEETMESH_TASK_HUB: 'fleetmesh',
      FLEETMESH_RESYNC_SCHEDULE: '0 */10 * * * *',
      FLEETMESH_RESYNC_ON_STARTUP: 'false',
      FLEETMESH_OUTCOME_TOPIC_ENDPOINT: '',
      FLEETMESH_EVENT_DEDUP_TTL_SECONDS: '86400',
      FLEETMESH_PROFILE_LIST_CACHE_SECONDS: '60',
      FLEETMESH_LOG_LEVEL: 'info',
    };
    expect(Object.keys(env).sort()).toEqual([...spec.application].sort());
    for (const literal of [
      'FLEETMESH_ARM_AUTH',
      'FLEETMESH_COSMOS_AUTH',
      'FLEETMESH_RESYNC_ON_STARTUP',
      'FLEETMESH_PROFILE_LIST_CACHE_SECONDS',
      'FLEETMESH_LOG_LEVEL',
    ]) {
      expect(api.source).toContain(`${literal}: '${env[literal] ?? ''}'`);
    }
    const settings = loadSettings(env);
    expect(settings.arm.auth).toEqual({ kind: 'managedIdentity' });
    expect(settings.cosmos.auth).toEqual({ kind: 'entra' });
    expect(settings.outcomeTopicEndpoint).toBeUndefined();
    expect(settings.resyncOnStartup).toBe(false);
  });
});
