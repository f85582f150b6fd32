/**
 * ARM's regional token-bucket throttling (reference §8): one bucket per subscription, principal and operation type.
 * Defaults: reads 250 refilling 25/s, writes 200 refilling 10/s, deletes 200 refilling 10/s. POST actions count as
 * writes. Refill follows WALL time, not simulated time: clients wait out `Retry-After` in real seconds, so the limits
 * keep their real meaning whatever the time factor (docs/simulator.md, "Throttling").
 */

export type BucketKind = 'reads' | 'writes' | 'deletes';

export interface BucketLimit {
  readonly size: number;
  readonly refillPerSecond: number;
}

export interface ThrottlingSettings {
  readonly enabled: boolean;
  /** Traffic Manager's own per-subscription limits on top of ARM's (TRAFFIC_MANAGER_LIMITS_PER_MINUTE). */
  readonly trafficManager: boolean;
  readonly reads: BucketLimit;
  readonly writes: BucketLimit;
  readonly deletes: BucketLimit;
}

export const DEFAULT_THROTTLING: ThrottlingSettings = {
  enabled: true,
  trafficManager: true,
  reads: { size: 250, refillPerSecond: 25 },
  writes: { size: 200, refillPerSecond: 10 },
  deletes: { size: 200, refillPerSecond: 10 },
};

interface Bucket {
  tokens: number;
  at: number;
}

export type ThrottleDecision =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly remaining: 0; readonly retryAfterSeconds: number };

export class Throttler {
  private settings: ThrottlingSettings;
  private readonly buckets = new Map<string, Bucket>();
  private readonly wallNow: () => number;

  constructor(settings: ThrottlingSettings = DEFAULT_THROTTLING, wallNow: () => number = Date.now) {
    this.settings = settings;
    this.wallNow = wallNow;
  }

  get current(): ThrottlingSettings {
    return this.settings;
  }

  configure(settings: ThrottlingSettings): void {
    this.settings = settings;
    this.buckets.clear();
  }

  reset(): void {
    this.buckets.clear();
  }

  /** Takes one token for the call; when throttling is off, always allows and reports a full bucket. */
  take(subscriptionId: string, principalId: string, kind: BucketKind): ThrottleDecision {
    const limit = this.settings[kind];
    if (!this.settings.enabled) return { allowed: true, remaining: limit.size };
    const id = `${subscriptionId.toLowerCase()}|${principalId.toLowerCase()}|${kind}`;
    const now = this.wallNow();
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = { tokens: limit.size, at: now };
      this.buckets.set(id, bucket);
    } else {
      const refill = ((now - bucket.at) / 1000) * limit.refillPerSecond;
      bucket.tokens = Math.min(limit.size, bucket.tokens + refill);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    const missing = 1 - bucket.tokens;
    const retryAfterSeconds = limit.refillPerSecond > 0 ? Math.max(1, Math.ceil(missing / limit.refillPerSecond)) : 60;
    return { allowed: false, remaining: 0, retryAfterSeconds };
  }
}

/**
 * Traffic Manager's own control-plane throttle, applied after ARM's (MicrosoftDocs azure-docs
 * `includes/traffic-manager-limits.md`, "Default throttling limits", 2025-05-05): per subscription (every principal
 * counted together), per operation, limits given per minute and "typically" enforced over a 20-second interval, 429
 * with `retry-after` when exceeded. Modelled as a sliding 20 s window holding a third of the per-minute limit.
 * The app's gate (shared/azure/pacing.ts) holds its own copy of these figures on purpose, as ARM's buckets are kept
 * apart from ARM_LIMITS: the simulator stands for Azure, so a wrong figure in the client shows as 429s here instead of
 * agreeing with itself.
 */
export const TRAFFIC_MANAGER_LIMITS_PER_MINUTE = {
  profileWrites: 600,
  profileReads: 450,
  profileDeletes: 150,
  endpointWrites: 300,
  endpointReads: 1500,
} as const;
export type TrafficManagerGroup = keyof typeof TRAFFIC_MANAGER_LIMITS_PER_MINUTE;
export const TRAFFIC_MANAGER_WINDOW_SECONDS = 20;

/** The throttling group of a simulator operation id, or undefined when Traffic Manager does not throttle it. */
export function trafficManagerGroupOf(operation: string): TrafficManagerGroup | undefined {
  switch (operation) {
    case 'trafficManagerProfiles.createOrUpdate':
    case 'trafficManagerProfiles.update':
      return 'profileWrites';
    case 'trafficManagerProfiles.get':
    case 'trafficManagerProfiles.list':
      return 'profileReads';
    case 'trafficManagerProfiles.delete':
      return 'profileDeletes';
    case 'trafficManagerEndpoints.createOrUpdate':
    case 'trafficManagerEndpoints.update':
    case 'trafficManagerEndpoints.delete':
      return 'endpointWrites';
    case 'trafficManagerEndpoints.get':
      return 'endpointReads';
    default:
      return undefined;
  }
}

export type WindowDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** Sliding-window counters per key over wall time: at most `limit` calls within any `windowMs`. */
export class SlidingWindowThrottler {
  private readonly calls = new Map<string, number[]>();
  private readonly wallNow: () => number;

  constructor(wallNow: () => number = Date.now) {
    this.wallNow = wallNow;
  }

  reset(): void {
    this.calls.clear();
  }

  take(key: string, limit: number, windowMs: number): WindowDecision {
    const now = this.wallNow();
    const kept = (this.calls.get(key) ?? []).filter((t) => t > now - windowMs);
    if (kept.length >= limit) {
      this.calls.set(key, kept);
      const oldest = kept[0] ?? now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)) };
    }
    kept.push(now);
    this.calls.set(key, kept);
    return { allowed: true };
  }
}
