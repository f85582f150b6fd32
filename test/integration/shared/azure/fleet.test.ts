/**
 * FleetGateway against the simulator through the real `@azure-rest/core-client` pipeline and `@azure/core-lro`
 * pollers: paging, the label PATCH LRO, profile CRUD with conditions (412), apply begin/poll/restore (failed and
 * succeeded), 404 and 409 paths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AzureApiError,
  isConflict,
  isNotFound,
  isPreconditionFailed,
  type LroState,
} from '../../../../shared/azure/index.js';
import { ValidationError } from '../../../../shared/errors.js';
import { pollToEnd, throughJson } from './lroSupport.js';
import { startHarness, type GatewayHarness } from './support.js';

describe('FleetGateway (two-regions, page size 2)', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startHarness({ scenario: 'two-regions', pageSize: 2 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists members following nextLink and gets one', async () => {
    const { value: members, calls } = await h.gateways.counters.track(() => h.gateways.fleet.listMembers());
    expect(members.map((m) => m.name)).toEqual(['member-central', 'member-east', 'member-west']);
    // Three members at two per page: two GETs.
    expect(calls).toEqual({ reads: 2, writes: 0, throttled: 0, errors: 0 });
    const east = await h.gateways.fleet.getMember('member-east');
    expect(east.properties.clusterResourceId).toBe(
      h.sub('/resourceGroups/rg-east/providers/Microsoft.ContainerService/managedClusters/aks-east'),
    );
    expect(east.properties.labels).toMatchObject({
      mesh: 'demo',
      region: 'east',
      'fleet.azure.com/location': 'eastus',
    });
    expect(east.eTag).toMatch(/^".+"$/);
    expect(h.gateways.fleet.fleetId).toBe(
      h.sub('/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-demo'),
    );
  });

  it('a missing member is a 404 AzureApiError naming operation and resource; a bad name never leaves the process', async () => {
    const before = h.gateways.counters.snapshot()['fleetMembers.get']?.errors ?? 0;
    const error: unknown = await h.gateways.fleet.getMember('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureApiError);
    expect(isNotFound(error)).toBe(true);
    expect(error).toMatchObject({
      statusCode: 404,
      armCode: 'ResourceNotFound',
      operation: 'fleetMembers.get',
      resourceId: `${h.gateways.fleet.fleetId}/members/nope`,
    });
    expect(h.gateways.counters.snapshot()['fleetMembers.get']?.errors).toBe(before + 1);
    await expect(h.gateways.fleet.getMember('Bad_Name')).rejects.toThrow(ValidationError);
  });

  it('updates labels: read, merge (null removes), PATCH the whole user map, wait for the LRO', async () => {
    const { value: updated, calls } = await h.gateways.counters.track(() =>
      h.gateways.fleet.updateMemberLabels('member-central', { mesh: 'demo', tier: 'gold' }),
    );
    expect(updated.properties.labels).toMatchObject({ mesh: 'demo', tier: 'gold', region: 'central' });
    expect(updated.properties.provisioningState).toBe('Succeeded');
    // GET, PATCH, then polls and the final GET of the original URI.
    expect(calls.writes).toBe(1);
    expect(calls.reads).toBeGreaterThanOrEqual(3);

    const removed = await h.gateways.fleet.updateMemberLabels('member-central', { tier: null, mesh: null });
    expect(removed.properties.labels['tier']).toBeUndefined();
    expect(removed.properties.labels['mesh']).toBeUndefined();
    expect(removed.properties.labels['region']).toBe('central');
    // Fleet's system labels are still there (the service adds them), and were never part of what was written.
    expect(removed.properties.labels['fleet.azure.com/member-name']).toBe('member-central');

    // Nothing to change: no write.
    const noop = await h.gateways.counters.track(() =>
      h.gateways.fleet.updateMemberLabels('member-central', { region: 'central', absent: null }),
    );
    expect(noop.calls).toEqual({ reads: 1, writes: 0, throttled: 0, errors: 0 });

    await expect(
      h.gateways.fleet.updateMemberLabels('member-central', { 'fleet.azure.com/location': 'x' }),
    ).rejects.toThrow(/system label/);
    const bads: Record<string, string | null>[] = [
      { '': 'x' },
      { 'a b': 'x' },
      { __proto__x: 'x' },
      { ok: 'not ok' },
      { ok: 'x'.repeat(64) },
    ];
    for (const bad of bads) {
      await expect(h.gateways.fleet.updateMemberLabels('member-central', bad)).rejects.toThrow(ValidationError);
    }
    expect(
      (await h.gateways.fleet.updateMemberLabels('member-central', { 'example.com/team': 'a.b-c_d' })).properties
        .labels,
    ).toMatchObject({
      'example.com/team': 'a.b-c_d',
    });
  });

  it('mesh profiles: absent is undefined, create-only with If-None-Match, 412 on a stale If-Match, list across pages, delete', async () => {
    const fleet = h.gateways.fleet;
    expect(await fleet.getMeshProfile('other')).toBeUndefined();
    const created = await fleet.putMeshProfile('other', { byLabel: 'mesh=none' }, { ifNoneMatch: '*' });
    expect(created).toMatchObject({
      name: 'other',
      type: 'Microsoft.ContainerService/fleets/clusterMeshProfiles',
      properties: {
        provisioningState: 'Succeeded',
        memberSelector: { byLabel: 'mesh=none' },
        status: { state: 'NotConnected' },
      },
    });
    const again = await fleet
      .putMeshProfile('other', { byLabel: 'mesh=none' }, { ifNoneMatch: '*' })
      .catch((e: unknown) => e);
    expect(isPreconditionFailed(again)).toBe(true);

    const updated = await fleet.putMeshProfile(
      'other',
      { byLabel: 'mesh=still-none' },
      { ifMatch: created.eTag ?? '' },
    );
    expect(updated.properties.memberSelector?.byLabel).toBe('mesh=still-none');
    expect(updated.eTag).not.toBe(created.eTag);
    const stale = await fleet
      .putMeshProfile('other', { byLabel: 'x=y' }, { ifMatch: created.eTag ?? '' })
      .catch((e: unknown) => e);
    expect(stale).toMatchObject({
      statusCode: 412,
      armCode: 'PreconditionFailed',
      operation: 'clusterMeshProfiles.createOrUpdate',
    });
    expect((await fleet.getMeshProfile('other'))?.properties.memberSelector?.byLabel).toBe('mesh=still-none');

    await fleet.putMeshProfile('third', { byLabel: 'mesh=none' });
    const listed = await h.gateways.counters.track(() => fleet.listMeshProfiles());
    expect(listed.value.map((p) => p.name)).toEqual(['demo', 'other', 'third']);
    expect(listed.calls.reads).toBe(2);

    await expect(fleet.deleteMeshProfileAndWait('other', { ifMatch: created.eTag ?? '' })).rejects.toSatisfy(
      isPreconditionFailed,
    );
    await fleet.deleteMeshProfileAndWait('other', { ifMatch: updated.eTag ?? '' });
    await fleet.deleteMeshProfileAndWait('third');
    expect(await fleet.getMeshProfile('other')).toBeUndefined();
    // Deleting what is gone is fine (ARM answers 204).
    await fleet.deleteMeshProfileAndWait('third');
    expect((await fleet.listMeshProfiles()).map((p) => p.name)).toEqual(['demo']);

    await expect(fleet.putMeshProfile('demo', { byLabel: 'x'.repeat(513) })).rejects.toThrow(ValidationError);
  });

  it('apply: begin, then one poll at a time from the serialised state (fresh gateways each time) until it fails on West', async () => {
    h.sim.control.updateSettings({ retryAfterSeconds: 'auto' });
    h.sim.control.setTimeFactor(0);
    const state = await h.gateways.fleet.beginApplyMeshProfile('demo');
    expect(state).toMatchObject({
      kind: 'meshApply',
      resourceId: `${h.gateways.fleet.fleetId}/clusterMeshProfiles/demo`,
    });
    // Time is paused: the operation is running, and ARM's Retry-After comes back with the step.
    const first = await h.fresh().fleet.pollApplyMeshProfile(throughJson(state));
    expect(first.status).toBe('running');
    // The simulator answers 60 s while its clock is paused (it cannot tell the remaining wall time).
    expect(first.status === 'running' && first.retryAfterMs).toBe(60_000);
    expect((await h.gateways.fleet.getMeshProfile('demo'))?.properties.status?.state).toBe('Applying');
    h.sim.control.updateSettings({ retryAfterSeconds: 0 });
    h.sim.control.setTimeFactor(100);

    const run = await pollToEnd(first.status === 'running' ? first.next : state, (s) =>
      h.fresh().fleet.pollApplyMeshProfile(s),
    );
    expect(run.final).toMatchObject({ status: 'failed', error: { code: 'ClusterMeshApplyFailed' } });
    expect(run.final.status === 'failed' && run.final.error.message).toMatch(/member-west.*AuthorizationFailed/);

    const members = await h.gateways.fleet.listMembers();
    const state0 = (name: string): string | undefined =>
      members.find((m) => m.name === name)?.properties.meshProperties?.status.state;
    expect([state0('member-east'), state0('member-west'), state0('member-central')]).toEqual([
      'Connected',
      'Failed',
      undefined,
    ]);
    const profile = await h.gateways.fleet.getMeshProfile('demo');
    expect(profile?.properties.status).toMatchObject({
      state: 'Degraded',
      lastAppliedMemberSelector: { byLabel: 'mesh=demo' },
      lastOperationError: { code: 'ClusterMeshApplyFailed' },
    });
  });

  it('applyMeshProfileAndWait surfaces a failed apply as an AzureApiError carrying the ARM code', async () => {
    const error: unknown = await h.gateways.fleet.applyMeshProfileAndWait('demo').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AzureApiError);
    expect(error).toMatchObject({
      armCode: 'ClusterMeshApplyFailed',
      operation: 'clusterMeshProfiles.apply',
      retryable: false,
    });
  });

  it('a second apply while one runs is 409 AnotherOperationInProgress; foreign and tampered states are refused', async () => {
    h.sim.control.setTimeFactor(0);
    const running = await h.gateways.fleet.beginApplyMeshProfile('demo');
    const second: unknown = await h.gateways.fleet.beginApplyMeshProfile('demo').catch((e: unknown) => e);
    expect(isConflict(second)).toBe(true);
    expect(second).toMatchObject({ statusCode: 409, armCode: 'AnotherOperationInProgress' });

    const foreign: LroState = { ...running, kind: 'clusterReconcile' };
    await expect(h.gateways.fleet.pollApplyMeshProfile(foreign)).rejects.toThrow(ValidationError);
    const tampered: LroState = {
      ...running,
      state: running.state.replaceAll(new URL(h.sim.endpoint).origin, 'https://attacker.example'),
    };
    await expect(h.gateways.fleet.pollApplyMeshProfile(tampered)).rejects.toThrow(/outside the ARM endpoint/);
    await expect(h.gateways.fleet.pollApplyMeshProfile({ ...running, state: 'not json' })).rejects.toThrow(
      ValidationError,
    );

    h.sim.control.setTimeFactor(100);
    expect((await pollToEnd(running, (s) => h.gateways.fleet.pollApplyMeshProfile(s))).final.status).toBe('failed');
  });

  it('apply succeeds when every selected member connects; a profile with members cannot be deleted (409)', async () => {
    const fleet = h.gateways.fleet;
    await fleet.updateMemberLabels('member-east', { only: 'east' });
    const current = await fleet.getMeshProfile('demo');
    await fleet.putMeshProfile('demo', { byLabel: 'mesh=demo,only=east' }, { ifMatch: current?.eTag ?? '' });
    const applied = await fleet.applyMeshProfileAndWait('demo');
    expect(applied.properties.status).toMatchObject({
      state: 'Connected',
      lastAppliedMemberSelector: { byLabel: 'mesh=demo,only=east' },
    });
    const west = await fleet.getMember('member-west');
    expect(west.properties.meshProperties).toBeUndefined();

    const error: unknown = await fleet.deleteMeshProfileAndWait('demo').catch((e: unknown) => e);
    expect(isConflict(error)).toBe(true);
    expect(error).toMatchObject({ operation: 'clusterMeshProfiles.delete', armCode: 'Conflict' });
  });
});

describe('FleetGateway paging (generated:7, page size 3)', () => {
  let h: GatewayHarness;
  beforeAll(async () => {
    h = await startHarness({ scenario: 'generated:7', pageSize: 3 }, { FLEETMESH_FLEET_NAME: 'fleet-generated' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('reads every page of members', async () => {
    const { value, calls } = await h.gateways.counters.track(() => h.gateways.fleet.listMembers());
    expect(value).toHaveLength(7);
    expect(new Set(value.map((m) => m.name)).size).toBe(7);
    expect(calls.reads).toBe(3);
    expect(h.gateways.counters.snapshot()['fleetMembers.list']).toEqual({
      reads: 3,
      writes: 0,
      throttled: 0,
      errors: 0,
    });
  });
});
