import { describe, expect, it } from 'vitest';
import { runPreflight } from '../../../../../shared/domain/preflight/index.js';
import { MeshBuilder, OTHER_PROFILE_ID } from '../fixtures.js';

function builderWith(count: number): MeshBuilder {
  const builder = new MeshBuilder().vnet('vnet', ['10.0.0.0/8'], [{ name: 'nodes', prefix: '10.0.0.0/16' }]);
  for (let i = 0; i < count; i++) {
    builder.cluster({ name: `m${String(i).padStart(3, '0')}`, vnet: 'vnet', nodeSubnet: 'nodes' });
  }
  return builder;
}

describe('membership rules', () => {
  it('a member already in another mesh profile is an error naming that profile', () => {
    const snapshot = builderWith(2)
      .cluster({ name: 'taken', vnet: 'vnet', nodeSubnet: 'nodes', member: { profileId: OTHER_PROFILE_ID } })
      .snapshot();
    const findings = runPreflight(snapshot).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      checkId: 'membership.otherProfile',
      severity: 'error',
      member: 'taken',
      resourceId: OTHER_PROFILE_ID,
      message: `member 'taken' is already in cluster mesh profile 'other-mesh' (${OTHER_PROFILE_ID}); a member can be in only one mesh`,
    });
    expect(findings[0]?.remediation).toContain("remove the member from 'other-mesh' first");
  });

  it('255 members are allowed', () => {
    expect(runPreflight(builderWith(255).snapshot()).findings).toEqual([]);
  });

  it('256 members: one mesh-wide error, with no member', () => {
    const findings = runPreflight(builderWith(256).snapshot()).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      checkId: 'membership.limit',
      severity: 'error',
      message: 'the mesh would hold 256 members; a cluster mesh holds at most 255',
    });
    expect(findings[0]).not.toHaveProperty('member');
  });

  it('members held by another profile do not count towards the limit', () => {
    const builder = builderWith(255);
    builder.cluster({ name: 'z-taken', vnet: 'vnet', nodeSubnet: 'nodes', member: { profileId: OTHER_PROFILE_ID } });
    expect(runPreflight(builder.snapshot()).findings.map((f) => f.checkId)).toEqual(['membership.otherProfile']);
  });
});
