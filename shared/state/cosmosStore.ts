/**
 * `StateStore` over Cosmos DB with the real `@azure/cosmos` client. Works the same against Azure Cosmos DB and the
 * embedded Cosmos-protocol server: only point reads, create, replace (with `If-Match`), upsert, delete and plain SQL
 * queries are used (no PATCH, no server-side TTL needed). Layout and reasoning: docs/state.md.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Container, CosmosClient } from '@azure/cosmos';
import { z } from 'zod';
import { FleetMeshError, ValidationError } from '../errors.js';
import type { Logger } from '../log.js';
import { ClusterMeshStateSchema } from '../models/fleet.js';
import {
  ApplyRequestSchema,
  ApprovalSchema,
  ContainerIds,
  EMPTY_ARM_CALLS,
  JsonObjectSchema,
  MESH_VIEW_DOC_ID,
  MeshViewDocumentSchema,
  NewOperationSchema,
  OperationDocumentSchema,
  POLICY_DOC_ID,
  PolicyDocumentSchema,
  ProcessedEventDocumentSchema,
  ProfileNameSchema,
  STATE_SCHEMA_VERSION,
  buildProcessedEvent,
  canTransition,
  isExpired,
  isTerminalStatus,
  parseOperationId,
  processedEventDocId,
  type Approval,
  type JsonObject,
  type MeshView,
  type MeshViewUpdate,
  type NewOperation,
  type Operation,
  type OperationUpdate,
  type StoredPolicy,
} from './documents.js';
import {
  describeIssues,
  isCosmosConflict,
  isCosmosNotFound,
  isCosmosPreconditionFailed,
  parseStateDocument,
  toStateError,
} from './errors.js';
import type {
  ListOperationsOptions,
  MarkEventDetails,
  MeshSummary,
  Mutator,
  PendingApply,
  PutPolicyOptions,
  StateStore,
  Versioned,
} from './store.js';

export interface CosmosStateStoreOptions {
  readonly client: CosmosClient;
  readonly databaseId: string;
  /** How long processed event ids are remembered (Settings `eventDedupTtlSeconds`). */
  readonly eventTtlSeconds: number;
  readonly now?: () => Date;
  /** Attempts of one read-modify-write before giving up with a retryable Conflict (default 10). */
  readonly maxAttempts?: number;
  /** Pause before retry `attempt` (1-based) after a lost race; default a short random delay growing with attempt. */
  readonly backoff?: (attempt: number) => Promise<void>;
  readonly logger?: Logger;
}

const DEFAULT_MAX_ATTEMPTS = 10;
const MAX_LIST = 100;

const defaultBackoff = async (attempt: number): Promise<void> => {
  await sleep(Math.floor(Math.random() * 10 * Math.min(attempt, 10)));
};

type MeshViewDocument = z.output<typeof MeshViewDocumentSchema>;
type PolicyDocument = z.output<typeof PolicyDocumentSchema>;
type OperationDocument = z.output<typeof OperationDocumentSchema>;

interface RawRead {
  readonly raw: unknown;
  readonly etag: string;
}

/** Builds the Cosmos DB state store. The containers must exist (`ensureContainers` locally, infrastructure in Azure). */
export function createCosmosStateStore(options: CosmosStateStoreOptions): StateStore {
  return new CosmosStateStore(options);
}

class CosmosStateStore implements StateStore {
  private readonly meshes: Container;
  private readonly operations: Container;
  private readonly events: Container;
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly backoff: (attempt: number) => Promise<void>;
  private readonly ttlSeconds: number;
  private readonly logger: Logger | undefined;

