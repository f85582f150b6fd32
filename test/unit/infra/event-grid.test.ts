/**
 * The Event Grid subscription to fleetEvents (infra/config/fleet-events.json, deployed by
 * infra/app/fleet-events-subscription.bicep): its filters must let through the ARM events of the configured fleet's
 * members and cluster mesh profiles, with the three included event types, and nothing of other fleets.
 *
 * Filter semantics modelled here (learn.microsoft.com/azure/event-grid/event-filtering): an event passes when its
 * type is one of includedEventTypes and, for the advanced filter StringBeginsWith on the subject, the subject begins
 * with any of the values, compared case-insensitively.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { clusterMeshProfileId, fleetId, fleetMemberId, resourceGroupId } from '../../../shared/arm/resourceId.js';
import { parseFleetEvent } from '../../../shared/events/fleetEvents.js';
import { callsOf, parseBicep, stringLiteral, callArguments, type BicepFile } from './support/bicep.js';
import { loadFleetEventsConfig, type FleetEventsConfig } from './support/config.js';

const spec = loadFleetEventsConfig();

interface Fleet {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly fleetName: string;
}
const FLEET: Fleet = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  resourceGroup: 'rg-fleet',
  fleetName: 'fleet1',
};

/** The same substitution as subjectPrefix() in fleet-events-subscription.bicep (checked below). */
function subjectPrefixes(config: FleetEventsConfig, fleet: Fleet): string[] {
  return config.subjectFilter.prefixes.map((p) =>
    p
      .replace('{subscriptionId}', fleet.subscriptionId)
      .replace('{resourceGroup}', fleet.resourceGroup)
      .replace('{fleetName}', fleet.fleetName),
  );
}

function passes(config: FleetEventsConfig, fleet: Fleet, event: { eventType: string; subject: string }): boolean {
  const typeOk = config.includedEventTypes.includes(event.eventType);
  const subject = event.subject.toLowerCase();
  const subjectOk = subjectPrefixes(config, fleet).some((p) => subject.startsWith(p.toLowerCase()));
  return typeOk && subjectOk;
}

const WRITE = 'Microsoft.Resources.ResourceWriteSuccess';
const DELETE = 'Microsoft.Resources.ResourceDeleteSuccess';
const ACTION = 'Microsoft.Resources.ResourceActionSuccess';
const { subscriptionId: s, resourceGroup: rg, fleetName: f } = FLEET;

