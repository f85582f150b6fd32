import type { Database } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyMeshView, processedEventDocId } from '../../../../shared/state/documents.js';
import { InvalidStateDocumentError } from '../../../../shared/state/errors.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let db: Database;

beforeAll(async () => {
  h = await startHarness('fleetmesh-bad-docs-test');
  db = h.client().database(h.databaseId);
});
afterAll(async () => {
  await h.close();
});

const validView = {
  id: 'view',
  type: 'meshView',
  schemaVersion: 1,
  profile: 'p',
  selector: null,
  lastAppliedSelector: null,
  profileState: null,
  members: [],
  lastPlan: null,
  lastOperationId: null,
  trafficManager: null,
  updatedAt: '2030-01-01T00:00:00.000Z',
};

describe('malformed documents are a clear error naming the document', () => {
  it('mesh view with a wrong member list', async () => {
    await db.container('meshes').items.create({ ...validView, profile: 'bad-view', members: 'east,west' });
    const store = h.store();
    const error = await store.getMeshView('bad-view').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStateDocumentError);
    expect(error).toMatchObject({ container: 'meshes', documentId: 'bad-view/view' });
    expect(String(error)).toMatch(/malformed meshes document 'bad-view\/view': field 'members'/);
    // An update never overwrites what it cannot read.
    await expect(store.updateMeshView('bad-view', () => emptyMeshView())).rejects.toBeInstanceOf(
      InvalidStateDocumentError,
    );
    const stored: unknown = (await db.container('meshes').item('view', 'bad-view').read<{ id: string }>()).resource;
    expect(stored).toMatchObject({ members: 'east,west' });
  });

  it('mesh view with an unknown profile state', async () => {
    await db.container('meshes').items.create({ ...validView, profile: 'bad-state', profileState: 'Sleeping' });
    await expect(h.store().getMeshView('bad-state')).rejects.toThrow(/'bad-state\/view': field 'profileState'/);
  });

  it('policy without updatedBy', async () => {
    await db.container('meshes').items.create({
      id: 'policy',
      type: 'policy',
      schemaVersion: 1,
      profile: 'bad-policy',
      policy: { mode: 'auto' },
      updatedAt: '2030-01-01T00:00:00.000Z',
    });
    await expect(h.store().getPolicy('bad-policy')).rejects.toThrow(
      /malformed meshes document 'bad-policy\/policy': field 'updatedBy'/,
    );
    // A list that meets a bad document fails clearly too (which bad document comes first is up to the server).
    await expect(h.store().listMeshes()).rejects.toThrow(/malformed meshes document 'bad-(state|policy|view)\//);
  });

  it('operation missing its status, in a point read and in a list', async () => {
    await db.container('operations').items.create({
      id: 'bad-op.one',
      type: 'operation',
      schemaVersion: 1,
      profile: 'bad-op',
      kind: 'apply',
      trigger: 'http',
      createdAt: '2030-01-01T00:00:00.000Z',
    });
    await expect(h.store().getOperation('bad-op.one')).rejects.toThrow(
      /malformed operations document 'bad-op\.one': field 'status'/,
    );
    await expect(h.store().listOperations('bad-op')).rejects.toThrow(/operations document 'bad-op\.one'/);
  });

  it('processed-event record without an expiry', async () => {
    const id = processedEventDocId('bad-evt');
    await db.container('events').items.create({ id, type: 'processedEvent', schemaVersion: 1, eventId: 'bad-evt' });
    await expect(h.store().markEventProcessed('bad-evt')).rejects.toThrow(
      new RegExp(`malformed events document '${id}': field 'processedAt'.*field 'expiresAt'`),
    );
  });
});
