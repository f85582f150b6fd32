/**
 * Client-side pacing of ARM requests, so a large fan-out (255 Traffic Manager endpoint PUTs, a mesh of 255 members)
 * stays inside ARM's throttling limits instead of drawing 429s.
 *
 * ARM throttles with a token bucket per subscription, principal and request class (reference §8): reads 250 refilling
 * 25/s, writes 200 refilling 10/s, deletes 200 refilling 10/s. The pacer keeps one bucket per class with the same
 * numbers, takes a token before every attempt (retries and LRO polls included, as ARM counts them), and caps the
 * number of writes in flight. When ARM reports fewer remaining requests than the local bucket holds
 * (`x-ms-ratelimit-remaining-subscription-{reads|writes|deletes}`: other processes share the principal's bucket), the
 * local bucket is lowered to match, so the process slows down before ARM answers 429.
 *
 * `TokenBucket` is pure arithmetic over an explicit clock (unit-tested); `RequestPacer` adds the waiting.
 * Concurrency is `p-limit`.
 */
import pLimit, { type LimitFunction } from 'p-limit';

export type RequestClass = 'reads' | 'writes' | 'deletes';

export interface BucketLimits {
  /** Burst: tokens when full. */
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** ARM's regional limits per subscription and principal (reference §8). */
export const ARM_LIMITS: Readonly<Record<RequestClass, BucketLimits>> = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
};

/** ARM counts GET and HEAD as reads, DELETE as deletes, everything else (PUT, PATCH, POST actions) as writes. */
export function requestClassOf(method: string): RequestClass {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  if (m === 'DELETE') return 'deletes';
  return 'writes';
}

/** The ARM response header that reports what is left of the bucket of `cls`. */
export function remainingHeaderOf(cls: RequestClass): string {
  return `x-ms-ratelimit-remaining-subscription-${cls}`;
}

/** A token bucket over an explicit clock (milliseconds). Starts full. */
export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  private tokens: number;
  private updatedAt: number;

  constructor(limits: BucketLimits, now: number) {
    if (!(limits.capacity >= 1) || !(limits.refillPerSecond > 0)) {
      throw new RangeError(`token bucket needs capacity >= 1 and refill > 0, got ${JSON.stringify(limits)}`);
    }
    this.capacity = limits.capacity;
    this.refillPerSecond = limits.refillPerSecond;
    this.tokens = limits.capacity;
    this.updatedAt = now;
  }

  /** Tokens available at `now` (fractional while refilling). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Takes one token if one is available. */
  tryTake(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0 when one is). */
  msUntilToken(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000);
  }

  /** Lowers the content to at most `max` tokens (never raises it): the server knows better. */
  clamp(max: number, now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.tokens, Math.max(0, max));
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.refillPerSecond);
      this.updatedAt = now;
    }
  }
}

export interface PacerOptions {
  readonly limits?: Readonly<Record<RequestClass, BucketLimits>>;
  /** Writes and deletes in flight at once. */
  readonly maxConcurrentWrites: number;
  readonly now?: () => number;
}

export interface PacerClassStats {
  /** Attempts that had to wait for a token. */
  readonly delayed: number;
  readonly inFlight: number;
  readonly queued: number;
  /** Times a remaining-requests header lowered the bucket. */
  readonly clamped: number;
}

/** Buckets per request class, a FIFO of waiters per bucket, and a concurrency cap on writes and deletes. */
export class RequestPacer {
  private readonly now: () => number;
  private readonly buckets: Record<RequestClass, TokenBucket>;
  private readonly queues: Record<RequestClass, (() => void)[]> = { reads: [], writes: [], deletes: [] };
  private readonly timers: Record<RequestClass, NodeJS.Timeout | undefined> = {
    reads: undefined,
    writes: undefined,
    deletes: undefined,
  };
  private readonly inFlight: Record<RequestClass, number> = { reads: 0, writes: 0, deletes: 0 };
  private readonly delayed: Record<RequestClass, number> = { reads: 0, writes: 0, deletes: 0 };
  private readonly clamped: Record<RequestClass, number> = { reads: 0, writes: 0, deletes: 0 };
  private readonly writeLimit: LimitFunction;

  constructor(options: PacerOptions) {
    this.now = options.now ?? (() => Date.now());
    const limits = options.limits ?? ARM_LIMITS;
    const t = this.now();
    this.buckets = {
      reads: new TokenBucket(limits.reads, t),
      writes: new TokenBucket(limits.writes, t),
      deletes: new TokenBucket(limits.deletes, t),
    };
    this.writeLimit = pLimit(options.maxConcurrentWrites);
  }

