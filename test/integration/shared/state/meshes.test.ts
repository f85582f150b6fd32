import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetMeshError, ValidationError } from '../../../../shared/errors.js';
import {
  emptyMeshView,
  type MemberView,
  type MeshView,
  type MeshViewUpdate,
} from '../../../../shared/state/documents.js';
import type { StateStore } from '../../../../shared/state/store.js';
import { manualClock, startHarness, type Harness } from './harness.js';

let h: Harness;
let store: StateStore;

beforeAll(async () => {
  h = await startHarness('fleetmesh-meshes-test');
  store = h.store();
});
afterAll(async () => {
  await h.close();
});

const member = (name: string, extra: Partial<MemberView> = {}): MemberView => ({
  name,
  labels: { env: 'prod' },
  meshState: null,
  ciliumId: null,
  ...extra,
});

const addMember =
  (name: string) =>
  (current: MeshView | undefined): MeshViewUpdate => {
    const base = current ?? emptyMeshView();
    return { ...base, members: [...base.members, member(name)] };
  };

describe('mesh view', () => {
  it('is absent at first, created by the first update, then replaced', async () => {
    const clock = manualClock();
    const s = h.store({ now: clock.now });
    expect(await s.getMeshView('crud')).toBeUndefined();

    const created = await s.updateMeshView('crud', (current) => {
      expect(current).toBeUndefined();
      return {
        ...emptyMeshView(),
        selector: 'env=prod',
        profileState: 'NotConnected',
        members: [member('east', { meshState: 'Connecting', ciliumId: 1, clusterResourceId: '/subscriptions/x' })],
        trafficManager: {
          profileId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/tm',
          endpoints: [{ name: 'fm-east', member: 'east', weight: 50, status: 'Enabled', monitorStatus: null }],
        },
        lastPlan: { planId: 'p1', computedAt: clock.now().toISOString(), plan: { members: [{ action: 'Add' }] } },
      };
    });
    expect(created?.value).toMatchObject({
      profile: 'crud',
      selector: 'env=prod',
      updatedAt: '2030-01-01T00:00:00.000Z',
    });

    clock.advance(1000);
    const updated = await s.updateMeshView('crud', (current) => {
      if (!current) throw new Error('expected a view');
      return {
        ...current,
        profileState: 'Connected',
        members: current.members.map((m) => ({ ...m, meshState: 'Connected' as const })),
        lastOperationId: 'crud.op1',
      };
    });
    expect(updated?.etag).not.toBe(created?.etag);

    const read = await s.getMeshView('crud');
    expect(read?.etag).toBe(updated?.etag);
    expect(read?.value).toEqual({
      profile: 'crud',
      selector: 'env=prod',
      lastAppliedSelector: null,
      profileState: 'Connected',
      members: [
        {
          name: 'east',
          labels: { env: 'prod' },
          meshState: 'Connected',
          ciliumId: 1,
          clusterResourceId: '/subscriptions/x',
        },
      ],
      lastPlan: { planId: 'p1', computedAt: '2030-01-01T00:00:00.000Z', plan: { members: [{ action: 'Add' }] } },
      lastOperationId: 'crud.op1',
      trafficManager: {
        profileId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/trafficManagerProfiles/tm',
        endpoints: [{ name: 'fm-east', member: 'east', weight: 50, status: 'Enabled', monitorStatus: null }],
      },
      updatedAt: '2030-01-01T00:00:01.000Z',
    });
  });

  it('writes nothing when the mutator returns undefined', async () => {
    const first = await store.updateMeshView('nochange', addMember('a'));
    const again = await store.updateMeshView('nochange', () => undefined);
    expect(again?.etag).toBe(first?.etag);
    expect(await store.updateMeshView('never-created', () => undefined)).toBeUndefined();
    expect(await store.getMeshView('never-created')).toBeUndefined();
  });

  it('refuses to write an invalid view, naming the field, and keeps the stored one', async () => {
    const before = await store.updateMeshView('invalid', addMember('a'));
    await expect(
      store.updateMeshView('invalid', (current) => ({
        ...(current ?? emptyMeshView()),
        members: [member('b', { ciliumId: 999 })],
      })),
    ).rejects.toThrow(/refusing to write meshes document 'invalid\/view': field 'members\.0\.ciliumId'/);
    const after = await store.getMeshView('invalid');
    expect(after).toEqual(before);
  });

  it('rejects a profile name that is not an ARM name', async () => {
    await expect(store.getMeshView('Bad_Name')).rejects.toBeInstanceOf(ValidationError);
    await expect(store.updateMeshView('a/b', addMember('x'))).rejects.toThrow(/mesh profile 'a\/b'/);
  });
});

