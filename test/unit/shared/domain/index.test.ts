import { describe, expect, it } from 'vitest';
import * as domain from '../../../../shared/domain/index.js';
import { normalizeResourceId } from '../../../../shared/arm/resourceId.js';
import { clusterIdOf, eastWest, member, PROFILE_ID, publicIp } from './fixtures.js';

// The reconciler's path through the domain, using only the public entry point.
describe('shared/domain public API, end to end', () => {
  it('plan → preflight → decision → traffic for two peered clusters joining a mesh', () => {
    const mesh = eastWest();
    const members = [
      member('east', { labels: { mesh: 'on' } }),
      member('west', { labels: { mesh: 'on' } }),
      member('other', { labels: { mesh: 'off' } }),
    ];

    const plan = domain.computeWhatIf({ profileId: PROFILE_ID, desiredSelector: 'mesh=on', members });
    expect(plan.rows.map((r) => [r.name, r.action])).toEqual([
      ['east', 'Add'],
      ['west', 'Add'],
    ]);

    const inScope = domain.membersForPreflight(plan, members);
    const preflight = domain.runPreflight(mesh.snapshot({ members: inScope }));
    expect(preflight).toEqual({ findings: [], errors: 0, warnings: 0, blocked: false });

    const policy = domain.parseMeshPolicy({
      mode: 'auto',
      traffic: {
        resourceGroup: 'rg-tm',
        profileName: 'tm',
        relativeDnsName: 'shop',
        services: [{ service: 'shop/web' }],
      },
    });
    expect(domain.decide(plan, preflight.findings, policy).kind).toBe('applyNow');

    // After the apply both members are in the mesh; east is Connected, west still connecting.
    const applied = [
      member('east', { labels: { mesh: 'on' }, profileId: PROFILE_ID, state: 'Connected' }),
      member('west', { labels: { mesh: 'on' }, profileId: PROFILE_ID, state: 'Connecting' }),
    ];
    const publicIps = Object.fromEntries(
      applied.map((m) => [
        normalizeResourceId(clusterIdOf(m.name)),
        [publicIp(`pip-${m.name}`, `mc_${m.name}`, { service: 'shop/web', dnsLabel: m.name })],
      ]),
    );
    const traffic = domain.computeTrafficPlan({
      profileId: PROFILE_ID,
      services: policy.traffic?.services ?? [],
      memberWeights: policy.traffic?.memberWeights ?? {},
      members: applied,
      publicIps,
      endpoints: [],
    });
    expect(traffic.changes.map((c) => [c.action, c.name, c.desired?.weight, c.desired?.endpointStatus])).toEqual([
      ['create', 'fleetmesh#mesh#shop#web#east', 500, 'Enabled'],
      ['create', 'fleetmesh#mesh#shop#web#west', 500, 'Disabled'],
    ]);
    expect(
      domain.computeWhatIf({ profileId: PROFILE_ID, desiredSelector: 'mesh=on', members: applied }).summary,
    ).toMatchObject({
      add: 0,
      remove: 0,
      none: 2,
    });
  });

  it('exports the constants other layers rely on', () => {
    expect(domain.MAX_MESH_MEMBERS).toBe(255);
    expect(domain.MAX_SELECTOR_LENGTH).toBe(512);
    expect(domain.MEMBER_WEIGHT_LABEL).toBe('fleetmesh.io/traffic-weight');
    expect(domain.ENDPOINT_OWNER).toBe('fleetmesh');
    expect(domain.DEFAULT_MEMBER_WEIGHT).toBe(1);
    expect(domain.MIN_KUBERNETES_VERSION).toBe('1.32.0');
    expect(domain.ApplyModes).toEqual(['auto', 'approve', 'manual']);
    expect(domain.CheckIds).toContain('identity.networkRole');
    expect(domain.DEFAULT_MESH_POLICY.mode).toBe('approve');
    expect(domain.EMPTY_SELECTOR.pairs).toEqual([]);
  });
});
