import { describe, expect, it } from 'vitest';
import { mergeLabels, SYSTEM_LABEL_PREFIX, userLabels } from '../../../../shared/azure/fleet.js';
import { endpointResourceType } from '../../../../shared/azure/traffic.js';

describe('member labels', () => {
  const read = {
    'fleet.azure.com/cluster-name': 'aks-east',
    'Fleet.Azure.com/location': 'eastus',
    mesh: 'demo',
    region: 'east',
  };

  it('the user map leaves out every Fleet system label (any casing): they are never written back', () => {
    expect(SYSTEM_LABEL_PREFIX).toBe('fleet.azure.com/');
    expect(userLabels(read)).toEqual({ mesh: 'demo', region: 'east' });
  });

  it('merging sets strings and removes nulls, without touching the input', () => {
    const current = userLabels(read);
    expect(mergeLabels(current, { mesh: null, tier: 'gold', region: 'east-2', absent: null })).toEqual({
      region: 'east-2',
      tier: 'gold',
    });
    expect(current).toEqual({ mesh: 'demo', region: 'east' });
    expect(mergeLabels(current, {})).toEqual(current);
  });
});

describe('Traffic Manager endpoint resource types', () => {
  it.each([
    ['AzureEndpoints', 'Microsoft.Network/trafficManagerProfiles/azureEndpoints'],
    ['ExternalEndpoints', 'Microsoft.Network/trafficManagerProfiles/externalEndpoints'],
    ['NestedEndpoints', 'Microsoft.Network/trafficManagerProfiles/nestedEndpoints'],
  ] as const)('%s → %s', (segment, type) => {
    expect(endpointResourceType(segment)).toBe(type);
  });
});
