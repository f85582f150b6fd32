/**
 * Orchestration history in the Durable extension's wire format (DurableTask.Core HistoryEvent serialized with
 * PascalCase properties and a numeric EventType), which durable-functions' replay executor reads.
 */
import { z } from 'zod';

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export type EventTypeName = keyof typeof EventType;
export type EventTypeCode = (typeof EventType)[EventTypeName];

const NAMES = new Map<number, string>(Object.entries(EventType).map(([name, code]) => [code, name]));

export function eventTypeName(code: number): string {
  return NAMES.get(code) ?? `EventType${code}`;
}

export interface FailureDetails {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string | undefined;
  IsNonRetriable?: boolean | undefined;
  Properties?: Record<string, unknown> | undefined;
  InnerFailure?: FailureDetails | undefined;
}

const failureDetailsSchema: z.ZodType<FailureDetails> = z.lazy(() =>
  z.object({
    ErrorType: z.string(),
    ErrorMessage: z.string(),
    StackTrace: z.string().optional(),
    IsNonRetriable: z.boolean().optional(),
    Properties: z.record(z.string(), z.unknown()).optional(),
    InnerFailure: failureDetailsSchema.optional(),
  }),
);

export const historyEventSchema = z.object({
  EventType: z.number().int().min(0).max(20),
  EventId: z.number().int(),
  IsPlayed: z.boolean(),
  Timestamp: z.string(),
  Name: z.string().optional(),
  Version: z.string().optional(),
  Input: z.string().nullable().optional(),
  Result: z.string().nullable().optional(),
  TaskScheduledId: z.number().int().optional(),
  TimerId: z.number().int().optional(),
  FireAt: z.string().optional(),
  Reason: z.string().optional(),
  Details: z.string().optional(),
  FailureDetails: failureDetailsSchema.optional(),
  InstanceId: z.string().optional(),
  ExecutionId: z.string().optional(),
  OrchestrationStatus: z.string().optional(),
  ParentInstanceId: z.string().optional(),
});

export type HistoryEvent = z.infer<typeof historyEventSchema>;

export function isSchedulingEvent(e: HistoryEvent): boolean {
  return (
    e.EventType === EventType.TaskScheduled ||
    e.EventType === EventType.SubOrchestrationInstanceCreated ||
    e.EventType === EventType.TimerCreated
  );
}

/** The id of the scheduled task a completion event answers, or undefined for other events. */
export function completionTaskId(e: HistoryEvent): number | undefined {
  switch (e.EventType) {
    case EventType.TaskCompleted:
    case EventType.TaskFailed:
    case EventType.SubOrchestrationInstanceCompleted:
    case EventType.SubOrchestrationInstanceFailed:
      return e.TaskScheduledId;
    case EventType.TimerFired:
      return e.TimerId;
    default:
      return undefined;
  }
}

export function isCompletionEvent(e: HistoryEvent): boolean {
  return completionTaskId(e) !== undefined;
}

interface Base {
  timestamp: string;
}

