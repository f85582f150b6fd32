/**
 * Activities: the only side effects of the orchestrations. Built by a factory over the gateways, the store and the
 * services, so tests can build them over the simulator. Each activity validates its input, does one idempotent thing,
 * and returns `{ value, arm }` (the ARM calls it made), which orchestrations total per operation.
 */
import { isRestError } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import { BuiltInRoles, roleDefinitionId, parseResourceId } from '../../shared/arm/resourceId.js';
import type { ArmCallTotals, Gateways, LroPoll, LroState } from '../../shared/azure/gateways.js';
import { isAzureApiError, isConflict, isPreconditionFailed } from '../../shared/azure/errors.js';
import { FleetMeshError, ensureError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { ClusterMeshProfile, ManagedCluster } from '../../shared/models/index.js';
import {
  isTerminalStatus,
  NewOperationSchema,
  type Operation,
  type OperationUpdate,
} from '../../shared/state/documents.js';
import type { StateStore } from '../../shared/state/store.js';
import { diagnoseMember } from '../../shared/services/diagnosis.js';
import type { MemberStateReader } from '../../shared/services/memberReader.js';
import type { ClusterFacts } from '../../shared/services/clusterFacts.js';
import { updateView } from '../../shared/services/meshView.js';
import type { OutcomePublisher } from '../../shared/services/outcomes.js';
import {
  computeMeshPlan,
  loadPolicy,
  planWithPreflight,
  type FleetCoordinates,
} from '../../shared/services/planner.js';
import { syncTraffic } from '../../shared/services/traffic.js';
import { canonicalSelector } from '../../shared/domain/index.js';
import {
  LroStateSchema,
  OutcomeEventSchema,
  PlanRequestSchema,
  type LroSummary,
  type TrafficSyncResult,
} from '../contracts.js';
import { Activities, type ActivityName } from '../names.js';
import { ProfileNameSchema, MemberResultSchema, ErrorSummarySchema } from '../../shared/state/documents.js';

export interface ActivityDeps {
  readonly gateways: Gateways;
  readonly store: StateStore;
  readonly fleet: FleetCoordinates;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly memberReader: MemberStateReader;
  readonly publisher: OutcomePublisher;
  /** Facts about clusters remembered across activities of this process (node resource groups). */
  readonly clusterFacts?: ClusterFacts;
}

export interface ActivityResult<T> {
  readonly value: T;
  readonly arm: ArmCallTotals;
  /** A permanent failure (validation, a 4xx other than 429): returned, not thrown, so it is not retried. */
  readonly failure?: ActivityFailure;
}

export interface ActivityFailure {
  readonly code: string;
  readonly message: string;
  readonly status: number;
}

type Outcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly failure: ActivityFailure };

/** The failure to return for a permanent error; undefined for a transient one (to be thrown and retried). */
export function permanentFailure(e: unknown): ActivityFailure | undefined {
  if (e instanceof z.ZodError) {
    return { code: 'ValidationFailed', message: `invalid activity input: ${z.prettifyError(e)}`, status: 400 };
  }
  if (e instanceof FleetMeshError && !e.retryable) return { code: e.code, message: e.message, status: e.status };
  return undefined;
}

export type ActivityHandler = (input: unknown) => Promise<ActivityResult<unknown>>;

const OperationPatchSchema = z.object({
  id: z.string().min(1),
  status: z.enum(['AwaitingApproval', 'Running', 'Succeeded', 'Failed', 'Rejected', 'Recorded']).optional(),
  phase: z.string().nullable().optional(),
  planId: z.string().nullable().optional(),
  plan: z.json().nullable().optional(),
  instanceId: z.string().nullable().optional(),
  members: z.array(MemberResultSchema).optional(),
  armCalls: z
    .object({ reads: z.int().min(0), writes: z.int().min(0), throttled: z.int().min(0), errors: z.int().min(0) })
    .optional(),
  error: ErrorSummarySchema.nullable().optional(),
  /** Why the outcome events could not be published; null clears it. */
  outcomeEventError: z.string().nullable().optional(),
  /**
   * Write nothing when an answer is recorded on the operation (an approval wait closing by itself: the timeout, a
   * supersede): the check runs inside the conditional update, so an answer recorded a moment earlier wins, and the
   * result names it.
   */
  unlessAnswered: z.boolean().optional(),
});
export type OperationPatch = z.input<typeof OperationPatchSchema>;

