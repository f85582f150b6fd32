/**
 * The actions an out-of-process orchestrator returns (durable-functions' OrchestratorState, replay schema V2:
 * `actions[0]` lists one action per newly yielded task, compound tasks nesting their children). Parsed from the
 * handler's raw result, so that a task yielded twice (the same action object inside a later Task.any) is recognised
 * as the same task, as the library's own executor does; or from the JSON of a failure.
 */
import { isRecord } from '../worker/rpc.js';

export interface RetryPolicy {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient: number;
  maxRetryIntervalInMilliseconds: number | undefined;
  retryTimeoutInMilliseconds: number | undefined;
}

interface ActionBase {
  /** Identity of the library's action object (absent when parsed from JSON). */
  ref: object | undefined;
}

export type Action =
  | (ActionBase & { type: 'CallActivity'; name: string; inputJson: string | null; retry: RetryPolicy | undefined })
  | (ActionBase & {
      type: 'CallSubOrchestrator';
      name: string;
      inputJson: string | null;
      instanceId: string | undefined;
      retry: RetryPolicy | undefined;
    })
  | (ActionBase & { type: 'CreateTimer'; fireAt: string; isCanceled: boolean })
  | (ActionBase & { type: 'WaitForExternalEvent'; name: string })
  | (ActionBase & { type: 'ContinueAsNew'; inputJson: string | null })
  | (ActionBase & { type: 'WhenAll' | 'WhenAny'; children: Action[] })
  | (ActionBase & { type: 'Unsupported'; actionType: string });

const ACTION_TYPES: Record<number, string> = {
  0: 'CallActivity',
  1: 'CallActivityWithRetry',
  2: 'CallSubOrchestrator',
  3: 'CallSubOrchestratorWithRetry',
  4: 'ContinueAsNew',
  5: 'CreateTimer',
  6: 'WaitForExternalEvent',
  7: 'CallEntity',
  8: 'CallHttp',
  9: 'SignalEntity',
  10: 'ScheduledSignalEntity',
  11: 'WhenAny',
  12: 'WhenAll',
  13: 'LockEntities',
  14: 'ReleaseEntities',
};

export class ActionParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActionParseError';
  }
}

function actionTypeName(value: unknown): string {
  if (typeof value === 'number') return ACTION_TYPES[value] ?? `ActionType${value}`;
  if (typeof value === 'string') return value;
  throw new ActionParseError(`action has no actionType: ${JSON.stringify(value)}`);
}

/**
 * Inputs of activities and continueAsNew pass through the library's `Utils.processInput`, which JSON-encodes strings;
 * undo that so that the value the activity receives is the value the orchestrator passed.
 */
function processedInputJson(input: unknown): string | null {
  if (input === undefined || input === null) return input === null ? 'null' : null;
  if (typeof input === 'string') {
    try {
      return JSON.stringify(JSON.parse(input));
    } catch {
      return JSON.stringify(input);
    }
  }
  return JSON.stringify(input);
}

function rawInputJson(input: unknown): string | null {
  if (input === undefined) return null;
  return JSON.stringify(input);
}

function toIsoDate(value: unknown, what: string): string {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw new ActionParseError(`${what}: invalid date ${String(value)}`);
  return date.toISOString();
}

function numberOr(value: unknown, fallback: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function parseRetry(value: unknown, what: string): RetryPolicy {
  if (!isRecord(value)) throw new ActionParseError(`${what}: missing retryOptions`);
  const first = numberOr(value.firstRetryIntervalInMilliseconds, undefined);
  const max = numberOr(value.maxNumberOfAttempts, undefined);
  if (first === undefined || first <= 0) {
    throw new ActionParseError(`${what}: retryOptions.firstRetryIntervalInMilliseconds must be a number > 0`);
  }
  if (max === undefined) throw new ActionParseError(`${what}: retryOptions.maxNumberOfAttempts must be a number`);
  return {
    firstRetryIntervalInMilliseconds: first,
    maxNumberOfAttempts: max,
    backoffCoefficient: numberOr(value.backoffCoefficient, 1) ?? 1,
    maxRetryIntervalInMilliseconds: numberOr(value.maxRetryIntervalInMilliseconds, undefined),
    retryTimeoutInMilliseconds: numberOr(value.retryTimeoutInMilliseconds, undefined),
  };
}

function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ActionParseError(`${what}: missing function name`);
  return value;
}

