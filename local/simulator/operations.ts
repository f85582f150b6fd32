/**
 * Long-running operations: ARM's async operation records, answered at the `Azure-AsyncOperation` URL (status body)
 * and at the `Location` URL (202 while running, then the final result).
 */
import { randomUUID } from 'node:crypto';
import type { ArmErrorDetail } from '../../shared/models/common.js';
import type { SimClock } from './clock.js';
import type { ArmResponse } from './http/request.js';
import type { Settings } from './settings.js';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface OperationOutcome {
  readonly status: 'Succeeded' | 'Failed';
  readonly error?: ArmErrorDetail;
  /** HTTP status the Location URL answers with for a failed operation. */
  readonly errorHttpStatus?: number;
}

export interface OperationRecord {
  readonly id: string;
  readonly resourceId: string;
  readonly principalId: string;
  readonly startTime: string;
  /** Paths (no host, no query) of the status and location URLs. */
  readonly statusPath: string;
  readonly locationPath: string;
  status: OperationStatus;
  endTime: string | undefined;
  error: ArmErrorDetail | undefined;
  errorHttpStatus: number;
  /** Simulated time the operation is expected to end (for Retry-After). */
  expectedEnd: number;
  /** Final answer of the Location URL once the operation succeeded. */
  readonly result: () => ArmResponse;
  /** Called once when the operation completes. */
  readonly onComplete: ((op: OperationRecord) => void) | undefined;
}

export interface StartOperation {
  readonly namespace: string;
  readonly location: string;
  readonly resourceId: string;
  readonly principalId: string;
  readonly subscriptionId: string;
  /** Which URL kind goes in `Azure-AsyncOperation` (the other one is `Location`). */
  readonly statusSegment: 'operations' | 'operationResults';
  readonly expectedDurationMs: number;
  readonly result: () => ArmResponse;
  readonly onComplete?: (op: OperationRecord) => void;
  readonly id?: string;
}

export class OperationStore {
  private readonly ops = new Map<string, OperationRecord>();
  private readonly clock: SimClock;
  private readonly settings: () => Settings;

  constructor(clock: SimClock, settings: () => Settings) {
    this.clock = clock;
    this.settings = settings;
  }

  start(spec: StartOperation): OperationRecord {
    const id = spec.id ?? randomUUID();
    const base = `/subscriptions/${spec.subscriptionId}/providers/${spec.namespace}/locations/${spec.location}`;
    const other = spec.statusSegment === 'operations' ? 'operationResults' : 'operations';
    const op: OperationRecord = {
      id,
      resourceId: spec.resourceId,
      principalId: spec.principalId,
      startTime: this.clock.nowIso(),
      statusPath: `${base}/${spec.statusSegment}/${id}`,
      locationPath: `${base}/${other}/${id}`,
      status: 'InProgress',
      endTime: undefined,
      error: undefined,
      errorHttpStatus: 500,
      expectedEnd: this.clock.now() + spec.expectedDurationMs,
      result: spec.result,
      onComplete: spec.onComplete,
    };
    this.ops.set(id.toLowerCase(), op);
    return op;
  }

  get(id: string): OperationRecord | undefined {
    return this.ops.get(id.toLowerCase());
  }

  complete(op: OperationRecord, outcome: OperationOutcome): void {
    if (op.status !== 'InProgress') return;
    op.status = outcome.status;
    op.endTime = this.clock.nowIso();
    op.error = outcome.error;
    op.errorHttpStatus = outcome.errorHttpStatus ?? 500;
    op.onComplete?.(op);
  }

  clear(): void {
    this.ops.clear();
  }

  all(): OperationRecord[] {
    return [...this.ops.values()];
  }

  /** `Retry-After` seconds for a running operation. */
  retryAfter(op: OperationRecord): string {
    const setting = this.settings().retryAfterSeconds;
    if (setting !== 'auto') return String(setting);
    const wall = this.clock.wallDelay(op.expectedEnd - this.clock.now());
    if (!Number.isFinite(wall)) return '60';
    return String(Math.min(60, Math.max(1, Math.ceil(wall / 1000))));
  }

  /** Headers of a 201/202 that started `op`: `Azure-AsyncOperation`, `Location` (optional) and `Retry-After`. */
  headers(
    op: OperationRecord,
    baseUrl: string,
    apiVersion: string | undefined,
    include: { location: boolean; asyncOperation: boolean },
  ): Record<string, string> {
    const q = apiVersion ? `?api-version=${encodeURIComponent(apiVersion)}` : '';
    return {
      ...(include.asyncOperation ? { 'azure-asyncoperation': `${baseUrl}${op.statusPath}${q}` } : {}),
      ...(include.location ? { location: `${baseUrl}${op.locationPath}${q}` } : {}),
      'retry-after': this.retryAfter(op),
    };
  }

  /** Answers a GET of an operation URL. */
  poll(op: OperationRecord, path: string, baseUrl: string, apiVersion: string | undefined): ArmResponse {
    const asStatus = path.toLowerCase() === op.statusPath.toLowerCase();
    if (asStatus) {
      const body = {
        id: op.statusPath,
        name: op.id,
        resourceId: op.resourceId,
        status: op.status,
        startTime: op.startTime,
        ...(op.endTime ? { endTime: op.endTime } : {}),
        ...(op.status === 'Succeeded' ? { percentComplete: 100 } : {}),
        ...(op.error ? { error: op.error } : {}),
      };
      return { status: 200, body, headers: op.status === 'InProgress' ? { 'retry-after': this.retryAfter(op) } : {} };
    }
    if (op.status === 'InProgress') {
      const q = apiVersion ? `?api-version=${encodeURIComponent(apiVersion)}` : '';
      return {
        status: 202,
        headers: { location: `${baseUrl}${op.locationPath}${q}`, 'retry-after': this.retryAfter(op) },
      };
    }
    if (op.status === 'Succeeded') return op.result();
    return {
      status: op.errorHttpStatus,
      body: { error: op.error ?? { code: 'OperationFailed', message: 'The operation failed.' } },
    };
  }
}
