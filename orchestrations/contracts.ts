/**
 * What travels between triggers, orchestrators and activities: zod schemas and their types. Everything here is plain
 * JSON (it is stored in durable history). Orchestrators validate their input at the top and every activity result
 * they receive, so a bad payload fails loudly at the boundary instead of deep inside a replay.
 */
import { z } from 'zod';
import type { PreflightFinding, TrafficPlan, WhatIfPlan, MeshPolicy } from '../shared/domain/index.js';
import { MeshMemberStateSchema, ClusterMeshStateSchema } from '../shared/models/index.js';
import { ProfileNameSchema } from '../shared/state/documents.js';

const isoTime = z.iso.datetime({ offset: true });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------------------------
// Signals to the reconciler

export const EventSignalSchema = z.object({
  kind: z.literal('event'),
  at: isoTime,
  eventId: z.string().min(1),
  eventType: z.string().optional(),
  subject: z.string().optional(),
});

export const ResyncSignalSchema = z.object({ kind: z.literal('resync'), at: isoTime });

/** An operator's `POST /api/meshes/{profile}/apply`: the operation record exists already (status Pending). */
export const ApplySignalSchema = z.object({
  kind: z.literal('apply'),
  at: isoTime,
  operationId: z.string().min(1),
  planId: z.string().min(1).nullable(),
  memberSelector: z.string().max(512).nullable(),
  requestedBy: z.string().min(1),
});
export type ApplySignal = z.output<typeof ApplySignalSchema>;

export const ReconcileSignalSchema = z.discriminatedUnion('kind', [
  EventSignalSchema,
  ResyncSignalSchema,
  ApplySignalSchema,
]);
export type ReconcileSignal = z.output<typeof ReconcileSignalSchema>;

export const ApprovalDecisionSchema = z.object({
  operationId: z.string().min(1),
  decision: z.enum(['approve', 'reject']),
  by: z.string().min(1),
});
export type ApprovalDecision = z.output<typeof ApprovalDecisionSchema>;

// ---------------------------------------------------------------------------------------------------------------
// meshReconciler

/**
 * An approval wait the reconciler was in when it continued as new (a long wait absorbs signals, and every signal
 * grows the history): the next execution resumes the same wait, same operation and deadline, instead of planning.
 */
export const ApprovalWaitSchema = z.object({
  operationId: z.string().min(1),
  /** The plan waiting for approval; the approved apply must still match it. */
  planId: z.string().min(1),
  memberSelector: z.string().max(512).nullable(),
  trigger: z.enum(['event', 'http', 'timer']),
  /** The mesh profile's resource id (Traffic Manager repairs while waiting). */
  profileId: z.string().min(1),
  /** When the wait ends with a rejection. */
  until: isoTime,
  /** The policy's timeout when the wait began, for the rejection message. */
  hours: z.number().positive(),
  /** When the coalesced Traffic Manager repair asked for by signals is due; null when none is pending. */
  repairDue: isoTime.nullable().default(null),
});
export type ApprovalWait = z.output<typeof ApprovalWaitSchema>;

/**
 * An apply (meshApply, instance id = operation id) still running when the reconciler continued as new: its completion
 * goes to the execution that started it, so the next execution watches the operation record until it is terminal.
 */
export const ApplyWatchSchema = z.object({
  operationId: z.string().min(1),
  /** When the reconciler stops waiting even if the record never ends (an apply that crashed unrecorded). */
  giveUpAt: isoTime,
});
export type ApplyWatch = z.output<typeof ApplyWatchSchema>;

/** What a reconciler carries from one execution to the next (`continueAsNew`). */
export const ReconcilerInputSchema = z.object({
  profile: ProfileNameSchema,
  /** Operator applies not yet handled, oldest first. */
  pendingApplies: z.array(ApplySignalSchema).default([]),
  /** Event or resync signals received and not yet planned. */
  pendingChanges: z.int().min(0).default(0),
  /** When the current debounce window opened (the 5-minute cap counts from here). */
  windowStart: isoTime.nullable().default(null),
  /** Signals that started this execution (set by the trigger that started the instance). */
  signals: z.array(ReconcileSignalSchema).default([]),
  /** Completed cycles, for logs and the status page. */
  cycles: z.int().min(0).default(0),
  /** What the previous cycle decided (`nothingToDo`, `applyNow`, ...), shown while idle. */
  lastDecision: z.string().nullable().default(null),
  /** An approval wait to resume (see ApprovalWaitSchema). */
  awaiting: ApprovalWaitSchema.nullable().default(null),
  /** A running apply to watch to its end (see ApplyWatchSchema). */
  applying: ApplyWatchSchema.nullable().default(null),
});
export type ReconcilerInput = z.input<typeof ReconcilerInputSchema>;
export type ReconcilerState = z.output<typeof ReconcilerInputSchema>;

