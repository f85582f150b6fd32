/**
 * Which gateway operation an HTTP request belongs to, and the counters of ARM calls.
 *
 * Every gateway method runs inside `withOperation(name, ...)`; the pipeline policy (./pipeline.ts) reads the name from
 * the async context for each attempt it sees. `track(fn)` adds a tally to the async context, so calls made inside
 * `fn` (and only those, even with other activities running concurrently in the process) are counted into it too.
 *
 * What is counted, per operation name:
 * - `reads` / `writes`: HTTP attempts sent (GET/HEAD are reads; PUT, PATCH, POST and DELETE are writes), including
 *   retries and long-running-operation polls, as ARM's throttling counts them;
 * - `throttled`: attempts answered 429 (each one, also when the pipeline retried it);
 * - `errors`: gateway calls that failed with an error (an expected answer, such as a 404 read as "absent" or
 *   `RoleAssignmentExists` read as "already there", is not an error).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ArmCallCounters, ArmCallTotals } from './gateways.js';

export type Field = keyof ArmCallTotals;

interface MutableTotals {
  reads: number;
  writes: number;
  throttled: number;
  errors: number;
}

/** A response seen by the pipeline policy, kept when the caller asked for them (long-running-operation polls). */
export interface SeenResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyAsText: string | undefined;
}

/** One gateway call as the pipeline policy sees it. */
export interface ActiveCall {
  readonly operation: string;
  count(field: Field): void;
  /** Keeps a response, if the call asked for them. */
  see(response: SeenResponse): void;
}

interface CallContext {
  readonly operation: string | undefined;
  readonly tallies: readonly MutableTotals[];
  readonly responses: SeenResponse[] | undefined;
}

const zero = (): MutableTotals => ({ reads: 0, writes: 0, throttled: 0, errors: 0 });

export class ArmCallRecorder implements ArmCallCounters {
  private readonly storage = new AsyncLocalStorage<CallContext>();
  private totals = new Map<string, MutableTotals>();

  snapshot(): Readonly<Record<string, ArmCallTotals>> {
    const out: Record<string, ArmCallTotals> = {};
    for (const [name, t] of [...this.totals.entries()].sort(([a], [b]) => a.localeCompare(b))) out[name] = { ...t };
    return out;
  }

  reset(): void {
    this.totals = new Map();
  }

  async track<T>(fn: () => Promise<T>): Promise<{ value: T; calls: ArmCallTotals }> {
    const tally = zero();
    const current = this.storage.getStore();
    const value = await this.storage.run(
      { operation: current?.operation, tallies: [...(current?.tallies ?? []), tally], responses: current?.responses },
      fn,
    );
    return { value, calls: { ...tally } };
  }

  /** Runs `fn` as gateway operation `operation`; with `responses`, the policy appends each response it sees. */
  withOperation<T>(operation: string, fn: () => Promise<T>, responses?: SeenResponse[]): Promise<T> {
    const current = this.storage.getStore();
    return this.storage.run({ operation, tallies: current?.tallies ?? [], responses }, fn);
  }

  /**
   * The current call, captured once by the pipeline policy at the start of a request (so counting does not depend
   * on how the context travels through the pacer's queues).
   */
  currentCall(): ActiveCall {
    const store = this.storage.getStore();
    return {
      operation: store?.operation ?? 'unattributed',
      count: (field) => {
        this.add(store?.operation ?? 'unattributed', field, store?.tallies ?? []);
      },
      see: (response) => store?.responses?.push(response),
    };
  }

  /** Counts one `field` for `operation`, globally and in every tally of the current async context. */
  count(operation: string, field: Field): void {
    this.add(operation, field, this.storage.getStore()?.tallies ?? []);
  }

  private add(operation: string, field: Field, tallies: readonly MutableTotals[]): void {
    let totals = this.totals.get(operation);
    if (!totals) {
      totals = zero();
      this.totals.set(operation, totals);
    }
    totals[field] += 1;
    for (const tally of tallies) tally[field] += 1;
  }
}
