import { describe, expect, it } from 'vitest';
import {
  isScopeOf,
  parentResourceId,
  parseResourceId,
  sameResourceId,
  tryParseResourceId,
} from '../../../../shared/arm/resourceId.js';

const sub = '00000000-0000-0000-0000-000000000001';
const member = `/subscriptions/${sub}/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet1/members/east`;

describe('parseResourceId', () => {
  it('parses nested child resources', () => {
    const p = parseResourceId(member);
    expect(p.subscriptionId).toBe(sub);
    expect(p.resourceGroup).toBe('rg-fleet');
    expect(p.provider).toBe('Microsoft.ContainerService');
    expect(p.segments).toEqual([
      { type: 'fleets', name: 'fleet1' },
      { type: 'members', name: 'east' },
    ]);
    expect(p.fullType).toBe('Microsoft.ContainerService/fleets/members');
    expect(p.name).toBe('east');
  });

  it('accepts the lower-case resourcegroups spelling of event subjects', () => {
    expect(parseResourceId(member.replace('resourceGroups', 'resourcegroups')).resourceGroup).toBe('rg-fleet');
  });

  it.each([
    ['', 'empty'],
    ['subscriptions/x', 'no leading slash'],
    [`/subscriptions/not-a-guid/resourceGroups/rg`, 'bad subscription'],
    [`/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks`, 'odd segments'],
    [`/subscriptions/${sub}//resourceGroups/rg`, 'empty segment'],
    [`/subscriptions/${sub}/resourceGroups/rg/things/x`, 'not providers'],
  ])('rejects %s (%s)', (id) => {
    expect(tryParseResourceId(id)).toBeUndefined();
    expect(() => parseResourceId(id)).toThrow(/not an ARM resource id/);
  });
});

describe('comparisons', () => {
  it('compares case-insensitively', () => {
    expect(sameResourceId(member, member.toUpperCase().replace('SUBSCRIPTIONS', 'subscriptions'))).toBe(true);
    expect(sameResourceId(member, `${member}x`)).toBe(false);
    expect(sameResourceId(undefined, member)).toBe(false);
  });

  it('knows scopes and parents', () => {
    const rg = `/subscriptions/${sub}/resourceGroups/rg-fleet`;
    expect(isScopeOf(rg, member)).toBe(true);
    expect(isScopeOf(member, member)).toBe(true);
    expect(isScopeOf(`${rg}x`, member)).toBe(false);
    expect(parentResourceId(member)).toBe(
      `/subscriptions/${sub}/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet1`,
    );
    expect(parentResourceId(`${rg}/providers/Microsoft.Network/virtualNetworks/v`)).toBeUndefined();
  });
});
