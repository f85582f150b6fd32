/**
 * The local Functions host: loads an app directory, captures what it registers through `@azure/functions` v4 (and
 * `durable-functions` v3 on top of it), and runs it: HTTP routes, Event Grid webhooks, timers, and durable
 * orchestrations with real replay. `startHost` is the programmatic entry point (sandbox, tests); `cli.ts` wraps it.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Logger } from '../../shared/log.js';
import { createLogger } from '../../shared/log.js';
import { readHostJson, readLocalSettings } from './config/appConfig.js';
import type { HostJsonConfig } from './config/appConfig.js';
import type { AuthLevel, HostKeys } from './config/keys.js';
import { authorizeFunction, authorizeSystem, keysConfigured, presentedKey, withSystemKeys } from './config/keys.js';
import { ActionParseError, parseActionList } from './durable/actions.js';
import type { DurableClientPayload } from './durable/api.js';
import { durableClientPayload, handleDurableApi } from './durable/api.js';
import type {
  ActivityRunResult,
  InstanceHistoryStats,
  OrchestrationPayload,
  OrchestratorRunResult,
} from './durable/engine.js';
import { DurableEngine } from './durable/engine.js';
import type { FailureDetails } from './durable/history.js';
import { toJsonText } from './durable/history.js';
import { FileStore, MemoryStore } from './durable/store.js';
import {
  BodyTooLargeError,
  readBody,
  requestOrigin,
  requestUrlOf,
  toRpcHttpRequest,
  writeJson,
  writeRpcHttpResponse,
} from './http/httpMessages.js';
import type { RouteTemplate } from './http/routeTemplate.js';
import { compareRoutePrecedence, matchRoute, parseRouteTemplate } from './http/routeTemplate.js';
import { parseEventGridDelivery } from './triggers/eventGrid.js';
import type { TimerSchedule } from './triggers/schedule.js';
import { parseTimerSchedule, resolveSettingReferences } from './triggers/schedule.js';
import type { RegisteredFunction } from './worker/coreApi.js';
import { HOST_VERSION, installCoreModule, WorkerRuntime } from './worker/coreApi.js';
import type { InvocationOutcome } from './worker/invoke.js';
import { invokeThroughModel, writeAppLog } from './worker/invoke.js';
import { loadApp } from './worker/loadApp.js';
import { activityTriggerMetadata, eventGridTriggerMetadata } from './worker/triggerMetadata.js';
import type { RpcBindingInfo, RpcParameterBinding, RpcTypedData } from './worker/rpc.js';
import { fromTypedData, isRecord } from './worker/rpc.js';

export interface StartHostOptions {
  /** The app directory: package.json (`main`), host.json, optionally local.settings.json. */
  appDir: string;
  /** Port of the public HTTP endpoint; 0 picks a free port. Default 7071. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  hostname?: string;
  /** Where durable instances are kept; omitted: in memory (lost on exit). */
  dataDir?: string;
  /**
   * App settings (env-like), applied to process.env (overriding it). Default: `Values` of the app's
   * local.settings.json, applied only where process.env has no value (an environment variable wins).
   */
  settings?: Readonly<Record<string, string>>;
  /** Function keys. None configured: keys are not checked (as Core Tools does locally). */
  keys?: HostKeys;
  logger?: Logger;
}

export interface FunctionSummary {
  name: string;
  trigger: string;
  route?: string;
  methods?: string[];
  authLevel?: AuthLevel;
  schedule?: string;
}

export interface HostHandle {
  /** Public base URL, e.g. http://127.0.0.1:7071 */
  url: string;
  /** The local durable RPC endpoint the durable client calls. */
  rpcBaseUrl: string;
  hubName: string;
  routePrefix: string;
  functions: FunctionSummary[];
  /** Durable instances resumed from the data directory at start. */
  resumedInstances: number;
  /** Read-only: the history size of every durable instance (current execution and peak), for diagnostics. */
  durableHistoryStats(): InstanceHistoryStats[];
  stop(): Promise<void>;
}

interface HttpRoute {
  fn: RegisteredFunction;
  template: RouteTemplate;
  methods: Set<string> | undefined;
  authLevel: AuthLevel;
}

