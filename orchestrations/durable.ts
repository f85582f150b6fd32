/**
 * Small, deterministic helpers for the orchestrators: typed activity calls that validate what comes back and total
 * the ARM calls, durable sleeps, and the failure type orchestrators throw and catch among themselves.
 *
 * Activities never throw for a permanent failure (validation, 4xx other than throttling): they return it as a value
 * (`failure`), so the durable retry policy, which cannot tell error kinds apart, only ever retries transient ones.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import { z } from 'zod';
import type { ActivityName } from './names.js';

export type Step<T> = Generator<Task, T, unknown>;

const TotalsSchema = z.object({
  reads: z.int().min(0),
  writes: z.int().min(0),
  throttled: z.int().min(0),
  errors: z.int().min(0),
});
export type Totals = z.output<typeof TotalsSchema>;

export const ActivityEnvelopeSchema = z.object({
  value: z.unknown(),
  arm: TotalsSchema,
  failure: z.object({ code: z.string(), message: z.string(), status: z.int() }).optional(),
});

/** ARM calls made on an orchestration's behalf (its own activities plus what its children report). */
export class ArmTally {
  reads = 0;
  writes = 0;
  throttled = 0;
  errors = 0;

  constructor(start?: Totals) {
    if (start) this.add(start);
  }

  add(t: Totals): void {
    this.reads += t.reads;
    this.writes += t.writes;
    this.throttled += t.throttled;
    this.errors += t.errors;
  }

  totals(): Totals {
    return { reads: this.reads, writes: this.writes, throttled: this.throttled, errors: this.errors };
  }
}

/** A failure an orchestrator reports as an operation outcome (code + message), not a crash. */
export class OrchestrationFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'OrchestrationFailure';
    this.code = code;
  }
}

/** Transient failures (ARM 429/5xx past the pipeline's own retries, Cosmos conflicts) are retried by the runtime. */
export function activityRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(2000, 4);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 30_000;
  return retry;
}

/** Calls an activity (with retry for transient failures), totals its ARM calls, and validates its value. */
export function* callActivity<S extends z.ZodType>(
  ctx: OrchestrationContext,
  name: ActivityName,
  input: unknown,
  schema: S,
  tally: ArmTally,
): Step<z.output<S>> {
  let raw: unknown;
  try {
    raw = yield ctx.df.callActivityWithRetry(name, activityRetry(), input);
  } catch (e) {
    throw new OrchestrationFailure('ActivityFailed', `activity ${name} failed: ${messageOf(e)}`);
  }
  const envelope = ActivityEnvelopeSchema.parse(raw);
  tally.add(envelope.arm);
  if (envelope.failure) throw new OrchestrationFailure(envelope.failure.code, envelope.failure.message);
  return schema.parse(envelope.value);
}

/** Waits on a durable timer (never the wall clock). */
export function* sleep(ctx: OrchestrationContext, ms: number): Step<void> {
  yield ctx.df.createTimer(after(ctx, ms));
}

export function now(ctx: OrchestrationContext): Date {
  return ctx.df.currentUtcDateTime;
}

export function after(ctx: OrchestrationContext, ms: number): Date {
  return new Date(ctx.df.currentUtcDateTime.getTime() + Math.max(0, Math.round(ms)));
}

export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function codeOf(e: unknown): string {
  return e instanceof OrchestrationFailure ? e.code : 'OrchestrationError';
}