// ---------------------------------------------------------------------------------------------------------------
// planMesh

export const PlanRequestSchema = z.object({
  profile: ProfileNameSchema,
  /** Desired selector; null = the profile's own `memberSelector.byLabel`. */
  memberSelector: z.string().max(512).nullable().default(null),
  /** Compute the Traffic Manager changes too (the plan route shows them; the apply syncs traffic itself). */
  includeTraffic: z.boolean().default(false),
  /**
   * `always` (the plan route, meshApply) or `whenChanging`: skip the preflight reads when the plan adds, removes and
   * repairs nothing (the reconciler's resyncs of a converged mesh, where they would be hundreds of reads for nothing).
   */
  preflight: z.enum(['always', 'whenChanging']).default('always'),
});
export type PlanRequest = z.input<typeof PlanRequestSchema>;

export interface NetworkRoleFix {
  readonly member: string;
  readonly clusterResourceId: string;
  readonly principalId: string;
  /** The VNet the role is granted on. */
  readonly scope: string;
}

export interface MeshPlanResult {
  readonly profile: string;
  readonly profileId: string;
  readonly profileExists: boolean;
  /** The eTag the plan was computed from: the selector PUT and the apply send it as If-Match. */
  readonly profileETag: string | null;
  readonly profileState: z.output<typeof ClusterMeshStateSchema> | null;
  readonly currentSelector: string | null;
  readonly lastAppliedSelector: string | null;
  readonly desiredSelector: string;
  /** True when the profile's selector must be written (it differs from the desired one, or the profile is new). */
  readonly selectorChanges: boolean;
  readonly plan: WhatIfPlan;
  readonly findings: readonly PreflightFinding[];
  /** False when preflight was skipped (`preflight: 'whenChanging'` and nothing to change). */
  readonly preflightRan: boolean;
  readonly blocked: boolean;
  readonly fixes: readonly NetworkRoleFix[];
  readonly policy: MeshPolicy;
  readonly traffic: TrafficPlan | null;
  readonly computedAt: string;
}

/** Structural check of a plan result: the fields the orchestrators branch on. */
export const MeshPlanResultSchema = z.custom<MeshPlanResult>(
  (v) =>
    isRecord(v) &&
    typeof v.profile === 'string' &&
    typeof v.profileId === 'string' &&
    typeof v.profileExists === 'boolean' &&
    typeof v.desiredSelector === 'string' &&
    typeof v.blocked === 'boolean' &&
    isRecord(v.plan) &&
    typeof v.plan.planId === 'string' &&
    Array.isArray(v.plan.rows) &&
    Array.isArray(v.findings) &&
    Array.isArray(v.fixes) &&
    isRecord(v.policy),
  { error: 'not a mesh plan result' },
);

// ---------------------------------------------------------------------------------------------------------------
// meshApply, convergeBatch, memberConverge

export const ConvergenceSchema = z.object({
  memberTimeoutMinutes: z.number().positive(),
  pollIntervalSeconds: z.number().positive(),
  maxPollIntervalSeconds: z.number().positive(),
  maxRemediationRounds: z.int().min(0).max(3),
});
export type Convergence = z.output<typeof ConvergenceSchema>;

export const MeshApplyInputSchema = z.object({
  operationId: z.string().min(1),
  profile: ProfileNameSchema,
  /** The plan this apply must carry out; a different plan now fails the operation with PlanMismatch. */
  planId: z.string().min(1).nullable(),
  memberSelector: z.string().max(512).nullable(),
  trigger: z.enum(['event', 'http', 'timer']),
  /**
   * The plan the reconciler computed a moment ago, when it applies at once (no approval wait in between): meshApply
   * carries it out instead of reading the whole fleet again. Absent (an approved apply, hours later perhaps), or with
   * another planId, meshApply recomputes.
   */
  plan: MeshPlanResultSchema.optional(),
});
export type MeshApplyInput = z.output<typeof MeshApplyInputSchema>;

