/**
 * Run-time settings of the simulator: paging, durations (simulated milliseconds), time factor, throttling, role
 * enforcement, event delivery. A scenario may set them; `startSimulator` options and the control API override them.
 */
import { z } from 'zod';
import { DEFAULT_THROTTLING } from './throttle.js';

const ms = z.number().min(0).max(86_400_000);

export const TimingSchema = z
  .object({
    /** From apply until members start connecting. */
    applyMs: ms.default(5_000),
    /** From the start of connecting until a member is Connected or Failed. */
    connectMs: ms.default(20_000),
    /** From apply until a removed member's meshProperties disappear. */
    disconnectMs: ms.default(10_000),
    /** Random extra connect time per member, uniform in [0, jitterMs] (seeded). */
    jitterMs: ms.default(0),
    /** Managed cluster PUT (reconcile) duration. */
    clusterReconcileMs: ms.default(30_000),
    /** Fleet member create, label update and delete durations. */
    memberJoinMs: ms.default(10_000),
    memberUpdateMs: ms.default(3_000),
    memberLeaveMs: ms.default(10_000),
    /** Cluster mesh profile delete duration. */
    profileDeleteMs: ms.default(3_000),
    /** Microsoft.Network writes (PUT/DELETE) duration. */
    networkWriteMs: ms.default(1_000),
    /** A new or changed Traffic Manager endpoint shows CheckingEndpoint this long. */
    trafficManagerProbeMs: ms.default(30_000),
  })
  .strict();
export type Timing = z.output<typeof TimingSchema>;

const bucket = z
  .object({ size: z.int().min(1).max(100_000), refillPerSecond: z.number().min(0).max(100_000) })
  .strict();

export const ThrottlingSchema = z
  .object({
    enabled: z.boolean().default(DEFAULT_THROTTLING.enabled),
    trafficManager: z.boolean().default(DEFAULT_THROTTLING.trafficManager),
    reads: bucket.default(DEFAULT_THROTTLING.reads),
    writes: bucket.default(DEFAULT_THROTTLING.writes),
    deletes: bucket.default(DEFAULT_THROTTLING.deletes),
  })
  .strict();

export const EventDeliverySchema = z
  .object({
    /** Probability that a delivered batch is delivered a second time. */
    duplicateRate: z.number().min(0).max(1).default(0),
    /** Extra deliveries of a duplicated batch (1: delivered twice; 2: three times). */
    duplicateCopies: z.int().min(1).max(10).default(1),
    /**
     * Probability that a batch is lost: never delivered (recorded with outcome `dropped`), as when Event Grid gives up
     * on an event. Only a resync notices what such an event said.
     */
    dropRate: z.number().min(0).max(1).default(0),
    /** Deliver pending batches in a random (seeded) order instead of the order they were produced. */
    reorder: z.boolean().default(false),
    /** Retry schedule after a failed delivery: initial delay (simulated ms), doubled each attempt. */
    initialBackoffMs: ms.default(1_000),
    maxBackoffMs: ms.default(60_000),
    maxAttempts: z.int().min(1).max(100).default(8),
  })
  .strict();

export const SettingsSchema = z
  .object({
    /** Page size of list operations (fleet members, profiles, role assignments): makes nextLink paging happen. */
    pageSize: z.int().min(1).max(1000).default(100),
    /** Simulated ms per wall ms (0 pauses simulated time). */
    timeFactor: z.number().min(0).max(1_000_000).default(1),
    /** Retry-After on long-running operations: seconds, or `auto` = remaining wall time rounded up, 1..60. */
    retryAfterSeconds: z.union([z.int().min(0).max(3600), z.literal('auto')]).default('auto'),
    timing: TimingSchema.default(TimingSchema.parse({})),
    throttling: ThrottlingSchema.default(ThrottlingSchema.parse({})),
    enforceRoles: z.boolean().default(false),
    events: EventDeliverySchema.default(EventDeliverySchema.parse({})),
    /** Seed of the random source (faults, latency, jitter, event duplication). */
    seed: z.int().default(1),
  })
  .strict();
export type Settings = z.output<typeof SettingsSchema>;
export type SettingsInput = z.input<typeof SettingsSchema>;

export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});