export const history = {
  orchestratorStarted: ({ timestamp }: Base): HistoryEvent => ({
    EventType: EventType.OrchestratorStarted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: timestamp,
  }),
  orchestratorCompleted: ({ timestamp }: Base): HistoryEvent => ({
    EventType: EventType.OrchestratorCompleted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: timestamp,
  }),
  executionStarted: (
    a: Base & {
      name: string;
      input: string | null;
      instanceId: string;
      executionId: string;
      parentInstanceId?: string;
    },
  ): HistoryEvent => ({
    EventType: EventType.ExecutionStarted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    Name: a.name,
    Version: '',
    Input: a.input,
    InstanceId: a.instanceId,
    ExecutionId: a.executionId,
    ...(a.parentInstanceId === undefined ? {} : { ParentInstanceId: a.parentInstanceId }),
  }),
  executionCompleted: (
    a: Base & { status: 'Completed' | 'Failed' | 'Terminated'; result: string | null; failureDetails?: FailureDetails },
  ): HistoryEvent => ({
    EventType: EventType.ExecutionCompleted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    OrchestrationStatus: a.status,
    Result: a.result,
    ...(a.failureDetails ? { FailureDetails: a.failureDetails } : {}),
  }),
  /**
   * The last event of an execution that continued as new (DurableTask.Core ContinueAsNewEvent, an
   * ExecutionCompletedEvent): `EventId` is the id the orchestrator's action got, `Result` the new execution's input.
   */
  continueAsNew: (a: Base & { id: number; input: string | null }): HistoryEvent => ({
    EventType: EventType.ContinueAsNew,
    EventId: a.id,
    IsPlayed: false,
    Timestamp: a.timestamp,
    OrchestrationStatus: 'ContinuedAsNew',
    Result: a.input,
  }),
  executionTerminated: (a: Base & { reason: string | null }): HistoryEvent => ({
    EventType: EventType.ExecutionTerminated,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    Input: a.reason,
  }),
  taskScheduled: (a: Base & { id: number; name: string; input: string | null }): HistoryEvent => ({
    EventType: EventType.TaskScheduled,
    EventId: a.id,
    IsPlayed: false,
    Timestamp: a.timestamp,
    Name: a.name,
    Version: '',
    Input: a.input,
  }),
  taskCompleted: (a: Base & { taskId: number; result: string | null }): HistoryEvent => ({
    EventType: EventType.TaskCompleted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    TaskScheduledId: a.taskId,
    Result: a.result,
  }),
  taskFailed: (
    a: Base & { taskId: number; reason: string; details: string; failure: FailureDetails },
  ): HistoryEvent => ({
    EventType: EventType.TaskFailed,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    TaskScheduledId: a.taskId,
    Reason: a.reason,
    Details: a.details,
    FailureDetails: a.failure,
  }),
  subOrchestrationCreated: (
    a: Base & { id: number; name: string; input: string | null; instanceId: string },
  ): HistoryEvent => ({
    EventType: EventType.SubOrchestrationInstanceCreated,
    EventId: a.id,
    IsPlayed: false,
    Timestamp: a.timestamp,
    Name: a.name,
    Version: '',
    Input: a.input,
    InstanceId: a.instanceId,
  }),
  subOrchestrationCompleted: (a: Base & { taskId: number; result: string | null }): HistoryEvent => ({
    EventType: EventType.SubOrchestrationInstanceCompleted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    TaskScheduledId: a.taskId,
    Result: a.result,
  }),
  subOrchestrationFailed: (
    a: Base & { taskId: number; reason: string; details: string; failure: FailureDetails },
  ): HistoryEvent => ({
    EventType: EventType.SubOrchestrationInstanceFailed,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    TaskScheduledId: a.taskId,
    Reason: a.reason,
    Details: a.details,
    FailureDetails: a.failure,
  }),
  timerCreated: (a: Base & { id: number; fireAt: string }): HistoryEvent => ({
    EventType: EventType.TimerCreated,
    EventId: a.id,
    IsPlayed: false,
    Timestamp: a.timestamp,
    FireAt: a.fireAt,
  }),
  timerFired: (a: Base & { timerId: number; fireAt: string }): HistoryEvent => ({
    EventType: EventType.TimerFired,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    TimerId: a.timerId,
    FireAt: a.fireAt,
  }),
  eventRaised: (a: Base & { name: string; input: string | null }): HistoryEvent => ({
    EventType: EventType.EventRaised,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    Name: a.name,
    Input: a.input,
  }),
  executionSuspended: (a: Base & { reason: string | null }): HistoryEvent => ({
    EventType: EventType.ExecutionSuspended,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    Input: a.reason,
  }),
  executionResumed: (a: Base & { reason: string | null }): HistoryEvent => ({
    EventType: EventType.ExecutionResumed,
    EventId: -1,
    IsPlayed: false,
    Timestamp: a.timestamp,
    Input: a.reason,
  }),
};

/** JSON text of a value as history stores it (`undefined` becomes null, as the extension writes no payload). */
export function toJsonText(value: unknown): string | null {
  if (value === undefined) return null;
  return JSON.stringify(value);
}

export function fromJsonText(text: string | null | undefined): unknown {
  if (text === null || text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