describe('optimistic concurrency', () => {
  const names = (view: { value: MeshView } | undefined): string[] => view?.value.members.map((m) => m.name) ?? [];

  it('re-reads and re-applies the mutator when another writer got in between (no lost update)', async () => {
    const other = h.store({}, h.client());
    await store.updateMeshView('race1', addMember('base'));
    const seen: string[][] = [];
    const result = await store.updateMeshView('race1', async (current) => {
      seen.push(current?.members.map((m) => m.name) ?? []);
      // A second process writes after our read: our replace carries a stale ETag and gets 412 the first time.
      if (seen.length === 1) await other.updateMeshView('race1', addMember('other'));
      return addMember('mine')(current);
    });
    expect(seen).toEqual([['base'], ['base', 'other']]);
    expect(names(result)).toEqual(['base', 'other', 'mine']);
    expect(names(await store.getMeshView('race1'))).toEqual(['base', 'other', 'mine']);
  });

  it('also retries when two writers create the same view at once (409 on create)', async () => {
    const other = h.store({}, h.client());
    let calls = 0;
    const result = await store.updateMeshView('race-create', async (current) => {
      calls++;
      if (calls === 1) await other.updateMeshView('race-create', addMember('other'));
      return addMember('mine')(current);
    });
    expect(calls).toBe(2);
    expect(names(result)).toEqual(['other', 'mine']);
  });

  it('two writers racing on separate clients lose no update', async () => {
    // Each failed attempt of one writer means the other completed a write in between, so with 15 writes each a
    // bound of 20 attempts cannot run out: the test is deterministic whatever the interleaving.
    const a = h.store({ maxAttempts: 20 }, h.client());
    const b = h.store({ maxAttempts: 20 }, h.client());
    const writer = async (s: StateStore, prefix: string): Promise<void> => {
      for (let i = 0; i < 15; i++) await s.updateMeshView('race2', addMember(`${prefix}${i}`));
    };
    await Promise.all([writer(a, 'a'), writer(b, 'b')]);
    const final = names(await store.getMeshView('race2'));
    expect(final).toHaveLength(30);
    expect(new Set(final).size).toBe(30);
    // Each writer's own order is preserved.
    expect(final.filter((n) => n.startsWith('a'))).toEqual(Array.from({ length: 15 }, (_, i) => `a${i}`));
    expect(final.filter((n) => n.startsWith('b'))).toEqual(Array.from({ length: 15 }, (_, i) => `b${i}`));
  });

  it('gives up after the bounded attempts with a retryable Conflict, leaving the other writer’s version intact', async () => {
    const other = h.store({}, h.client());
    const s = h.store({ maxAttempts: 3, backoff: () => Promise.resolve() });
    await s.updateMeshView('race3', addMember('base'));
    let n = 0;
    const attempt = s.updateMeshView('race3', async (current) => {
      n++;
      await other.updateMeshView('race3', addMember(`other${n}`));
      return addMember('mine')(current);
    });
    await expect(attempt).rejects.toMatchObject({ code: 'Conflict', status: 409, retryable: true });
    await expect(attempt).rejects.toBeInstanceOf(FleetMeshError);
    expect(n).toBe(3);
    expect(names(await s.getMeshView('race3'))).toEqual(['base', 'other1', 'other2', 'other3']);
  });
});

