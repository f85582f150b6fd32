import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ArmCallRecorder } from '../../../../shared/azure/callContext.js';

/** What the pipeline policy does for one attempt. */
async function attempt(recorder: ArmCallRecorder, field: 'reads' | 'writes' | 'throttled'): Promise<void> {
  const call = recorder.currentCall();
  await sleep(1);
  call.count(field);
}

describe('ArmCallRecorder', () => {
  it('counts per operation and tells concurrent track scopes apart', async () => {
    const r = new ArmCallRecorder();
    const [a, b] = await Promise.all([
      r.track(async () => {
        await r.withOperation('fleetMembers.list', async () => {
          await attempt(r, 'reads');
          await attempt(r, 'reads');
        });
        return 'a';
      }),
      r.track(async () => {
        await r.withOperation('clusterMeshProfiles.apply', async () => {
          await Promise.all([attempt(r, 'writes'), attempt(r, 'throttled'), attempt(r, 'reads')]);
        });
        return 'b';
      }),
    ]);
    expect(a).toEqual({ value: 'a', calls: { reads: 2, writes: 0, throttled: 0, errors: 0 } });
    expect(b).toEqual({ value: 'b', calls: { reads: 1, writes: 1, throttled: 1, errors: 0 } });
    expect(r.snapshot()).toEqual({
      'clusterMeshProfiles.apply': { reads: 1, writes: 1, throttled: 1, errors: 0 },
      'fleetMembers.list': { reads: 2, writes: 0, throttled: 0, errors: 0 },
    });
  });

  it('nests: an inner scope counts into the outer one too; an inner operation takes over the name', async () => {
    const r = new ArmCallRecorder();
    const outer = await r.track(async () => {
      await r.withOperation('outer', () => attempt(r, 'reads'));
      const inner = await r.track(() => r.withOperation('inner', () => attempt(r, 'writes')));
      r.count('outer', 'errors');
      return inner.calls;
    });
    expect(outer.value).toEqual({ reads: 0, writes: 1, throttled: 0, errors: 0 });
    expect(outer.calls).toEqual({ reads: 1, writes: 1, throttled: 0, errors: 1 });
    expect(Object.keys(r.snapshot())).toEqual(['inner', 'outer']);
  });

  it('attributes calls outside any operation to "unattributed", keeps responses on request, and resets', async () => {
    const r = new ArmCallRecorder();
    await attempt(r, 'reads');
    const seen: { status: number; headers: Record<string, string>; bodyAsText: string | undefined }[] = [];
    await r.withOperation(
      'x',
      () => {
        r.currentCall().see({ status: 202, headers: { 'retry-after': '1' }, bodyAsText: undefined });
        return Promise.resolve();
      },
      seen,
    );
    expect(seen).toEqual([{ status: 202, headers: { 'retry-after': '1' }, bodyAsText: undefined }]);
    expect(r.snapshot()['unattributed']).toEqual({ reads: 1, writes: 0, throttled: 0, errors: 0 });
    const snap = r.snapshot();
    r.reset();
    expect(r.snapshot()).toEqual({});
    expect(Object.keys(snap)).toEqual(['unattributed']);
  });
});
