/**
 * OpenTelemetry to Application Insights, in Azure only.
 *
 * When `APPLICATIONINSIGHTS_CONNECTION_STRING` is set (infra/app/api.bicep sets it; the local host, the sandbox and the
 * tests do not), `setupTelemetry` starts the Azure Monitor OpenTelemetry distro (`@azure/monitor-opentelemetry`) with
 * the app's user-assigned managed identity (`AZURE_CLIENT_ID`): Application Insights has local auth off, so ingestion
 * needs an Entra token, and the identity holds Monitoring Metrics Publisher on the component (infra/config/rbac.json).
 * It then hooks the Functions worker (`@azure/functions-opentelemetry-instrumentation`, its ES module form): each
 * invocation runs in the trace context the host passes, and `context.log` goes out as OpenTelemetry logs, which the
 * host then no longer sends itself (host.json `"telemetryMode": "OpenTelemetry"`).
 *
 * Without the setting it does nothing and loads none of those packages. Both settings are runtime settings
 * (infra/config/app-settings.json `runtime`), not application settings of shared/config/settings.ts.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';

/** The settings telemetry reads, both set by the template. */
export const TELEMETRY_SETTINGS = ['APPLICATIONINSIGHTS_CONNECTION_STRING', 'AZURE_CLIENT_ID'] as const;

/** What `setupTelemetry` needs from the OpenTelemetry packages; tests pass a fake. */
export interface TelemetryBackend {
  /** `useAzureMonitor` of `@azure/monitor-opentelemetry`. */
  useAzureMonitor(options: AzureMonitorOpenTelemetryOptions): void;
  /** Trace context into each invocation and `context.log` out, through the global OpenTelemetry providers. */
  instrumentFunctions(): void;
  /** The managed identity: user-assigned by client id, or system-assigned without one. */
  managedIdentityCredential(clientId: string | undefined): TokenCredential;
}

export type TelemetryState =
  { readonly enabled: false } | { readonly enabled: true; readonly identity: 'userAssigned' | 'systemAssigned' };

/** The distro options: the exporter authenticates with `credential`; Azure SDK and HTTP calls become dependencies. */
export function azureMonitorOptions(
  connectionString: string,
  credential: TokenCredential,
): AzureMonitorOpenTelemetryOptions {
  return {
    azureMonitorExporterOptions: { connectionString, credential },
    instrumentationOptions: {
      azureSdk: { enabled: true },
      http: { enabled: true },
      mongoDb: { enabled: false },
      mySql: { enabled: false },
      postgreSql: { enabled: false },
      redis: { enabled: false },
      redis4: { enabled: false },
      bunyan: { enabled: false },
      winston: { enabled: false },
    },
  };
}

/**
 * Starts telemetry when the connection string is set; otherwise a no-op that loads nothing. Call it once, while the
 * app's entry points load (see shared/config/telemetryStartup.ts).
 */
export async function setupTelemetry(
  env: Readonly<Record<string, string | undefined>> = process.env,
  loadBackend: () => Promise<TelemetryBackend> = loadAzureMonitorBackend,
): Promise<TelemetryState> {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim() ?? '';
  if (connectionString === '') return { enabled: false };
  const clientId = env.AZURE_CLIENT_ID?.trim() || undefined;
  const backend = await loadBackend();
  backend.useAzureMonitor(azureMonitorOptions(connectionString, backend.managedIdentityCredential(clientId)));
  backend.instrumentFunctions();
  return { enabled: true, identity: clientId === undefined ? 'systemAssigned' : 'userAssigned' };
}

/** The real backend, imported only when telemetry is on. */
export async function loadAzureMonitorBackend(): Promise<TelemetryBackend> {
  const [monitor, instrumentation, identity, functions] = await Promise.all([
    import('@azure/monitor-opentelemetry'),
    import('@azure/functions-opentelemetry-instrumentation'),
    import('@azure/identity'),
    import('@azure/functions'),
  ]);
  return {
    useAzureMonitor: (options) => {
      monitor.useAzureMonitor(options);
    },
    instrumentFunctions: () => {
      // Not enabled as a module hook (that cannot see an ES module import of @azure/functions): registered on the
      // module this app uses, after useAzureMonitor set the global tracer and logger providers it picks up.
      new instrumentation.AzureFunctionsInstrumentationESM({ enabled: false }).registerAzFunc(functions);
    },
    managedIdentityCredential: (clientId) =>
      clientId === undefined
        ? new identity.ManagedIdentityCredential()
        : new identity.ManagedIdentityCredential(clientId),
  };
}
