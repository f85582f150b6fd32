import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  authorizeFunction,
  authorizeSystem,
  presentedKey,
  withSystemKeys,
} from '../../../../local/host/config/keys.js';
import type { InstanceRecord } from '../../../../local/host/durable/store.js';
import { FileStore } from '../../../../local/host/durable/store.js';

describe('function keys', () => {
  const keys = {
    masterKey: 'm',
    functionKeys: { default: 'f' },
    functions: { Special: { own: 's' } },
    systemKeys: { eventgrid_extension: 'e' },
  };

  it.each([
    ['anonymous', 'x', undefined, true],
    ['function', 'x', undefined, false],
    ['function', 'x', 'f', true],
    ['function', 'x', 'm', true],
    ['function', 'x', 's', false],
    ['function', 'special', 's', true],
    ['function', 'x', 'F', false],
    ['admin', 'x', 'f', false],
    ['admin', 'x', 'm', true],
  ] as const)('%s level, function %s, key %s → %s', (level, fn, key, allowed) => {
    expect(authorizeFunction(keys, level, fn, key)).toBe(allowed);
  });

  it('checks system keys (the master key also opens them) and is open when no key is configured', () => {
    expect(authorizeSystem(keys, 'eventgrid_extension', 'e')).toBe(true);
    expect(authorizeSystem(keys, 'eventgrid_extension', 'm')).toBe(true);
    expect(authorizeSystem(keys, 'eventgrid_extension', 'f')).toBe(false);
    expect(authorizeSystem(keys, 'durabletask_extension', undefined)).toBe(false);
    expect(authorizeFunction(undefined, 'admin', 'x', undefined)).toBe(true);
    expect(authorizeSystem({}, 'eventgrid_extension', undefined)).toBe(true);
  });

  it('reads the key from x-functions-key first, then code=, as the Functions host, and generates missing system keys', () => {
    expect(presentedKey(new URLSearchParams('code=a'), 'b')).toBe('b');
    expect(presentedKey(new URLSearchParams('code=a'), undefined)).toBe('a');
    expect(presentedKey(new URLSearchParams(''), 'b')).toBe('b');
    // a header that is there but empty still wins (and matches no key)
    expect(presentedKey(new URLSearchParams('code=a'), '')).toBe('');
    expect(authorizeFunction(keys, 'function', 'x', presentedKey(new URLSearchParams('code=f'), ''))).toBe(false);
    expect(presentedKey(new URLSearchParams(''), undefined)).toBeUndefined();
    const filled = withSystemKeys({ masterKey: 'm', systemKeys: { eventgrid_extension: 'e' } }, [
      'eventgrid_extension',
      'durabletask_extension',
    ]);
    expect(filled.systemKeys?.eventgrid_extension).toBe('e');
    expect(filled.systemKeys?.durabletask_extension).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('FileStore', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const record = (instanceId: string, status: InstanceRecord['status']): InstanceRecord => ({
    version: 1,
    instanceId,
    name: 'o',
    executionId: 'e',
    status,
    inputJson: null,
    outputJson: null,
    customStatusJson: null,
    createdTime: '2024-01-01T00:00:00.000Z',
    lastUpdatedTime: '2024-01-01T00:00:00.000Z',
    history: [],
    inbox: [],
    activities: [],
    timers: [],
    outbox: [],
  });

  it('keeps the last write of each instance, removes leftovers of interrupted writes and reports unreadable files', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'store-'));
    const store = new FileStore(dir);
    await store.loadAll();
    await Promise.all([
      store.save(record('a/b:c', 'Pending')),
      store.save(record('a/b:c', 'Running')),
      store.save(record('x', 'Completed')),
    ]);
    await writeFile(path.join(dir, 'eA.json.tmp-1-1'), '{"half');
    await writeFile(path.join(dir, 'broken.json'), '{"version": 1');
    const { records, problems } = await new FileStore(dir).loadAll();
    expect(records.map((r) => [r.instanceId, r.status]).sort()).toEqual([
      ['a/b:c', 'Running'],
      ['x', 'Completed'],
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('broken.json');
    expect((await readdir(dir)).some((f) => f.includes('.tmp-'))).toBe(false);
    await store.remove('x');
    expect((await new FileStore(dir).loadAll()).records.map((r) => r.instanceId)).toEqual(['a/b:c']);
  });
});