interface TimerFunction {
  fn: RegisteredFunction;
  schedule: TimerSchedule;
  runOnStartup: boolean;
}

const OUT_OF_PROC_DATA_LABEL = '\n\n$OutOfProcData$:';
const SYSTEM_KEYS = ['eventgrid_extension', 'durabletask_extension'];

let hostStarted = false;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err);
}

function triggerType(fn: RegisteredFunction): string {
  return fn.trigger.type.toLowerCase();
}

function stringProp(binding: RpcBindingInfo, name: string): string | undefined {
  const value = binding[name];
  return typeof value === 'string' ? value : undefined;
}

const failureDetailsPayload = z.object({
  errorType: z.string(),
  errorMessage: z.string(),
  stackTrace: z.string().optional(),
  isNonRetriable: z.boolean().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

const wireFailureDetails: z.ZodType<FailureDetails> = z.lazy(() =>
  z.object({
    ErrorType: z.string(),
    ErrorMessage: z.string(),
    StackTrace: z.string().optional(),
    IsNonRetriable: z.boolean().optional(),
    Properties: z.record(z.string(), z.unknown()).optional(),
    InnerFailure: wireFailureDetails.optional(),
  }),
);

/** An activity's error as the extension records it: the library's failure-details JSON when present. */
export function activityFailure(name: string, error: unknown): Extract<ActivityRunResult, { ok: false }> {
  const message = errorMessage(error);
  const stack = error instanceof Error ? error.stack : undefined;
  let failure: FailureDetails = {
    ErrorType: error instanceof Error ? error.name : 'Error',
    ErrorMessage: message,
    ...(stack ? { StackTrace: stack } : {}),
    IsNonRetriable: false,
  };
  try {
    const parsed = failureDetailsPayload.safeParse(JSON.parse(message));
    if (parsed.success) {
      failure = {
        ErrorType: parsed.data.errorType,
        ErrorMessage: parsed.data.errorMessage,
        ...(parsed.data.stackTrace ? { StackTrace: parsed.data.stackTrace } : {}),
        IsNonRetriable: parsed.data.isNonRetriable ?? false,
        ...(parsed.data.properties ? { Properties: parsed.data.properties } : {}),
      };
    }
  } catch {
    // a plain message
  }
  return {
    ok: false,
    reason: `Activity function '${name}' failed: ${failure.ErrorMessage}`,
    details: failure.StackTrace ?? '',
    failure,
  };
}

/** Reads what an orchestrator invocation produced into the engine's terms. */
export function orchestratorResult(outcome: InvocationOutcome): OrchestratorRunResult {
  try {
    if (outcome.ok) {
      const state = fromTypedData(outcome.returnValue);
      if (!isRecord(state)) return { kind: 'error', message: 'the orchestrator returned no orchestration state' };
      const raw = isRecord(outcome.rawResult) ? outcome.rawResult : state;
      return {
        kind: 'state',
        isDone: state.isDone === true,
        actions: parseActionList(raw.actions),
        outputJson: toJsonText(state.output),
        customStatusJson: toJsonText(state.customStatus),
      };
    }
    const message = errorMessage(outcome.error);
    const at = message.indexOf(OUT_OF_PROC_DATA_LABEL);
    if (at < 0) return { kind: 'error', message };
    const state: unknown = JSON.parse(message.slice(at + OUT_OF_PROC_DATA_LABEL.length));
    if (!isRecord(state)) return { kind: 'error', message: message.slice(0, at) };
    const details = wireFailureDetails.safeParse(state.failureDetails);
    return {
      kind: 'failed',
      message: typeof state.error === 'string' ? state.error : message.slice(0, at),
      failureDetails: details.success ? details.data : undefined,
      actions: parseActionList(state.actions),
      customStatusJson: toJsonText(state.customStatus),
    };
  } catch (err: unknown) {
    if (err instanceof ActionParseError || err instanceof SyntaxError) {
      return { kind: 'error', message: `the orchestrator returned actions the host cannot read: ${err.message}` };
    }
    throw err;
  }
}

function activityResultJson(returnValue: unknown): string | null {
  const value = fromTypedData(returnValue);
  if (value === undefined) return null;
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('base64'));
  return JSON.stringify(value);
}

export async function startHost(options: StartHostOptions): Promise<HostHandle> {
  if (hostStarted) {
    throw new Error('a local host already ran in this process: @azure/functions keeps one app per process');
  }
  hostStarted = true;
  const appDir = path.resolve(options.appDir);
  const logger = options.logger ?? createLogger({ fields: { component: 'local-host' } });
  const hostname = options.hostname ?? '127.0.0.1';

  // app settings first: host.json and binding properties may reference them as %NAME%
  // explicit settings win over the environment; local.settings.json only fills what the environment lacks
  if (options.settings) {
    for (const [key, value] of Object.entries(options.settings)) process.env[key] = value;
  } else {
    for (const [key, value] of Object.entries((await readLocalSettings(appDir)) ?? {})) process.env[key] ??= value;
  }
  process.env.AZURE_FUNCTIONS_ENVIRONMENT ??= 'Development';
  process.env.FUNCTIONS_WORKER_RUNTIME ??= 'node';
  const hostConfig = await readHostJson(appDir, process.env);

  const keys = keysConfigured(options.keys) ? withSystemKeys(options.keys, SYSTEM_KEYS) : undefined;

  let app: LoadedApp | undefined;
  const publicServer = createServer((req, res) => {
    void handlePublic(req, res).catch((err: unknown) => {
      logger.error('request failed', { error: err, path: req.url });
      if (!res.headersSent) writeJson(res, 500, { error: 'internal error in the local host' });
      else res.end();
    });
  });
  const rpcServer = createServer((req, res) => {
    void handleRpc(req, res).catch((err: unknown) => {
      logger.error('durable rpc request failed', { error: err, path: req.url });
      if (!res.headersSent) writeJson(res, 500, { error: 'internal error in the local host' });
      else res.end();
    });
  });
  const port = await listen(publicServer, options.port ?? 7071, hostname);
  const rpcPort = await listen(rpcServer, 0, '127.0.0.1');
  const publicHost = hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname;
  const url = `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${port}`;
  const rpcBaseUrl = `http://127.0.0.1:${rpcPort}/durabletask/`;
  // durable-functions rewrites its URLs to localhost:7071 unless WEBSITE_HOSTNAME names the host
  process.env.WEBSITE_HOSTNAME = url.replace(/^http:\/\//, '');

  const clientPayload = durableClientPayload({
    publicBaseUrl: url,
    rpcBaseUrl,
    hubName: hostConfig.hubName,
    systemKey: keys?.systemKeys?.durabletask_extension,
  });

  try {
    app = await loadAndIndex({ appDir, logger, hostConfig, clientPayload, dataDir: options.dataDir });
  } catch (err: unknown) {
    await closeServer(publicServer);
    await closeServer(rpcServer);
    throw err;
  }
  const loaded = app;
  const { resumed } = await loaded.engine.start();
  loaded.startTimers();
  logger.info('host started', {
    url,
    hub: hostConfig.hubName,
    functions: loaded.summaries.length,
    store: loaded.storeDescription,
    resumedInstances: resumed,
    keysChecked: keys !== undefined,
  });

  async function handleRpc(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestUrl = new URL(req.url ?? '/', rpcBaseUrl);
    const segments = requestUrl.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[0] !== 'durabletask') {
      writeJson(res, 404, { error: 'not a durable API path' });
      return;
    }
    await serveDurable(req, res, requestUrl, segments.slice(1));
  }

  async function serveDurable(
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: URL,
    segments: string[],
  ): Promise<void> {
    const body = await readBody(req);
    // the URLs in answers (Location, management payloads) point where the caller reached the host
    const payload =
      requestUrl.origin === url
        ? clientPayload
        : durableClientPayload({
            publicBaseUrl: requestUrl.origin,
            rpcBaseUrl,
            hubName: hostConfig.hubName,
            systemKey: keys?.systemKeys?.durabletask_extension,
          });
    const response = await handleDurableApi(
      loaded.engine,
      { method: req.method ?? 'GET', segments, query: requestUrl.searchParams, body, headers: req.headers },
      { hubName: hostConfig.hubName, clientPayload: payload },
    );
    writeJson(res, response.status, response.body, response.headers);
  }

  async function handlePublic(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // as the Functions host, the request URL (what HttpRequest.url shows, what createCheckStatusResponse builds its
    // URLs from) has the origin the caller addressed: its Host header when well-formed, else the listen URL
    const requestUrl = requestUrlOf(req.url, requestOrigin(req.headers.host, url));
    const pathname = requestUrl.pathname;
    const presented = presentedKey(requestUrl.searchParams, req.headers['x-functions-key']);
    try {
      if (pathname === '/runtime/webhooks/durabletask' || pathname.startsWith('/runtime/webhooks/durabletask/')) {
        if (!authorizeSystem(keys, 'durabletask_extension', presented)) {
          writeJson(res, 401, { error: 'a valid durabletask_extension system key (or the master key) is required' });
          return;
        }
        const segments = pathname.split('/').filter(Boolean).slice(3).map(decodeURIComponent);
        await serveDurable(req, res, requestUrl, segments);
        return;
      }
      if (pathname === '/runtime/webhooks/eventgrid') {
        await serveEventGrid(req, res, requestUrl, presented);
        return;
      }
      if (pathname === '/admin' || pathname.startsWith('/admin/')) {
        await serveAdmin(req, res, pathname, presented);
        return;
      }
      await serveHttpFunction(req, res, requestUrl, presented);
    } catch (err: unknown) {
      if (err instanceof BodyTooLargeError) {
        writeJson(res, 413, { error: err.message });
        return;
      }
      if (err instanceof URIError) {
        writeJson(res, 400, { error: `malformed URL: ${err.message}` });
        return;
      }
      throw err;
    }
  }

  async function serveHttpFunction(
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: URL,
    presented: string | undefined,
  ): Promise<void> {
    const prefix = hostConfig.routePrefix;
    let rest = requestUrl.pathname;
    if (prefix) {
      const lower = rest.toLowerCase();
      const p = `/${prefix.toLowerCase()}`;
      if (lower !== p && !lower.startsWith(`${p}/`)) {
        writeJson(res, 404, { error: `no function at ${requestUrl.pathname} (HTTP routes start with /${prefix})` });
        return;
      }
      rest = rest.slice(p.length);
    }
    const method = (req.method ?? 'GET').toUpperCase();
    for (const route of loaded.routes) {
      const params = matchRoute(route.template, rest);
      if (!params) continue;
      if (route.methods && !route.methods.has(method)) continue;
      if (!authorizeFunction(keys, route.authLevel, route.fn.name, presented)) {
        writeJson(res, 401, {
          error: `function '${route.fn.name}' requires a ${route.authLevel === 'admin' ? 'master' : 'function'} key in the code query parameter or the x-functions-key header`,
        });
        return;
      }
      const body = await readBody(req);
      const http = toRpcHttpRequest({ req, url: requestUrl, body, params });
      const outcome = await loaded.invoke(route.fn, [{ name: route.fn.triggerName, data: { http } }], 'http');
      if (!outcome.ok) {
        writeJson(res, 500, { error: `function '${route.fn.name}' failed` });
        return;
      }
      writeRpcHttpResponse(res, loaded.httpResponseOf(route.fn, outcome));
      return;
    }
    writeJson(res, 404, { error: `no HTTP function matches ${method} ${requestUrl.pathname}` });
  }

  async function serveEventGrid(
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: URL,
    presented: string | undefined,
  ): Promise<void> {
    // the key first: a caller without it learns nothing, not even which function names exist
    if (!authorizeSystem(keys, 'eventgrid_extension', presented)) {
      writeJson(res, 401, {
        error: 'a valid eventgrid_extension system key (or the master key) is required in code= or x-functions-key',
      });
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const functionName = requestUrl.searchParams.get('functionName');
    if (!functionName) {
      writeJson(res, 400, { error: 'the functionName query parameter is required' });
      return;
    }
    const fn = loaded.byName(functionName);
    if (!fn || triggerType(fn) !== 'eventgridtrigger') {
      writeJson(res, 404, { error: `no Event Grid triggered function named '${functionName}'` });
      return;
    }
    if (method === 'OPTIONS') {
      // CloudEvents webhook abuse protection handshake
      const origin = req.headers['webhook-request-origin'];
      if (typeof origin !== 'string' || origin === '') {
        writeJson(res, 400, {
          error: 'OPTIONS needs a WebHook-Request-Origin header (CloudEvents validation handshake)',
        });
        return;
      }
      res.writeHead(200, { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*', Allow: 'POST, OPTIONS' });
      res.end();
      return;
    }
    if (method !== 'POST') {
      writeJson(res, 405, { error: 'use POST (or OPTIONS for the CloudEvents handshake)' }, { Allow: 'POST, OPTIONS' });
      return;
    }
    const body = await readBody(req);
    const delivery = parseEventGridDelivery(
      {
        eventType: typeof req.headers['aeg-event-type'] === 'string' ? req.headers['aeg-event-type'] : undefined,
        contentType: req.headers['content-type'],
      },
      body.toString('utf8'),
    );
    switch (delivery.kind) {
      case 'invalid':
        writeJson(res, 400, { error: delivery.message });
        return;
      case 'validation':
        writeJson(res, 200, { validationResponse: delivery.validationCode });
        return;
      case 'unsubscribe':
        writeJson(res, 202, undefined);
        return;
      case 'events': {
        let failed = 0;
        for (const event of delivery.events) {
          const outcome = await loaded.invoke(
            fn,
            [{ name: fn.triggerName, data: { json: JSON.stringify(event) } }],
            'eventGrid',
            eventGridTriggerMetadata(event),
          );
          if (!outcome.ok) failed++;
        }
        if (failed > 0) {
          writeJson(res, 500, { error: `${failed} of ${delivery.events.length} events failed in '${fn.name}'` });
          return;
        }
        writeJson(res, 202, undefined);
        return;
      }
    }
  }

  async function serveAdmin(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
    presented: string | undefined,
  ): Promise<void> {
    if (!authorizeFunction(keys, 'admin', '', presented)) {
      writeJson(res, 401, { error: 'admin endpoints require the master key' });
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segments[1] === 'host' && segments[2] === 'status' && method === 'GET') {
      writeJson(res, 200, {
        state: 'Running',
        version: HOST_VERSION,
        processUptime: Math.round(process.uptime() * 1000),
      });
      return;
    }
    if (segments[1] === 'functions' && segments.length === 2 && method === 'GET') {
      writeJson(res, 200, loaded.summaries);
      return;
    }
    if (segments[1] === 'functions' && segments.length === 3 && method === 'POST') {
      const fn = loaded.byName(segments[2] ?? '');
      if (!fn) {
        writeJson(res, 404, { error: `no function named '${segments[2] ?? ''}'` });
        return;
      }
      const type = triggerType(fn);
      if (['httptrigger', 'orchestrationtrigger', 'activitytrigger', 'entitytrigger'].includes(type)) {
        writeJson(res, 400, {
          error: `'${fn.name}' is a ${fn.trigger.type} function; it cannot be invoked through /admin/functions`,
        });
        return;
      }
      const text = (await readBody(req)).toString('utf8').trim();
      let input: unknown;
      try {
        const parsed: unknown = text === '' ? {} : JSON.parse(text);
        input = isRecord(parsed) ? parsed.input : undefined;
      } catch {
        writeJson(res, 400, { error: 'the body must be JSON: {"input": "..."}' });
        return;
      }
      const data: RpcTypedData | null =
        type === 'timertrigger'
          ? loaded.timerPayload(false, undefined)
          : input === undefined
            ? null
            : { string: typeof input === 'string' ? input : JSON.stringify(input) };
      void loaded.invoke(fn, [{ name: fn.triggerName, data }], 'admin');
      writeJson(res, 202, undefined);
      return;
    }
    writeJson(res, 404, { error: `no admin endpoint ${method} ${pathname}` });
  }

  let stopped = false;
  return {
    url,
    rpcBaseUrl,
    hubName: hostConfig.hubName,
    routePrefix: hostConfig.routePrefix,
    functions: loaded.summaries,
    resumedInstances: resumed,
    durableHistoryStats: () => loaded.engine.historyStats(),
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      loaded.stopTimers();
      await Promise.all([closeServer(publicServer), closeServer(rpcServer)]);
      await loaded.engine.stop();
      await loaded.runtime.runHooks('appTerminate', { hookData: {}, appHookData: loaded.runtime.appHookData });
      logger.info('host stopped', { url });
    },
  };
}

function listen(server: Server, port: number, hostname: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? (address satisfies AddressInfo).port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}

interface LoadedApp {
  runtime: WorkerRuntime;
  engine: DurableEngine;
  routes: HttpRoute[];
  summaries: FunctionSummary[];
  storeDescription: string;
  byName(name: string): RegisteredFunction | undefined;
  invoke(
    fn: RegisteredFunction,
    inputs: RpcParameterBinding[],
    trigger: string,
    triggerMetadata?: Record<string, RpcTypedData>,
  ): Promise<InvocationOutcome>;
  httpResponseOf(fn: RegisteredFunction, outcome: InvocationOutcome): unknown;
  timerPayload(isPastDue: boolean, next: Date | undefined): RpcTypedData;
  startTimers(): void;
  stopTimers(): void;
}

async function loadAndIndex(options: {
  appDir: string;
  logger: Logger;
  hostConfig: HostJsonConfig;
  clientPayload: DurableClientPayload;
  dataDir: string | undefined;
}): Promise<LoadedApp> {
  const { appDir, logger, hostConfig, clientPayload } = options;
  const runtime = new WorkerRuntime((level, category, message) => {
    writeAppLog(logger, level, category, message);
  });
  installCoreModule(runtime);
  const files = await loadApp(appDir, runtime);
  runtime.indexingLocked = true;
  const model = runtime.programmingModel;
  if (!model) {
    throw new Error(
      `the app in ${appDir} registered no programming model: its entry points (${files.map((f) => path.relative(appDir, f)).join(', ')}) must register functions with @azure/functions v4`,
    );
  }
  if (typeof model.getCapabilities === 'function') {
    const capabilities: unknown = await model.getCapabilities({});
    if (isRecord(capabilities) && typeof capabilities.HttpUri === 'string') {
      throw new Error('app.setup({ enableHttpStream: true }) is not supported by the local host');
    }
  }

  await runtime.runHooks('appStart', { hookData: {}, appHookData: runtime.appHookData, functionAppDirectory: appDir });

  const functions = [...runtime.functions.values()];
  const byLowerName = new Map(functions.map((f) => [f.name.toLowerCase(), f]));
  const settingsView: Record<string, string | undefined> = process.env;
  const resolved = new Map<RegisteredFunction, RpcBindingInfo>();
  for (const fn of functions) {
    // %NAME% in any binding property resolves from the app settings, as the host does; a missing one is an error
    for (const [bindingName, binding] of Object.entries(fn.metadata.bindings)) {
      const copy: RpcBindingInfo = { ...binding };
      for (const [key, value] of Object.entries(copy)) {
        if (typeof value === 'string' && key !== 'type' && key !== 'direction') {
          copy[key] = resolveSettingReferences(
            value,
            settingsView,
            `function '${fn.name}' binding '${bindingName}' property ${key}`,
          );
        }
      }
      if (bindingName === fn.triggerName) resolved.set(fn, { ...copy, type: fn.trigger.type });
    }
  }

  const routes: HttpRoute[] = [];
  const timers: TimerFunction[] = [];
  const orchestrators = new Set<string>();
  const activities = new Set<string>();
  const summaries: FunctionSummary[] = [];
  const timeZone = process.env.WEBSITE_TIME_ZONE ?? 'UTC';
  for (const fn of functions) {
    const trigger = resolved.get(fn) ?? fn.trigger;
    const type = triggerType(fn);
    const summary: FunctionSummary = { name: fn.name, trigger: fn.trigger.type };
    if (type === 'httptrigger') {
      const route = stringProp(trigger, 'route') ?? fn.name;
      const methodsRaw = trigger.methods;
      const methods = Array.isArray(methodsRaw)
        ? new Set(
            (methodsRaw as unknown[]).filter((m): m is string => typeof m === 'string').map((m) => m.toUpperCase()),
          )
        : undefined;
      const levelRaw = (stringProp(trigger, 'authLevel') ?? 'function').toLowerCase();
      if (levelRaw !== 'anonymous' && levelRaw !== 'function' && levelRaw !== 'admin') {
        throw new Error(`function '${fn.name}': authLevel "${levelRaw}" is not anonymous, function or admin`);
      }
      let template: RouteTemplate;
      try {
        template = parseRouteTemplate(route);
      } catch (err: unknown) {
        throw new Error(`function '${fn.name}': ${errorMessage(err)}`, { cause: err });
      }
      routes.push({ fn, template, methods, authLevel: levelRaw });
      Object.assign(summary, {
        route: `/${[hostConfig.routePrefix, template.template.replace(/^\/+/, '')].filter(Boolean).join('/')}`,
        methods: methods ? [...methods] : ['*'],
        authLevel: levelRaw,
      });
    } else if (type === 'timertrigger') {
      const expression = stringProp(trigger, 'schedule');
      if (!expression) throw new Error(`function '${fn.name}': the timer trigger has no schedule`);
      let schedule: TimerSchedule;
      try {
        schedule = parseTimerSchedule(expression, timeZone);
      } catch (err: unknown) {
        throw new Error(`function '${fn.name}': ${errorMessage(err)}`, { cause: err });
      }
      timers.push({ fn, schedule, runOnStartup: trigger.runOnStartup === true || trigger.runOnStartup === 'true' });
      summary.schedule = expression;
    } else if (type === 'orchestrationtrigger') {
      orchestrators.add(fn.name);
    } else if (type === 'activitytrigger') {
      activities.add(fn.name);
    } else if (type !== 'eventgridtrigger') {
      logger.warn('trigger not run automatically by the local host', {
        function: fn.name,
        trigger: fn.trigger.type,
        hint: 'invoke it with POST /admin/functions/{name} {"input": ...}',
      });
    }
    for (const [bindingName, binding] of Object.entries(fn.metadata.bindings)) {
      const bType = (binding.type ?? '').toLowerCase();
      if (bindingName === fn.triggerName || bindingName === '$return') continue;
      if (binding.direction === 'in' && bType !== 'durableclient' && bType !== 'orchestrationclient') {
        logger.warn('input binding not provided by the local host', {
          function: fn.name,
          binding: bindingName,
          type: binding.type,
        });
      }
    }
    summaries.push(summary);
  }
  routes.sort((a, b) => compareRoutePrecedence(a.template, b.template));
  const clientJson = JSON.stringify(clientPayload);

  function clientInputs(fn: RegisteredFunction): RpcParameterBinding[] {
    const inputs: RpcParameterBinding[] = [];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      const bType = (binding.type ?? '').toLowerCase();
      if (binding.direction === 'in' && (bType === 'durableclient' || bType === 'orchestrationclient')) {
        inputs.push({ name, data: { string: clientJson } });
      }
    }
    return inputs;
  }

  async function invoke(
    fn: RegisteredFunction,
    inputs: RpcParameterBinding[],
    trigger: string,
    triggerMetadata: Record<string, RpcTypedData> = {},
  ): Promise<InvocationOutcome> {
    const invocationId = randomUUID();
    const started = performance.now();
    let outcome: InvocationOutcome;
    try {
      outcome = await invokeThroughModel(
        runtime,
        fn,
        { invocationId, inputData: [...inputs, ...clientInputs(fn)], triggerMetadata },
        logger,
      );
    } catch (err: unknown) {
      outcome = { ok: false, error: err, outputData: [] };
    }
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    const fields = {
      function: fn.name,
      invocationId,
      trigger,
      durationMs,
      outcome: outcome.ok ? 'succeeded' : 'failed',
    };
    if (outcome.ok) logger.info('function invoked', fields);
    else logger.warn('function invoked', { ...fields, error: errorMessage(outcome.error) });
    return outcome;
  }

  const engine = new DurableEngine({
    store: options.dataDir
      ? new FileStore(path.join(path.resolve(options.dataDir), hostConfig.hubName))
      : new MemoryStore(),
    logger,
    orchestrators,
    activities,
    maxConcurrentActivities: hostConfig.maxConcurrentActivityFunctions,
    maxConcurrentOrchestrations: hostConfig.maxConcurrentOrchestratorFunctions,
    async runOrchestrator(name: string, payload: OrchestrationPayload): Promise<OrchestratorRunResult> {
      const fn = byLowerName.get(name.toLowerCase());
      if (!fn) return { kind: 'error', message: `orchestrator '${name}' is not registered` };
      const outcome = await invoke(
        fn,
        [{ name: fn.triggerName, data: { json: JSON.stringify(payload) } }],
        'orchestration',
      );
      return orchestratorResult(outcome);
    },
    async runActivity(name: string, inputJson: string | null, instanceId: string): Promise<ActivityRunResult> {
      const fn = byLowerName.get(name.toLowerCase());
      if (!fn) return activityFailure(name, new Error(`activity '${name}' is not registered`));
      const outcome = await invoke(
        fn,
        [{ name: fn.triggerName, data: inputJson === null ? null : { json: inputJson } }],
        `activity:${instanceId}`,
        activityTriggerMetadata(fn.triggerName, instanceId, inputJson),
      );
      if (!outcome.ok) return activityFailure(name, outcome.error);
      return { ok: true, resultJson: activityResultJson(outcome.returnValue) };
    },
  });

  function timerPayload(isPastDue: boolean, next: Date | undefined): RpcTypedData {
    const now = new Date().toISOString();
    return {
      json: JSON.stringify({
        Schedule: { AdjustForDST: true },
        ScheduleStatus: { Last: now, Next: next?.toISOString() ?? null, LastUpdated: now },
        IsPastDue: isPastDue,
      }),
    };
  }

  const timerHandles = new Set<NodeJS.Timeout>();
  let timersStopped = false;
  function startTimers(): void {
    for (const timer of timers) {
      const fire = async (due: Date | undefined): Promise<void> => {
        const isPastDue = due !== undefined && Date.now() - due.getTime() > 1000;
        const next = timer.schedule.next(new Date());
        await invoke(timer.fn, [{ name: timer.fn.triggerName, data: timerPayload(isPastDue, next) }], 'timer');
        schedule();
      };
      const schedule = (): void => {
        if (timersStopped) return;
        const next = timer.schedule.next(new Date());
        if (!next) return;
        const wait = (): void => {
          const remaining = next.getTime() - Date.now();
          if (remaining > 0) {
            const handle = setTimeout(
              () => {
                timerHandles.delete(handle);
                wait();
              },
              Math.min(remaining, 2_000_000_000),
            );
            timerHandles.add(handle);
            return;
          }
          if (!timersStopped) void fire(next);
        };
        wait();
      };
      if (timer.runOnStartup) void fire(undefined);
      else schedule();
    }
  }

  function httpResponseOf(fn: RegisteredFunction, outcome: InvocationOutcome): unknown {
    const returnBinding = fn.metadata.bindings.$return;
    if (returnBinding && (returnBinding.type ?? '').toLowerCase() === 'http') {
      return isRecord(outcome.returnValue) ? outcome.returnValue.http : undefined;
    }
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== 'out' || (binding.type ?? '').toLowerCase() !== 'http') continue;
      const data = outcome.outputData.find((o) => o.name === name)?.data;
      return isRecord(data) ? data.http : undefined;
    }
    return undefined;
  }

  return {
    runtime,
    engine,
    routes,
    summaries,
    storeDescription: options.dataDir ? `files in ${path.resolve(options.dataDir)}` : 'memory',
    byName: (name) => byLowerName.get(name.toLowerCase()),
    invoke,
    httpResponseOf,
    timerPayload,
    startTimers,
    stopTimers(): void {
      timersStopped = true;
      for (const handle of timerHandles) clearTimeout(handle);
      timerHandles.clear();
    },
  };
}