  constructor(options: CosmosStateStoreOptions) {
    const database = options.client.database(options.databaseId);
    this.meshes = database.container(ContainerIds.meshes);
    this.operations = database.container(ContainerIds.operations);
    this.events = database.container(ContainerIds.events);
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.backoff = options.backoff ?? defaultBackoff;
    if (!Number.isInteger(options.eventTtlSeconds) || options.eventTtlSeconds < 1) {
      throw new TypeError(`eventTtlSeconds must be a positive integer, got ${options.eventTtlSeconds}`);
    }
    this.ttlSeconds = options.eventTtlSeconds;
    this.logger = options.logger;
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Mesh view

  async getMeshView(profile: string): Promise<Versioned<MeshView> | undefined> {
    checkProfile(profile);
    const read = await this.read(this.meshes, MESH_VIEW_DOC_ID, profile);
    return read && this.meshViewOf(read, profile);
  }

  async updateMeshView(
    profile: string,
    mutate: Mutator<MeshView | undefined, MeshViewUpdate>,
  ): Promise<Versioned<MeshView> | undefined> {
    checkProfile(profile);
    return this.readModifyWrite<MeshView>({
      container: this.meshes,
      id: MESH_VIEW_DOC_ID,
      partitionKey: profile,
      what: `mesh view of '${profile}'`,
      parse: (read) => this.meshViewOf(read, profile),
      allowCreate: true,
      next: async (current) => {
        const update = await mutate(current);
        if (update === undefined) return undefined;
        const doc: MeshViewDocument = {
          ...update,
          id: MESH_VIEW_DOC_ID,
          type: 'meshView',
          schemaVersion: STATE_SCHEMA_VERSION,
          profile,
          updatedAt: this.now().toISOString(),
        };
        return checkOutgoing(MeshViewDocumentSchema, ContainerIds.meshes, `${profile}/${MESH_VIEW_DOC_ID}`, doc);
      },
    });
  }

  private meshViewOf(read: RawRead, profile: string): Versioned<MeshView> {
    const doc = parseStateDocument(
      MeshViewDocumentSchema,
      ContainerIds.meshes,
      `${profile}/${MESH_VIEW_DOC_ID}`,
      read.raw,
    );
    const { id: _id, type: _type, schemaVersion: _v, ...value } = doc;
    return { value, etag: read.etag };
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Policy

  async getPolicy(profile: string): Promise<Versioned<StoredPolicy> | undefined> {
    checkProfile(profile);
    const read = await this.read(this.meshes, POLICY_DOC_ID, profile);
    return read && this.policyOf(read, profile);
  }

  async putPolicy(
    profile: string,
    policy: JsonObject,
    updatedBy: string,
    options: PutPolicyOptions = {},
  ): Promise<Versioned<StoredPolicy>> {
    checkProfile(profile);
    const parsedPolicy = JsonObjectSchema.safeParse(policy);
    if (!parsedPolicy.success) throw new ValidationError(`policy of '${profile}' must be a JSON object`);
    if (updatedBy.trim() === '') throw new ValidationError(`policy of '${profile}': updatedBy must not be empty`);
    const doc: PolicyDocument = {
      id: POLICY_DOC_ID,
      type: 'policy',
      schemaVersion: STATE_SCHEMA_VERSION,
      profile,
      policy: parsedPolicy.data,
      updatedAt: this.now().toISOString(),
      updatedBy,
    };
    const what = `policy of '${profile}'`;
    const item = this.meshes.item(POLICY_DOC_ID, profile);
    try {
      let raw: unknown;
      let etag: string;
      if (options.ifNoneMatch === '*') {
        const res = await this.meshes.items.create(doc);
        raw = res.resource;
        etag = res.etag;
      } else if (options.ifMatch !== undefined) {
        const res = await item.replace(doc, { accessCondition: { type: 'IfMatch', condition: options.ifMatch } });
        raw = res.resource;
        etag = res.etag;
      } else {
        const res = await this.meshes.items.upsert(doc);
        raw = res.resource;
        etag = res.etag;
      }
      return this.policyOf({ raw, etag: etagOf(raw, etag) }, profile);
    } catch (error) {
      if (options.ifNoneMatch === '*' && isCosmosConflict(error)) {
        throw preconditionFailed(`${what} already exists (If-None-Match: *)`, error);
      }
      if (options.ifMatch !== undefined && (isCosmosPreconditionFailed(error) || isCosmosNotFound(error))) {
        throw preconditionFailed(`${what} does not have ETag ${options.ifMatch} any more`, error);
      }
      throw toStateError(error, `writing ${what}`);
    }
  }

  private policyOf(read: RawRead, profile: string): Versioned<StoredPolicy> {
    const doc = parseStateDocument(PolicyDocumentSchema, ContainerIds.meshes, `${profile}/${POLICY_DOC_ID}`, read.raw);
    const { id: _id, type: _type, schemaVersion: _v, ...value } = doc;
    return { value, etag: read.etag };
  }

  async listMeshes(): Promise<MeshSummary[]> {
    const rows = await this.query(
      this.meshes,
      {
        query:
          'SELECT c.id, c.profile, c.type, c.profileState, c.lastOperationId, c.updatedAt, ' +
          'ARRAY_LENGTH(c.members) AS memberCount FROM c WHERE c.type IN (@view, @policy)',
        parameters: [
          { name: '@view', value: 'meshView' },
          { name: '@policy', value: 'policy' },
        ],
      },
      undefined,
      'listing mesh profiles',
    );
    const byProfile = new Map<string, MeshSummary>();
    for (const raw of rows) {
      const row = parseStateDocument(MeshSummaryRowSchema, ContainerIds.meshes, describeRow(raw), raw);
      const prev = byProfile.get(row.profile);
      const isView = row.type === 'meshView';
      const summary: MeshSummary = {
        profile: row.profile,
        hasView: (prev?.hasView ?? false) || isView,
        hasPolicy: (prev?.hasPolicy ?? false) || !isView,
        profileState: isView ? (row.profileState ?? null) : (prev?.profileState ?? null),
        memberCount: isView ? (row.memberCount ?? 0) : (prev?.memberCount ?? 0),
        lastOperationId: isView ? (row.lastOperationId ?? null) : (prev?.lastOperationId ?? null),
        updatedAt: prev && prev.updatedAt > row.updatedAt ? prev.updatedAt : row.updatedAt,
      };
      byProfile.set(row.profile, summary);
    }
    return [...byProfile.values()].sort((a, b) => a.profile.localeCompare(b.profile));
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Operations

  async createOperation(input: NewOperation): Promise<{ created: boolean; operation: Versioned<Operation> }> {
    const parsedInput = NewOperationSchema.safeParse(input);
    if (!parsedInput.success) {
      throw new ValidationError(`operation '${input.id}': ${describeIssues(parsedInput.error).join('; ')}`);
    }
    const fields = parsedInput.data;
    const parts = parseOperationId(fields.id);
    if (!parts) throw malformedOperationId(fields.id);
    const now = this.now().toISOString();
    const doc: OperationDocument = {
      ...fields,
      type: 'operation',
      schemaVersion: STATE_SCHEMA_VERSION,
      profile: parts.profile,
      approvals: [],
      members: [],
      armCalls: { ...EMPTY_ARM_CALLS },
      error: null,
      createdAt: now,
      updatedAt: now,
      startedAt: fields.status === 'Running' ? now : null,
      finishedAt: isTerminalStatus(fields.status) ? now : null,
    };
    checkOutgoing(OperationDocumentSchema, ContainerIds.operations, fields.id, doc);
    try {
      const res = await this.operations.items.create(doc);
      return {
        created: true,
        operation: this.operationOf({ raw: res.resource, etag: etagOf(res.resource, res.etag) }, fields.id),
      };
    } catch (error) {
      if (!isCosmosConflict(error)) throw toStateError(error, `creating operation '${fields.id}'`);
    }
    const existing = await this.getOperation(fields.id);
    if (!existing) {
      // Created and deleted in between: nothing fleetmesh does, so report it rather than loop.
      throw new FleetMeshError('Conflict', `operation '${fields.id}' vanished while being created`, {
        status: 409,
        retryable: true,
      });
    }
    return { created: false, operation: existing };
  }

  async getOperation(id: string): Promise<Versioned<Operation> | undefined> {
    const parts = parseOperationId(id);
    if (!parts) throw malformedOperationId(id);
    const read = await this.read(this.operations, id, parts.profile);
    return read && this.operationOf(read, id);
  }

  async updateOperation(id: string, mutate: Mutator<Operation, OperationUpdate>): Promise<Versioned<Operation>> {
    const parts = parseOperationId(id);
    if (!parts) throw malformedOperationId(id);
    const result = await this.readModifyWrite<Operation>({
      container: this.operations,
      id,
      partitionKey: parts.profile,
      what: `operation '${id}'`,
      parse: (read) => this.operationOf(read, id),
      allowCreate: false,
      next: async (current) => {
        if (!current) throw new FleetMeshError('NotFound', `operation '${id}' does not exist`, { status: 404 });
        const update = await mutate(current);
        if (update === undefined) return undefined;
        for (const field of ['id', 'profile', 'kind', 'trigger', 'createdAt'] as const) {
          if (update[field] !== current[field]) {
            throw new FleetMeshError('Conflict', `operation '${id}': field '${field}' cannot change`, { status: 409 });
          }
        }
        if (!canTransition(current.status, update.status)) {
          throw new FleetMeshError(
            'Conflict',
            `operation '${id}' cannot go from ${current.status} to ${update.status}`,
            { status: 409, retryable: false },
          );
        }
        const now = this.now().toISOString();
        const doc: OperationDocument = {
          ...update,
          type: 'operation',
          schemaVersion: STATE_SCHEMA_VERSION,
          updatedAt: now,
          startedAt: update.startedAt ?? (update.status === 'Running' ? now : null),
          finishedAt: update.finishedAt ?? (isTerminalStatus(update.status) ? now : null),
        };
        return checkOutgoing(OperationDocumentSchema, ContainerIds.operations, id, doc);
      },
    });
    if (!result) throw new FleetMeshError('NotFound', `operation '${id}' does not exist`, { status: 404 });
    return result;
  }

  async recordApproval(id: string, approval: Approval): Promise<Versioned<Operation>> {
    const parsed = ApprovalSchema.safeParse(approval);
    if (!parsed.success) {
      throw new ValidationError(`approval of operation '${id}': ${describeIssues(parsed.error).join('; ')}`);
    }
    const a = parsed.data;
    // The check runs inside the read-modify-write: a replace that lost a race (412) re-reads and checks again, so an
    // answer is never added to an operation that stopped waiting, and two answers never both get in.
    return this.updateOperation(id, (current) => {
      if (current.approvals.some((x) => sameApproval(x, a))) return undefined;
      if (current.status !== 'AwaitingApproval') {
        throw new FleetMeshError('Conflict', `operation '${id}' is ${current.status}, not waiting for approval`, {
          status: 409,
          retryable: false,
        });
      }
      const answered = current.approvals[0];
      if (answered) {
        const verb = answered.decision === 'approve' ? 'approved' : 'rejected';
        throw new FleetMeshError(
          'Conflict',
          `operation '${id}' was already ${verb} by ${answered.by} at ${answered.at}; it is no longer waiting for approval`,
          { status: 409, retryable: false },
        );
      }
      return { ...current, approvals: [...current.approvals, a] };
    });
  }

  async withdrawApproval(id: string, approval: Approval): Promise<Versioned<Operation>> {
    const parsed = ApprovalSchema.safeParse(approval);
    if (!parsed.success) {
      throw new ValidationError(`approval of operation '${id}': ${describeIssues(parsed.error).join('; ')}`);
    }
    const a = parsed.data;
    // Only while it still waits: an answer the reconciler already acted on (it reads recorded answers) stays.
    return this.updateOperation(id, (current) =>
      current.status === 'AwaitingApproval' && current.approvals.some((x) => sameApproval(x, a))
        ? { ...current, approvals: current.approvals.filter((x) => !sameApproval(x, a)) }
        : undefined,
    );
  }

  async listOperations(profile: string, options: ListOperationsOptions = {}): Promise<Operation[]> {
    checkProfile(profile);
    const limit = listLimit(options);
    const rows = await this.query(
      this.operations,
      {
        query: 'SELECT TOP @limit * FROM c WHERE c.profile = @profile AND c.type = @type ORDER BY c.createdAt DESC',
        parameters: [
          { name: '@limit', value: limit },
          { name: '@profile', value: profile },
          { name: '@type', value: 'operation' },
        ],
      },
      profile,
      `listing operations of '${profile}'`,
    );
    return rows.map((raw) => this.operationOf({ raw, etag: etagOf(raw, '') }, describeRow(raw)).value);
  }

  async listPendingApplies(profile: string, options: ListOperationsOptions = {}): Promise<PendingApply[]> {
    checkProfile(profile);
    const limit = listLimit(options);
    // Filters and order on indexed paths only; kind, trigger and the request are checked here (few rows are Pending).
    const rows = await this.query(
      this.operations,
      {
        query:
          'SELECT TOP @limit c.id, c.kind, c.trigger, c.request, c.createdAt FROM c ' +
          'WHERE c.profile = @profile AND c.type = @type AND c.status = @pending ORDER BY c.createdAt ASC',
        parameters: [
          { name: '@limit', value: limit },
          { name: '@profile', value: profile },
          { name: '@type', value: 'operation' },
          { name: '@pending', value: 'Pending' },
        ],
      },
      profile,
      `listing pending applies of '${profile}'`,
    );
    const pending: PendingApply[] = [];
    for (const raw of rows) {
      const row = parseStateDocument(PendingApplyRowSchema, ContainerIds.operations, describeRow(raw), raw);
      if (row.kind !== 'apply' || row.trigger !== 'http' || !row.request) continue;
      pending.push({ id: row.id, createdAt: row.createdAt, request: row.request });
    }
    return pending;
  }

  private operationOf(read: RawRead, id: string): Versioned<Operation> {
    const doc = parseStateDocument(OperationDocumentSchema, ContainerIds.operations, id, read.raw);
    const { type: _type, schemaVersion: _v, ...value } = doc;
    return { value, etag: read.etag };
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Processed events

  async markEventProcessed(eventId: string, details: MarkEventDetails = {}): Promise<boolean> {
    if (typeof eventId !== 'string' || eventId.length === 0) throw new ValidationError('event id must not be empty');
    const what = `processed-event record of '${eventId}'`;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const now = this.now();
      const doc = buildProcessedEvent(eventId, now, this.ttlSeconds, details);
      try {
        await this.events.items.create(doc);
        return true;
      } catch (error) {
        if (!isCosmosConflict(error)) throw toStateError(error, `writing ${what}`);
      }
      // It exists: seen, unless it expired (the embedded server never deletes it; Cosmos DB may not have yet).
      const read = await this.read(this.events, doc.id, doc.id);
      if (!read) continue; // deleted in between: try to create again
      const existing = parseStateDocument(ProcessedEventDocumentSchema, ContainerIds.events, doc.id, read.raw);
      if (!isExpired(existing, now)) return false;
      try {
        await this.events
          .item(doc.id, doc.id)
          .replace(doc, { accessCondition: { type: 'IfMatch', condition: read.etag } });
        return true;
      } catch (error) {
        // Another delivery replaced the expired record first: that delivery is the first one.
        if (isCosmosPreconditionFailed(error)) return false;
        if (!isCosmosNotFound(error)) throw toStateError(error, `renewing ${what}`);
      }
    }
    throw new FleetMeshError('Conflict', `${what}: gave up after ${this.maxAttempts} attempts`, {
      status: 409,
      retryable: true,
    });
  }

  async isEventProcessed(eventId: string): Promise<boolean> {
    if (typeof eventId !== 'string' || eventId.length === 0) throw new ValidationError('event id must not be empty');
    const id = processedEventDocId(eventId);
    const read = await this.read(this.events, id, id);
    if (!read) return false;
    const existing = parseStateDocument(ProcessedEventDocumentSchema, ContainerIds.events, id, read.raw);
    return !isExpired(existing, this.now());
  }

  async forgetEvent(eventId: string): Promise<void> {
    const id = processedEventDocId(eventId);
    try {
      await this.events.item(id, id).delete();
    } catch (error) {
      if (!isCosmosNotFound(error)) throw toStateError(error, `forgetting event '${eventId}'`);
    }
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Plumbing

  private async read(container: Container, id: string, partitionKey: string): Promise<RawRead | undefined> {
    try {
      const res = await container.item(id, partitionKey).read();
      const raw: unknown = res.resource;
      if (raw === undefined || res.statusCode === 404) return undefined;
      return { raw, etag: etagOf(raw, res.etag) };
    } catch (error) {
      if (isCosmosNotFound(error)) return undefined;
      throw toStateError(error, `reading ${container.id}/${id}`);
    }
  }

  private async query(
    container: Container,
    spec: { query: string; parameters: { name: string; value: string | number }[] },
    partitionKey: string | undefined,
    what: string,
  ): Promise<unknown[]> {
    try {
      const iterator = container.items.query<unknown>(spec, partitionKey === undefined ? {} : { partitionKey });
      const { resources } = await iterator.fetchAll();
      return resources;
    } catch (error) {
      throw toStateError(error, what);
    }
  }

  /**
   * The optimistic-concurrency loop: read, compute, then create (when absent) or replace with If-Match; a lost race
   * (409 on create, 412 or 404 on replace) re-reads and recomputes. Errors thrown by `next` propagate unchanged.
   */
  private async readModifyWrite<T>(args: {
    container: Container;
    id: string;
    partitionKey: string;
    what: string;
    parse: (read: RawRead) => Versioned<T>;
    allowCreate: boolean;
    next: (current: T | undefined) => Promise<Record<string, unknown> | undefined>;
  }): Promise<Versioned<T> | undefined> {
    const { container, id, partitionKey, what } = args;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.backoff(attempt - 1);
      const read = await this.read(container, id, partitionKey);
      const current = read ? args.parse(read) : undefined;
      const doc = await args.next(current?.value);
      if (doc === undefined) return current;
      try {
        if (!current) {
          if (!args.allowCreate) return undefined;
          const res = await container.items.create(doc);
          return args.parse({ raw: res.resource, etag: etagOf(res.resource, res.etag) });
        }
        const res = await container
          .item(id, partitionKey)
          .replace(doc, { accessCondition: { type: 'IfMatch', condition: current.etag } });
        return args.parse({ raw: res.resource, etag: etagOf(res.resource, res.etag) });
      } catch (error) {
        if (isCosmosPreconditionFailed(error) || isCosmosConflict(error) || isCosmosNotFound(error)) {
          this.logger?.debug('state.write.conflict', { container: container.id, id, partitionKey, attempt });
          continue;
        }
        throw toStateError(error, `writing ${what}`);
      }
    }
    this.logger?.warn('state.write.gaveUp', { container: container.id, id, partitionKey, attempts: this.maxAttempts });
    throw new FleetMeshError('Conflict', `${what}: concurrent updates, gave up after ${this.maxAttempts} attempts`, {
      status: 409,
      retryable: true,
    });
  }
}

const MeshSummaryRowSchema = z.object({
  profile: ProfileNameSchema,
  type: z.enum(['meshView', 'policy']),
  profileState: ClusterMeshStateSchema.nullish(),
  lastOperationId: z.string().nullish(),
  memberCount: z.int().min(0).nullish(),
  updatedAt: z.string(),
});

const PendingApplyRowSchema = z.object({
  id: z.string(),
  kind: z.string(),
  trigger: z.string(),
  request: ApplyRequestSchema.optional(),
  createdAt: z.string(),
});

/** A list's `limit` (default 20), checked: an integer from 1 to MAX_LIST. */
function listLimit(options: ListOperationsOptions): number {
  const limit = options.limit ?? 20;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) {
    throw new ValidationError(`limit must be an integer from 1 to ${MAX_LIST}, got ${limit}`);
  }
  return limit;
}

function checkProfile(profile: string): void {
  const result = ProfileNameSchema.safeParse(profile);
  if (!result.success) {
    throw new ValidationError(`mesh profile '${profile}' ${result.error.issues[0]?.message ?? 'is invalid'}`);
  }
}

function sameApproval(a: Approval, b: Approval): boolean {
  return a.by === b.by && a.decision === b.decision && a.at === b.at;
}

function malformedOperationId(id: string): ValidationError {
  return new ValidationError(
    `operation id '${id}' is malformed: expected '{profile}.{unique}' (a mesh profile name, a dot, then 1-100 letters, digits, '-' or '_')`,
  );
}

function preconditionFailed(message: string, cause: unknown): FleetMeshError {
  return new FleetMeshError('PreconditionFailed', message, { status: 412, retryable: false, cause });
}

/** Validates a document before it is written: a bad value from a caller never reaches the database. */
function checkOutgoing<T extends Record<string, unknown>>(
  schema: z.ZodType<T>,
  container: string,
  documentId: string,
  doc: unknown,
): T {
  const result = schema.safeParse(doc);
  if (!result.success) {
    const problems = describeIssues(result.error);
    throw new ValidationError(`refusing to write ${container} document '${documentId}': ${problems.join('; ')}`, {
      details: problems,
    });
  }
  // The parsed value: unknown keys a caller spread in are dropped, so only the documented shape is stored.
  return result.data;
}

function etagOf(raw: unknown, fallback: string | undefined): string {
  if (raw !== null && typeof raw === 'object') {
    const etag: unknown = Reflect.get(raw, '_etag');
    if (typeof etag === 'string' && etag.length > 0) return etag;
  }
  return fallback ?? '';
}

/** Names a query row in errors: `{profile}/{id}` for mesh documents, the id itself for operations. */
function describeRow(raw: unknown): string {
  if (raw === null || typeof raw !== 'object') return '(not an object)';
  const id: unknown = Reflect.get(raw, 'id');
  const profile: unknown = Reflect.get(raw, 'profile');
  if (typeof id !== 'string') return '(no id)';
  const isMeshDoc = id === MESH_VIEW_DOC_ID || id === POLICY_DOC_ID;
  return isMeshDoc && typeof profile === 'string' ? `${profile}/${id}` : id;
}