export function createActivities(deps: ActivityDeps): ReadonlyMap<ActivityName, ActivityHandler> {
  const { gateways, store, logger } = deps;
  const clusterFacts = deps.clusterFacts;
  const planner = { gateways, store, fleet: deps.fleet, now: deps.now, ...(clusterFacts ? { clusterFacts } : {}) };

  /**
   * Reconcile = GET + PUT with If-Match. The PUT may have been accepted already (a lost answer the pipeline sent
   * again, or this activity running again after a crash): the eTag then changed (412) or AKS refuses a second PUT
   * while the first runs (409 OperationNotAllowed). An update still running is watched to its end instead of failing
   * (any completed managed cluster PUT re-reads the identity's roles, which is all a reconcile is for); an update
   * already finished gets one fresh reconcile, so at worst the cluster is reconciled twice, never not at all.
   */
  const beginReconcile = async (id: string): Promise<LroSummary> => {
    try {
      const state = await gateways.clusters.beginReconcile(id);
      logger.info('cluster reconcile started', { cluster: id });
      return { status: 'running', next: state, retryAfterMs: null };
    } catch (e) {
      const busy = isConflict(e) && isAzureApiError(e) && e.armCode === 'OperationNotAllowed';
      if (!isPreconditionFailed(e) && !busy) throw e;
      const cluster = await gateways.clusters.getCluster(id);
      if (!isTerminalProvisioning(cluster.provisioningState)) {
        logger.info('cluster update already running: watched to its end', { cluster: id });
        return {
          status: 'running',
          next: { kind: 'clusterReconcile', resourceId: id, state: WATCH_PROVISIONING },
          retryAfterMs: null,
        };
      }
      const state = await gateways.clusters.beginReconcile(id);
      logger.info('cluster reconcile started again after a conflict', { cluster: id });
      return { status: 'running', next: state, retryAfterMs: null };
    }
  };

  /** One poll of a cluster update fleetmesh did not start itself (or whose poller state was lost): its state. */
  const watchProvisioning = async (state: LroState): Promise<LroSummary> => {
    const cluster = await gateways.clusters.getCluster(state.resourceId);
    const provisioning = cluster.provisioningState ?? null;
    if (!isTerminalProvisioning(provisioning)) return { status: 'running', next: state, retryAfterMs: null };
    if (provisioning?.toLowerCase() === 'succeeded') {
      return { status: 'succeeded', resourceId: state.resourceId, state: provisioning };
    }
    return {
      status: 'failed',
      resourceId: state.resourceId,
      error: { code: 'ReconcileFailed', message: `the cluster update ended ${provisioning ?? 'without a state'}` },
    };
  };

  const handlers: Record<ActivityName, (input: unknown) => Promise<unknown>> = {
    [Activities.loadPolicy]: async (input) => loadPolicy(store, ProfileNameSchema.parse(input)),

    [Activities.computePlan]: async (input) => {
      const request = PlanRequestSchema.parse(input);
      const result = await computeMeshPlan(planner, request);
      await updateView(store, deps.fleet, {
        profile: request.profile,
        lastPlan: { plan: result.plan, computedAt: result.computedAt, details: planDetails(result) },
      });
      return result;
    },

    [Activities.createOperation]: async (input) => {
      const op = NewOperationSchema.parse(input);
      const { created, operation } = await store.createOperation(op);
      // The view names the newest operation as soon as it exists (an approval may keep it open for hours).
      await updateView(store, deps.fleet, { profile: operation.value.profile, lastOperationId: operation.value.id });
      return { created, id: operation.value.id, status: operation.value.status };
    },

    [Activities.updateOperation]: async (input) => {
      const patch = OperationPatchSchema.parse(input);
      const unlessAnswered = patch.unlessAnswered === true;
      const updated = await store.updateOperation(patch.id, (current) =>
        unlessAnswered && answerOf(current) ? undefined : applyPatch(current, patch),
      );
      return {
        id: updated.value.id,
        status: updated.value.status,
        answer: unlessAnswered ? answerOf(updated.value) : null,
      };
    },

    [Activities.readOperation]: async (input) => {
      const { id } = z.object({ id: z.string().min(1) }).parse(input);
      const op = await store.getOperation(id);
      return op
        ? {
            id,
            exists: true,
            status: op.value.status,
            terminal: isTerminalStatus(op.value.status),
            answer: answerOf(op.value),
          }
        : { id, exists: false, status: null, terminal: false, answer: null };
    },

    [Activities.listPendingApplies]: async (input) => {
      const { profile } = z.object({ profile: ProfileNameSchema }).parse(input);
      const pending = await store.listPendingApplies(profile);
      return pending.map((p) => ({
        kind: 'apply',
        at: p.request.at,
        operationId: p.id,
        planId: p.request.planId,
        memberSelector: p.request.memberSelector,
        requestedBy: p.request.requestedBy,
      }));
    },

    [Activities.lastOperation]: async (input) => {
      const { profile } = z.object({ profile: ProfileNameSchema }).parse(input);
      const [last] = await store.listOperations(profile, { limit: 1 });
      return last
        ? { id: last.id, status: last.status, planId: last.planId, errorCode: last.error?.code ?? null }
        : null;
    },

    [Activities.grantNetworkContributor]: async (input) => {
      const { grants } = z
        .object({ grants: z.array(z.object({ principalId: z.string().min(1), scope: z.string().min(1) })) })
        .parse(input);
      const results = [];
      for (const g of grants) {
        const { subscriptionId } = parseResourceId(g.scope);
        const r = await gateways.authorization.createRoleAssignment({
          scope: g.scope,
          roleDefinitionId: roleDefinitionId(subscriptionId, BuiltInRoles.networkContributor),
          principalId: g.principalId,
          principalType: 'ServicePrincipal',
        });
        logger.info('network contributor granted', { scope: g.scope, principalId: g.principalId, created: r.created });
        results.push({ scope: g.scope, principalId: g.principalId, created: r.created, name: r.name });
      }
      return results;
    },

    [Activities.beginClusterReconciles]: async (input) => {
      const { clusterResourceIds } = z.object({ clusterResourceIds: z.array(z.string().min(1)) }).parse(input);
      const out: LroSummary[] = [];
      for (const id of clusterResourceIds) {
        try {
          out.push(await beginReconcile(id));
        } catch (e) {
          out.push(failedSummary(id, e));
        }
      }
      return out;
    },

    [Activities.pollClusterReconciles]: async (input) => {
      const { states } = z.object({ states: z.array(LroStateSchema) }).parse(input);
      const out: LroSummary[] = [];
      for (const state of states) {
        try {
          out.push(
            state.state === WATCH_PROVISIONING
              ? await watchProvisioning(state)
              : summarize(state, await gateways.clusters.pollReconcile(state), clusterState),
          );
        } catch (e) {
          out.push(failedSummary(state.resourceId, e));
        }
      }
      return out;
    },

    [Activities.setMeshSelector]: async (input) => {
      const { profile, selector, ifMatch } = z
        .object({ profile: ProfileNameSchema, selector: z.string().max(512), ifMatch: z.string().nullable() })
        .parse(input);
      const written = await gateways.fleet.putMeshProfile(
        profile,
        { byLabel: selector },
        ifMatch === null ? { ifNoneMatch: '*' } : { ifMatch },
      );
      logger.info('mesh selector written', { mesh: profile, selector });
      return { eTag: written.eTag ?? null };
    },

    [Activities.readMeshProfile]: async (input) => {
      const { profile } = z.object({ profile: ProfileNameSchema }).parse(input);
      const current = await gateways.fleet.getMeshProfile(profile);
      return {
        exists: current !== undefined,
        eTag: current?.eTag ?? null,
        selector: current ? canonicalOrRaw(current.properties.memberSelector?.byLabel ?? '') : null,
        state: current?.properties.status?.state ?? null,
      };
    },

    [Activities.beginMeshApply]: async (input) => {
      const { profile, ifMatch, selector } = z
        .object({
          profile: ProfileNameSchema,
          ifMatch: z.string().nullable(),
          selector: z.string().max(512).nullable().default(null),
        })
        .parse(input);
      let state: LroState;
      try {
        state = await gateways.fleet.beginApplyMeshProfile(profile, ifMatch === null ? {} : { ifMatch });
      } catch (e) {
        // The POST may have been accepted already: an answer lost on the way (the pipeline sent it again) or this
        // activity running again after a crash. The profile's eTag changed under us (412), or the apply is still
        // running (409). When the profile still holds the selector this apply is for, that was our apply.
        const earlier = await earlierApply(gateways, profile, selector, e);
        if (!earlier) throw e;
        if (earlier.running) {
          logger.info('mesh apply already running: adopted', { mesh: profile });
          const adopted: LroSummary = { status: 'succeeded', resourceId: earlier.resourceId, state: 'Applying' };
          return adopted;
        }
        logger.info('mesh apply accepted earlier and finished: applying again', { mesh: profile });
        state = await gateways.fleet.beginApplyMeshProfile(profile, { ifMatch: earlier.eTag });
      }
      logger.info('mesh apply started', { mesh: profile });
      const summary: LroSummary = { status: 'running', next: state, retryAfterMs: null };
      return summary;
    },

    [Activities.pollMeshApply]: async (input) => {
      const { state } = z.object({ state: LroStateSchema }).parse(input);
      return summarize(state, await gateways.fleet.pollApplyMeshProfile(state), meshState);
    },

    [Activities.readMemberState]: async (input) => {
      const { member, profileId, notBefore } = z
        .object({
          member: z.string().min(1),
          profileId: z.string().min(1),
          notBefore: z.iso.datetime({ offset: true }),
        })
        .parse(input);
      return deps.memberReader.read(member, profileId, new Date(notBefore));
    },

    [Activities.diagnoseMember]: async (input) => {
      const { member, profileId } = z.object({ member: z.string().min(1), profileId: z.string().min(1) }).parse(input);
      const diagnosis = await diagnoseMember(planner, member, profileId);
      logger.info('member diagnosed', { member, cause: diagnosis.cause });
      return diagnosis;
    },

    [Activities.syncTraffic]: async (input) => {
      const { profile, profileId } = z
        .object({ profile: ProfileNameSchema, profileId: z.string().min(1) })
        .parse(input);
      const policy = await loadPolicy(store, profile);
      if (!policy.traffic) {
        const skipped: TrafficSyncResult = {
          skipped: 'the mesh policy has no traffic settings',
          changes: [],
          endpoints: 0,
          enabled: 0,
          ineligible: [],
          notRouted: [],
        };
        return skipped;
      }
      const members = await gateways.fleet.listMembers();
      const outcome = await syncTraffic(
        { gateways, logger, ...(clusterFacts ? { clusterFacts } : {}) },
        { profileId, traffic: policy.traffic, members },
      );
      await updateView(store, deps.fleet, { profile, trafficManager: outcome.view });
      const result: TrafficSyncResult = {
        skipped: null,
        changes: outcome.plan.changes
          .filter((c) => c.action !== 'none')
          .map((c) => ({
            action: c.action,
            name: c.name,
            ...(c.member ? { member: c.member } : {}),
            reason: c.reason,
          })),
        endpoints: outcome.view.endpoints.length,
        enabled: outcome.view.endpoints.filter((e) => e.status === 'Enabled').length,
        ineligible: outcome.plan.ineligible.map((i) => ({ ...i })),
        notRouted: outcome.plan.notRouted.map((n) => ({ ...n })),
      };
      return result;
    },

    [Activities.refreshMeshView]: async (input) => {
      const { profile, lastOperationId } = z
        .object({ profile: ProfileNameSchema, lastOperationId: z.string().min(1).nullable() })
        .parse(input);
      const [observedProfile, members] = await Promise.all([
        gateways.fleet.getMeshProfile(profile),
        gateways.fleet.listMembers(),
      ]);
      const view = await updateView(store, deps.fleet, {
        profile,
        observed: { profile: observedProfile, members },
        ...(lastOperationId ? { lastOperationId } : {}),
      });
      return {
        profileExists: observedProfile !== undefined,
        profileState: view?.profileState ?? null,
        connected: view?.members.filter((m) => m.meshState === 'Connected').length ?? 0,
        members: view?.members.length ?? 0,
      };
    },

    [Activities.publishOutcome]: async (input) => {
      const { events } = z.object({ events: z.array(OutcomeEventSchema) }).parse(input);
      for (const event of events) {
        try {
          await deps.publisher.publish(event);
        } catch (e) {
          throw publishFailure(e, event.type, logger);
        }
      }
      return { published: deps.publisher.enabled && events.length > 0 };
    },
  };

  return new Map(
    Object.values(Activities).map((name): [ActivityName, ActivityHandler] => [
      name,
      async (input) => {
        const { value, calls } = await gateways.counters.track(async (): Promise<Outcome> => {
          try {
            return { ok: true, value: await handlers[name](input) };
          } catch (e) {
            const failure = permanentFailure(e);
            if (!failure) throw e; // transient: the orchestrator's retry policy runs the activity again
            logger.warn('activity failed permanently', { activity: name, code: failure.code, reason: failure.message });
            return { ok: false, failure };
          }
        });
        return value.ok ? { value: value.value, arm: calls } : { value: null, arm: calls, failure: value.failure };
      },
    ]),
  );
}

