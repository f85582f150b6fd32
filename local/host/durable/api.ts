/**
 * The Durable Functions HTTP API, served twice: on the local RPC endpoint the durable client calls (`rpcBaseUrl`,
 * loopback only, no key) and on the public `/runtime/webhooks/durabletask/...` URLs that createCheckStatusResponse
 * hands out (key checked by the server). Status codes follow the extension's documentation: instance status 200
 * completed, 202 running or pending, 400 failed or terminated, 404 unknown; raise event / terminate 202, 404, 410.
 */
import type { DurableEngine, QueryFilter } from './engine.js';
import { DurableApiError } from './engine.js';
import type { HistoryEvent } from './history.js';
import { EventType, eventTypeName, fromJsonText } from './history.js';
import type { InstanceRecord, RuntimeStatus } from './store.js';
import { RUNTIME_STATUSES } from './store.js';

export interface ApiRequest {
  method: string;
  /** Path segments after the API base (already URL-decoded). */
  segments: string[];
  query: URLSearchParams;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

export const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';

/** The value of a `durableClient` input binding (what getClient(context) reads). */
export interface DurableClientPayload {
  taskHubName: string;
  creationUrls: { createNewInstancePostUri: string; waitOnNewInstancePostUri: string };
  managementUrls: ManagementUrls;
  baseUrl: string;
  requiredQueryStringParameters: string;
  rpcBaseUrl: string;
  httpBaseUrl: string;
}

/** The URL templates of the durable client binding, for a public base URL and optional system key. */
export function durableClientPayload(options: {
  publicBaseUrl: string;
  rpcBaseUrl: string;
  hubName: string;
  systemKey: string | undefined;
}): DurableClientPayload {
  const base = `${options.publicBaseUrl}/runtime/webhooks/durabletask`;
  const required = `taskHub=${encodeURIComponent(options.hubName)}&connection=Storage${
    options.systemKey ? `&code=${encodeURIComponent(options.systemKey)}` : ''
  }`;
  const instance = `${base}/instances/${INSTANCE_ID_PLACEHOLDER}`;
  const managementUrls: ManagementUrls = {
    id: INSTANCE_ID_PLACEHOLDER,
    statusQueryGetUri: `${instance}?${required}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${required}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${required}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${required}`,
    purgeHistoryDeleteUri: `${instance}?${required}`,
    restartPostUri: `${instance}/restart?${required}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${required}`,
    resumePostUri: `${instance}/resume?reason={text}&${required}`,
  };
  return {
    taskHubName: options.hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?code=${options.systemKey ?? ''}`,
      waitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${options.systemKey ?? ''}`,
    },
    managementUrls,
    baseUrl: base,
    requiredQueryStringParameters: required,
    rpcBaseUrl: options.rpcBaseUrl,
    httpBaseUrl: '',
  };
}

export function managementPayloadFor(clientPayload: DurableClientPayload, instanceId: string): ManagementUrls {
  const urls = clientPayload.managementUrls;
  const encoded = encodeURIComponent(instanceId);
  const fill = (template: string): string => template.replace(INSTANCE_ID_PLACEHOLDER, encoded);
  return {
    id: instanceId,
    statusQueryGetUri: fill(urls.statusQueryGetUri),
    sendEventPostUri: fill(urls.sendEventPostUri),
    terminatePostUri: fill(urls.terminatePostUri),
    rewindPostUri: fill(urls.rewindPostUri),
    purgeHistoryDeleteUri: fill(urls.purgeHistoryDeleteUri),
    restartPostUri: fill(urls.restartPostUri),
    suspendPostUri: fill(urls.suspendPostUri),
    resumePostUri: fill(urls.resumePostUri),
  };
}

function parseJsonValue(text: string): unknown {
  return JSON.parse(text) as unknown;
}

function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name);
  if (value === null) return fallback;
  return value.toLowerCase() === 'true';
}

