/**
 * The API's responses as the command line reads them (docs/api.md). Objects are loose: fields the command line does
 * not use pass through untouched (`--output json` prints them), so a newer API does not break an older CLI. What it
 * does use is checked, so a response of the wrong shape is reported instead of printed as `undefined`.
 */
import * as z from 'zod';

const text = z.string();
const optionalText = z.string().optional();
const nullableText = z.string().nullable();

export const ApiErrorBodySchema = z.looseObject({
  error: z.looseObject({ code: text, message: text, details: z.unknown().optional() }),
});

// ---------------------------------------------------------------------------------------------------------------
// Plan

export const WhatIfActions = ['Add', 'Remove', 'None', 'Error'] as const;

export const PlanRowSchema = z.looseObject({
  action: z.enum(WhatIfActions),
  name: text,
  memberId: optionalText,
  clusterResourceId: text,
  eTag: optionalText,
  meshState: text,
  meshProfileId: optionalText,
  errorMessage: optionalText,
});
export type PlanRow = z.output<typeof PlanRowSchema>;

export const FindingSchema = z.looseObject({
  checkId: text,
  severity: z.enum(['error', 'warning']),
  member: optionalText,
  peerMember: optionalText,
  resourceId: optionalText,
  message: text,
  remediation: text,
  fixableByFleetmesh: z.boolean().optional(),
});
export type Finding = z.output<typeof FindingSchema>;

export const FixSchema = z.looseObject({ member: text, scope: text, principalId: optionalText });

export const EndpointChangeSchema = z.looseObject({
  action: text,
  name: text,
  endpointType: optionalText,
  service: optionalText,
  member: optionalText,
  desired: z
    .looseObject({
      targetResourceId: optionalText,
      target: optionalText,
      weight: z.number().optional(),
      endpointStatus: optionalText,
    })
    .optional(),
  reason: optionalText,
});
export type EndpointChange = z.output<typeof EndpointChangeSchema>;

export const IneligibleSchema = z.looseObject({ service: text, member: text, reason: text, message: text });
/** An eligible member left without an endpoint: the Traffic Manager profile has no room (200 endpoints at most). */
export const NotRoutedSchema = z.looseObject({ service: text, member: text, reason: text });

export const TrafficPlanSchema = z.looseObject({
  changes: z.array(EndpointChangeSchema),
  ineligible: z.array(IneligibleSchema).default([]),
  notRouted: z.array(NotRoutedSchema).default([]),
});

export const DecisionSchema = z.looseObject({ kind: text, reasons: z.array(text) });

export const SummarySchema = z.looseObject({
  add: z.number(),
  remove: z.number(),
  none: z.number(),
  error: z.number(),
  membersAfterApply: z.number(),
});

export const PlanResponseSchema = z.looseObject({
  planId: text,
  profile: text,
  profileExists: z.boolean(),
  profileState: nullableText,
  currentSelector: nullableText,
  desiredSelector: text,
  selectorChanges: z.boolean(),
  summary: SummarySchema,
  rows: z.array(PlanRowSchema),
  findings: z.array(FindingSchema),
  blocked: z.boolean(),
  fixes: z.array(FixSchema),
  traffic: TrafficPlanSchema.nullable(),
  decision: z.looseObject({ onEvent: DecisionSchema, onApply: DecisionSchema }),
  computedAt: text,
});
export type PlanResponse = z.output<typeof PlanResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Apply, approve, reject

/** The 202 of an apply: only the operation id is relied on (followed with `GET /operations/{id}`, the `Location`). */
export const ApplyResponseSchema = z.looseObject({ operationId: text, status: text, statusUrl: optionalText });
export type ApplyResponse = z.output<typeof ApplyResponseSchema>;

export const AnswerResponseSchema = z.looseObject({ operationId: text, decision: text, by: text });

// ---------------------------------------------------------------------------------------------------------------
// Operations

export const OperationStatuses = [
  'Pending',
  'AwaitingApproval',
  'Running',
  'Succeeded',
  'Failed',
  'Rejected',
  'Recorded',
] as const;
export type OperationStatus = (typeof OperationStatuses)[number];
export const TERMINAL_STATUSES: readonly OperationStatus[] = ['Succeeded', 'Failed', 'Rejected', 'Recorded'];

export const RemediationSchema = z.looseObject({ step: text, at: text, outcome: text, detail: optionalText });

export const MemberResultSchema = z.looseObject({
  member: text,
  action: nullableText,
  meshState: nullableText,
  outcome: text,
  attempts: z.number(),
  remediations: z.array(RemediationSchema),
  durationMs: z.number().optional(),
  error: z.looseObject({ code: text, message: text }).optional(),
});
export type MemberResult = z.output<typeof MemberResultSchema>;

export const ProgressEntrySchema = z.looseObject({
  member: text,
  outcome: text,
  meshState: nullableText,
  step: optionalText,
});
export type ProgressEntry = z.output<typeof ProgressEntrySchema>;

