/**
 * shared/config/telemetry.ts: nothing without the connection string (the local host, the sandbox and the tests); with
 * it, the Azure Monitor distro gets the connection string and the managed identity credential, then the Functions
 * worker is hooked. The backend is a recording fake here; the real one is only loaded, never started (starting it would
 * install global OpenTelemetry providers in the test process).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ManagedIdentityCredential } from '@azure/identity';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { describe, expect, it } from 'vitest';
import {
  loadAzureMonitorBackend,
  setupTelemetry,
  TELEMETRY_SETTINGS,
  type TelemetryBackend,
} from '../../../../shared/config/telemetry.js';

const CONNECTION_STRING =
  'InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/;LiveEndpoint=https://eastus.livediagnostics.monitor.azure.com/';
const CLIENT_ID = '11111111-1111-4111-8111-111111111111';

class FakeCredential implements TokenCredential {
  constructor(readonly clientId: string | undefined) {}
  getToken(): Promise<AccessToken | null> {
    return Promise.resolve(null);
  }
}

function recordingBackend(): {
  backend: TelemetryBackend;
  calls: string[];
  options: AzureMonitorOpenTelemetryOptions[];
} {
  const calls: string[] = [];
  const options: AzureMonitorOpenTelemetryOptions[] = [];
  return {
    calls,
    options,
    backend: {
      useAzureMonitor: (o) => {
        calls.push('useAzureMonitor');
        options.push(o);
      },
      instrumentFunctions: () => calls.push('instrumentFunctions'),
      managedIdentityCredential: (clientId) => {
        calls.push(`managedIdentityCredential(${clientId ?? 'system'})`);
        return new FakeCredential(clientId);
      },
    },
  };
}

describe('setupTelemetry', () => {
  it.each([
    ['no setting', {}],
    ['an empty connection string', { APPLICATIONINSIGHTS_CONNECTION_STRING: ' ' }],
    ['only the client id', { AZURE_CLIENT_ID: CLIENT_ID }],
  ])('does nothing and loads nothing with %s', async (_label, env) => {
    let loaded = false;
    const state = await setupTelemetry(env, () => {
      loaded = true;
      return Promise.resolve(recordingBackend().backend);
    });
    expect(state).toEqual({ enabled: false });
    expect(loaded).toBe(false);
  });

  it('exports with the user-assigned identity when the template sets the connection string and AZURE_CLIENT_ID', async () => {
    const { backend, calls, options } = recordingBackend();
    const state = await setupTelemetry(
      { APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING, AZURE_CLIENT_ID: CLIENT_ID },
      () => Promise.resolve(backend),
    );
    expect(state).toEqual({ enabled: true, identity: 'userAssigned' });
    // The credential first, then the distro, then the worker hooks (which use the providers the distro installed).
    expect(calls).toEqual([`managedIdentityCredential(${CLIENT_ID})`, 'useAzureMonitor', 'instrumentFunctions']);
    const exporter = options[0]?.azureMonitorExporterOptions;
    expect(exporter?.connectionString).toBe(CONNECTION_STRING);
    expect(exporter?.credential).toStrictEqual(new FakeCredential(CLIENT_ID));
    expect(options[0]?.instrumentationOptions?.azureSdk).toEqual({ enabled: true });
    expect(options[0]?.instrumentationOptions?.mongoDb).toEqual({ enabled: false });
  });

  it('uses the system-assigned identity when no client id is set', async () => {
    const { backend, calls } = recordingBackend();
    const state = await setupTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING }, () =>
      Promise.resolve(backend),
    );
    expect(state).toEqual({ enabled: true, identity: 'systemAssigned' });
    expect(calls[0]).toBe('managedIdentityCredential(system)');
  });

  it('reads exactly the settings it declares', () => {
    const source = readFileSync(path.join(import.meta.dirname, '../../../../shared/config/telemetry.ts'), 'utf8');
    const read = [...source.matchAll(/env\.([A-Z_]+)/g)].map((m) => m[1]);
    expect([...new Set(read)].sort()).toEqual([...TELEMETRY_SETTINGS].sort());
  });
});

describe('the real backend', () => {
  it('loads on this Node version and builds a managed identity credential', async () => {
    const backend = await loadAzureMonitorBackend();
    expect(backend.managedIdentityCredential(CLIENT_ID)).toBeInstanceOf(ManagedIdentityCredential);
    expect(backend.managedIdentityCredential(undefined)).toBeInstanceOf(ManagedIdentityCredential);
  });
});