function applyPatch(current: Operation, patch: z.output<typeof OperationPatchSchema>): OperationUpdate | undefined {
  const next: OperationUpdate = { ...current };
  if (patch.status !== undefined) next.status = patch.status;
  if (patch.phase !== undefined) next.phase = patch.phase;
  if (patch.planId !== undefined) next.planId = patch.planId;
  if (patch.plan !== undefined) next.plan = patch.plan;
  if (patch.instanceId !== undefined) next.instanceId = patch.instanceId;
  if (patch.members !== undefined) next.members = patch.members;
  if (patch.armCalls !== undefined) next.armCalls = patch.armCalls;
  if (patch.error !== undefined) next.error = patch.error;
  if (patch.outcomeEventError === null) delete next.outcomeEventError;
  else if (patch.outcomeEventError !== undefined) next.outcomeEventError = patch.outcomeEventError;
  return next;
}

/** The answer recorded on an operation (the first approval), or null. */
function answerOf(op: Operation): { decision: 'approve' | 'reject'; by: string; at: string } | null {
  const first = op.approvals[0];
  return first ? { decision: first.decision, by: first.by, at: first.at } : null;
}

/**
 * After an apply POST failed with 412 (the profile changed since it was read) or 409 `AnotherOperationInProgress`:
 * when the profile still holds `selector`, the change was an apply of that selector (ours, sent before). Running:
 * nothing to start (its members are converging). Finished: the caller applies again on the current eTag. Anything
 * else (another selector, no profile, another error) is not ours to adopt.
 */
