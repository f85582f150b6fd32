import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FleetMeshError } from '../../../../shared/errors.js';
import {
  InvalidStateDocumentError,
  cosmosStatus,
  parseStateDocument,
  toStateError,
} from '../../../../shared/state/errors.js';

const cosmosError = (code: number): Error => Object.assign(new Error(`status ${code}`), { code });

describe('Cosmos error mapping', () => {
  it('reads the status of an ErrorResponse', () => {
    expect(cosmosStatus(cosmosError(412))).toBe(412);
    expect(cosmosStatus({ statusCode: 404 })).toBe(404);
    expect(cosmosStatus(new Error('x'))).toBeUndefined();
    expect(cosmosStatus(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });

  it.each([
    [429, 'Throttled', true],
    [503, 'Internal', true],
    [500, 'Internal', true],
    [408, 'Internal', true],
    [400, 'Internal', false],
    [403, 'Forbidden', false],
    [401, 'Unauthorized', false],
  ])('%i → %s (retryable %s)', (status, code, retryable) => {
    const mapped = toStateError(cosmosError(status), 'reading x');
    expect(mapped).toMatchObject({ code, retryable });
    expect(mapped.message).toMatch(/^reading x: /);
    expect(mapped.cause).toBeInstanceOf(Error);
  });

  it('a network failure without a status is retryable; a FleetMeshError passes through', () => {
    expect(toStateError(new Error('ECONNRESET'), 'w').retryable).toBe(true);
    const own = new FleetMeshError('NotFound', 'gone', { status: 404 });
    expect(toStateError(own, 'w')).toBe(own);
  });
});

describe('parseStateDocument', () => {
  const schema = z.object({ id: z.string(), n: z.int(), inner: z.object({ s: z.string() }) });

  it('returns the parsed document', () => {
    expect(parseStateDocument(schema, 'c', 'd1', { id: 'd1', n: 1, inner: { s: 'x' }, _etag: 'e' })).toEqual({
      id: 'd1',
      n: 1,
      inner: { s: 'x' },
    });
  });

  it('names the container, the document and every bad field', () => {
    try {
      parseStateDocument(schema, 'meshes', 'p/view', { id: 'p/view', n: 'one', inner: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidStateDocumentError);
      expect(error).toMatchObject({ container: 'meshes', documentId: 'p/view', status: 500 });
      expect(String(error)).toMatch(/malformed meshes document 'p\/view': field 'n': .*; field 'inner\.s': /);
    }
  });
});
