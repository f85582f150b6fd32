/**
 * The apply policy of a mesh (the body of `PUT /api/meshes/{profile}/policy`) and the decision it leads to.
 *
 * Policy fields (all optional in the body; unknown fields are rejected by name):
 * - `mode`: `auto` (apply without asking), `approve` (default: wait for an operator's approval), `manual` (only record
 *   the plan; an operator starts the apply);
 * - `allowRemovals` (default false): under `auto`, a plan that removes members still waits for approval unless this is
 *   true. It changes nothing under `approve` and `manual`;
 * - `debounceSeconds` (0–300, default 30): how long the reconciler coalesces events before planning;
 * - `approvalTimeoutHours` (1–168, default 24): how long an apply waits for approval before it is abandoned;
 * - `traffic` (optional): Traffic Manager settings; without it fleetmesh manages no Traffic Manager endpoints.
 *   Defaults follow fleet-networking (reference fleet-networking-facts §1): TTL 60 s, monitor HTTP, port 80, path `/`,
 *   interval 30 s, timeout 10 s (9 s when the interval is 10 s), 3 tolerated failures. A service's backend weight
 *   (1–1000) defaults to 1000, the finest resolution for the per-member split; `memberWeights` (0–1000) override the
 *   member label `fleetmesh.io/traffic-weight`, and 0 excludes a member.
 * - `convergence` (optional): how members are watched after an apply: the per-member timeout (default 20 min), the
 *   first and the longest poll interval (default 10 s, backing off to 60 s; fractions of a second are allowed so a
 *   sped-up simulator can be followed closely), and the remediation rounds (default 3, at most 3).
 */
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { hasBlockingFindings } from './preflight/index.js';
import type { PreflightFinding } from './preflight/types.js';
import { planHasChanges, type WhatIfPlan } from './whatIf.js';

export const ApplyModes = ['auto', 'approve', 'manual'] as const;
export type ApplyMode = (typeof ApplyModes)[number];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const MEMBER_NAME = /^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/;

/** `namespace/name` of a Kubernetes Service: two DNS labels (lower case, digits, '-', at most 63 each). */
export const ServiceRefSchema = z.string().refine(isServiceRef, {
  error: (issue) => `'${String(issue.input)}' is not namespace/name (two DNS labels: a-z, 0-9, '-', at most 63 each)`,
});

export const TrafficServiceSchema = z.strictObject({
  service: ServiceRefSchema,
  /** Backend weight: the endpoints of this service share it in proportion to their members' weights. */
  weight: z.int().min(1).max(1000).default(1000),
});
export type TrafficService = z.output<typeof TrafficServiceSchema>;

export const MonitorSettingsSchema = z
  .strictObject({
    protocol: z.enum(['HTTP', 'HTTPS', 'TCP']).default('HTTP'),
    port: z.int().min(1).max(65535).default(80),
    path: z.string().startsWith('/', { error: 'must start with /' }).max(1000).default('/'),
    intervalInSeconds: z.union([z.literal(10), z.literal(30)]).default(30),
    timeoutInSeconds: z.int().min(5).max(10).optional(),
    toleratedNumberOfFailures: z.int().min(0).max(9).default(3),
  })
  .refine((m) => m.timeoutInSeconds === undefined || m.intervalInSeconds === 30 || m.timeoutInSeconds <= 9, {
    error: 'must be at most 9 when intervalInSeconds is 10',
    path: ['timeoutInSeconds'],
  })
  .transform((m) => ({ ...m, timeoutInSeconds: m.timeoutInSeconds ?? (m.intervalInSeconds === 10 ? 9 : 10) }));
export type MonitorSettings = z.output<typeof MonitorSettingsSchema>;

export const TrafficSettingsSchema = z
  .strictObject({
    /** Resource group of the Traffic Manager profile (in the fleet's subscription). */
    resourceGroup: z
      .string()
      .min(1)
      .max(90)
      .regex(/^[-\w.()]*[-\w()]$/, { error: "must be letters, digits, '-', '_', '.', '(' or ')', not ending in '.'" }),
    /** Traffic Manager profile name. */
    profileName: z.string().regex(/^[A-Za-z0-9]([-A-Za-z0-9.]{0,61}[A-Za-z0-9])?$/, {
      error: "must be 1–63 letters, digits, '-' or '.', starting and ending with a letter or digit",
    }),
    /** DNS name relative to trafficmanager.net. */
    relativeDnsName: z.string().regex(DNS_LABEL, { error: "must be a DNS label: 1–63 of a-z, 0-9 and '-'" }),
    ttl: z.int().min(0).max(2147483647).default(60),
    monitor: MonitorSettingsSchema.prefault({}),
    services: z
      .array(TrafficServiceSchema)
      .max(100)
      .default([])
      .refine((services) => new Set(services.map((s) => s.service)).size === services.length, {
        error: 'a service is listed more than once',
      }),
    /** Member name → weight (0–1000; 0 excludes the member). Overrides the member label. */
    memberWeights: z
      .record(z.string().regex(MEMBER_NAME, { error: 'must be a fleet member name' }), z.int().min(0).max(1000))
      .default({}),
  })
  .transform((t) => ({ ...t, services: [...t.services].sort((a, b) => (a.service < b.service ? -1 : 1)) }));
export type TrafficSettings = z.output<typeof TrafficSettingsSchema>;

export const ConvergenceSettingsSchema = z
  .strictObject({
    memberTimeoutMinutes: z.number().min(0.05).max(240).default(20),
    pollIntervalSeconds: z.number().min(0.05).max(300).default(10),
    maxPollIntervalSeconds: z.number().min(0.05).max(900).default(60),
    maxRemediationRounds: z.int().min(0).max(3).default(3),
  })
  .refine((c) => c.maxPollIntervalSeconds >= c.pollIntervalSeconds, {
    error: 'must be at least pollIntervalSeconds',
    path: ['maxPollIntervalSeconds'],
  });
