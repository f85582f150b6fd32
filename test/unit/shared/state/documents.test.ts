import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MeshViewSchema,
  OperationStatuses,
  TerminalOperationStatuses,
  addArmCalls,
  buildProcessedEvent,
  canTransition,
  emptyMeshView,
  isExpired,
  isTerminalStatus,
  operationId,
  parseOperationId,
  processedEventDocId,
  type OperationStatus,
} from '../../../../shared/state/documents.js';

const profileArb = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?$/);
const uniqueArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);

describe('operation ids', () => {
  it('carry the profile: parseOperationId(operationId(p, u)) gives both back', () => {
    fc.assert(
      fc.property(profileArb, uniqueArb, (profile, unique) => {
        expect(parseOperationId(operationId(profile, unique))).toEqual({ profile, unique });
      }),
    );
  });

  it('accept a durable GUID as the unique part', () => {
    expect(operationId('mesh-1', '3f2b9c1e-0d7a-4e59-9a43-1c1f2c3d4e5f')).toBe(
      'mesh-1.3f2b9c1e-0d7a-4e59-9a43-1c1f2c3d4e5f',
    );
  });

  it.each([
    ['', 'empty'],
    ['mesh', 'no dot'],
    ['.abc', 'no profile'],
    ['mesh.', 'no unique part'],
    ['Mesh.abc', 'upper-case profile'],
    ['-mesh.abc', 'profile starting with a dash'],
    ['mesh.a.b', 'dot in the unique part'],
    ['mesh.a/b', 'slash (not allowed in a Cosmos id)'],
    ['mesh.a#b', 'hash'],
    [`mesh.${'x'.repeat(101)}`, 'unique part too long'],
    [`${'m'.repeat(64)}.x`, 'profile too long'],
  ])('rejects %j (%s)', (id) => {
    expect(parseOperationId(id)).toBeUndefined();
  });

  it('operationId refuses parts that would not parse back', () => {
    expect(() => operationId('Bad', 'x')).toThrow(/profile 'Bad'/);
    expect(() => operationId('mesh', 'a.b')).toThrow(/unique part 'a.b'/);
  });
});

describe('operation status transitions', () => {
  it.each<[OperationStatus, OperationStatus, boolean]>([
    ['Pending', 'Running', true],
    ['Pending', 'AwaitingApproval', true],
    ['Pending', 'Recorded', true],
    ['AwaitingApproval', 'Running', true],
    ['AwaitingApproval', 'Rejected', true],
    ['AwaitingApproval', 'Succeeded', false],
    ['Running', 'Succeeded', true],
    ['Running', 'Failed', true],
    ['Running', 'Pending', false],
    ['Running', 'AwaitingApproval', false],
    ['Succeeded', 'Running', false],
    ['Rejected', 'Running', false],
    ['Recorded', 'Running', false],
  ])('%s → %s: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it('staying put is always allowed; a terminal status is never left', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OperationStatuses), fc.constantFrom(...OperationStatuses), (from, to) => {
        expect(canTransition(from, from)).toBe(true);
        if (isTerminalStatus(from) && to !== from) expect(canTransition(from, to)).toBe(false);
      }),
    );
    expect([...TerminalOperationStatuses].sort()).toEqual(['Failed', 'Recorded', 'Rejected', 'Succeeded']);
  });
});

describe('processed-event records', () => {
  it('use a hash id that is a valid Cosmos id for any event id', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 600 }), (eventId) => {
        const id = processedEventDocId(eventId);
        expect(id).toMatch(/^ev-[0-9a-f]{64}$/);
        expect(processedEventDocId(eventId)).toBe(id);
      }),
    );
    expect(processedEventDocId('a')).not.toBe(processedEventDocId('A'));
  });

  it('carry ttl seconds and an absolute expiry', () => {
    const doc = buildProcessedEvent('e1', new Date('2030-01-01T00:00:00.000Z'), 86400, { eventType: 'T' });
    expect(doc).toEqual({
      id: processedEventDocId('e1'),
      type: 'processedEvent',
      schemaVersion: 1,
      eventId: 'e1',
      processedAt: '2030-01-01T00:00:00.000Z',
      expiresAt: '2030-01-02T00:00:00.000Z',
      ttl: 86400,
      eventType: 'T',
    });
  });

  it('expire exactly at expiresAt', () => {
    const record = { expiresAt: '2030-01-01T00:01:00.000Z' };
    expect(isExpired(record, new Date('2030-01-01T00:00:59.999Z'))).toBe(false);
    expect(isExpired(record, new Date('2030-01-01T00:01:00.000Z'))).toBe(true);
  });
});

describe('mesh view and counters', () => {
  it('an empty view completed by the store is a valid view', () => {
    const parsed = MeshViewSchema.safeParse({
      ...emptyMeshView(),
      profile: 'p',
      updatedAt: '2030-01-01T00:00:00.000Z',
    });
    expect(parsed.success).toBe(true);
  });

  it('rejects non-UTC timestamps and out-of-range Cilium ids', () => {
    const base = { ...emptyMeshView(), profile: 'p', updatedAt: '2030-01-01T00:00:00+02:00' };
    expect(MeshViewSchema.safeParse(base).success).toBe(false);
    const member = { name: 'm', labels: {}, meshState: 'Connected', ciliumId: 256 };
    const withMember = { ...emptyMeshView(), profile: 'p', updatedAt: '2030-01-01T00:00:00Z', members: [member] };
    expect(MeshViewSchema.safeParse(withMember).success).toBe(false);
  });

  it('adds ARM call counters field by field', () => {
    expect(
      addArmCalls(
        { reads: 1, writes: 2, throttled: 3, errors: 4 },
        { reads: 10, writes: 20, throttled: 30, errors: 40 },
      ),
    ).toEqual({ reads: 11, writes: 22, throttled: 33, errors: 44 });
  });
});
