import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cachedProfileList } from '../../../../shared/events/profileList.js';

describe('cachedProfileList: one ARM read shared by the events of a burst', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A reader that counts its calls and answers `['demo', 'other']` (or fails, when told to). */
  function reader(fail = false) {
    const calls = { count: 0 };
    const read = async (): Promise<readonly string[]> => {
      calls.count += 1;
      await Promise.resolve();
      if (fail) throw new Error('429 throttled');
      return ['demo', 'other'];
    };
    return { calls, read };
  }

  it('reads once for many events inside the period, again after it', async () => {
    const { calls, read } = reader();
    const list = cachedProfileList(read, 60_000);
    for (let i = 0; i < 50; i++) expect(await list()).toEqual(['demo', 'other']);
    expect(calls.count).toBe(1);
    vi.advanceTimersByTime(59_000);
    await list();
    expect(calls.count).toBe(1);
    vi.advanceTimersByTime(2_000);
    await list();
    expect(calls.count).toBe(2);
  });

  it('concurrent events share one read', async () => {
    const { calls, read } = reader();
    const list = cachedProfileList(read, 60_000);
    await Promise.all(Array.from({ length: 20 }, () => list()));
    expect(calls.count).toBe(1);
  });

  it('0 keeps nothing: every event reads (concurrent ones still share a read)', async () => {
    const { calls, read } = reader();
    const list = cachedProfileList(read, 0);
    await list();
    await list();
    expect(calls.count).toBe(2);
    await Promise.all([list(), list(), list()]);
    expect(calls.count).toBe(3);
  });

  it('a failed read is not kept: the next event reads again', async () => {
    const failing = reader(true);
    const list = cachedProfileList(failing.read, 60_000);
    await expect(list()).rejects.toThrow('429 throttled');
    await expect(list()).rejects.toThrow('429 throttled');
    expect(failing.calls.count).toBe(2);
  });
});
