import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../shared/errors.js';
import { SETTINGS, loadSettings } from '../../../../shared/config/settings.js';

const base = {
  FLEETMESH_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
  FLEETMESH_FLEET_RESOURCE_GROUP: 'rg-fleet',
  FLEETMESH_FLEET_NAME: 'fleet1',
  FLEETMESH_COSMOS_ENDPOINT: 'https://localhost:8081',
  FLEETMESH_TASK_HUB: 'fleetmesh',
};

describe('loadSettings', () => {
  it('applies defaults and freezes the result', () => {
    const s = loadSettings(base);
    expect(s.arm.endpoint).toBe('https://management.azure.com');
    expect(s.arm.fleetApiVersion).toBe('2026-03-02-preview');
    expect(s.arm.auth).toEqual({ kind: 'managedIdentity' });
    expect(s.cosmos.auth).toEqual({ kind: 'entra' });
    expect(s.resyncSchedule).toBe('0 */10 * * * *');
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.arm)).toBe(true);
  });

  it.each(
    Object.entries(SETTINGS)
      .filter(([, v]) => v.required)
      .map(([k]) => k),
  )('names the missing setting %s', (name) => {
    const env: Record<string, string | undefined> = { ...base, [name]: undefined };
    expect(() => loadSettings(env)).toThrow(ConfigurationError);
    expect(() => loadSettings(env)).toThrow(`setting ${name}: is required but not set`);
  });

  it('names a malformed setting', () => {
    expect(() => loadSettings({ ...base, FLEETMESH_ARM_ENDPOINT: 'http://insecure' })).toThrow(
      'setting FLEETMESH_ARM_ENDPOINT: must be an https URL',
    );
    expect(() => loadSettings({ ...base, FLEETMESH_FLEET_NAME: 'Bad_Name' })).toThrow(/setting FLEETMESH_FLEET_NAME/);
  });

  it('requires the token for static auth and the key for key auth', () => {
    expect(() => loadSettings({ ...base, FLEETMESH_ARM_AUTH: 'static' })).toThrow('setting FLEETMESH_ARM_STATIC_TOKEN');
    expect(() => loadSettings({ ...base, FLEETMESH_COSMOS_AUTH: 'key' })).toThrow('setting FLEETMESH_COSMOS_KEY');
    const s = loadSettings({ ...base, FLEETMESH_ARM_AUTH: 'static', FLEETMESH_ARM_STATIC_TOKEN: 't' });
    expect(s.arm.auth).toEqual({ kind: 'static', token: 't' });
  });
});