describe('policy', () => {
  it('is stored and read back with who set it and when', async () => {
    const clock = manualClock('2030-02-01T10:00:00.000Z');
    const s = h.store({ now: clock.now });
    expect(await s.getPolicy('pol')).toBeUndefined();
    const put = await s.putPolicy('pol', { mode: 'approve', debounceSeconds: 30, weights: { east: 2 } }, 'alice');
    expect(put.value).toEqual({
      profile: 'pol',
      policy: { mode: 'approve', debounceSeconds: 30, weights: { east: 2 } },
      updatedAt: '2030-02-01T10:00:00.000Z',
      updatedBy: 'alice',
    });
    expect(await s.getPolicy('pol')).toEqual(put);
  });

  it('honours If-Match and If-None-Match with 412 PreconditionFailed', async () => {
    const first = await store.putPolicy('pol-cond', { mode: 'auto' }, 'alice', { ifNoneMatch: '*' });
    await expect(store.putPolicy('pol-cond', { mode: 'manual' }, 'bob', { ifNoneMatch: '*' })).rejects.toMatchObject({
      code: 'PreconditionFailed',
      status: 412,
    });
    const second = await store.putPolicy('pol-cond', { mode: 'manual' }, 'bob', { ifMatch: first.etag });
    await expect(store.putPolicy('pol-cond', { mode: 'auto' }, 'carol', { ifMatch: first.etag })).rejects.toThrow(
      /policy of 'pol-cond' does not have ETag/,
    );
    expect((await store.getPolicy('pol-cond'))?.value).toMatchObject({ policy: { mode: 'manual' }, updatedBy: 'bob' });
    expect((await store.getPolicy('pol-cond'))?.etag).toBe(second.etag);
    await expect(store.putPolicy('pol-none', { mode: 'auto' }, 'x', { ifMatch: second.etag })).rejects.toMatchObject({
      status: 412,
    });
    // Unconditional PUT replaces.
    await store.putPolicy('pol-cond', { mode: 'auto' }, 'dave');
    expect((await store.getPolicy('pol-cond'))?.value.updatedBy).toBe('dave');
  });

  it('rejects a policy that is not a JSON object and an empty updatedBy', async () => {
    await expect(store.putPolicy('pol-bad', ['x'] as never, 'a')).rejects.toThrow(/must be a JSON object/);
    await expect(store.putPolicy('pol-bad', { mode: 'auto' }, ' ')).rejects.toThrow(/updatedBy must not be empty/);
    expect(await store.getPolicy('pol-bad')).toBeUndefined();
  });
});

describe('listMeshes', () => {
  it('lists every profile with a view or a policy, merged and sorted', async () => {
    const h2 = await startHarness('fleetmesh-list-test');
    try {
      const clock = manualClock();
      const s = h2.store({ now: clock.now });
      expect(await s.listMeshes()).toEqual([]);
      await s.updateMeshView('zeta', (c) => ({
        ...(c ?? emptyMeshView()),
        profileState: 'Connected',
        members: [member('a'), member('b')],
        lastOperationId: 'zeta.op',
      }));
      clock.advance(1000);
      await s.putPolicy('zeta', { mode: 'auto' }, 'x');
      await s.putPolicy('alpha', { mode: 'manual' }, 'x');
      expect(await s.listMeshes()).toEqual([
        {
          profile: 'alpha',
          hasView: false,
          hasPolicy: true,
          profileState: null,
          memberCount: 0,
          lastOperationId: null,
          updatedAt: '2030-01-01T00:00:01.000Z',
        },
        {
          profile: 'zeta',
          hasView: true,
          hasPolicy: true,
          profileState: 'Connected',
          memberCount: 2,
          lastOperationId: 'zeta.op',
          updatedAt: '2030-01-01T00:00:01.000Z',
        },
      ]);
    } finally {
      await h2.close();
    }
  });
});