export const MemberActionSchema = z.enum(['Add', 'Remove']);

export const MemberWorkSchema = z.object({
  member: z.string().min(1),
  clusterResourceId: z.string().min(1),
  action: MemberActionSchema,
});
export type MemberWork = z.output<typeof MemberWorkSchema>;

export const RemediationSchema = z.object({
  step: z.enum(['diagnose', 'grantNetworkContributor', 'reconcileCluster', 'reapply']),
  at: isoTime,
  outcome: z.enum(['Succeeded', 'Failed', 'Skipped']),
  detail: z.string().optional(),
});
export type Remediation = z.output<typeof RemediationSchema>;

export const MemberOutcomeSchema = z.object({
  member: z.string(),
  action: MemberActionSchema,
  outcome: z.enum(['connected', 'removed', 'needsReapply', 'failed', 'timeout']),
  meshState: MeshMemberStateSchema.nullable(),
  polls: z.int().min(0),
  remediations: z.array(RemediationSchema),
  startedAt: isoTime,
  finishedAt: isoTime,
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** What the diagnosis found, for a failure fleetmesh could not fix. */
  evidence: z.array(z.string()).optional(),
});
export type MemberOutcome = z.output<typeof MemberOutcomeSchema>;

const ArmTotalsSchema = z.object({
  reads: z.int().min(0),
  writes: z.int().min(0),
  throttled: z.int().min(0),
  errors: z.int().min(0),
});

/** What a child orchestration returns: its outcome(s) and the ARM calls it made. */
export const MemberConvergeResultSchema = MemberOutcomeSchema.extend({ arm: ArmTotalsSchema });
export const ConvergeBatchResultSchema = z.object({ outcomes: z.array(MemberOutcomeSchema), arm: ArmTotalsSchema });
export type ConvergeBatchResult = z.output<typeof ConvergeBatchResultSchema>;

export const ConvergeBatchInputSchema = z.object({
  operationId: z.string().min(1),
  profile: ProfileNameSchema,
  profileId: z.string().min(1),
  round: z.int().min(0),
  members: z.array(MemberWorkSchema).min(1),
  convergence: ConvergenceSchema,
});
export type ConvergeBatchInput = z.output<typeof ConvergeBatchInputSchema>;

export const MemberConvergeInputSchema = z.object({
  operationId: z.string().min(1),
  profile: ProfileNameSchema,
  profileId: z.string().min(1),
  work: MemberWorkSchema,
  convergence: ConvergenceSchema,
  /** When to give up (the member's timeout counted from its first execution). */
  deadline: isoTime,
  startedAt: isoTime,
  /** Carried across continueAsNew. */
  polls: z.int().min(0).default(0),
  remediations: z.array(RemediationSchema).default([]),
  /** The poll interval reached (ms), carried across continueAsNew. */
  nextIntervalMs: z.number().positive().optional(),
  /** ARM calls of earlier executions, carried across continueAsNew. */
  arm: ArmTotalsSchema.optional(),
});
export type MemberConvergeInput = z.input<typeof MemberConvergeInputSchema>;

export const MeshApplyResultSchema = z.object({
  operationId: z.string(),
  status: z.enum(['Succeeded', 'Failed']),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  members: z.array(MemberOutcomeSchema),
  rounds: z.int().min(0),
  /** Why the outcome events could not be published; the status above does not depend on it. */
  outcomeEventError: z.string().optional(),
});
export type MeshApplyResult = z.output<typeof MeshApplyResultSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Activities with small results

export const LroStateSchema = z.object({
  kind: z.enum(['meshApply', 'meshDelete', 'clusterReconcile', 'memberLabels']),
  resourceId: z.string(),
  state: z.string(),
});

