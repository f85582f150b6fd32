/**
 * What the reconciler keeps between runs. One implementation over Cosmos DB (`cosmosStore.ts`); the interface lets
 * activities and routes depend on behaviour, not on the SDK.
 *
 * Concurrency contract:
 * - Every `update*` is read-modify-write with `If-Match` on the ETag, retried on a lost race (412, or 409 when two
 *   writers create the same document) up to a bounded number of attempts. The mutator may therefore run more than
 *   once and must be a pure function of its argument (it may be async). Returning `undefined` means "no change"
 *   (nothing is written).
 * - When the attempts run out the update fails with a retryable `Conflict` error; the stored document is then the
 *   other writer's complete version, never a mix.
 * - Creates that must not overwrite use Cosmos create (409 when the id exists).
 * - Everything read back is validated; a malformed document is an `InvalidStateDocumentError` naming its id.
 */
import type {
  ApplyRequest,
  Approval,
  JsonObject,
  MeshView,
  MeshViewUpdate,
  NewOperation,
  Operation,
  OperationUpdate,
  StoredPolicy,
} from './documents.js';

/** A value and the ETag it was read or written with. */
export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

export interface MeshSummary {
  readonly profile: string;
  readonly hasView: boolean;
  readonly hasPolicy: boolean;
  readonly profileState: MeshView['profileState'];
  readonly memberCount: number;
  readonly lastOperationId: string | null;
  /** Latest `updatedAt` of the profile's documents. */
  readonly updatedAt: string;
}

export interface PutPolicyOptions {
  /** Replace only if the stored policy still has this ETag (HTTP `If-Match`); 412 otherwise. */
  readonly ifMatch?: string;
  /** `*`: create only (HTTP `If-None-Match: *`); 412 when a policy exists. */
  readonly ifNoneMatch?: '*';
}

export interface ListOperationsOptions {
  /** At most this many, newest first (default 20, at most 100). */
  readonly limit?: number;
}

/** An operator's apply not taken up yet: a `Pending` operation with its request (`listPendingApplies`). */
export interface PendingApply {
  readonly id: string;
  readonly createdAt: string;
  readonly request: ApplyRequest;
}

export interface MarkEventDetails {
  readonly eventType?: string;
  readonly subject?: string;
}

/** A mutator may compute its result asynchronously, but must not have side effects: it can run more than once. */
export type Mutator<In, Out> = (current: In) => Out | undefined | Promise<Out | undefined>;

export interface StateStore {
  // Mesh view (one per profile)
  getMeshView(profile: string): Promise<Versioned<MeshView> | undefined>;
  /**
   * Read-modify-write of the mesh view. `mutate` receives the current view (undefined when none exists; start from
   * `emptyMeshView()`) and returns the new one, or `undefined` for no change. Returns the stored result
   * (the current one when nothing changed, undefined when there is none).
   */
  updateMeshView(
    profile: string,
    mutate: Mutator<MeshView | undefined, MeshViewUpdate>,
  ): Promise<Versioned<MeshView> | undefined>;

  // Policy (one per profile; its JSON is validated by the caller)
  getPolicy(profile: string): Promise<Versioned<StoredPolicy> | undefined>;
  /** Full replace (PUT semantics). Throws `PreconditionFailed` (412) when a condition does not hold. */
  putPolicy(
    profile: string,
    policy: JsonObject,
    updatedBy: string,
    options?: PutPolicyOptions,
  ): Promise<Versioned<StoredPolicy>>;

  /** Profiles that have a mesh view or a policy, sorted by name. */
  listMeshes(): Promise<MeshSummary[]>;

  // Operations
  /**
   * Creates the record (`status` Pending unless given, empty approvals/members/counters). Idempotent: when the id
   * exists, nothing is written and the stored record comes back with `created: false`. The id must come from
   * `operationId(profile, unique)`.
   */
  createOperation(input: NewOperation): Promise<{ created: boolean; operation: Versioned<Operation> }>;
  /** Point read by id alone (the id carries the partition key). Throws ValidationError for a malformed id. */
  getOperation(id: string): Promise<Versioned<Operation> | undefined>;
  /**
   * Read-modify-write of an operation. Throws `NotFound` when it does not exist, and `Conflict` (not retryable)
   * when the mutator changes an immutable field or makes a status transition `canTransition` forbids.
   */
  updateOperation(id: string, mutate: Mutator<Operation, OperationUpdate>): Promise<Versioned<Operation>>;
  /**
   * Records the answer to an operation that waits for approval, as a conditional update (read, check, replace with
   * `If-Match`, re-checked on a lost race): the operation must be `AwaitingApproval` and not answered yet, so of
   * an approve, a reject, a timeout or a supersede racing each other exactly one wins. Throws `Conflict` (409, not
   * retryable) when the operation is in another status or already has an answer, `NotFound` when it does not exist.
   * Idempotent: the very same approval (`by`/`decision`/`at`) recorded again writes nothing.
   */
  recordApproval(id: string, approval: Approval): Promise<Versioned<Operation>>;
  /**
   * Takes back an approval `recordApproval` wrote (compensation when the reconciler could not be told of it), so the
   * operation can be answered again. Only while the operation still waits for approval: once the reconciler acted on
   * the answer (it reads recorded answers itself), the answer stays. Nothing is written when the approval is not there.
   */
  withdrawApproval(id: string, approval: Approval): Promise<Versioned<Operation>>;
  /** The profile's operations, newest first. */
  listOperations(profile: string, options?: ListOperationsOptions): Promise<Operation[]>;
  /**
   * The profile's operator applies still `Pending` (recorded with their request, not taken up by the reconciler yet),
   * oldest first, at most `limit` (default 20). One single-partition query on indexed paths (profile, type, status,
   * createdAt) that returns only the id, the creation time and the request.
   */
  listPendingApplies(profile: string, options?: ListOperationsOptions): Promise<PendingApply[]>;

  // Processed events (dedup)
  /**
   * Remembers an event id for the configured TTL. Returns true the first time (the caller acts on the event) and
   * false when it was already processed and has not expired. Atomic across concurrent deliveries: exactly one
   * caller gets true.
   */
  markEventProcessed(eventId: string, details?: MarkEventDetails): Promise<boolean>;
  /**
   * True when the event id was marked processed and its record has not expired. A read only: `fleetEvents` checks it
   * first, acts, and marks the event processed only after acting, so a crash in between leads to a redelivery that
   * acts again (signals coalesce) instead of an event lost.
   */
  isEventProcessed(eventId: string): Promise<boolean>;
  /** Forgets an event id (compensation when acting on a marked event failed, so a redelivery is processed). */
  forgetEvent(eventId: string): Promise<void>;
}