export type ConvergenceSettings = z.output<typeof ConvergenceSettingsSchema>;

export const MeshPolicySchema = z.strictObject({
  mode: z.enum(ApplyModes).default('approve'),
  allowRemovals: z.boolean().default(false),
  debounceSeconds: z.number().min(0).max(300).default(30),
  approvalTimeoutHours: z.number().min(0.001).max(168).default(24),
  convergence: ConvergenceSettingsSchema.prefault({}),
  traffic: TrafficSettingsSchema.optional(),
});
export type MeshPolicy = z.output<typeof MeshPolicySchema>;
export type MeshPolicyInput = z.input<typeof MeshPolicySchema>;

export const DEFAULT_MESH_POLICY: MeshPolicy = Object.freeze(MeshPolicySchema.parse({}));

/** Parses a policy body, or throws ValidationError naming each bad field (`details` lists them). */
export function parseMeshPolicy(body: unknown): MeshPolicy {
  const result = MeshPolicySchema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path === '' ? issue.message : `'${path}': ${issue.message}`;
  });
  throw new ValidationError(`invalid mesh policy: ${problems.join('; ')}`, { details: problems });
}

export type DecisionKind = 'applyNow' | 'awaitApproval' | 'recordOnly' | 'blocked' | 'nothingToDo';

export interface Decision {
  readonly kind: DecisionKind;
  /** Why, in plain sentences, most important first. */
  readonly reasons: readonly string[];
  /** For `awaitApproval`: how long to wait before abandoning. */
  readonly approvalTimeoutHours?: number;
}

export interface DecideOptions {
  /** An operator asked for this apply (`POST .../apply`): that counts as the approval. Preflight errors still block. */
  readonly operatorRequested?: boolean;
}

/**
 * What to do with a plan: blocked (a preflight error, when the plan adds or removes members, or when an error keeps a
 * member of the plan in `Error` out: an error about that member or about the whole mesh), nothing (no member added or
 * removed), apply now, wait for approval, or record only. Checked in that order. A preflight error about a member that
 * is already in the mesh does not block a plan with nothing to change: there is nothing to apply.
 */
export function decide(
  plan: WhatIfPlan,
  findings: readonly PreflightFinding[],
  policy: MeshPolicy,
  options: DecideOptions = {},
): Decision {
  const changes = planHasChanges(plan);
  if (hasBlockingFindings(findings) && (changes || errorsKeepMembersOut(plan, findings))) {
    return { kind: 'blocked', reasons: blockedReasons(findings) };
  }
  if (!changes) return { kind: 'nothingToDo', reasons: nothingToDoReasons(plan) };
  const context = [changeSummary(plan), ...warningSummary(findings)];
  if (options.operatorRequested) {
    return { kind: 'applyNow', reasons: ['an operator requested this apply', ...context] };
  }
  if (policy.mode === 'manual') {
    return { kind: 'recordOnly', reasons: ["policy mode is 'manual': an operator starts the apply", ...context] };
  }
  if (policy.mode === 'approve') {
    return awaitApproval(policy, ["policy mode is 'approve': an operator must approve the apply", ...context]);
  }
  if (plan.summary.remove > 0 && !policy.allowRemovals) {
    return awaitApproval(policy, [
      `the plan removes ${plan.summary.remove} member(s), and removals need approval unless the policy sets allowRemovals`,
      ...context,
    ]);
  }
  return { kind: 'applyNow', reasons: ["policy mode is 'auto'", ...context] };
}

/** A blocking finding about a member whose row is `Error`, or about the whole mesh, while some row is `Error`. */
function errorsKeepMembersOut(plan: WhatIfPlan, findings: readonly PreflightFinding[]): boolean {
  const inError = new Set(plan.rows.filter((r) => r.action === 'Error').map((r) => r.name.toLowerCase()));
  if (inError.size === 0) return false;
  return findings.some(
    (f) =>
      f.severity === 'error' &&
      (f.member === undefined ||
        inError.has(f.member.toLowerCase()) ||
        (f.peerMember !== undefined && inError.has(f.peerMember.toLowerCase()))),
  );
}

function awaitApproval(policy: MeshPolicy, reasons: readonly string[]): Decision {
  return { kind: 'awaitApproval', reasons, approvalTimeoutHours: policy.approvalTimeoutHours };
}

function nothingToDoReasons(plan: WhatIfPlan): string[] {
  const reasons = ['the plan adds and removes no member'];
  if (plan.summary.error > 0)
    reasons.push(`${plan.summary.error} member(s) are in error and cannot be added (see the plan)`);
  return reasons;
}

function blockedReasons(findings: readonly PreflightFinding[]): string[] {
  const errors = findings.filter((f) => f.severity === 'error');
  return [
    `preflight found ${errors.length} error(s)`,
    ...errors.map((f) => `${f.checkId}${f.member ? ` (${f.member})` : ''}: ${f.message}`),
  ];
}

function changeSummary(plan: WhatIfPlan): string {
  return `the plan adds ${plan.summary.add} and removes ${plan.summary.remove} member(s)`;
}

function warningSummary(findings: readonly PreflightFinding[]): string[] {
  const warnings = findings.filter((f) => f.severity === 'warning');
  if (warnings.length === 0) return [];
  const fixable = warnings.filter((f) => f.fixableByFleetmesh === true).length;
  return [`${warnings.length} preflight warning(s), ${fixable} of which fleetmesh fixes during the apply`];
}

function isServiceRef(text: string): boolean {
  const parts = text.split('/');
  return parts.length === 2 && parts.every((p) => DNS_LABEL.test(p));
}
