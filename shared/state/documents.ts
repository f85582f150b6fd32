/**
 * The documents fleetmesh keeps in Cosmos DB, as zod schemas, and the pure rules around them (operation ids, status
 * transitions, event-record ids and expiry). No I/O here: `cosmosStore.ts` does the reads and writes.
 *
 * Layout and reasoning: `docs/state.md`. In short, three containers:
 * - `meshes`     partition key `/profile`: per mesh profile one `meshView` document (id `view`) and one `policy`
 *                document (id `policy`). Both are point reads with a known partition key.
 * - `operations` partition key `/profile`: one `operation` document per plan/apply/resync. The operation id embeds
 *                the profile (`{profile}.{unique}`), so a lookup by id alone is still a point read.
 * - `events`     partition key `/id`: one `processedEvent` document per Event Grid event id, with a TTL.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ClusterMeshStateSchema, MeshMemberStateSchema } from '../models/fleet.js';

/** Bumped when a document shape changes incompatibly; readers may migrate older versions. */
export const STATE_SCHEMA_VERSION = 1;

export const ContainerIds = {
  meshes: 'meshes',
  operations: 'operations',
  events: 'events',
} as const;
export type ContainerId = (typeof ContainerIds)[keyof typeof ContainerIds];

export const MESH_VIEW_DOC_ID = 'view';
export const POLICY_DOC_ID = 'policy';

/** ARM name of a mesh profile (reference §1.1): also the partition key of `meshes` and `operations`. */
export const ProfileNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a mesh profile name (^[a-z0-9]([-a-z0-9]*[a-z0-9])?$, 1-63)');

const isoTime = z.iso.datetime({ offset: false, error: 'must be an ISO 8601 UTC timestamp' });
const count = z.int().min(0);

/** Any JSON value (plans and policies are opaque to the store: their owners validate them). */
export const JsonValueSchema = z.json();
export type JsonValue = z.output<typeof JsonValueSchema>;
export const JsonObjectSchema = z.record(z.string(), JsonValueSchema);
export type JsonObject = z.output<typeof JsonObjectSchema>;

export const ErrorSummarySchema = z.object({
  code: z.string(),
  message: z.string(),
  /** Evidence for a failure with an unknown cause (ARM error details, role assignments seen, ...). */
  details: JsonValueSchema.optional(),
});
export type ErrorSummary = z.output<typeof ErrorSummarySchema>;

// ---------------------------------------------------------------------------------------------------------------
// Mesh view

export const MemberViewSchema = z.object({
  /** Fleet member name. */
  name: z.string().min(1),
  clusterResourceId: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  /** The member's mesh state; null when it is in no mesh. */
  meshState: MeshMemberStateSchema.nullable(),
  /** Profile the member is meshed with when that is another profile (a what-if `Error`); absent otherwise. */
  otherProfile: z.string().optional(),
  /** Fleet-assigned Cilium cluster id (1-255); null when not in a mesh. */
  ciliumId: z.int().min(1).max(255).nullable(),
  error: ErrorSummarySchema.optional(),
});
export type MemberView = z.output<typeof MemberViewSchema>;

export const EndpointStatusSchema = z.enum(['Enabled', 'Disabled']);

export const TrafficEndpointViewSchema = z.object({
  /** Endpoint name (owned endpoints carry fleetmesh's prefix). */
  name: z.string().min(1),
  /** Fleet member the endpoint points at, when known. */
  member: z.string().optional(),
  targetResourceId: z.string().optional(),
  target: z.string().optional(),
  weight: z.int().min(1).max(1000),
  status: EndpointStatusSchema,
  /** `endpointMonitorStatus` as Traffic Manager reports it; null when not reported. */
  monitorStatus: z.string().nullable(),
});
export type TrafficEndpointView = z.output<typeof TrafficEndpointViewSchema>;

/** An eligible backend with no endpoint: the profile had no room for it (Traffic Manager's 200 per profile). */
export const NotRoutedViewSchema = z.object({ service: z.string(), member: z.string(), reason: z.string() });

export const TrafficManagerViewSchema = z.object({
  /** Traffic Manager profile resource id. */
  profileId: z.string().optional(),
  fqdn: z.string().optional(),
  endpoints: z.array(TrafficEndpointViewSchema),
  /** Members left without an endpoint by the per-profile endpoint limit (absent in views written before it). */
  notRouted: z.array(NotRoutedViewSchema).optional(),
});
export type TrafficManagerView = z.output<typeof TrafficManagerViewSchema>;

