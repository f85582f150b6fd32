/**
 * `host`: throughput of the local Functions host itself, with a bench app whose activities do nothing
 * (`bench/host-app`, fleetmesh's durable concurrency: 10 activities and 5 orchestrator episodes at a time):
 *
 * - activities per second: one orchestration fanning out `activities` activities (Task.all), start to Completed;
 * - orchestrations per second: `orchestrations` one-activity orchestrations started at once through the durable HTTP
 *   API, first start to the last Completed.
 *
 * `store: files` keeps instances in a data directory (one fsync'd file per instance write, what crash safety costs);
 * `memory` is what the sandbox and the other scenarios use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { startHost } from '../../local/host/index.js';
import { projectRoot } from '../../local/sandbox/sandbox.js';
import { createLogger } from '../../shared/log.js';
import { round, sampleMemory, stopwatch, waitUntil, type MemoryPeak } from '../lib/util.js';

export interface HostOptions {
  readonly activities: number;
  readonly orchestrations: number;
  readonly store: 'memory' | 'files';
}

export interface HostResult {
  readonly store: 'memory' | 'files';
  readonly activities: number;
  readonly activitySeconds: number;
  readonly activitiesPerSecond: number;
  readonly orchestrations: number;
  readonly orchestrationSeconds: number;
  readonly orchestrationsPerSecond: number;
  readonly largestHistory: number;
  readonly memory: MemoryPeak;
}

export async function runHostThroughput(o: HostOptions): Promise<HostResult> {
  const memory = sampleMemory();
  const dataDir = o.store === 'files' ? mkdtempSync(path.join(tmpdir(), 'fleetmesh-bench-host-')) : undefined;
  const host = await startHost({
    appDir: path.join(projectRoot(), 'bench', 'host-app'),
    port: 0,
    ...(dataDir ? { dataDir } : {}),
    logger: createLogger({ minLevel: 'error', sink: () => undefined }),
  });
  const durable = `${host.url}/runtime/webhooks/durabletask`;
  const start = async (name: string, id: string, input: unknown): Promise<void> => {
    const r = await fetch(`${durable}/orchestrators/${name}/${id}`, { method: 'POST', body: JSON.stringify(input) });
    await r.arrayBuffer();
    if (r.status !== 202) throw new Error(`starting ${name} answered ${r.status}`);
  };
  const completed = (prefix: string): number =>
    host.durableHistoryStats().filter((s) => s.instanceId.startsWith(prefix) && s.runtimeStatus === 'Completed').length;
  const failed = (prefix: string): number =>
    host.durableHistoryStats().filter((s) => s.instanceId.startsWith(prefix) && s.runtimeStatus === 'Failed').length;
  try {
    // Activities per second: one fan-out.
    let clock = stopwatch();
    await start('fanOut', 'fan-1', { count: o.activities });
    await waitUntil('the fan-out to complete', () => {
      if (failed('fan-') > 0) throw new Error('the fan-out failed');
      return completed('fan-') === 1 ? true : undefined;
    });
    const activitySeconds = clock();

    // Orchestrations per second: many small ones.
    clock = stopwatch();
    const limit = pLimit(16);
    await Promise.all(Array.from({ length: o.orchestrations }, (_, i) => limit(() => start('single', `one-${i}`, i))));
    await waitUntil('every orchestration to complete', () => {
      if (failed('one-') > 0) throw new Error('an orchestration failed');
      return completed('one-') === o.orchestrations ? true : undefined;
    });
    const orchestrationSeconds = clock();
    const largestHistory = Math.max(...host.durableHistoryStats().map((s) => s.peakHistoryEvents));
    return {
      store: o.store,
      activities: o.activities,
      activitySeconds: round(activitySeconds),
      activitiesPerSecond: round(o.activities / activitySeconds, 1),
      orchestrations: o.orchestrations,
      orchestrationSeconds: round(orchestrationSeconds),
      orchestrationsPerSecond: round(o.orchestrations / orchestrationSeconds, 1),
      largestHistory,
      memory: memory.stop(),
    };
  } finally {
    await host.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