export const OperationSchema = z.looseObject({
  id: text,
  profile: text,
  kind: text,
  trigger: text,
  status: z.enum(OperationStatuses),
  phase: nullableText,
  requestedBy: nullableText,
  planId: nullableText,
  plan: z.unknown(),
  approvals: z.array(z.looseObject({ by: text, at: text, decision: text, comment: optionalText })),
  members: z.array(MemberResultSchema),
  armCalls: z.looseObject({ reads: z.number(), writes: z.number(), throttled: z.number(), errors: z.number() }),
  error: z.looseObject({ code: text, message: text }).nullable(),
  createdAt: text,
  startedAt: nullableText,
  finishedAt: nullableText,
  runtimeStatus: nullableText.optional(),
  livePhase: nullableText.optional(),
  progress: z.array(ProgressEntrySchema).optional(),
});
export type Operation = z.output<typeof OperationSchema>;

/**
 * The plan an operation carries once preflight ran: its rows (what `apply --wait` counts as the work to do), the
 * findings, and the fixes fleetmesh makes before the apply (Network Contributor for a member's cluster identity on a
 * VNet, then a reconcile of that cluster).
 */
export const OperationPlanSchema = z.looseObject({
  rows: z.array(z.looseObject({ name: text, action: text })).default([]),
  findings: z.array(FindingSchema).default([]),
  fixes: z.array(FixSchema).default([]),
});

/** What a fix does, in words: `grantNetworkContributor on vnet-west, then reconcileCluster`. */
export function fixText(fix: z.output<typeof FixSchema>): string {
  const vnet = fix.scope.split('/').filter(Boolean).pop() ?? fix.scope;
  return `grantNetworkContributor on ${vnet}, then reconcileCluster`;
}

// ---------------------------------------------------------------------------------------------------------------
// Mesh view

export const MemberViewSchema = z.looseObject({
  name: text,
  clusterResourceId: optionalText,
  labels: z.record(z.string(), z.string()).default({}),
  meshState: nullableText,
  otherProfile: optionalText,
  ciliumId: z.number().nullable(),
  error: z.looseObject({ code: text, message: text }).optional(),
});
export type MemberView = z.output<typeof MemberViewSchema>;

export const EndpointViewSchema = z.looseObject({
  name: text,
  member: optionalText,
  targetResourceId: optionalText,
  target: optionalText,
  weight: z.number(),
  status: text,
  monitorStatus: nullableText,
});
export type EndpointView = z.output<typeof EndpointViewSchema>;

/** A JSON object whose fields this CLI does not interpret (the policy: the API validates it). */
export const JsonObjectSchema = z.record(z.string(), z.unknown());
export type JsonObject = z.output<typeof JsonObjectSchema>;

export const MeshViewSchema = z.looseObject({
  profile: text,
  selector: nullableText,
  lastAppliedSelector: nullableText.optional(),
  profileState: nullableText,
  members: z.array(MemberViewSchema),
  lastPlan: z.looseObject({ planId: text, computedAt: text, plan: z.unknown() }).nullable(),
  lastOperationId: nullableText,
  trafficManager: z
    .looseObject({
      profileId: optionalText,
      fqdn: optionalText,
      endpoints: z.array(EndpointViewSchema),
      notRouted: z.array(NotRoutedSchema).default([]),
    })
    .nullable(),
  policy: JsonObjectSchema,
  policyIsDefault: z.boolean(),
  reconciler: z.looseObject({ runtimeStatus: nullableText, status: z.unknown() }).nullable(),
  updatedAt: text,
});
export type MeshView = z.output<typeof MeshViewSchema>;

export const ReconcilerStatusSchema = z.looseObject({
  phase: optionalText,
  pendingApplies: z.number().optional(),
  pendingChanges: z.number().optional(),
});

export const PolicyResponseSchema = z.looseObject({
  profile: text,
  policy: JsonObjectSchema,
  updatedAt: text,
  updatedBy: text,
});

// ---------------------------------------------------------------------------------------------------------------
// Topology and recent operations (read by the status page)

const ErrorSummarySchema = z.looseObject({ code: text, message: text });

export const TopologySchema = z.looseObject({
  profile: text,
  members: z.array(
    z.looseObject({
      name: text,
      clusterResourceId: nullableText,
      /** The VNets of the cluster's node and pod subnets. */
      vnetIds: z.array(text),
      error: ErrorSummarySchema.optional(),
    }),
  ),
  vnets: z.array(
    z.looseObject({
      id: text,
      name: text,
      resourceGroup: nullableText,
      location: nullableText,
      addressPrefixes: z.array(text),
      members: z.array(text),
      error: ErrorSummarySchema.optional(),
    }),
  ),
  /** Every pair of distinct member VNets: peered means directly peered and Connected, with VNet access, both ways. */
  peerings: z.array(z.looseObject({ vnets: z.tuple([text, text]), peered: z.boolean(), problems: z.array(text) })),
  observedAt: text,
});
export type Topology = z.output<typeof TopologySchema>;

export const OperationListSchema = z.looseObject({ value: z.array(OperationSchema) });

/** Errors raised after the fixes ran (so they were made); `ReconcileFailed` is a fix failing. */
const AFTER_FIXES = ['ApplyFailed', 'ProfileChanged', 'MembersNotConverged', 'TrafficSyncFailed'];

/** Whether the fixes before the apply were made, as far as the record tells. */
export function fixOutcome(op: Pick<Operation, 'status' | 'error'>): 'Succeeded' | 'Failed' | undefined {
  if (op.status === 'Succeeded' || (op.error !== null && AFTER_FIXES.includes(op.error.code))) return 'Succeeded';
  if (op.error?.code === 'ReconcileFailed') return 'Failed';
  return undefined;
}