function historyView(record: InstanceRecord, showOutput: boolean): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  const completed = new Set<number>();
  for (const e of record.history) {
    if (
      e.EventType === EventType.TaskScheduled ||
      e.EventType === EventType.SubOrchestrationInstanceCreated ||
      e.EventType === EventType.TimerCreated
    ) {
      scheduled.set(e.EventId, e);
    }
    const id = e.EventType === EventType.TimerFired ? e.TimerId : e.TaskScheduledId;
    if (id !== undefined) completed.add(id);
  }
  const out: Record<string, unknown>[] = [];
  for (const e of record.history) {
    const base: Record<string, unknown> = { EventType: eventTypeName(e.EventType), Timestamp: e.Timestamp };
    switch (e.EventType) {
      case EventType.ExecutionStarted:
        out.push({ ...base, FunctionName: e.Name, ...(showOutput ? { Input: fromJsonText(e.Input) } : {}) });
        break;
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted: {
        const s = e.TaskScheduledId === undefined ? undefined : scheduled.get(e.TaskScheduledId);
        out.push({
          ...base,
          FunctionName: s?.Name,
          ScheduledTime: s?.Timestamp,
          ...(showOutput ? { Result: fromJsonText(e.Result) } : {}),
        });
        break;
      }
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed: {
        const s = e.TaskScheduledId === undefined ? undefined : scheduled.get(e.TaskScheduledId);
        out.push({ ...base, FunctionName: s?.Name, ScheduledTime: s?.Timestamp, Reason: e.Reason, Details: e.Details });
        break;
      }
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
        if (!completed.has(e.EventId)) out.push({ ...base, FunctionName: e.Name });
        break;
      case EventType.TimerCreated:
        if (!completed.has(e.EventId)) out.push({ ...base, FireAt: e.FireAt });
        break;
      case EventType.TimerFired:
        out.push({ ...base, FireAt: e.FireAt });
        break;
      case EventType.EventRaised:
        out.push({ ...base, Name: e.Name, ...(showOutput ? { Input: fromJsonText(e.Input) } : {}) });
        break;
      case EventType.ExecutionCompleted:
        out.push({
          ...base,
          OrchestrationStatus: e.OrchestrationStatus,
          ...(showOutput ? { Result: fromJsonText(e.Result) } : {}),
        });
        break;
      case EventType.ExecutionTerminated:
      case EventType.ExecutionSuspended:
      case EventType.ExecutionResumed:
        out.push({ ...base, Input: fromJsonText(e.Input) });
        break;
      default:
        break;
    }
  }
  return out;
}

export function statusBody(
  record: InstanceRecord,
  options: { showHistory: boolean; showHistoryOutput: boolean; showInput: boolean },
): Record<string, unknown> {
  return {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.status,
    input: options.showInput ? fromJsonText(record.inputJson) : null,
    customStatus: fromJsonText(record.customStatusJson),
    output: fromJsonText(record.outputJson),
    createdTime: record.createdTime,
    lastUpdatedTime: record.lastUpdatedTime,
    ...(options.showHistory ? { historyEvents: historyView(record, options.showHistoryOutput) } : {}),
  };
}

export function statusCodeOf(status: RuntimeStatus): number {
  if (status === 'Completed') return 200;
  if (status === 'Failed' || status === 'Terminated' || status === 'Canceled') return 400;
  return 202;
}

function parseDate(query: URLSearchParams, name: string): Date | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new DurableApiError(400, `${name}: "${value}" is not a date`);
  return date;
}

function parseFilter(query: URLSearchParams): QueryFilter {
  const statuses: RuntimeStatus[] = [];
  for (const raw of (query.get('runtimeStatus') ?? '').split(',')) {
    const name = raw.trim();
    if (!name) continue;
    const match = RUNTIME_STATUSES.find((s) => s.toLowerCase() === name.toLowerCase());
    if (!match)
      throw new DurableApiError(400, `runtimeStatus: unknown status "${name}" (known: ${RUNTIME_STATUSES.join(', ')})`);
    statuses.push(match);
  }
  return {
    createdTimeFrom: parseDate(query, 'createdTimeFrom'),
    createdTimeTo: parseDate(query, 'createdTimeTo'),
    runtimeStatus: statuses,
    instanceIdPrefix: query.get('instanceIdPrefix') ?? undefined,
  };
}

function bodyJson(body: Buffer, what: string): string | null {
  const text = body.toString('utf8').trim();
  if (text === '') return null;
  try {
    return JSON.stringify(parseJsonValue(text));
  } catch {
    throw new DurableApiError(400, `${what} must be JSON: ${text.length > 80 ? `${text.slice(0, 77)}...` : text}`);
  }
}