  get maxConcurrentWrites(): number {
    return this.writeLimit.concurrency;
  }

  /** Lowers the write concurrency cap (never raises it: several gateway sets may share one pacer). */
  lowerConcurrency(max: number): void {
    if (max < this.writeLimit.concurrency) this.writeLimit.concurrency = max;
  }

  /** Runs one attempt of a request of class `cls` once a token (and, for writes, a slot) is free. */
  run<T>(cls: RequestClass, send: () => Promise<T>): Promise<T> {
    const attempt = async (): Promise<T> => {
      await this.acquire(cls);
      this.inFlight[cls] += 1;
      try {
        return await send();
      } finally {
        this.inFlight[cls] -= 1;
      }
    };
    return cls === 'reads' ? attempt() : this.writeLimit(attempt);
  }

  /**
   * Feeds back what ARM reported as remaining for `cls`, from inside `run` (the reporting request still counts as in
   * flight). Other requests in flight may not be reflected in that number yet, so they are taken off it.
   */
  observe(cls: RequestClass, remaining: number | undefined): void {
    if (remaining === undefined || !Number.isFinite(remaining)) return;
    const others = Math.max(0, this.inFlight[cls] - 1);
    const limit = remaining - others;
    const bucket = this.buckets[cls];
    const now = this.now();
    if (limit < bucket.available(now)) {
      bucket.clamp(limit, now);
      this.clamped[cls] += 1;
    }
  }

  stats(): Readonly<Record<RequestClass, PacerClassStats>> {
    const of = (cls: RequestClass): PacerClassStats => ({
      delayed: this.delayed[cls],
      inFlight: this.inFlight[cls],
      queued: this.queues[cls].length,
      clamped: this.clamped[cls],
    });
    return { reads: of('reads'), writes: of('writes'), deletes: of('deletes') };
  }

  private acquire(cls: RequestClass): Promise<void> {
    const queue = this.queues[cls];
    if (queue.length === 0 && this.buckets[cls].tryTake(this.now())) return Promise.resolve();
    this.delayed[cls] += 1;
    return new Promise<void>((resolve) => {
      queue.push(resolve);
      this.schedule(cls);
    });
  }

  private schedule(cls: RequestClass): void {
    if (this.timers[cls] !== undefined) return;
    const wait = this.buckets[cls].msUntilToken(this.now());
    this.timers[cls] = setTimeout(() => {
      this.timers[cls] = undefined;
      this.drain(cls);
    }, wait);
  }

  private drain(cls: RequestClass): void {
    const queue = this.queues[cls];
    while (queue.length > 0 && this.buckets[cls].tryTake(this.now())) queue.shift()?.();
    if (queue.length > 0) this.schedule(cls);
  }
}

const shared = new Map<string, RequestPacer>();

/**
 * The pacer of the ARM endpoint `endpoint` for this process: every gateway set built for that endpoint shares it, so
 * all writes of the process draw from one bucket and one concurrency cap (the smallest cap asked for).
 */
export function sharedPacer(endpoint: string, maxConcurrentWrites: number): RequestPacer {
  const key = endpoint.replace(/\/+$/, '').toLowerCase();
  const existing = shared.get(key);
  if (existing) {
    existing.lowerConcurrency(maxConcurrentWrites);
    return existing;
  }
  const pacer = new RequestPacer({ maxConcurrentWrites });
  shared.set(key, pacer);
  return pacer;
}

/**
 * Traffic Manager's own control-plane limits, on top of ARM's (MicrosoftDocs azure-docs
 * `includes/traffic-manager-limits.md`, "Default throttling limits"): per subscription, whoever calls, given per
 * minute and "typically" enforced over a 20-second interval, 429 with `retry-after` past them. 200 endpoint writes
 * (a profile's maximum) fit ARM's write bucket at once but not Traffic Manager's 300 a minute counted over 20 s.
 */
export const TRAFFIC_MANAGER_LIMITS_PER_MINUTE = {
  profileWrites: 600,
  profileReads: 450,
  profileDeletes: 150,
  endpointWrites: 300,
  endpointReads: 1500,
} as const;
export type TrafficManagerGroup = keyof typeof TRAFFIC_MANAGER_LIMITS_PER_MINUTE;
/** The interval Traffic Manager counts its limits over. */
export const TRAFFIC_MANAGER_WINDOW_MS = 20_000;

