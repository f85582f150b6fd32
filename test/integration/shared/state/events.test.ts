import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processedEventDocId } from '../../../../shared/state/documents.js';
import { manualClock, startHarness, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('fleetmesh-events-test');
});
afterAll(async () => {
  await h.close();
});

/** The stored document as the server has it (not through the store). */
async function rawEventDoc(eventId: string): Promise<unknown> {
  const id = processedEventDocId(eventId);
  const response = await h.client().database(h.databaseId).container('events').item(id, id).read<{ id: string }>();
  const raw: unknown = response.resource;
  return raw;
}

describe('processed event ids', () => {
  it('first delivery true, redelivery false', async () => {
    const store = h.store();
    expect(await store.markEventProcessed('evt-1')).toBe(true);
    expect(await store.markEventProcessed('evt-1')).toBe(false);
    expect(await store.markEventProcessed('evt-2')).toBe(true);
  });

  it('stores the TTL for Cosmos DB and an expiry the store checks itself', async () => {
    const clock = manualClock('2030-05-01T12:00:00.000Z');
    const store = h.store({ now: clock.now, eventTtlSeconds: 600 });
    await store.markEventProcessed('evt-ttl', {
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      subject: '/subscriptions/x/resourceGroups/rg',
    });
    const doc = await rawEventDoc('evt-ttl');
    expect(doc).toMatchObject({
      id: processedEventDocId('evt-ttl'),
      type: 'processedEvent',
      eventId: 'evt-ttl',
      ttl: 600,
      processedAt: '2030-05-01T12:00:00.000Z',
      expiresAt: '2030-05-01T12:10:00.000Z',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      subject: '/subscriptions/x/resourceGroups/rg',
    });
  });

  it('an expired record counts as not seen and is renewed', async () => {
    const clock = manualClock('2030-06-01T00:00:00.000Z');
    const store = h.store({ now: clock.now, eventTtlSeconds: 60 });
    expect(await store.markEventProcessed('evt-exp')).toBe(true);
    clock.advance(59_999);
    expect(await store.markEventProcessed('evt-exp')).toBe(false);
    clock.advance(1);
    expect(await store.markEventProcessed('evt-exp')).toBe(true);
    expect(await rawEventDoc('evt-exp')).toMatchObject({ expiresAt: '2030-06-01T00:02:00.000Z' });
    expect(await store.markEventProcessed('evt-exp')).toBe(false);
  });

  it('exactly one of many concurrent deliveries wins, also when renewing an expired record', async () => {
    const clock = manualClock('2030-07-01T00:00:00.000Z');
    const stores = Array.from({ length: 6 }, () => h.store({ now: clock.now, eventTtlSeconds: 60 }, h.client()));
    const fresh = await Promise.all(stores.map((s) => s.markEventProcessed('evt-race')));
    expect(fresh.filter(Boolean)).toHaveLength(1);
    clock.advance(61_000);
    const renewed = await Promise.all(stores.map((s) => s.markEventProcessed('evt-race')));
    expect(renewed.filter(Boolean)).toHaveLength(1);
  });

  it('forgetEvent lets a redelivery through (compensation), and is a no-op when absent', async () => {
    const store = h.store();
    expect(await store.markEventProcessed('evt-forget')).toBe(true);
    await store.forgetEvent('evt-forget');
    expect(await rawEventDoc('evt-forget')).toBeUndefined();
    expect(await store.markEventProcessed('evt-forget')).toBe(true);
    await store.forgetEvent('never-seen');
  });

  it('accepts event ids with characters a Cosmos id cannot hold', async () => {
    const store = h.store();
    const weird = 'source/with?odd#chars\\and-a-very-long-tail-'.padEnd(400, 'x');
    expect(await store.markEventProcessed(weird)).toBe(true);
    expect(await store.markEventProcessed(weird)).toBe(false);
    expect(await rawEventDoc(weird)).toMatchObject({ eventId: weird });
  });

  it('isEventProcessed reads without marking: false before, true after, false once expired', async () => {
    const clock = manualClock('2030-08-01T00:00:00.000Z');
    const store = h.store({ now: clock.now, eventTtlSeconds: 60 });
    expect(await store.isEventProcessed('evt-check')).toBe(false);
    expect(await rawEventDoc('evt-check')).toBeUndefined();
    expect(await store.markEventProcessed('evt-check')).toBe(true);
    expect(await store.isEventProcessed('evt-check')).toBe(true);
    clock.advance(61_000);
    expect(await store.isEventProcessed('evt-check')).toBe(false);
    expect(await store.markEventProcessed('evt-check')).toBe(true);
    expect(await store.isEventProcessed('evt-check')).toBe(true);
  });

  it('rejects an empty event id', async () => {
    await expect(h.store().markEventProcessed('')).rejects.toThrow(/event id must not be empty/);
    await expect(h.store().isEventProcessed('')).rejects.toThrow(/event id must not be empty/);
  });
});