export async function handleDurableApi(
  engine: DurableEngine,
  request: ApiRequest,
  context: { hubName: string; clientPayload: DurableClientPayload },
): Promise<ApiResponse> {
  try {
    const hub = request.query.get('taskHub');
    if (hub && hub.toLowerCase() !== context.hubName.toLowerCase()) {
      return {
        status: 404,
        body: { error: `task hub '${hub}' is not served by this host (it serves '${context.hubName}')` },
      };
    }
    const [first, second, third, fourth, ...rest] = request.segments;
    const method = request.method.toUpperCase();
    if (first === 'orchestrators' && second && rest.length === 0 && fourth === undefined) {
      if (method !== 'POST') return methodNotAllowed('POST');
      const record = await engine.startNew(second, third, bodyJson(request.body, 'the orchestration input'));
      const payload = managementPayloadFor(context.clientPayload, record.instanceId);
      return { status: 202, headers: { Location: payload.statusQueryGetUri, 'Retry-After': '10' }, body: payload };
    }
    if (first === 'instances' && second === undefined) {
      const filter = parseFilter(request.query);
      if (method === 'GET') return listInstances(engine, request, filter);
      if (method === 'DELETE') {
        const count = await engine.purgeBy(filter);
        return count > 0
          ? { status: 200, body: { instancesDeleted: count } }
          : { status: 404, body: { instancesDeleted: 0 } };
      }
      return methodNotAllowed('GET, DELETE');
    }
    if (first === 'instances' && second) {
      const id = second;
      if (third === undefined) {
        if (method === 'GET') {
          const record = engine.get(id);
          if (!record) return { status: 404, body: { error: `No instance with ID '${id}' found.` } };
          const body = statusBody(record, {
            showHistory: flag(request.query, 'showHistory', false),
            showHistoryOutput: flag(request.query, 'showHistoryOutput', false),
            showInput: flag(request.query, 'showInput', true),
          });
          const status = statusCodeOf(record.status);
          const headers: Record<string, string> =
            status === 202
              ? {
                  Location: managementPayloadFor(context.clientPayload, id).statusQueryGetUri,
                  'Retry-After': '10',
                }
              : {};
          return { status, headers, body };
        }
        if (method === 'DELETE') {
          const purged = await engine.purge(id);
          return purged
            ? { status: 200, body: { instancesDeleted: 1 } }
            : { status: 404, body: { instancesDeleted: 0 } };
        }
        return methodNotAllowed('GET, DELETE');
      }
      if (method !== 'POST') return methodNotAllowed('POST');
      const reason = request.query.get('reason');
      switch (third) {
        case 'raiseEvent':
          if (!fourth || rest.length > 0) return { status: 400, body: { error: 'raiseEvent needs an event name' } };
          await engine.raiseEvent(id, fourth, bodyJson(request.body, 'the event data'));
          return { status: 202 };
        case 'terminate':
          await engine.terminate(id, reason);
          return { status: 202 };
        case 'suspend':
          await engine.suspend(id, reason);
          return { status: 202 };
        case 'resume':
          await engine.resume(id, reason);
          return { status: 202 };
        case 'restart': {
          const record = await engine.restart(id, flag(request.query, 'restartWithNewInstanceId', true));
          const payload = managementPayloadFor(context.clientPayload, record.instanceId);
          return { status: 202, headers: { Location: payload.statusQueryGetUri }, body: payload };
        }
        case 'rewind':
          return { status: 501, body: { error: 'rewind is not supported by the local host' } };
        default:
          return { status: 404, body: { error: `unknown instance operation '${third}'` } };
      }
    }
    if (first === 'entities') {
      return { status: 501, body: { error: 'durable entities are not supported by the local host' } };
    }
    return { status: 404, body: { error: `no durable API at '${request.segments.join('/')}'` } };
  } catch (err: unknown) {
    if (err instanceof DurableApiError) return { status: err.status, body: { error: err.message } };
    throw err;
  }
}

function methodNotAllowed(allow: string): ApiResponse {
  return { status: 405, headers: { Allow: allow }, body: { error: `method not allowed; use ${allow}` } };
}

function listInstances(engine: DurableEngine, request: ApiRequest, filter: QueryFilter): ApiResponse {
  const all = engine.query(filter);
  const topText = request.query.get('top');
  const top = topText === null ? undefined : Number(topText);
  if (top !== undefined && (!Number.isInteger(top) || top <= 0)) {
    return { status: 400, body: { error: `top: "${topText ?? ''}" is not a positive integer` } };
  }
  const tokenHeader = request.headers['x-ms-continuation-token'];
  const token = typeof tokenHeader === 'string' ? Number(tokenHeader) : 0;
  const start = Number.isInteger(token) && token > 0 ? token : 0;
  const page = top === undefined ? all.slice(start) : all.slice(start, start + top);
  const next = start + page.length;
  const showInput = flag(request.query, 'showInput', false);
  const headers: Record<string, string> = next < all.length ? { 'x-ms-continuation-token': String(next) } : {};
  return {
    status: 200,
    headers,
    body: page.map((r) => statusBody(r, { showHistory: false, showHistoryOutput: false, showInput })),
  };
}