async function earlierApply(
  gateways: Gateways,
  profile: string,
  selector: string | null,
  error: unknown,
): Promise<{ running: boolean; eTag: string; resourceId: string } | undefined> {
  const anotherApply = isConflict(error) && isAzureApiError(error) && error.armCode === 'AnotherOperationInProgress';
  if (selector === null || !(isPreconditionFailed(error) || anotherApply)) return undefined;
  const current = await gateways.fleet.getMeshProfile(profile);
  if (!current?.eTag || canonicalOrRaw(current.properties.memberSelector?.byLabel ?? '') !== selector) return undefined;
  return { running: current.properties.status?.state === 'Applying', eTag: current.eTag, resourceId: current.id };
}

/**
 * A refused publish (a 4xx other than 408/429: the topic does not exist, the identity lacks EventGrid Data Sender) is
 * permanent: retrying cannot help, so the orchestration learns it at once. Anything else (no answer, 5xx, throttling,
 * a token that could not be obtained) is transient and retried by the orchestration's retry policy.
 */
function publishFailure(e: unknown, type: string, logger: Logger): Error {
  const error = ensureError(e);
  const status = isRestError(e) ? e.statusCode : undefined;
  const refused = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  logger.warn('outcome event not published', { type, status: status ?? null, reason: error.message, refused });
  if (!refused) return error;
  return new FleetMeshError(
    status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'NotFound' : 'ArmError',
    `the outcome topic refused ${type} with ${status}: ${error.message}`,
    { status, retryable: false, cause: e },
  );
}

