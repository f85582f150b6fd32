/**
 * Small helpers every benchmark scenario uses: waiting on a condition (never a fixed sleep), sampling the process's
 * memory, and rounding figures for the report.
 */
import { performance } from 'node:perf_hooks';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined; throws naming `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 30 * 60_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await sleep(options.intervalMs ?? 50);
  }
}

export interface MemoryPeak {
  /** Peak resident set size, MiB. */
  readonly rssMiB: number;
  /** Peak V8 heap in use, MiB. */
  readonly heapUsedMiB: number;
  readonly samples: number;
}

/** Samples `process.memoryUsage()` every `intervalMs` until stopped; reports the peaks. */
export function sampleMemory(intervalMs = 100): { stop(): MemoryPeak } {
  let rss = 0;
  let heap = 0;
  let samples = 0;
  const take = (): void => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
    samples += 1;
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      take();
      return { rssMiB: mib(rss), heapUsedMiB: mib(heap), samples };
    },
  };
}

function mib(bytes: number): number {
  return round(bytes / (1024 * 1024), 1);
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Wall-clock stopwatch in seconds. */
export function stopwatch(): () => number {
  const start = performance.now();
  return () => (performance.now() - start) / 1000;
}