export function parseAction(raw: unknown, seen: Map<object, Action> = new Map()): Action {
  if (!isRecord(raw)) throw new ActionParseError(`action is not an object: ${JSON.stringify(raw)}`);
  const known = seen.get(raw);
  if (known) return known;
  const type = actionTypeName(raw.actionType);
  const ref = raw;
  let action: Action;
  switch (type) {
    case 'CallActivity':
    case 'CallActivityWithRetry': {
      const name = requireName(raw.functionName, type);
      action = {
        type: 'CallActivity',
        ref,
        name,
        inputJson: processedInputJson(raw.input),
        retry: type === 'CallActivityWithRetry' ? parseRetry(raw.retryOptions, `${type} '${name}'`) : undefined,
      };
      break;
    }
    case 'CallSubOrchestrator':
    case 'CallSubOrchestratorWithRetry': {
      const name = requireName(raw.functionName, type);
      action = {
        type: 'CallSubOrchestrator',
        ref,
        name,
        inputJson: rawInputJson(raw.input),
        instanceId: typeof raw.instanceId === 'string' && raw.instanceId !== '' ? raw.instanceId : undefined,
        retry: type === 'CallSubOrchestratorWithRetry' ? parseRetry(raw.retryOptions, `${type} '${name}'`) : undefined,
      };
      break;
    }
    case 'CreateTimer':
      action = {
        type: 'CreateTimer',
        ref,
        fireAt: toIsoDate(raw.fireAt, 'CreateTimer'),
        isCanceled: raw.isCanceled === true,
      };
      break;
    case 'WaitForExternalEvent':
      if (raw.reason !== undefined && raw.reason !== 'ExternalEvent') {
        action = { type: 'Unsupported', ref, actionType: `WaitForExternalEvent(${JSON.stringify(raw.reason)})` };
      } else {
        action = { type: 'WaitForExternalEvent', ref, name: requireName(raw.externalEventName, type) };
      }
      break;
    case 'ContinueAsNew':
      action = { type: 'ContinueAsNew', ref, inputJson: processedInputJson(raw.input) };
      break;
    case 'WhenAll':
    case 'WhenAny': {
      if (!Array.isArray(raw.compoundActions)) throw new ActionParseError(`${type} has no compoundActions`);
      const children = (raw.compoundActions as unknown[]).map((c) => parseAction(c, seen));
      action = { type, ref, children };
      break;
    }
    default:
      action = { type: 'Unsupported', ref, actionType: type };
  }
  seen.set(raw, action);
  return action;
}

/** Parses `state.actions` (schema V2: one list, wrapped in an outer array). */
export function parseActionList(actions: unknown, seen: Map<object, Action> = new Map()): Action[] {
  if (actions === undefined || actions === null) return [];
  if (!Array.isArray(actions)) throw new ActionParseError('actions is not an array');
  const list: unknown[] = [];
  for (const group of actions as unknown[]) {
    if (!Array.isArray(group)) throw new ActionParseError('actions must be an array of arrays');
    list.push(...(group as unknown[]));
  }
  return list.map((a) => parseAction(a, seen));
}

export function describeAction(action: Action): string {
  switch (action.type) {
    case 'CallActivity':
      return `${action.retry ? 'CallActivityWithRetry' : 'CallActivity'} '${action.name}'`;
    case 'CallSubOrchestrator':
      return `${action.retry ? 'CallSubOrchestratorWithRetry' : 'CallSubOrchestrator'} '${action.name}'`;
    case 'CreateTimer':
      return `CreateTimer (fireAt ${action.fireAt})`;
    case 'WaitForExternalEvent':
      return `WaitForExternalEvent '${action.name}'`;
    case 'ContinueAsNew':
      return 'ContinueAsNew';
    case 'WhenAll':
    case 'WhenAny':
      return `${action.type} of ${action.children.length}`;
    case 'Unsupported':
      return action.actionType;
  }
}
