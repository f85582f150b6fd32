import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fleetScopeFromSettings,
  parseFleetEvent,
  parseFleetEvents,
  profilesAffectedBy,
  profilesToSignal,
  type FleetIntent,
  type FleetScope,
} from '../../../../shared/events/fleetEvents.js';

const SUB = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const OTHER_SUB = '11111111-2222-3333-4444-555555555555';
const scope: FleetScope = { subscriptionId: SUB, resourceGroup: 'rg-fleet', fleetName: 'fleet-1' };

const rgId = `/subscriptions/${SUB}/resourceGroups/rg-fleet`;
const fleetPath = `${rgId}/providers/Microsoft.ContainerService/fleets/fleet-1`;
const memberId = `${fleetPath}/members/aks-east`;
const profileId = `${fleetPath}/clusterMeshProfiles/mesh-1`;

/** `data` of an ARM ResourceWriteSuccess event, dataVersion 2 (reference §3.2). */
function armData(resourceUri: string, operationName: string, overrides: Record<string, unknown> = {}) {
  return {
    authorization: {
      scope: resourceUri,
      action: operationName,
      evidence: {
        role: 'Contributor',
        roleAssignmentScope: `/subscriptions/${SUB}`,
        roleAssignmentId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
        roleDefinitionId: 'b24988ac618042a0ab8820f7382dd24c',
        principalId: '7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d',
        principalType: 'ServicePrincipal',
      },
    },
    claims: {
      aud: 'https://management.azure.com/',
      appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
      'http://schemas.microsoft.com/identity/claims/objectidentifier': '7a8b9c0d-1e2f-3a4b-5c6d-7e8f9a0b1c2d',
    },
    correlationId: 'c0ffee00-1234-4abc-9def-001122334455',
    httpRequest: {
      clientRequestId: 'a1b2c3d4-0000-4000-8000-000000000001',
      clientIpAddress: '203.0.113.7',
      method: 'PUT',
      url: `https://management.azure.com${resourceUri}?api-version=2026-03-02-preview`,
    },
    resourceProvider: 'Microsoft.ContainerService',
    resourceUri,
    operationName,
    status: 'Succeeded',
    subscriptionId: SUB,
    tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    ...overrides,
  };
}

function egEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
    topic: rgId,
    subject: memberId,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2030-04-01T08:30:00.1234567Z',
    data: armData(memberId, 'Microsoft.ContainerService/fleets/members/write'),
    dataVersion: '2',
    metadataVersion: '1',
    ...overrides,
  };
}

function cloudEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: 'ce-7d1c9a2b',
    source: rgId,
    subject: memberId,
    type: 'Microsoft.Resources.ResourceWriteSuccess',
    time: '2030-04-01T08:30:00Z',
    data: armData(memberId, 'Microsoft.ContainerService/fleets/members/write'),
    ...overrides,
  };
}

const without = (event: Record<string, unknown>, key: string): Record<string, unknown> =>
  Object.fromEntries(Object.entries(event).filter(([k]) => k !== key));

