// fleetEvents' steps, in order: check the id, find the profiles, signal, and only then remember the id. A failure
// anywhere throws (the delivery fails, Event Grid redelivers) and leaves the id unremembered.
import { describe, expect, it } from 'vitest';
import { handleFleetEvent, type FleetEventDeps } from '../../../../shared/events/intake.js';
import { createLogger } from '../../../../shared/log.js';
import type { MeshSummary } from '../../../../shared/state/store.js';

const SUB = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const fleetPath = `/subscriptions/${SUB}/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-1`;

function event(id: string, subject = `${fleetPath}/members/aks-east`): Record<string, unknown> {
  return {
    id,
    topic: `/subscriptions/${SUB}/resourceGroups/rg-fleet`,
    subject,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2030-04-01T08:30:00Z',
    data: { subscriptionId: SUB, resourceUri: subject },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

const summary = (profile: string): MeshSummary => ({
  profile,
  hasView: true,
  hasPolicy: false,
  profileState: null,
  memberCount: 0,
  lastOperationId: null,
  updatedAt: '2030-01-01T00:00:00.000Z',
});

function world(
  options: { stored?: string[]; fleet?: string[] | Error; signalFails?: string; markFails?: boolean } = {},
) {
  const steps: string[] = [];
  const processed = new Set<string>();
  const deps: FleetEventDeps = {
    scope: { subscriptionId: SUB, resourceGroup: 'rg-fleet', fleetName: 'fleet-1' },
    store: {
      isEventProcessed: (id) => {
        steps.push(`check ${id}`);
        return Promise.resolve(processed.has(id));
      },
      markEventProcessed: (id) => {
        steps.push(`mark ${id}`);
        if (options.markFails) return Promise.reject(new Error('Cosmos DB unavailable'));
        const first = !processed.has(id);
        processed.add(id);
        return Promise.resolve(first);
      },
      listMeshes: () => {
        steps.push('stored');
        return Promise.resolve((options.stored ?? []).map(summary));
      },
    },
    fleetProfiles: () => {
      steps.push('fleet');
      const fleet = options.fleet ?? ['demo'];
      return fleet instanceof Error ? Promise.reject(fleet) : Promise.resolve(fleet);
    },
    signal: (profile) => {
      steps.push(`signal ${profile}`);
      return profile === options.signalFails ? Promise.reject(new Error('durable client: 500')) : Promise.resolve();
    },
    logger: createLogger({ sink: () => undefined }),
    now: () => new Date('2030-04-01T08:30:01Z'),
  };
  return { deps, steps, processed };
}

describe('handleFleetEvent', () => {
  it('checks, looks the profiles up (stored and in ARM), signals each, then remembers the id', async () => {
    const w = world({ stored: ['old-mesh'], fleet: ['demo'] });
    expect(await handleFleetEvent(event('e1'), w.deps)).toEqual({
      kind: 'signalled',
      eventId: 'e1',
      profiles: ['demo', 'old-mesh'],
    });
    expect(w.steps).toEqual(['check e1', 'stored', 'fleet', 'signal demo', 'signal old-mesh', 'mark e1']);
  });

  it('a member event with nothing stored (a fresh deployment) signals the profiles ARM lists', async () => {
    const w = world({ stored: [], fleet: ['demo', 'blue'] });
    expect(await handleFleetEvent(event('e1'), w.deps)).toMatchObject({ profiles: ['blue', 'demo'] });
  });

  it('a redelivered id stops at the check: no lookup, no signal, nothing written', async () => {
    const w = world();
    await handleFleetEvent(event('e1'), w.deps);
    w.steps.length = 0;
    expect(await handleFleetEvent(event('e1'), w.deps)).toEqual({ kind: 'duplicate', eventId: 'e1' });
    expect(w.steps).toEqual(['check e1']);
  });

  it('a failed signal throws and leaves the id unremembered, so the redelivery signals again', async () => {
    const w = world({ fleet: ['blue', 'demo'], signalFails: 'demo' });
    await expect(handleFleetEvent(event('e1'), w.deps)).rejects.toThrow(/durable client: 500/);
    expect(w.steps).toEqual(['check e1', 'stored', 'fleet', 'signal blue', 'signal demo']);
    expect(w.processed.has('e1')).toBe(false);

    const retry = world({ fleet: ['blue', 'demo'] });
    await expect(handleFleetEvent(event('e1'), retry.deps)).resolves.toMatchObject({ kind: 'signalled' });
    expect(retry.steps).toContain('signal demo');
  });

  it('a failed ARM lookup throws before any signal (the event is not dropped with the stored profiles only)', async () => {
    const w = world({ stored: ['demo'], fleet: new Error('429 TooManyRequests') });
    await expect(handleFleetEvent(event('e1'), w.deps)).rejects.toThrow(/429/);
    expect(w.steps.filter((s) => s.startsWith('signal') || s.startsWith('mark'))).toEqual([]);
  });

  it('a failed write of the record throws after signalling (a redelivery signals again, which coalesces)', async () => {
    const w = world({ markFails: true });
    await expect(handleFleetEvent(event('e1'), w.deps)).rejects.toThrow(/Cosmos DB unavailable/);
    expect(w.steps).toEqual(['check e1', 'stored', 'fleet', 'signal demo', 'mark e1']);
  });

  it('a profile event signals its profile without reading the profiles', async () => {
    const w = world();
    const result = await handleFleetEvent(event('e2', `${fleetPath}/clusterMeshProfiles/blue`), w.deps);
    expect(result).toEqual({ kind: 'signalled', eventId: 'e2', profiles: ['blue'] });
    expect(w.steps).toEqual(['check e2', 'signal blue', 'mark e2']);
  });

  it('bad input is ignored with its reason: no check, no signal, no throw', async () => {
    const w = world();
    for (const bad of [null, 'text', { ...event(''), id: '' }, event('e3', '/subscriptions/x/resourceGroups/y')]) {
      expect((await handleFleetEvent(bad, w.deps)).kind).toBe('ignored');
    }
    expect(w.steps).toEqual([]);
  });

  it('the signal names the event', async () => {
    const w = world();
    const seen: unknown[] = [];
    await handleFleetEvent(event('e4'), {
      ...w.deps,
      signal: (_profile, signal) => {
        seen.push(signal);
        return Promise.resolve();
      },
    });
    expect(seen).toEqual([
      {
        kind: 'event',
        at: '2030-04-01T08:30:01.000Z',
        eventId: 'e4',
        eventType: 'Microsoft.Resources.ResourceWriteSuccess',
        subject: `${fleetPath}/members/aks-east`,
      },
    ]);
  });
});
