/** Drives a `poll*` method the way an orchestration does: one poll at a time, a short wait in between. */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { LroPoll, LroState } from '../../../../shared/azure/index.js';

const LroStateSchema = z.object({
  kind: z.enum(['meshApply', 'meshDelete', 'clusterReconcile', 'memberLabels']),
  resourceId: z.string(),
  state: z.string(),
});

/** The state after a trip through JSON, as durable history stores it. */
export function throughJson(state: LroState): LroState {
  return LroStateSchema.parse(JSON.parse(JSON.stringify(state)));
}

export interface PollRun<T> {
  readonly final: Exclude<LroPoll<T>, { status: 'running' }>;
  readonly running: Extract<LroPoll<T>, { status: 'running' }>[];
}

export async function pollToEnd<T>(
  first: LroState,
  poll: (state: LroState) => Promise<LroPoll<T>>,
  maxPolls = 2_000,
): Promise<PollRun<T>> {
  const running: Extract<LroPoll<T>, { status: 'running' }>[] = [];
  let state = first;
  for (let i = 0; i < maxPolls; i += 1) {
    const step = await poll(throughJson(state));
    if (step.status !== 'running') return { final: step, running };
    running.push(step);
    state = step.next;
    await sleep(10);
  }
  throw new Error(`operation on ${first.resourceId} still running after ${maxPolls} polls`);
}
