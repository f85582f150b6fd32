/**
 * The largest durable orchestration history, from the local host's read-only `durableHistoryStats()`: raw history
 * events (every OrchestratorStarted/Completed, TaskScheduled/Completed, TimerCreated/Fired, EventRaised, ...) of the
 * biggest execution any instance reached, and the largest per orchestrator.
 */
import type { InstanceHistoryStats } from '../../local/host/index.js';

export interface HistorySummary {
  readonly instances: number;
  readonly largest: { readonly instanceId: string; readonly name: string; readonly events: number } | null;
  /** Largest peak per orchestrator name. */
  readonly byOrchestrator: Record<string, number>;
}

export function historySummary(stats: readonly InstanceHistoryStats[]): HistorySummary {
  let largest: HistorySummary['largest'] = null;
  const byOrchestrator: Record<string, number> = {};
  for (const s of stats) {
    byOrchestrator[s.name] = Math.max(byOrchestrator[s.name] ?? 0, s.peakHistoryEvents);
    if (!largest || s.peakHistoryEvents > largest.events) {
      largest = { instanceId: s.instanceId, name: s.name, events: s.peakHistoryEvents };
    }
  }
  return { instances: stats.length, largest, byOrchestrator };
}
