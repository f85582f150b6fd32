/**
 * Outcome CloudEvents in an end-to-end run: the app publishes to a local HTTPS receiver standing in for the Event Grid
 * topic (FLEETMESH_OUTCOME_TOPIC_ENDPOINT), authenticated with the token its managed identity gets.
 *
 *  1. the first apply of the two-regions mesh, remediating West: plan.created, member.remediated (West), apply.succeeded;
 *  2. an apply the service refuses (an injected 400 on the apply POST): plan.created, apply.failed;
 *  3. a topic that refuses every event: the apply still succeeds, its record says Succeeded, and the publish failure
 *     is reported on the operation (`outcomeEventError`, kept on the record: shown in the list and after the durable
 *     history is purged) instead of turning it Failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPolicy } from '../../../local/sandbox/sandbox.js';
import { fleetId } from '../../../shared/arm/resourceId.js';
import { instance } from '../support/durable.js';
import { arr, obj, startE2E, waitFor, type E2E } from '../support/harness.js';
import { startOutcomeTopic, type OutcomeTopic, type ReceivedEvent } from '../support/outcomeTopic.js';

const FLEET_API = '2026-03-02-preview';
let topic: OutcomeTopic;
let untrust: () => void;
let e2e: E2E;

beforeAll(async () => {
  topic = await startOutcomeTopic();
  untrust = topic.trust();
  // Policy `manual`, no start-up resync: every apply here is an operator's, so each test knows its operation.
  e2e = await startE2E({
    appSettings: topic.appSettings,
    resyncOnStartup: false,
    policy: { ...demoPolicy(50), mode: 'manual' },
  });
});

afterAll(async () => {
  await e2e.stop();
  untrust();
  await topic.stop();
});

function eventsOf(operationId: string): ReceivedEvent[] {
  return topic.received.filter(
    (e) => e.subject === `meshes/demo/operations/${operationId}` || e.data.operationId === operationId,
  );
}

async function operation(id: string): Promise<Record<string, unknown>> {
  return obj((await e2e.api('GET', `/operations/${encodeURIComponent(id)}`)).json);
}

async function finished(id: string): Promise<Record<string, unknown>> {
  return waitFor(
    `operation ${id} to finish`,
    async () => {
      const op = await operation(id);
      return ['Succeeded', 'Failed', 'Rejected'].includes(String(op.status)) && op.runtimeStatus !== 'Running'
        ? op
        : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

function applies(): number {
  return e2e.sandbox.sim.control
    .calls()
    .filter((c) => c.operation === 'clusterMeshProfiles.apply' && c.method === 'POST').length;
}

describe('outcome events', () => {
  it('1. a remediating apply publishes plan.created, member.remediated and apply.succeeded', async () => {
    const started = await e2e.api('POST', '/meshes/demo/apply');
    expect(started.status).toBe(202);
    const id = String(obj(started.json).operationId);
    const op = await finished(id);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(op.outcomeEventError).toBeUndefined();
    const events = await waitFor('its three outcome events', () => {
      const e = eventsOf(id);
      return e.length >= 3 ? e : undefined;
    });
    expect(events.map((e) => e.type).sort()).toEqual([
      'fleetmesh.apply.succeeded',
      'fleetmesh.member.remediated',
      'fleetmesh.plan.created',
    ]);
    const source = fleetId(e2e.sandbox.subscriptionId, e2e.sandbox.resourceGroup, e2e.sandbox.fleet);
    for (const e of events) {
      expect(e.source).toBe(source);
      expect(e.authorization).toBe(`Bearer ${topic.token}`);
    }
    const byType = new Map(events.map((e) => [e.type, e]));
    expect(byType.get('fleetmesh.plan.created')?.data).toMatchObject({ decision: 'applyNow', add: 2, remove: 0 });
    expect(byType.get('fleetmesh.member.remediated')).toMatchObject({
      subject: 'meshes/demo/members/member-west',
      data: { member: 'member-west', steps: ['grantNetworkContributor', 'reconcileCluster'] },
    });
    expect(byType.get('fleetmesh.apply.succeeded')?.data).toMatchObject({ status: 'Succeeded', members: 2 });
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
  });

  it('2. an apply the service refuses publishes plan.created and apply.failed', async () => {
    e2e.sandbox.sim.control.setFaults({
      overrides: [
        {
          name: 'refuse-apply',
          match: { operations: ['clusterMeshProfiles.apply'] },
          errorRates: { '400': 1 },
          times: 1,
        },
      ],
    });
    const label = await e2e.operator.call('PATCH', e2e.fleetPath('/members/member-central'), {
      body: { properties: { labels: { mesh: 'demo', region: 'central' } } },
      apiVersion: FLEET_API,
    });
    expect([200, 202]).toContain(label.status);
    await waitFor('member-central labelled', async () => {
      const r = await e2e.operator.call('GET', e2e.fleetPath('/members/member-central'), { apiVersion: FLEET_API });
      return obj(obj(obj(r.json).properties).labels).mesh === 'demo' ? true : undefined;
    });
    const started = await e2e.api('POST', '/meshes/demo/apply');
    expect(started.status).toBe(202);
    const id = String(obj(started.json).operationId);
    const op = await finished(id);
    expect(op.status).toBe('Failed');
    expect(obj(op.error).code).not.toBe('MembersNotConverged');
    expect(e2e.sandbox.sim.control.faults().overrides ?? []).toEqual([]); // the refused POST happened
    const events = await waitFor('its two outcome events', () => {
      const e = eventsOf(id);
      return e.length >= 2 ? e : undefined;
    });
    expect(events.map((e) => e.type).sort()).toEqual(['fleetmesh.apply.failed', 'fleetmesh.plan.created']);
    const failed = events.find((e) => e.type === 'fleetmesh.apply.failed');
    expect(failed?.data).toMatchObject({ status: 'Failed', error: { code: obj(op.error).code } });
  });

  it('3. a topic refusing every event changes nothing about the operation: Succeeded, with the publish error', async () => {
    topic.refuseWith = 403;
    const refusedBefore = topic.refused;
    const receivedBefore = topic.received.length;
    const appliesBefore = applies();
    const started = await e2e.api('POST', '/meshes/demo/apply');
    expect(started.status).toBe(202);
    const id = String(obj(started.json).operationId);
    const op = await finished(id);
    expect(op.status, JSON.stringify(op.error)).toBe('Succeeded');
    expect(op.error).toBeNull();
    expect(String(op.outcomeEventError)).toMatch(/refused fleetmesh\.apply\.succeeded with 403/);
    expect(arr(op.members).map((m) => [obj(m).member, obj(m).outcome])).toEqual([['member-central', 'Succeeded']]);
    // The apply's own result agrees: publishing is after the result, and cannot change it.
    const durable = await instance(e2e.sandbox, id);
    expect(durable?.runtimeStatus).toBe('Completed');
    expect(obj(durable?.output).status).toBe('Succeeded');
    expect(obj(durable?.output).error).toBeUndefined();
    expect(applies() - appliesBefore).toBe(1);
    // plan.created (reconciler) and apply.succeeded (meshApply) were both tried once: a 403 is not retried.
    expect(topic.refused - refusedBefore).toBe(2);
    expect(topic.received.length).toBe(receivedBefore);
    const listed = obj((await e2e.api('GET', '/meshes/demo/operations?limit=5')).json);
    const inList = obj(arr(listed.value).find((o) => obj(o).id === id));
    expect(inList.status).toBe('Succeeded');
    // The record keeps the publish error: the list shows it, and so does the operation once its durable history is
    // purged (the durable status no longer has it then).
    expect(inList.outcomeEventError).toBe(op.outcomeEventError);
    const purge = await fetch(`${e2e.sandbox.host.rpcBaseUrl}instances/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
    expect(purge.status).toBe(200);
    const purged = await operation(id);
    expect(purged.runtimeStatus).toBeNull();
    expect(purged.outcomeEventError).toBe(op.outcomeEventError);
    topic.refuseWith = null;
  });
});
