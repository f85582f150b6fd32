/**
 * The simulator's clock: simulated time runs `factor` times faster than wall time (0 pauses it), can be moved forward
 * by hand (`advance`), and drives a scheduler of tasks due at simulated instants.
 *
 * Tasks run in due order (ties in the order they were scheduled). A single wall-clock timer is armed for the earliest
 * task; it is re-armed whenever the factor changes. `runDue()` is also called at the start of every request, so state
 * read over HTTP never lags behind the simulated time even when a timer fires late.
 */

export interface ClockOptions {
  /** Simulated milliseconds per wall millisecond. 0 pauses simulated time. */
  readonly factor?: number;
  /** Simulated time at start (epoch ms). Defaults to the wall time at start. */
  readonly startAt?: number;
  /** Wall clock source (tests may replace it). */
  readonly wallNow?: () => number;
}

interface Task {
  readonly due: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

export interface ScheduledTask {
  cancel(): void;
}

export class SimClock {
  private factorValue: number;
  private anchorWall: number;
  private anchorSim: number;
  private readonly wallNow: () => number;
  private readonly queue: Task[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  /** Called with any error a task throws (the scheduler keeps going). */
  onTaskError: (error: unknown) => void = () => undefined;

  constructor(options: ClockOptions = {}) {
    this.wallNow = options.wallNow ?? Date.now;
    this.factorValue = validFactor(options.factor ?? 1);
    this.anchorWall = this.wallNow();
    this.anchorSim = options.startAt ?? this.anchorWall;
  }

  /** Simulated time, epoch milliseconds. */
  now(): number {
    return this.anchorSim + (this.wallNow() - this.anchorWall) * this.factorValue;
  }

  nowIso(): string {
    return new Date(Math.floor(this.now())).toISOString();
  }

  get factor(): number {
    return this.factorValue;
  }

  /** Changes the speed-up factor from now on (0 pauses). */
  setFactor(factor: number): void {
    const f = validFactor(factor);
    this.anchorSim = this.now();
    this.anchorWall = this.wallNow();
    this.factorValue = f;
    this.runDue();
    this.arm();
  }

  /** Moves simulated time forward by `ms` and runs every task that became due, in order. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance: ms must be a finite number >= 0, got ${ms}`);
    this.anchorSim += ms;
    this.runDue();
    this.arm();
  }

  /** Wall milliseconds until simulated time reaches `simDelayMs` from now (Infinity when paused). */
  wallDelay(simDelayMs: number): number {
    if (simDelayMs <= 0) return 0;
    if (this.factorValue === 0) return Number.POSITIVE_INFINITY;
    return simDelayMs / this.factorValue;
  }

  /** Runs `run` when simulated time reaches `now() + delayMs`. */
  schedule(delayMs: number, run: () => void): ScheduledTask {
    return this.scheduleAt(this.now() + Math.max(0, delayMs), run);
  }

  scheduleAt(due: number, run: () => void): ScheduledTask {
    const task: Task = { due, seq: this.seq++, run, cancelled: false };
    insertSorted(this.queue, task);
    this.arm();
    return {
      cancel: () => {
        task.cancelled = true;
      },
    };
  }

  /** Number of pending tasks. */
  get pending(): number {
    return this.queue.filter((t) => !t.cancelled).length;
  }

  /** Due time of the next pending task, if any. */
  nextDue(): number | undefined {
    return this.queue.find((t) => !t.cancelled)?.due;
  }

  /** Runs every task whose due time has passed. Re-entrant calls are ignored. */
  runDue(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      for (;;) {
        const head = this.queue[0];
        if (!head) break;
        if (head.cancelled) {
          this.queue.shift();
          continue;
        }
        if (head.due > this.now()) break;
        this.queue.shift();
        try {
          head.run();
        } catch (error) {
          this.onTaskError(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Stops the timer; pending tasks are dropped. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private arm(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.nextDue();
    if (next === undefined) return;
    const wall = this.wallDelay(next - this.now());
    if (!Number.isFinite(wall)) return;
    // setTimeout's maximum is 2^31-1 ms; longer waits re-arm on the way.
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.runDue();
        this.arm();
      },
      Math.min(Math.ceil(wall), 2_147_483_647),
    );
    this.timer.unref();
  }
}

function validFactor(factor: number): number {
  if (!Number.isFinite(factor) || factor < 0) {
    throw new RangeError(`time factor must be a finite number >= 0, got ${factor}`);
  }
  return factor;
}

function insertSorted(queue: Task[], task: Task): void {
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const other = queue[mid];
    if (other && (other.due < task.due || (other.due === task.due && other.seq < task.seq))) lo = mid + 1;
    else hi = mid;
  }
  queue.splice(lo, 0, task);
}