export const StoredPlanSchema = z.object({
  planId: z.string().min(1),
  computedAt: isoTime,
  /** The plan as `shared/domain` produced it (opaque to the store). */
  plan: JsonValueSchema,
});
export type StoredPlan = z.output<typeof StoredPlanSchema>;

/** What the reconciler last observed and did for one mesh profile. */
export const MeshViewSchema = z.object({
  profile: ProfileNameSchema,
  /** `memberSelector.byLabel`; null when the profile has no selector (selects nothing). */
  selector: z.string().nullable(),
  lastAppliedSelector: z.string().nullable(),
  /** `properties.status.state`; null when the profile does not exist (yet, or any more). */
  profileState: ClusterMeshStateSchema.nullable(),
  members: z.array(MemberViewSchema),
  lastPlan: StoredPlanSchema.nullable(),
  lastOperationId: z.string().nullable(),
  trafficManager: TrafficManagerViewSchema.nullable(),
  updatedAt: isoTime,
});
export type MeshView = z.output<typeof MeshViewSchema>;
/** What a mesh-view mutator returns: the store sets `profile` and `updatedAt` itself. */
export type MeshViewUpdate = Omit<MeshView, 'profile' | 'updatedAt'> & { profile?: string; updatedAt?: string };

export const MeshViewDocumentSchema = MeshViewSchema.extend({
  id: z.literal(MESH_VIEW_DOC_ID),
  type: z.literal('meshView'),
  schemaVersion: z.int().min(1),
});