/** The poller state of a cluster update watched by its provisioning state (no ARM poller to restore). */
const WATCH_PROVISIONING = 'fleetmesh:watch-provisioning-state';

/** AKS provisioning states that end an operation; anything else (Updating, Creating, Upgrading, ...) is running. */
function isTerminalProvisioning(state: string | null | undefined): boolean {
  const s = state?.toLowerCase();
  return s === undefined || s === 'succeeded' || s === 'failed' || s === 'canceled';
}

function canonicalOrRaw(selector: string): string {
  try {
    return canonicalSelector(selector);
  } catch {
    return selector;
  }
}

function failedSummary(resourceId: string, e: unknown): LroSummary {
  const error = ensureError(e);
  const code = error instanceof FleetMeshError ? error.code : 'Error';
  return { status: 'failed', resourceId, error: { code, message: error.message } };
}

function summarize<T>(state: LroState, poll: LroPoll<T>, stateOf: (result: T) => string | null): LroSummary {
  switch (poll.status) {
    case 'running':
      return { status: 'running', next: poll.next, retryAfterMs: poll.retryAfterMs ?? null };
    case 'succeeded':
      return { status: 'succeeded', resourceId: state.resourceId, state: stateOf(poll.result) };
    case 'failed':
      return { status: 'failed', resourceId: state.resourceId, error: poll.error };
  }
}

function meshState(profile: ClusterMeshProfile): string | null {
  return profile.properties.status?.state ?? null;
}

function clusterState(cluster: ManagedCluster): string | null {
  return cluster.provisioningState ?? null;
}

/**
 * What the view keeps of a plan: the rows as the plan route shows them (a member preflight blocks is an `Error` row,
 * not an `Add`), the findings and the decision inputs (not the whole policy).
 */
function planDetails(result: Awaited<ReturnType<typeof computeMeshPlan>>): unknown {
  const shown = planWithPreflight(result.plan, result.findings);
  return {
    planId: result.plan.planId,
    desiredSelector: result.desiredSelector,
    rows: shown.rows,
    summary: shown.summary,
    findings: result.findings,
    preflightRan: result.preflightRan,
    blocked: result.blocked,
    fixes: result.fixes,
    traffic: result.traffic,
  };
}