export const LroSummarySchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('running'),
    next: LroStateSchema,
    retryAfterMs: z.number().nullable(),
  }),
  z.object({ status: z.literal('succeeded'), resourceId: z.string(), state: z.string().nullable() }),
  z.object({
    status: z.literal('failed'),
    resourceId: z.string(),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);
export type LroSummary = z.output<typeof LroSummarySchema>;

export const LroSummariesSchema = z.array(LroSummarySchema);

export const MemberStateSchema = z.object({
  member: z.string(),
  exists: z.boolean(),
  /** The mesh state when the member is in this profile's mesh; null otherwise. */
  meshState: MeshMemberStateSchema.nullable(),
  /** The profile the member is meshed with, when it is another one. */
  otherProfileId: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type MemberState = z.output<typeof MemberStateSchema>;

export const DiagnosisSchema = z.object({
  member: z.string(),
  cause: z.enum(['networkRoleMissing', 'authorizationPending', 'prerequisite', 'unknown']),
  evidence: z.array(z.string()),
  principalId: z.string().nullable(),
  /** VNets the cluster's subnets sit in; for networkRoleMissing, those lacking the role. */
  vnetIds: z.array(z.string()),
  clusterResourceId: z.string(),
});
export type Diagnosis = z.output<typeof DiagnosisSchema>;

export const GrantResultSchema = z.array(
  z.object({ scope: z.string(), principalId: z.string(), created: z.boolean(), name: z.string() }),
);

export const SelectorWriteResultSchema = z.object({ eTag: z.string().nullable() });

export const TrafficSyncResultSchema = z.object({
  skipped: z.string().nullable(),
  changes: z.array(
    z.object({ action: z.string(), name: z.string(), member: z.string().optional(), reason: z.string() }),
  ),
  endpoints: z.int().min(0),
  enabled: z.int().min(0),
  ineligible: z.array(z.object({ service: z.string(), member: z.string(), reason: z.string(), message: z.string() })),
  /** Eligible members left without an endpoint by Traffic Manager's 200 endpoints per profile. */
  notRouted: z.array(z.object({ service: z.string(), member: z.string(), reason: z.string() })).default([]),
});
export type TrafficSyncResult = z.output<typeof TrafficSyncResultSchema>;

export const OutcomeEventSchema = z.object({
  type: z.enum([
    'fleetmesh.plan.created',
    'fleetmesh.apply.succeeded',
    'fleetmesh.apply.failed',
    'fleetmesh.member.remediated',
  ]),
  subject: z.string(),
  /** Deterministic id (from the orchestration), so a retried publish is recognisable downstream. */
  id: z.string(),
  time: isoTime,
  data: z.record(z.string(), z.json()),
});
export type OutcomeEvent = z.output<typeof OutcomeEventSchema>;

export const ProfileStateSchema = ClusterMeshStateSchema;

/**
 * The answer recorded on an operation waiting for approval (its first approval): Cosmos DB is the source of truth,
 * the `ApprovalDecision` event only a wake-up, so the reconciler acts on this when the event never reaches it.
 */
export const RecordedAnswerSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  by: z.string(),
  at: z.string(),
});
export type RecordedAnswer = z.output<typeof RecordedAnswerSchema>;

/**
 * `updateOperation`'s result. `answer`: the recorded answer, when the update asked `unlessAnswered` and wrote nothing
 * because of it (a rejection that lost the race against an approval). Results recorded before it existed have none.
 */
export const OperationAckSchema = z.object({
  id: z.string(),
  status: z.string(),
  answer: RecordedAnswerSchema.nullable().default(null),
});
/** `readOperation`'s result, with the answer recorded on it (null when none). */
export const OperationReadSchema = z.object({
  id: z.string(),
  exists: z.boolean(),
  status: z.string().nullable(),
  terminal: z.boolean(),
  answer: RecordedAnswerSchema.nullable().default(null),
});
/** `listPendingApplies`' result: operator applies recorded `Pending`, as the signals they sent, oldest first. */
export const PendingAppliesSchema = z.array(ApplySignalSchema);
/** `lastOperation`'s result: the profile's newest operation, in short, or null when it has none. */
export const LastOperationSchema = z
  .object({
    id: z.string(),
    status: z.string(),
    planId: z.string().nullable(),
    errorCode: z.string().nullable(),
  })
  .nullable();
/** `createOperation`'s result. */
export const OperationCreatedSchema = z.object({ created: z.boolean(), id: z.string(), status: z.string() });
/** `refreshMeshView`'s result. */
export const ViewRefreshSchema = z.object({
  profileExists: z.boolean(),
  profileState: z.string().nullable(),
  connected: z.int(),
  members: z.int(),
});
/** `publishOutcome`'s result. */
export const PublishResultSchema = z.object({ published: z.boolean() });
/** `readMeshProfile`'s result. */
export const ProfileReadSchema = z.object({
  exists: z.boolean(),
  eTag: z.string().nullable(),
  selector: z.string().nullable(),
  state: z.string().nullable(),
});