const TRAFFIC_MANAGER_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/[^/]+\/providers\/microsoft\.network\/trafficmanagerprofiles(?:\/[^/]+(\/(?:azure|external|nested)endpoints\/[^/]+)?)?\/?$/i;

/**
 * The Traffic Manager limit a request counts against, with the subscription it is counted in; undefined for every
 * other request.
 */
export function trafficManagerGroupOf(
  method: string,
  url: string,
): { readonly subscriptionId: string; readonly group: TrafficManagerGroup } | undefined {
  if (!/trafficmanagerprofiles/i.test(url)) return undefined; // every other ARM request, without parsing its URL
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const match = TRAFFIC_MANAGER_PATH.exec(path);
  const subscriptionId = match?.[1];
  if (!match || subscriptionId === undefined) return undefined;
  const cls = requestClassOf(method);
  const isEndpoint = match[2] !== undefined;
  const group: TrafficManagerGroup = isEndpoint
    ? cls === 'reads'
      ? 'endpointReads'
      : 'endpointWrites'
    : cls === 'reads'
      ? 'profileReads'
      : cls === 'deletes'
        ? 'profileDeletes'
        : 'profileWrites';
  return { subscriptionId: subscriptionId.toLowerCase(), group };
}

/**
 * A sliding-window log: at most `limit` passes within any `windowMs`. A pass waits until the oldest of the last
 * `limit` passes is `windowMs` (plus `marginMs`, for the clock and network skew between this process and the
 * service) behind it. Waiters pass in arrival order.
 *
 * Hand-written rather than `p-throttle`: its strict mode spreads the calls after the first burst evenly over the
 * window (one every `windowMs / limit`), which doubles the time 200 Traffic Manager endpoint writes take (about 40 s
 * instead of 20 s, measured on the simulator); a log lets the second hundred go as soon as the first leaves the window.
 */
export class SlidingWindowGate {
  private readonly passes: number[] = [];
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly marginMs = 0,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit >= 1) || !(windowMs > 0)) throw new RangeError(`sliding window needs limit >= 1 and a window > 0`);
  }

  /** Resolves when one more call may go. */
  pass(): Promise<void> {
    const turn = this.tail.then(() => this.wait());
    this.tail = turn;
    return turn;
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.passes.length >= this.limit && (this.passes[0] ?? now) + this.windowMs + this.marginMs <= now) {
        this.passes.shift();
      }
      if (this.passes.length < this.limit) {
        this.passes.push(now);
        return;
      }
      const oldest = this.passes[0] ?? now;
      await new Promise((resolve) => setTimeout(resolve, oldest + this.windowMs + this.marginMs - now));
    }
  }
}

/**
 * Keeps this process inside Traffic Manager's limits: one sliding window per subscription and group. The limits are
 * per subscription, so other callers share them: the gates keep this process inside them, not the subscription (a
 * 429 that still comes is retried after its `Retry-After`, as every 429 is).
 */
export class ProviderGates {
  private readonly gates = new Map<string, SlidingWindowGate>();

  constructor(
    private readonly limitsPerMinute: Readonly<Record<TrafficManagerGroup, number>> = TRAFFIC_MANAGER_LIMITS_PER_MINUTE,
    private readonly windowMs: number = TRAFFIC_MANAGER_WINDOW_MS,
    private readonly marginMs = 250,
  ) {}

  /** Resolves when a request of `group` in `subscriptionId` may be sent. */
  async pass(subscriptionId: string, group: TrafficManagerGroup): Promise<void> {
    const key = `${subscriptionId}|${group}`;
    let gate = this.gates.get(key);
    if (!gate) {
      const limit = Math.max(1, Math.floor((this.limitsPerMinute[group] * this.windowMs) / 60_000));
      gate = new SlidingWindowGate(limit, this.windowMs, this.marginMs);
      this.gates.set(key, gate);
    }
    await gate.pass();
  }
}

const sharedGates = new Map<string, ProviderGates>();

/** This process's Traffic Manager gates for the ARM endpoint `endpoint` (shared as `sharedPacer` is). */
export function sharedProviderGates(endpoint: string): ProviderGates {
  const key = endpoint.replace(/\/+$/, '').toLowerCase();
  let gates = sharedGates.get(key);
  if (!gates) {
    gates = new ProviderGates();
    sharedGates.set(key, gates);
  }
  return gates;
}