describe('Event Grid subscription filters (infra/config/fleet-events.json)', () => {
  it('subscribes the fleetEvents function to the ARM events of the fleet resource group', () => {
    expect(spec.functionName).toBe('fleetEvents');
    expect(spec.systemTopicType).toBe('Microsoft.Resources.ResourceGroups');
    expect(spec.eventDeliverySchema).toBe('EventGridSchema');
    expect([...spec.includedEventTypes].sort()).toEqual([ACTION, DELETE, WRITE]);
  });

  it('uses the documented filter shape and limits', () => {
    expect(spec.subjectFilter.key.toLowerCase()).toBe('subject');
    expect(spec.subjectFilter.prefixes.length).toBeLessThanOrEqual(25);
    for (const prefix of subjectPrefixes(spec, FLEET)) expect(prefix.length).toBeLessThanOrEqual(512);
    for (const template of spec.subjectFilter.prefixes) {
      const placeholders = [...template.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]);
      expect(placeholders).toEqual(['subscriptionId', 'resourceGroup', 'fleetName']);
    }
  });

  it.each([
    ['a member write', WRITE, fleetMemberId(s, rg, f, 'member-1')],
    ['a member delete', DELETE, fleetMemberId(s, rg, f, 'member-1')],
    ['a mesh profile write', WRITE, clusterMeshProfileId(s, rg, f, 'mesh-a')],
    ['a mesh profile delete', DELETE, clusterMeshProfileId(s, rg, f, 'mesh-a')],
    ['a mesh profile apply', ACTION, `${clusterMeshProfileId(s, rg, f, 'mesh-a')}/apply`],
    [
      'a member write with lower-case resourcegroups',
      WRITE,
      fleetMemberId(s, rg, f, 'member-1').replace('/resourceGroups/', '/resourcegroups/'),
    ],
    ['a member write with upper-case names', WRITE, fleetMemberId(s, rg.toUpperCase(), f.toUpperCase(), 'M1')],
  ])('accepts %s', (_label, eventType, subject) => {
    expect(passes(spec, FLEET, { eventType, subject })).toBe(true);
  });

  it.each([
    ['a member of another fleet', WRITE, fleetMemberId(s, rg, 'fleet2', 'member-1')],
    ['a member of a fleet whose name starts the same', WRITE, fleetMemberId(s, rg, `${f}0`, 'member-1')],
    ['a fleet of the same name in another resource group', WRITE, fleetMemberId(s, 'rg-other', f, 'member-1')],
    [
      'a fleet of the same name in another subscription',
      WRITE,
      fleetMemberId('00000000-0000-0000-0000-000000000002', rg, f, 'member-1'),
    ],
    ['the fleet itself', WRITE, fleetId(s, rg, f)],
    ['an update run of the fleet', WRITE, `${fleetId(s, rg, f)}/updateRuns/run-1`],
    [
      'an AKS cluster in the resource group',
      WRITE,
      `${resourceGroupId(s, rg)}/providers/Microsoft.ContainerService/managedClusters/aks1`,
    ],
    ['a failed member write', 'Microsoft.Resources.ResourceWriteFailure', fleetMemberId(s, rg, f, 'member-1')],
    ['a cancelled action', 'Microsoft.Resources.ResourceActionCancel', clusterMeshProfileId(s, rg, f, 'mesh-a')],
  ])('rejects %s', (_label, eventType, subject) => {
    expect(passes(spec, FLEET, { eventType, subject })).toBe(false);
  });

  it('retries within bounds and dead-letters to a named container', () => {
    expect(spec.retryPolicy.maxDeliveryAttempts).toBeGreaterThanOrEqual(1);
    expect(spec.retryPolicy.maxDeliveryAttempts).toBeLessThanOrEqual(30);
    expect(spec.retryPolicy.eventTimeToLiveInMinutes).toBeGreaterThanOrEqual(1);
    expect(spec.retryPolicy.eventTimeToLiveInMinutes).toBeLessThanOrEqual(1440);
    expect(spec.delivery.maxEventsPerBatch).toBe(1);
  });

  /**
   * Generated subjects: case variations of every segment, other subscriptions, resource groups, fleets (one whose name
   * extends or shortens the fleet's), other resource types, other children of the fleet, and paths below a member or
   * profile. Event Grid's StringBeginsWith cannot stop at a depth, so a subject below a member or profile (an action,
   * or a child resource) passes the filter; fleetEvents takes an action's subject and ignores the rest, which costs an
   * invocation and nothing else. Everything else is decided the same way by the filter and by fleetEvents.
   */
  it('accepts what fleetEvents accepts, and only that above a member or profile (property)', async () => {
    const otherSubscription = '00000000-0000-0000-0000-000000000002';
    /** A spelling of `text` with each letter's case drawn independently. */
    const anyCase = (text: string): fc.Arbitrary<string> =>
      fc
        .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
        .map((upper) => text.replace(/./g, (c, i: number) => (upper[i] ? c.toUpperCase() : c.toLowerCase())));
    /** The fleet's own value four times in five (so both sides of the filter are reached), else another one. */
    const oneOf = (own: string, ...others: string[]): fc.Arbitrary<string> =>
      (others.length === 0
        ? fc.constant(own)
        : fc.oneof({ arbitrary: fc.constant(own), weight: 4 }, { arbitrary: fc.constantFrom(...others), weight: 1 })
      ).chain(anyCase);
    const name = fc.stringMatching(/^[a-z0-9][-a-z0-9]{0,11}$/);
    const subject = fc
      .record({
        subscription: fc.oneof({ arbitrary: fc.constant(s), weight: 4 }, fc.constant(otherSubscription)),
        resourceGroupsSegment: oneOf('resourceGroups'),
        resourceGroup: oneOf(rg, 'rg-other', `${rg}2`),
        providers: oneOf('providers'),
        namespace: oneOf('Microsoft.ContainerService', 'Microsoft.Network'),
        type: oneOf('fleets', 'managedClusters', 'fleetsX'),
        fleet: oneOf(f, `${f}0`, 'fleet2', f.slice(0, -1)),
        child: fc.option(oneOf('members', 'clusterMeshProfiles', 'updateRuns', 'updateStrategies', 'gates'), {
          nil: undefined,
        }),
        childName: name,
        nested: fc.constantFrom('', '/', '/apply', '/apply/x', '/members/m2', '/x/y/z'),
      })
      .map((p) => {
        const base = `/subscriptions/${p.subscription}/${p.resourceGroupsSegment}/${p.resourceGroup}/${p.providers}/${p.namespace}/${p.type}/${p.fleet}`;
        return p.child === undefined
          ? { subject: base, below: false }
          : { subject: `${base}/${p.child}/${p.childName}${p.nested}`, below: p.nested.length > 1 };
      });
    const eventType = fc.oneof(
      { arbitrary: fc.constantFrom(WRITE, DELETE, ACTION), weight: 3 },
      fc.constantFrom(
        'Microsoft.Resources.ResourceWriteFailure',
        'Microsoft.Resources.ResourceDeleteCancel',
        'Microsoft.Resources.ResourceActionFailure',
      ),
    );
    const scope = { subscriptionId: s, resourceGroup: rg, fleetName: f };
    let accepted = 0;
    let refused = 0;
    let deliveredAndIgnored = 0;
    await fc.assert(
      fc.asyncProperty(eventType, subject, async (type, { subject: subj, below }) => {
        const subscriptionOfSubject = subj.split('/')[2] ?? s;
        const result = await parseFleetEvent(
          {
            id: 'generated',
            topic: resourceGroupId(subscriptionOfSubject, rg),
            subject: subj,
            eventType: type,
            eventTime: '2026-11-25T00:00:00Z',
            data: { subscriptionId: subscriptionOfSubject, status: 'Succeeded', resourceUri: subj },
            dataVersion: '2',
            metadataVersion: '1',
          },
          scope,
        );
        const passed = passes(spec, FLEET, { eventType: type, subject: subj });
        const reason = result.kind === 'ignored' ? result.reason : undefined;
        const taken = reason === undefined;
        if (taken) accepted++;
        if (!passed) refused++;
        // Nothing fleetEvents acts on is filtered out.
        if (taken) expect(passed, `${type} ${subj}: filtered out`).toBe(true);
        // Above a member or profile, nothing passes that fleetEvents then ignores.
        if (passed && !taken) {
          expect(below, `${type} ${subj}: delivered and ignored (${reason})`).toBe(true);
          deliveredAndIgnored++;
        }
      }),
      { numRuns: 1000, seed: 20261125 },
    );
    // The generator reaches every case.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
    expect(deliveredAndIgnored).toBeGreaterThan(10);
  });

  it('accepts exactly what fleetEvents accepts: every sample gives an intent from the shared/events parser iff it passes the filter', async () => {
    const samples: [string, string][] = [
      [WRITE, fleetMemberId(s, rg, f, 'member-1')],
      [DELETE, fleetMemberId(s, rg, f, 'member-1')],
      [WRITE, clusterMeshProfileId(s, rg, f, 'mesh-a')],
      [DELETE, clusterMeshProfileId(s, rg, f, 'mesh-a')],
      [ACTION, `${clusterMeshProfileId(s, rg, f, 'mesh-a')}/apply`],
      [WRITE, fleetMemberId(s, rg, f, 'member-1').replace('/resourceGroups/', '/resourcegroups/')],
      [WRITE, fleetMemberId(s, rg.toUpperCase(), f.toUpperCase(), 'M1')],
      [WRITE, fleetMemberId(s, rg, 'fleet2', 'member-1')],
      [WRITE, fleetMemberId(s, rg, `${f}0`, 'member-1')],
      [WRITE, fleetMemberId(s, 'rg-other', f, 'member-1')],
      [WRITE, fleetMemberId('00000000-0000-0000-0000-000000000002', rg, f, 'member-1')],
      [WRITE, fleetId(s, rg, f)],
      [WRITE, `${fleetId(s, rg, f)}/updateRuns/run-1`],
      [WRITE, `${resourceGroupId(s, rg)}/providers/Microsoft.ContainerService/managedClusters/aks1`],
      ['Microsoft.Resources.ResourceWriteFailure', fleetMemberId(s, rg, f, 'member-1')],
      ['Microsoft.Resources.ResourceActionCancel', clusterMeshProfileId(s, rg, f, 'mesh-a')],
    ];
    const scope = { subscriptionId: s, resourceGroup: rg, fleetName: f };
    for (const [index, [eventType, subject]] of samples.entries()) {
      const subscriptionOfSubject = subject.split('/')[2] ?? s;
      const result = await parseFleetEvent(
        {
          id: `sample-${index}`,
          topic: resourceGroupId(subscriptionOfSubject, rg),
          subject,
          eventType,
          eventTime: '2026-11-25T00:00:00Z',
          data: { subscriptionId: subscriptionOfSubject, status: 'Succeeded', resourceUri: subject },
          dataVersion: '2',
          metadataVersion: '1',
        },
        scope,
      );
      expect(result.kind !== 'ignored', `${eventType} ${subject}`).toBe(passes(spec, FLEET, { eventType, subject }));
    }
  });
});

describe('infra/app/fleet-events-subscription.bicep', () => {
  let file: BicepFile;
  beforeAll(async () => {
    file = await parseBicep('infra/app/fleet-events-subscription.bicep');
  });

  it('loads the filters from fleet-events.json', () => {
    const loads = callsOf(file.root, 'loadJsonContent').map((c) => stringLiteral(callArguments(c)[0]));
    expect(loads).toEqual(['../config/fleet-events.json']);
  });

  it('substitutes the three placeholders the way this test does', () => {
    const replaces = callsOf(file.root, 'replace').map((c) => stringLiteral(callArguments(c)[1]));
    expect(replaces.sort()).toEqual(['{fleetName}', '{resourceGroup}', '{subscriptionId}']);
  });

  it('delivers to the function by resource id, with a managed-identity dead letter', () => {
    expect(file.source).toContain("endpointType: 'AzureFunction'");
    expect(file.source).toContain("resourceId: '${functionAppId}/functions/${spec.functionName}'");
    expect(file.source).toMatch(/deadLetterWithResourceIdentity: \{\s*identity: \{\s*type: 'SystemAssigned'/);
    expect(file.source).not.toMatch(/\bsubjectBeginsWith\s*:/);
  });
});