describe('accepted events', () => {
  it('Event Grid: a member write becomes a member intent', async () => {
    expect(await parseFleetEvent(egEvent(), scope)).toEqual({
      kind: 'member',
      member: 'aks-east',
      eventId: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      change: 'write',
      operationName: 'Microsoft.ContainerService/fleets/members/write',
      correlationId: 'c0ffee00-1234-4abc-9def-001122334455',
      eventTime: '2030-04-01T08:30:00.123Z',
      resourceId: memberId,
      schema: 'EventGrid',
    });
  });

  it('CloudEvents: the same member write', async () => {
    expect(await parseFleetEvent(cloudEvent(), scope)).toMatchObject({
      kind: 'member',
      member: 'aks-east',
      eventId: 'ce-7d1c9a2b',
      change: 'write',
      eventTime: '2030-04-01T08:30:00.000Z',
      schema: 'CloudEvents',
    });
  });

  const lowerRg = memberId.replace('/resourceGroups/', '/resourcegroups/');
  const shouting = `/subscriptions/${SUB.toUpperCase()}/RESOURCEGROUPS/RG-FLEET/providers/microsoft.containerservice/FLEETS/Fleet-1/Members/AKS-East`;

  it.each<[string, Record<string, unknown>, Partial<FleetIntent>]>([
    [
      'resourcegroups spelled in lower case (as ARM events do)',
      egEvent({ subject: lowerRg, topic: rgId.toLowerCase(), data: armData(lowerRg, 'x/write') }),
      { kind: 'member', member: 'aks-east', resourceId: lowerRg },
    ],
    [
      'every segment in another case',
      egEvent({ subject: shouting, data: armData(shouting, 'x/write') }),
      { kind: 'member', member: 'aks-east' },
    ],
    [
      'a member delete',
      egEvent({
        eventType: 'Microsoft.Resources.ResourceDeleteSuccess',
        data: armData(memberId, 'Microsoft.ContainerService/fleets/members/delete'),
      }),
      { kind: 'member', change: 'delete', operationName: 'Microsoft.ContainerService/fleets/members/delete' },
    ],
    [
      'a mesh profile write',
      egEvent({
        subject: profileId,
        data: armData(profileId, 'Microsoft.ContainerService/fleets/clusterMeshProfiles/write'),
      }),
      { kind: 'profile', profile: 'mesh-1', change: 'write', resourceId: profileId },
    ],
    [
      'a mesh profile apply (action on the profile id)',
      egEvent({
        eventType: 'Microsoft.Resources.ResourceActionSuccess',
        subject: profileId,
        data: armData(profileId, 'Microsoft.ContainerService/fleets/clusterMeshProfiles/apply/action'),
      }),
      { kind: 'profile', profile: 'mesh-1', change: 'action' },
    ],
    [
      'a mesh profile apply whose subject ends in the action name',
      egEvent({
        eventType: 'Microsoft.Resources.ResourceActionSuccess',
        subject: `${profileId}/apply`,
        data: armData(`${profileId}/apply`, 'Microsoft.ContainerService/fleets/clusterMeshProfiles/apply/action'),
      }),
      { kind: 'profile', profile: 'mesh-1', change: 'action', resourceId: profileId },
    ],
    [
      'a subscription system topic',
      egEvent({ topic: `/subscriptions/${SUB}` }),
      { kind: 'member', member: 'aks-east' },
    ],
    [
      'data with only the operation name',
      egEvent({ data: { operationName: 'Microsoft.ContainerService/fleets/members/write' } }),
      { kind: 'member', correlationId: undefined, operationName: 'Microsoft.ContainerService/fleets/members/write' },
    ],
    [
      'data.resourceGroup in another case',
      egEvent({ data: armData(memberId, 'x/write', { resourceGroup: 'RG-FLEET' }) }),
      { kind: 'member' },
    ],
    [
      'a CloudEvent without time',
      without(cloudEvent({ subject: profileId, data: armData(profileId, 'x/write') }), 'time'),
      { kind: 'profile', profile: 'mesh-1', eventTime: undefined, schema: 'CloudEvents' },
    ],
    [
      'a CloudEvent delete with extension attributes',
      cloudEvent({ type: 'Microsoft.Resources.ResourceDeleteSuccess', traceparent: '00-abc-def-01' }),
      { kind: 'member', change: 'delete' },
    ],
  ])('%s', async (_name, event, expected) => {
    expect(await parseFleetEvent(event, scope)).toMatchObject(expected);
  });
});