/** A view with nothing observed yet: the starting point of the first `updateMeshView`. */
export function emptyMeshView(): MeshViewUpdate {
  return {
    selector: null,
    lastAppliedSelector: null,
    profileState: null,
    members: [],
    lastPlan: null,
    lastOperationId: null,
    trafficManager: null,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Policy

export const StoredPolicySchema = z.object({
  profile: ProfileNameSchema,
  /** The policy as the HTTP route validated it (opaque to the store). */
  policy: JsonObjectSchema,
  updatedAt: isoTime,
  /** Who set it: the client principal name, or `fleetmesh` for defaults. */
  updatedBy: z.string().min(1),
});
export type StoredPolicy = z.output<typeof StoredPolicySchema>;

export const PolicyDocumentSchema = StoredPolicySchema.extend({
  id: z.literal(POLICY_DOC_ID),
  type: z.literal('policy'),
  schemaVersion: z.int().min(1),
});

// ---------------------------------------------------------------------------------------------------------------
// Operations

export const OperationKinds = ['plan', 'apply', 'resync'] as const;
export const OperationKindSchema = z.enum(OperationKinds);
export type OperationKind = z.output<typeof OperationKindSchema>;

export const OperationTriggers = ['event', 'http', 'timer'] as const;
export const OperationTriggerSchema = z.enum(OperationTriggers);
export type OperationTrigger = z.output<typeof OperationTriggerSchema>;

export const OperationStatuses = [
  'Pending',
  'AwaitingApproval',
  'Running',
  'Succeeded',
  'Failed',
  'Rejected',
  'Recorded',
] as const;
export const OperationStatusSchema = z.enum(OperationStatuses);
export type OperationStatus = z.output<typeof OperationStatusSchema>;

export const TerminalOperationStatuses: readonly OperationStatus[] = ['Succeeded', 'Failed', 'Rejected', 'Recorded'];

const TRANSITIONS: Readonly<Record<OperationStatus, readonly OperationStatus[]>> = {
  Pending: ['AwaitingApproval', 'Running', 'Succeeded', 'Failed', 'Rejected', 'Recorded'],
  AwaitingApproval: ['Running', 'Failed', 'Rejected'],
  Running: ['Succeeded', 'Failed'],
  Succeeded: [],
  Failed: [],
  Rejected: [],
  Recorded: [],
};

export function isTerminalStatus(status: OperationStatus): boolean {
  return TerminalOperationStatuses.includes(status);
}

/**
 * Whether an operation may move from `from` to `to`. Staying in the same status is always allowed (an idempotent
 * retry of an activity); a terminal status is never left, so an at-least-once activity replayed late cannot turn a
 * finished operation back into a running one.
 */
export function canTransition(from: OperationStatus, to: OperationStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export const ApprovalSchema = z.object({
  /** Principal that answered (client principal name or object id). */
  by: z.string().min(1),
  at: isoTime,
  decision: z.enum(['approve', 'reject']),
  comment: z.string().max(1024).optional(),
});
export type Approval = z.output<typeof ApprovalSchema>;

export const RemediationStepSchema = z.object({
  /** For example `grantNetworkContributor`, `reconcileCluster`, `reapply`. */
  step: z.string().min(1),
  at: isoTime,
  outcome: z.enum(['Succeeded', 'Failed', 'Skipped']),
  detail: z.string().optional(),
});
export type RemediationStep = z.output<typeof RemediationStepSchema>;

export const MemberResultSchema = z.object({
  member: z.string().min(1),
  /** What the plan decided for the member (the what-if action). */
  action: z.enum(['Add', 'Remove', 'None', 'Error']).nullable(),
  /** Last observed mesh state; null when not in a mesh (for example after a removal). */
  meshState: MeshMemberStateSchema.nullable(),
  outcome: z.enum(['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped']),
  /** Status polls / convergence rounds spent. */
  attempts: count,
  remediations: z.array(RemediationStepSchema),
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  durationMs: count.optional(),
  error: ErrorSummarySchema.optional(),
});
export type MemberResult = z.output<typeof MemberResultSchema>;

/** Same counters as `ArmCallCounters` (shared/azure/gateways.ts), summed over the operation. */
export const ArmCallCountsSchema = z.object({
  reads: count,
  writes: count,
  throttled: count,
  errors: count,
});
export type ArmCallCounts = z.output<typeof ArmCallCountsSchema>;

/**
 * What an operator's `POST /api/meshes/{profile}/apply` asked for: the signal it sends the profile's reconciler, kept
 * on the record so the reconciler can pick the apply up from Cosmos DB when the signal is lost (durable events are
 * only wake-ups). Absent on operations the reconciler creates itself, and on records written before it existed.
 */
export const ApplyRequestSchema = z.object({
  at: isoTime,
  /** The plan the operator pinned, or null. */
  planId: z.string().min(1).nullable(),
  /** The selector the operator asked for, or null for the profile's own. */
  memberSelector: z.string().max(512).nullable(),
  requestedBy: z.string().min(1),
});
export type ApplyRequest = z.output<typeof ApplyRequestSchema>;

export const OperationSchema = z.object({
  id: z.string(),
  profile: ProfileNameSchema,
  kind: OperationKindSchema,
  trigger: OperationTriggerSchema,
  status: OperationStatusSchema,
  /** Free-form phase shown while running (`preflight`, `apply`, `converge`, `traffic`, ...). */
  phase: z.string().nullable(),
  requestedBy: z.string().nullable(),
  /** Durable instance id running it, when different from the operation id. */
  instanceId: z.string().nullable(),
  planId: z.string().nullable(),
  plan: JsonValueSchema.nullable(),
  approvals: z.array(ApprovalSchema),
  members: z.array(MemberResultSchema),
  armCalls: ArmCallCountsSchema,
  /** Per ARM operation name (as `ArmCallCounters.snapshot()` keys), when recorded. */
  armCallsByOperation: z.record(z.string(), ArmCallCountsSchema).optional(),
  error: ErrorSummarySchema.nullable(),
  /** An operator's apply: what it asked for (see ApplyRequestSchema). */
  request: ApplyRequestSchema.optional(),
  /** Why the outcome events could not be published (best effort: the status does not depend on it). */
  outcomeEventError: z.string().optional(),
  createdAt: isoTime,
  updatedAt: isoTime,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
});
export type Operation = z.output<typeof OperationSchema>;
/** What an operation mutator returns: `id`, `profile`, `kind`, `trigger` and `createdAt` cannot change. */
export type OperationUpdate = Omit<Operation, 'updatedAt'> & { updatedAt?: string };

export const OperationDocumentSchema = OperationSchema.extend({
  type: z.literal('operation'),
  schemaVersion: z.int().min(1),
});

/** Input of `createOperation`; the rest starts empty. */
export const NewOperationSchema = z.object({
  id: z.string(),
  kind: OperationKindSchema,
  trigger: OperationTriggerSchema,
  status: OperationStatusSchema.default('Pending'),
  phase: z.string().nullable().default(null),
  requestedBy: z.string().nullable().default(null),
  instanceId: z.string().nullable().default(null),
  planId: z.string().nullable().default(null),
  plan: JsonValueSchema.nullable().default(null),
  request: ApplyRequestSchema.optional(),
});
export type NewOperation = z.input<typeof NewOperationSchema>;

export const EMPTY_ARM_CALLS: ArmCallCounts = Object.freeze({ reads: 0, writes: 0, throttled: 0, errors: 0 });

export function addArmCalls(a: ArmCallCounts, b: ArmCallCounts): ArmCallCounts {
  return {
    reads: a.reads + b.reads,
    writes: a.writes + b.writes,
    throttled: a.throttled + b.throttled,
    errors: a.errors + b.errors,
  };
}

/**
 * Operation ids are `{profile}.{unique}`: a profile name cannot contain `.`, so the id alone yields the partition key
 * and `getOperation(id)` is a point read. `unique` is 1-100 letters, digits, `-` or `_` (a GUID from
 * `context.df.newGuid()` fits). Both parts are also valid in a Durable instance id and a Cosmos id.
 */
const UNIQUE = /^[A-Za-z0-9_-]{1,100}$/;

export function operationId(profile: string, unique: string): string {
  const p = ProfileNameSchema.safeParse(profile);
  if (!p.success) throw new TypeError(`operation id: profile '${profile}' ${p.error.issues[0]?.message ?? ''}`);
  if (!UNIQUE.test(unique)) {
    throw new TypeError(`operation id: unique part '${unique}' must be 1-100 letters, digits, '-' or '_'`);
  }
  return `${profile}.${unique}`;
}

/** The profile and unique part of an operation id, or undefined when `id` is not one. */
export function parseOperationId(id: string): { profile: string; unique: string } | undefined {
  const dot = id.indexOf('.');
  if (dot <= 0) return undefined;
  const profile = id.slice(0, dot);
  const unique = id.slice(dot + 1);
  if (!ProfileNameSchema.safeParse(profile).success || !UNIQUE.test(unique)) return undefined;
  return { profile, unique };
}

// ---------------------------------------------------------------------------------------------------------------
// Processed events

export const ProcessedEventDocumentSchema = z.object({
  id: z.string(),
  type: z.literal('processedEvent'),
  schemaVersion: z.int().min(1),
  /** The event id as delivered (the document id is its hash). */
  eventId: z.string(),
  processedAt: isoTime,
  /** Checked by the store itself: a server that does not expire documents (the local one) still forgets in time. */
  expiresAt: isoTime,
  /** Seconds; real Cosmos DB deletes the document this long after its last write (container `defaultTtl: -1`). */
  ttl: z.int().min(1),
  eventType: z.string().optional(),
  subject: z.string().optional(),
});
export type ProcessedEventDocument = z.output<typeof ProcessedEventDocumentSchema>;

/**
 * Document id of an event record: `ev-` + SHA-256 hex of the event id. Event ids are chosen by publishers (any
 * string for CloudEvents) and may contain characters a Cosmos id cannot (`/`, `\`, `?`, `#`) or exceed 255
 * characters; a hash is always a valid id and never collides in practice.
 */
export function processedEventDocId(eventId: string): string {
  return `ev-${createHash('sha256').update(eventId, 'utf8').digest('hex')}`;
}

export function buildProcessedEvent(
  eventId: string,
  now: Date,
  ttlSeconds: number,
  details: { eventType?: string | undefined; subject?: string | undefined } = {},
): ProcessedEventDocument {
  return {
    id: processedEventDocId(eventId),
    type: 'processedEvent',
    schemaVersion: STATE_SCHEMA_VERSION,
    eventId,
    processedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
    ttl: ttlSeconds,
    ...(details.eventType === undefined ? {} : { eventType: details.eventType }),
    ...(details.subject === undefined ? {} : { subject: details.subject }),
  };
}

/** An expired record counts as "not seen": the store replaces it (with If-Match) and reports a first delivery. */
export function isExpired(record: Pick<ProcessedEventDocument, 'expiresAt'>, now: Date): boolean {
  return Date.parse(record.expiresAt) <= now.getTime();
}