describe('ignored events name the field and the reason', () => {
  const foreignMember = memberId.replace(SUB, OTHER_SUB);
  const cluster = `${rgId}/providers/Microsoft.ContainerService/managedClusters/aks-east`;

  it.each<[string, unknown, string, RegExp]>([
    // Scope
    [
      'another subscription',
      egEvent({ subject: foreignMember, topic: `/subscriptions/${OTHER_SUB}`, data: armData(foreignMember, 'x') }),
      'subject',
      /subscription 11111111-2222-3333-4444-555555555555, not the fleet's subscription/,
    ],
    [
      'another resource group',
      egEvent({ subject: memberId.replace('rg-fleet', 'rg-other'), data: {} }),
      'subject',
      /resource group 'rg-other', not the fleet's 'rg-fleet'/,
    ],
    [
      'another fleet',
      egEvent({ subject: memberId.replace('fleets/fleet-1', 'fleets/fleet-2'), data: {} }),
      'subject',
      /fleet 'fleet-2', not the configured fleet 'fleet-1'/,
    ],
    [
      'an AKS cluster',
      egEvent({ subject: cluster, data: {} }),
      'subject',
      /Microsoft\.ContainerService\/managedClusters, not a fleet member or mesh profile/,
    ],
    ['the fleet itself', egEvent({ subject: fleetPath, data: {} }), 'subject', /fleets, not a fleet member/],
    [
      'an update run',
      egEvent({ subject: `${fleetPath}/updateRuns/run-1`, data: {} }),
      'subject',
      /fleets\/updateRuns, not a fleet member/,
    ],
    [
      'a child of a member',
      egEvent({ subject: `${memberId}/things/x`, data: {} }),
      'subject',
      /fleets\/members\/things, not a fleet member/,
    ],
    ['a resource group', egEvent({ subject: rgId, data: {} }), 'subject', /resource group, not a fleet member/],
    [
      'a subject that is not an ARM id',
      egEvent({ subject: 'aks-east' }),
      'subject',
      /'aks-east' is not an ARM resource id/,
    ],
    ['an empty subject', egEvent({ subject: '' }), 'subject', /subject is missing/],
    // Event types
    [
      'a write failure',
      egEvent({ eventType: 'Microsoft.Resources.ResourceWriteFailure' }),
      'eventType',
      /failed or canceled ARM operation/,
    ],
    [
      'a delete cancel (CloudEvents)',
      cloudEvent({ type: 'Microsoft.Resources.ResourceDeleteCancel' }),
      'type',
      /type 'Microsoft\.Resources\.ResourceDeleteCancel' reports a failed or canceled/,
    ],
    [
      'an action failure',
      egEvent({ eventType: 'Microsoft.Resources.ResourceActionFailure' }),
      'eventType',
      /failed or canceled/,
    ],
    [
      'the subscription handshake',
      egEvent({
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        data: { validationCode: 'x', validationUrl: 'https://x' },
      }),
      'eventType',
      /subscription handshake/,
    ],
    [
      'a storage event',
      egEvent({ eventType: 'Microsoft.Storage.BlobCreated' }),
      'eventType',
      /'Microsoft\.Storage\.BlobCreated' is not an ARM resource success event/,
    ],
    // Envelope and data consistency
    [
      'a topic in another subscription',
      egEvent({ topic: `/subscriptions/${OTHER_SUB}/resourceGroups/rg-fleet` }),
      'topic',
      /topic is subscription 11111111/,
    ],
    [
      'a topic of another resource group',
      egEvent({ topic: `/subscriptions/${SUB}/resourceGroups/rg-other` }),
      'topic',
      /topic is resource group 'rg-other'/,
    ],
    [
      'a source that is not an ARM id',
      cloudEvent({ source: 'urn:example:source' }),
      'source',
      /source 'urn:example:source'/,
    ],
    [
      'data.subscriptionId of another subscription',
      egEvent({ data: armData(memberId, 'x', { subscriptionId: OTHER_SUB }) }),
      'data.subscriptionId',
      /data\.subscriptionId 11111111.* does not match/,
    ],
    [
      'data.resourceGroup of another group',
      egEvent({ data: armData(memberId, 'x', { resourceGroup: 'rg-other' }) }),
      'data.resourceGroup',
      /data\.resourceGroup 'rg-other'/,
    ],
    [
      'data.resourceUri of another resource',
      egEvent({ data: armData(profileId, 'x') }),
      'data.resourceUri',
      /data\.resourceUri '.*clusterMeshProfiles\/mesh-1' is not the subject/,
    ],
    [
      'data.operationName that is not a string',
      egEvent({ data: armData(memberId, 'x', { operationName: 42 }) }),
      'data.operationName',
      /data\.operationName .*expected string/i,
    ],
    ['data that is a string', egEvent({ data: 'hello' }), 'data', /data must be a JSON object.*got a string/],
    ['data that is null', egEvent({ data: null }), 'data', /got null/],
    [
      'CloudEvents without data',
      without(cloudEvent(), 'data'),
      'data',
      /data must be a JSON object with the ARM event fields, got nothing/,
    ],
    [
      'CloudEvents with binary data',
      cloudEvent({ data: undefined, data_base64: 'aGVsbG8=' }),
      'data',
      /got binary data/,
    ],
    // Malformed envelopes (the SDK's validation)
    ['Event Grid without subject', without(egEvent(), 'subject'), 'subject', /malformed Event Grid event: .*'subject'/],
    ['Event Grid without topic', without(egEvent(), 'topic'), 'topic', /missing required property 'topic'/],
    ['Event Grid without data', without(egEvent(), 'data'), 'data', /missing required property 'data'/],
    ['Event Grid without id', without(egEvent(), 'id'), 'id', /missing required property 'id'/],
    ['a numeric eventTime', egEvent({ eventTime: 1712000000 }), 'eventTime', /'eventTime.*should be a 'string'/],
    ['an unparsable eventTime', egEvent({ eventTime: 'yesterday' }), 'eventTime', /eventTime is not a valid timestamp/],
    ['metadataVersion 2', egEvent({ metadataVersion: '2' }), 'metadataVersion', /not in the Event Grid schema/],
    ['CloudEvents 0.3', cloudEvent({ specversion: '0.3' }), 'specversion', /not in the Cloud Event 1\.0 schema/],
    ['CloudEvents without source', without(cloudEvent(), 'source'), 'source', /missing required property 'source'/],
    ['CloudEvents without subject', without(cloudEvent(), 'subject'), 'subject', /subject is missing/],
    ['CloudEvents with a numeric time', cloudEvent({ time: 5 }), 'time', /'time' should be a 'string'/],
    ['CloudEvents with an unparsable time', cloudEvent({ time: 'soon' }), 'time', /time is not a valid timestamp/],
    // Identity
    ['an empty id', egEvent({ id: '' }), 'id', /id is empty/],
    ['a blank CloudEvents id', cloudEvent({ id: '  ' }), 'id', /id is empty/],
    [
      'a mesh profile name that is not one',
      egEvent({ subject: `${fleetPath}/clusterMeshProfiles/Mesh_1`, data: {} }),
      'subject',
      /'Mesh_1', which is not a cluster mesh profile name/,
    ],
    // Not an event at all
    ['null', null, '(event)', /must be a JSON object, got null/],
    ['a number', 42, '(event)', /got a number/],
    ['a string', 'event', '(event)', /got a string/],
    ['an array', [egEvent()], '(event)', /got an array/],
  ])('%s', async (_name, event, field, reason) => {
    const result = await parseFleetEvent(event, scope);
    expect(result.kind).toBe('ignored');
    if (result.kind !== 'ignored') return;
    expect(result.field).toBe(field);
    expect(result.reason).toMatch(reason);
  });

  it('keeps the event id and type on an ignored event', async () => {
    const result = await parseFleetEvent(egEvent({ eventType: 'Microsoft.Resources.ResourceWriteFailure' }), scope);
    expect(result).toMatchObject({
      kind: 'ignored',
      eventId: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
      eventType: 'Microsoft.Resources.ResourceWriteFailure',
    });
  });

  it('never throws, whatever it is given', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const result = await parseFleetEvent(value, scope);
        expect(['member', 'profile', 'ignored']).toContain(result.kind);
      }),
      { numRuns: 200 },
    );
    const keys = ['id', 'topic', 'subject', 'eventType', 'eventTime', 'data', 'dataVersion', 'metadataVersion'];
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.subarray(keys),
        fc.dictionary(fc.constantFrom(...keys, 'specversion', 'source', 'type', 'time'), fc.jsonValue()),
        async (cloud, drop, replace) => {
          const base = cloud ? cloudEvent() : egEvent();
          const event = { ...Object.fromEntries(Object.entries(base).filter(([k]) => !drop.includes(k))), ...replace };
          const result = await parseFleetEvent(event, scope);
          if (result.kind === 'ignored') expect(result.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseFleetEvents (webhook bodies)', () => {
  it('parses a JSON array body, one result per event', async () => {
    const body = JSON.stringify([egEvent(), egEvent({ eventType: 'Microsoft.Resources.ResourceWriteFailure' })]);
    const results = await parseFleetEvents(body, scope);
    expect(results.map((r) => r.kind)).toEqual(['member', 'ignored']);
  });

  it('accepts a single event object and an empty array', async () => {
    expect((await parseFleetEvents(cloudEvent(), scope)).map((r) => r.kind)).toEqual(['member']);
    expect(await parseFleetEvents([], scope)).toEqual([]);
  });

  it('a body that is not JSON is one ignored result naming the body', async () => {
    const [result, ...rest] = await parseFleetEvents('{not json', scope);
    expect(rest).toEqual([]);
    expect(result).toMatchObject({ kind: 'ignored', field: '(body)' });
    expect(result?.kind === 'ignored' ? result.reason : '').toMatch(/body is not JSON/);
  });
});

describe('profilesAffectedBy', () => {
  const intent = (kind: 'member' | 'profile', name: string): FleetIntent => {
    const base = {
      eventId: 'e',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess' as const,
      change: 'write' as const,
      operationName: undefined,
      correlationId: undefined,
      eventTime: undefined,
      resourceId: '/x',
      schema: 'EventGrid' as const,
    };
    return kind === 'member' ? { kind, member: name, ...base } : { kind, profile: name, ...base };
  };

  it.each<[string, FleetIntent, string[], string[]]>([
    [
      'a member change affects every known profile',
      intent('member', 'aks-east'),
      ['mesh-1', 'mesh-2'],
      ['mesh-1', 'mesh-2'],
    ],
    ['a member change with no known profile affects none', intent('member', 'aks-east'), [], []],
    ['known profiles are not repeated', intent('member', 'm'), ['mesh-1', 'MESH-1', 'mesh-2'], ['mesh-1', 'mesh-2']],
    ['a profile change affects that profile only', intent('profile', 'mesh-2'), ['mesh-1', 'mesh-2'], ['mesh-2']],
    ['a new profile is affected though not known yet', intent('profile', 'mesh-9'), ['mesh-1'], ['mesh-9']],
    ['the known spelling wins', intent('profile', 'mesh-1'), ['Mesh-1'], ['Mesh-1']],
  ])('%s', (_name, i, known, expected) => {
    expect(profilesAffectedBy(i, known)).toEqual(expected);
  });
});

describe('profilesToSignal', () => {
  const intent = async (event: Record<string, unknown>): Promise<FleetIntent> => {
    const parsed = await parseFleetEvent(event, scope);
    if (parsed.kind === 'ignored') throw new Error(parsed.reason);
    return parsed;
  };
  const sources = (stored: string[], fleet: string[] | Error) => {
    const reads = { stored: 0, fleet: 0 };
    return {
      reads,
      stored: () => {
        reads.stored++;
        return Promise.resolve(stored);
      },
      fleet: () => {
        reads.fleet++;
        return fleet instanceof Error ? Promise.reject(fleet) : Promise.resolve(fleet);
      },
    };
  };

  it('a member event reaches the fleet’s profiles from ARM though nothing is stored yet (a fresh deployment)', async () => {
    expect(await profilesToSignal(await intent(egEvent()), sources([], ['mesh-1', 'mesh-2']))).toEqual([
      'mesh-1',
      'mesh-2',
    ]);
  });

  it('a member event reaches the stored profiles and those in ARM, each once, sorted', async () => {
    expect(
      await profilesToSignal(await intent(egEvent()), sources(['mesh-3', 'mesh-1'], ['mesh-2', 'mesh-1'])),
    ).toEqual(['mesh-1', 'mesh-2', 'mesh-3']);
  });

  it('a profile event reaches its own profile without reading anything', async () => {
    const s = sources(['mesh-9'], new Error('not read'));
    expect(
      await profilesToSignal(await intent(egEvent({ subject: profileId, data: armData(profileId, 'x') })), s),
    ).toEqual(['mesh-1']);
    expect(s.reads).toEqual({ stored: 0, fleet: 0 });
  });

  it('a resync reaches the same profiles a member event does: ARM’s and the stored ones, each once, sorted', async () => {
    const s = sources(['mesh-3', 'Mesh-1'], ['mesh-2', 'mesh-1']);
    expect(await profilesToSignal({ kind: 'resync' }, s)).toEqual(
      await profilesToSignal(await intent(egEvent()), sources(['mesh-3', 'Mesh-1'], ['mesh-2', 'mesh-1'])),
    );
    expect(await profilesToSignal({ kind: 'resync' }, sources([], ['mesh-2', 'mesh-1']))).toEqual(['mesh-1', 'mesh-2']);
    expect(s.reads).toEqual({ stored: 1, fleet: 1 });
  });

  it('a failed ARM read fails (the delivery is retried), rather than signalling the stored profiles only', async () => {
    await expect(
      profilesToSignal(await intent(egEvent()), sources(['mesh-1'], new Error('429 TooManyRequests'))),
    ).rejects.toThrow(/429/);
  });
});

describe('fleetScopeFromSettings', () => {
  it('takes the fleet coordinates from Settings', () => {
    expect(
      fleetScopeFromSettings({ subscriptionId: SUB, fleetResourceGroup: 'rg-fleet', fleetName: 'fleet-1' }),
    ).toEqual(scope);
  });
});

describe('end to end with an intent', () => {
  it('a member event maps to all known profiles; a profile event to its own', async () => {
    const member = await parseFleetEvent(egEvent(), scope);
    const profile = await parseFleetEvent(cloudEvent({ subject: profileId, data: armData(profileId, 'x') }), scope);
    if (member.kind === 'ignored' || profile.kind === 'ignored') throw new Error('expected intents');
    expect(profilesAffectedBy(member, ['mesh-1', 'mesh-2'])).toEqual(['mesh-1', 'mesh-2']);
    expect(profilesAffectedBy(profile, ['mesh-1', 'mesh-2'])).toEqual(['mesh-1']);
  });
});
