/**
 * The ARM-compatible HTTPS simulator: `startSimulator(options)` generates a certificate, loads a scenario and serves
 * ARM on loopback, plus a control API under `/_sim/`. See docs/simulator.md.
 *
 * Request pipeline (ARM paths): body → authentication (401) → route (404/405) → api-version (400) → throttling (429)
 * → fault injection (latency, injected status, ambiguous write) → role enforcement (403) → handler → response (or a
 * dropped connection for an ambiguous write) → call log and counters. Writes emit their ARM event when they complete.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { CallLog, type CallLogEntry, type OperationCounters } from './calllog.js';
import { generateServerCertificate } from './cert.js';
import { SimClock } from './clock.js';
import type { SimContext } from './context.js';
import { handleControl } from './control.js';
import {
  EventHub,
  type DeliveryRecord,
  type EventGridEvent,
  type EventSubscription,
  type EventSubscriptionInput,
} from './events.js';
import { FaultConfigSchema, FaultInjector, injectedError, type FaultConfig, type FaultDecision } from './faults.js';
import { ArmError } from './http/errors.js';
import type { ArmRequest, ArmResponse } from './http/request.js';
import { Router } from './http/router.js';
import { OperationStore } from './operations.js';
import { authorizationRoutes } from './providers/authorization.js';
import { clusterRoutes, renderCluster } from './providers/clusters.js';
import { fleetRoutes } from './providers/fleet.js';
import { renderFleet, renderMember, renderProfile } from './providers/fleetRender.js';
import { onClusterReconciled, startApply } from './providers/mesh.js';
import { networkRoutes, renderNetworkResource, renderVnet } from './providers/network.js';
import { renderRoleAssignment } from './providers/authorization.js';
import { resourceRoutes } from './providers/resources.js';
import { renderTrafficProfile, targetHealth, trafficRoutes } from './providers/traffic.js';
import { SeededRandom } from './random.js';
import { authorizationFailedMessage, checkAccess, type AccessDecision, type AccessRequest } from './rbac/access.js';
import { isOperationId, OPERATION_ACTIONS, requiredAction, type OperationKind } from './rbac/actions.js';
import { builtInScenario } from './scenario/builtins.js';
import { loadScenario } from './scenario/load.js';
import { parseScenario, ScenarioError, type ScenarioInput } from './scenario/schema.js';
import { SettingsSchema, type Settings, type SettingsInput } from './settings.js';
import {
  SlidingWindowThrottler,
  Throttler,
  TRAFFIC_MANAGER_LIMITS_PER_MINUTE,
  TRAFFIC_MANAGER_WINDOW_SECONDS,
  trafficManagerGroupOf,
  type BucketKind,
  type ThrottlingSettings,
} from './throttle.js';
import { key, type Health, type Principal, type World } from './world.js';

export interface SimulatorOptions {
  /** A built-in scenario name (`two-regions`, `generated:N[?knobs]`), a path to a JSON file, or a scenario object. Default `two-regions`. */
  readonly scenario?: string | ScenarioInput;
  /** Port on 127.0.0.1 (0 or absent: a free port). */
  readonly port?: number;
  /** Listen address; loopback only (`127.0.0.1` default, or `::1`). */
  readonly host?: '127.0.0.1' | '::1' | 'localhost';
  /** Pinned subscription and tenant ids (otherwise the scenario's, otherwise generated). */
  readonly subscriptionId?: string;
  readonly tenantId?: string;
  /** Simulated ms per wall ms (overrides the scenario; 0 pauses). */
  readonly timeFactor?: number;
  /** On/off, or full bucket settings. */
  readonly throttling?: boolean | Partial<ThrottlingSettings>;
  readonly enforceRoles?: boolean;
  readonly pageSize?: number;
  readonly seed?: number;
  /** Any other setting (deep-merged over the scenario's). */
  readonly settings?: SettingsInput;
  readonly faults?: FaultConfig;
  /** Pinned admin token for `/_sim/` (generated otherwise). */
  readonly adminToken?: string;
  /** Pinned tokens by principal name (override the scenario's). */
  readonly tokens?: Readonly<Record<string, string>>;
  /** Request log (debug level: one line per ARM call, no tokens). */
  readonly logger?: Logger;
}

export interface PrincipalInfo {
  readonly name: string;
  readonly objectId: string;
  readonly clientId: string;
  readonly type: string;
  readonly token: string | undefined;
}

export interface HealthTarget {
  /** A public IP id, a managed cluster id, or (with `target`) an external endpoint's FQDN or IP. */
  readonly resourceId?: string;
  readonly target?: string;
  /** `null` clears it (back to the default: healthy, or the cluster's health for its public IPs). */
  readonly health: Health | null;
}

/** Everything tests, the sandbox and the benchmark drive in process; the `/_sim/` API maps onto the same methods. */
export interface SimulatorControl {
  loadScenario(scenario: string | ScenarioInput, options?: { subscriptionId?: string; tenantId?: string }): void;
  /** The whole state as JSON (resources as ARM renders them, plus operations, mesh internals and health). */
  state(): Record<string, unknown>;
  settings(): Settings;
  updateSettings(patch: SettingsInput): Settings;
  setFaults(config: FaultConfig): void;
  clearFaults(): void;
  faults(): FaultConfig;
  calls(since?: number): CallLogEntry[];
  clearCalls(): void;
  counters(): Record<string, OperationCounters>;
  resetCounters(): void;
  /** Simulated time (epoch ms). */
  now(): number;
  setTimeFactor(factor: number): void;
  /** Moves simulated time forward and runs everything that became due. */
  advance(ms: number): void;
  setThrottling(settings: boolean | Partial<ThrottlingSettings>): void;
  setRoleEnforcement(enabled: boolean): void;
  setHealth(target: HealthTarget): void;
  addEventSubscription(subscription: EventSubscriptionInput): EventSubscription;
  removeEventSubscription(name: string): boolean;
  eventSubscriptions(): EventSubscription[];
  /** Events produced so far, oldest first. */
  events(): readonly EventGridEvent[];
  deliveries(): readonly DeliveryRecord[];
  /** Principals of the current scenario by name (with their tokens). */
  principals(): Record<string, PrincipalInfo>;
  /** Access decision for a principal (object id or name), action and scope, as role enforcement would make it. */
  checkAccess(request: { principal: string; action: string; scope: string }): AccessDecision;
  /** The live state (for in-process tests and tools; treat as read-only). */
  world(): World;
}

export interface RunningSimulator {
  /** `https://127.0.0.1:PORT`: the ARM endpoint. */
  readonly endpoint: string;
  readonly port: number;
  readonly subscriptionId: string;
  readonly tenantId: string;
  /** The server certificate (PEM): trust it as `ca` for this endpoint only. */
  readonly certificatePem: string;
  /** Bearer token by principal name. */
  readonly tokens: Readonly<Record<string, string>>;
  /** Bearer token of the `/_sim/` control API. */
  readonly adminToken: string;
  readonly control: SimulatorControl;
  /** Milliseconds from the call to startSimulator until the server listened with the scenario loaded. */
  readonly startupMs: number;
  stop(): Promise<void>;
}

type ResponseHeaders = Record<string, string>;

const MAX_BODY = 4 * 1024 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (!isRecord(base) || !isRecord(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(out[k], v);
  return out;
}

/** The scenario named, read from a file, or given; validated by parseScenario afterwards. */
function resolveScenario(scenario: string | ScenarioInput | undefined): unknown {
  if (scenario === undefined) return builtInScenario('two-regions');
  if (typeof scenario !== 'string') return scenario;
  if (scenario === 'two-regions' || scenario.startsWith('generated:')) return builtInScenario(scenario);
  let text: string;
  try {
    text = readFileSync(scenario, 'utf8');
  } catch (error) {
    throw new ScenarioError(
      '',
      `'${scenario}' is neither a built-in scenario nor a readable file: ${ensureError(error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError('', `file '${scenario}' is not valid JSON: ${ensureError(error).message}`);
  }
  return parsed;
}

/** The SimContext handed to providers: live views of the simulator's state. */
class LiveContext implements SimContext {
  readonly clock: SimClock;
  readonly random: SeededRandom;
  readonly operations: OperationStore;
  readonly events: EventHub;
  readonly hooks: SimContext['hooks'];
  private readonly deps: {
    world: () => World;
    settings: () => Settings;
    clock: SimClock;
    random: SeededRandom;
    operations: OperationStore;
    events: EventHub;
    checkAccess: (request: AccessRequest) => AccessDecision;
    onClusterReconciled: (clusterKey: string) => void;
  };

  constructor(deps: LiveContext['deps']) {
    this.deps = deps;
    this.clock = deps.clock;
    this.random = deps.random;
    this.operations = deps.operations;
    this.events = deps.events;
    this.hooks = { onClusterReconciled: deps.onClusterReconciled };
  }

  get world(): World {
    return this.deps.world();
  }

  get settings(): Settings {
    return this.deps.settings();
  }

  checkAccess(request: AccessRequest): AccessDecision {
    return this.deps.checkAccess(request);
  }

  emitFor(request: ArmRequest, event: Parameters<SimContext['emitFor']>[1]): void {
    this.events.emit({
      kind: event.kind,
      succeeded: event.succeeded ?? true,
      resourceUri: event.resourceUri,
      operationName: event.operationName,
      principal: request.principal,
      evidence: request.access.evidence,
      scope: request.access.scope,
      correlationId: request.correlationId,
      clientRequestId: request.clientRequestId,
      clientIp: request.clientIp,
      method: request.method,
      url: request.url.toString(),
      includeHttpRequest: event.existed || event.kind === 'delete',
    });
  }
}

class Simulator {
  private worldValue: World;
  private settingsValue: Settings;
  private readonly clock: SimClock;
  private readonly random: SeededRandom;
  private readonly operations: OperationStore;
  private readonly events: EventHub;
  private readonly router = new Router();
  private readonly throttler: Throttler;
  private readonly trafficThrottler = new SlidingWindowThrottler();
  private readonly faults: FaultInjector;
  private readonly callLog = new CallLog();
  private readonly ctx: SimContext;
  private tokensByName = new Map<string, string>();
  private tokenIndex = new Map<string, string>();
  private readonly options: SimulatorOptions;
  readonly adminToken: string;
  baseUrl = '';

  constructor(options: SimulatorOptions) {
    this.options = options;
    this.adminToken = options.adminToken ?? `sim-admin.${randomBytes(24).toString('base64url')}`;
    const scenario = parseScenario(resolveScenario(options.scenario));
    this.settingsValue = this.mergeSettings(scenario.settings);
    this.clock = new SimClock({ factor: this.settingsValue.timeFactor });
    this.clock.onTaskError = (error) => options.logger?.error('simulator task failed', { error: ensureError(error) });
    this.random = new SeededRandom(this.settingsValue.seed);
    this.operations = new OperationStore(this.clock, () => this.settingsValue);
    this.throttler = new Throttler(this.settingsValue.throttling);
    this.faults = new FaultInjector(options.faults === undefined ? {} : FaultConfigSchema.parse(options.faults));
    this.events = new EventHub({
      clock: this.clock,
      random: this.random,
      settings: () => this.settingsValue,
      subscriptionId: () => this.worldValue.subscriptionId,
      tenantId: () => this.worldValue.tenantId,
    });
    this.router.add(
      ...resourceRoutes(),
      ...fleetRoutes(),
      ...clusterRoutes(),
      ...networkRoutes(),
      ...authorizationRoutes(),
      ...trafficRoutes(),
    );
    this.ctx = new LiveContext({
      world: () => this.worldValue,
      settings: () => this.settingsValue,
      clock: this.clock,
      random: this.random,
      operations: this.operations,
      events: this.events,
      checkAccess: (request: AccessRequest) => this.access(request),
      onClusterReconciled: (clusterKey) => {
        onClusterReconciled(this.ctx, clusterKey);
      },
    });
    this.worldValue = this.install(scenario, { subscriptionId: options.subscriptionId, tenantId: options.tenantId });
  }

  get world(): World {
    return this.worldValue;
  }

  get settings(): Settings {
    return this.settingsValue;
  }

  private mergeSettings(scenarioSettings: unknown): Settings {
    const o = this.options;
    let merged = deepMerge(scenarioSettings ?? {}, o.settings ?? {});
    const overrides: Record<string, unknown> = {};
    if (o.timeFactor !== undefined) overrides['timeFactor'] = o.timeFactor;
    if (o.enforceRoles !== undefined) overrides['enforceRoles'] = o.enforceRoles;
    if (o.pageSize !== undefined) overrides['pageSize'] = o.pageSize;
    if (o.seed !== undefined) overrides['seed'] = o.seed;
    if (o.throttling !== undefined)
      overrides['throttling'] = typeof o.throttling === 'boolean' ? { enabled: o.throttling } : o.throttling;
    merged = deepMerge(merged, overrides);
    const parsed = SettingsSchema.safeParse(merged);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ScenarioError(
        `settings${issue && issue.path.length > 0 ? `.${issue.path.map(String).join('.')}` : ''}`,
        issue?.message ?? 'invalid',
      );
    }
    return parsed.data;
  }

  /** Replaces the world with a freshly loaded scenario. */
  private install(
    scenario: ReturnType<typeof parseScenario>,
    ids: { subscriptionId: string | undefined; tenantId: string | undefined },
  ): World {
    return this.activate(this.build(scenario, ids));
  }

  /** Builds the world of a scenario without touching the running one (a bad scenario throws here). */
  private build(
    scenario: ReturnType<typeof parseScenario>,
    ids: { subscriptionId: string | undefined; tenantId: string | undefined },
  ): ReturnType<typeof loadScenario> {
    const previous = new Map(this.tokensByName);
    for (const [name, token] of Object.entries(this.options.tokens ?? {})) previous.set(name, token);
    const pinnedPrincipals = scenario.principals.map((p) => {
      const pinned = this.options.tokens?.[p.name];
      return pinned === undefined ? p : { ...p, token: pinned };
    });
    const loaded = loadScenario(
      { ...scenario, principals: pinnedPrincipals },
      {
        ...(ids.subscriptionId === undefined ? {} : { subscriptionId: ids.subscriptionId }),
        ...(ids.tenantId === undefined ? {} : { tenantId: ids.tenantId }),
        previousTokens: previous,
        now: this.clock.nowIso(),
      },
    );
    return loaded;
  }

  /** Makes a built world the running one. */
  private activate(loaded: ReturnType<typeof loadScenario>): World {
    this.worldValue = loaded.world;
    this.tokensByName = new Map(loaded.tokens);
    this.tokenIndex = new Map();
    for (const p of loaded.world.principals.values())
      if (p.token !== undefined) this.tokenIndex.set(p.token, p.objectId);
    this.operations.clear();
    this.throttler.reset();
    this.trafficThrottler.reset();
    this.events.clearSubscriptions();
    for (const sub of loaded.eventSubscriptions) this.events.addSubscription(sub);
    for (const profile of loaded.profilesToApply) startApply(this.ctx, profile, undefined, { immediate: true });
    this.clock.runDue();
    return loaded.world;
  }

  loadScenario(input: string | ScenarioInput, ids: { subscriptionId?: string; tenantId?: string } = {}): void {
    const scenario = parseScenario(resolveScenario(input));
    const settings = this.mergeSettings(scenario.settings);
    // Everything that can refuse the scenario happens before anything changes: a rejected scenario leaves the
    // running world and settings as they were.
    const loaded = this.build(scenario, {
      subscriptionId:
        ids.subscriptionId ?? this.options.subscriptionId ?? scenario.subscriptionId ?? this.worldValue.subscriptionId,
      tenantId: ids.tenantId ?? this.options.tenantId ?? scenario.tenantId ?? this.worldValue.tenantId,
    });
    this.installSettings(settings);
    this.activate(loaded);
  }

  private installSettings(settings: Settings): void {
    const seedChanged = settings.seed !== this.settingsValue.seed;
    this.settingsValue = settings;
    this.throttler.configure(settings.throttling);
    this.trafficThrottler.reset();
    if (seedChanged) this.random.reseed(settings.seed);
    if (settings.timeFactor !== this.clock.factor) this.clock.setFactor(settings.timeFactor);
  }

  updateSettings(patch: SettingsInput): Settings {
    const parsed = SettingsSchema.safeParse(deepMerge(this.settingsValue, patch));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ArmError(
        400,
        'InvalidSettings',
        `settings.${issue ? issue.path.map(String).join('.') : ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
    this.installSettings(parsed.data);
    return parsed.data;
  }

  access(request: AccessRequest): AccessDecision {
    const world = this.worldValue;
    return checkAccess(request, world.roleAssignments.values(), (guid) => world.roleDefinitions.get(guid));
  }

  tokens(): Record<string, string> {
    return Object.fromEntries(this.tokensByName);
  }

  // ---------------------------------------------------------------------------------------------- HTTP

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      const e =
        error instanceof ArmError ? error : new ArmError(400, 'InvalidRequestContent', ensureError(error).message);
      sendJson(res, e.status, e.toBody(), {});
      return;
    }
    // Concatenate rather than resolve: a path starting with `//` (the SDKs send `//subscriptions/...` for a scope that
    // begins with a slash) must not be read as a host.
    const url = new URL(`${this.baseUrl}${req.url ?? '/'}`);
    const path = url.pathname.replace(/\/{2,}/g, '/');
    if (path === '/_sim' || path.startsWith('/_sim/')) {
      await handleControl(this, req, res, path, url, body);
      return;
    }
    this.clock.runDue();
    const method = (req.method ?? 'GET').toUpperCase();
    const correlationId = headerValue(req, 'x-ms-correlation-request-id') ?? randomUUID();
    const requestId = randomUUID();
    const baseHeaders: ResponseHeaders = { 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': correlationId };
    let operation = 'unknown';
    let kind: OperationKind | undefined;
    let principalName: string | undefined;
    let note: string | undefined;
    const finish = (status: number): void => {
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      this.callLog.add(
        {
          time: new Date().toISOString(),
          simTime: this.clock.nowIso(),
          method,
          path,
          operation,
          status,
          principal: principalName,
          latencyMs,
          ...(note === undefined ? {} : { note }),
        },
        kind,
      );
      this.options.logger?.debug('arm request', {
        method,
        path,
        operation,
        status,
        principal: principalName,
        latencyMs,
        ...(note ? { note } : {}),
      });
    };
    const fail = (error: ArmError, extra: ResponseHeaders = {}): void => {
      sendJson(res, error.status, error.toBody(), { ...baseHeaders, ...error.headers, ...extra });
      finish(error.status);
    };
    try {
      // Authentication.
      const principal = this.authenticate(req);
      principalName = principal.name;
      // Route and api-version.
      const matched = this.router.match(method, path);
      if (matched === undefined) {
        throw new ArmError(
          404,
          'InvalidResourceType',
          `The simulator does not serve '${method} ${path}': no such resource type or operation.`,
        );
      }
      if ('methodMismatch' in matched)
        throw new ArmError(405, 'MethodNotAllowed', `The method '${method}' is not allowed on '${path}'.`);
      const { route, params } = matched;
      operation = route.operation;
      const operationId = isOperationId(route.operation) ? route.operation : undefined;
      const entry = operationId === undefined ? undefined : OPERATION_ACTIONS[operationId];
      kind = entry?.kind ?? 'read';
      const apiVersion = url.searchParams.get('api-version') ?? undefined;
      if (route.apiVersions !== 'any') {
        if (apiVersion === undefined) {
          throw new ArmError(
            400,
            'MissingApiVersionParameter',
            'The api-version query parameter (?api-version=) is required for all requests.',
          );
        }
        if (!route.apiVersions.includes(apiVersion)) {
          throw new ArmError(
            400,
            'NoRegisteredProviderFound',
            `No registered resource provider found for API version '${apiVersion}' and operation '${route.operation}'. The supported api-versions are '${route.apiVersions.join(', ')}'.`,
          );
        }
      }
      // Throttling.
      const bucket: BucketKind = kind === 'read' ? 'reads' : kind === 'delete' ? 'deletes' : 'writes';
      const throttle = this.throttler.take(this.worldValue.subscriptionId, principal.objectId, bucket);
      const rateHeaders: ResponseHeaders = {
        [`x-ms-ratelimit-remaining-subscription-${bucket}`]: String(throttle.remaining),
      };
      if (!throttle.allowed) {
        note = 'throttled';
        fail(
          new ArmError(
            429,
            'SubscriptionRequestsThrottled',
            `Number of '${bucket === 'reads' ? 'read' : bucket === 'writes' ? 'write' : 'delete'}' requests for subscription '${this.worldValue.subscriptionId}' actor '${principal.objectId}' exceeded. Please try again after '${throttle.retryAfterSeconds}' seconds after the additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
          ),
          { ...rateHeaders, 'retry-after': String(throttle.retryAfterSeconds) },
        );
        return;
      }
      // Traffic Manager's own limits, per subscription whoever calls (after ARM's: ARM counted the call already).
      const trafficGroup = trafficManagerGroupOf(route.operation);
      const throttling = this.settingsValue.throttling;
      if (trafficGroup !== undefined && throttling.enabled && throttling.trafficManager) {
        const perMinute = TRAFFIC_MANAGER_LIMITS_PER_MINUTE[trafficGroup];
        const windowSeconds = TRAFFIC_MANAGER_WINDOW_SECONDS;
        const tm = this.trafficThrottler.take(
          `${this.worldValue.subscriptionId.toLowerCase()}|${trafficGroup}`,
          Math.round((perMinute * windowSeconds) / 60),
          windowSeconds * 1000,
        );
        if (!tm.allowed) {
          note = 'throttled';
          fail(
            new ArmError(
              429,
              'TooManyRequests',
              `Traffic Manager throttled the request: more than ${perMinute} ${trafficGroup} operations per minute for subscription '${this.worldValue.subscriptionId}' (counted over ${windowSeconds} s). Retry after ${tm.retryAfterSeconds} seconds.`,
            ),
            { ...rateHeaders, 'retry-after': String(tm.retryAfterSeconds) },
          );
          return;
        }
      }
      // Faults.
      const isWrite = kind !== 'read';
      const fault: FaultDecision | undefined = this.faults.decide({ method, path, operation, isWrite }, this.random);
      if (fault && fault.latencyMs > 0) await sleep(fault.latencyMs);
      if (fault?.errorStatus !== undefined) {
        note = `injected:${fault.errorStatus}`;
        const e = injectedError(fault.errorStatus);
        const retry: ResponseHeaders =
          fault.errorStatus === 429 || fault.errorStatus === 503
            ? { 'retry-after': String(fault.retryAfterSeconds) }
            : {};
        fail(new ArmError(fault.errorStatus, e.code, e.message), { ...rateHeaders, ...retry });
        return;
      }
      // Request object, access check.
      let parsedBody: unknown;
      if (body.length > 0) {
        try {
          parsedBody = JSON.parse(body.toString('utf8'));
        } catch (error) {
          throw new ArmError(
            400,
            'InvalidRequestContent',
            `The request content was invalid and could not be deserialized: ${ensureError(error).message}`,
          );
        }
      }
      const action =
        operationId === undefined
          ? 'Microsoft.Resources/operations/read'
          : requiredAction(
              operationId,
              route.endpointTypeParam ? { endpointType: params[route.endpointTypeParam] ?? '' } : {},
            );
      const scope = route.scope ? route.scope(params, path) : entry?.scope === 'parent' ? parentScope(path) : path;
      const armRequest0 = {
        method,
        path,
        url,
        query: url.searchParams,
        headers: req.headers,
        body: parsedBody,
        principal,
        apiVersion,
        clientRequestId: headerValue(req, 'x-ms-client-request-id'),
        correlationId,
        clientIp: req.socket.remoteAddress ?? '127.0.0.1',
        baseUrl: this.baseUrl,
      };
      let evidence;
      if (scope !== undefined && entry) {
        const attributes =
          route.conditionAttributes?.(
            { ...armRequest0, access: { action, scope, evidence: undefined } },
            params,
            this.ctx,
          ) ?? {};
        const decision = this.access({ principalId: principal.objectId, action, scope, ...attributes });
        if (decision.allowed) evidence = decision.evidence;
        else if (this.settingsValue.enforceRoles) {
          note = 'forbidden';
          throw new ArmError(
            403,
            'AuthorizationFailed',
            authorizationFailedMessage(
              principal.kind === 'User' ? principal.name : principal.clientId,
              principal.objectId,
              action,
              scope,
            ),
          );
        }
      }
      const armRequest: ArmRequest = { ...armRequest0, access: { action, scope: scope ?? path, evidence } };
      const response: ArmResponse = route.handle(armRequest, params, this.ctx);
      if (fault?.ambiguous && response.status < 400) {
        note = `ambiguous:${fault.ambiguous}`;
        // TLS sockets cannot send a TCP RST from here: `reset` destroys the socket at once, `close` ends it cleanly
        // (TLS close_notify, FIN). Either way the client gets no response and sees a dropped connection.
        if (fault.ambiguous === 'reset') req.socket.destroy();
        else req.socket.end();
        finish(0);
        return;
      }
      const headers = { ...baseHeaders, ...rateHeaders, ...(response.headers ?? {}) };
      if (response.body === undefined) sendEmpty(res, response.status, headers);
      else sendJson(res, response.status, response.body, headers);
      finish(response.status);
    } catch (error) {
      if (error instanceof ArmError) {
        fail(error);
        return;
      }
      const e = ensureError(error);
      this.options.logger?.error('simulator handler failed', { method, path, error: e });
      fail(new ArmError(500, 'InternalServerError', `The simulator failed to handle the request: ${e.message}`));
    }
  }

  private authenticate(req: IncomingMessage): Principal {
    const header = headerValue(req, 'authorization');
    const challenge = {
      'www-authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${this.worldValue.tenantId}", error="invalid_token", error_description="The authentication failed."`,
    };
    if (header === undefined) {
      throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
        headers: challenge,
      });
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m?.[1]) {
      throw new ArmError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        { headers: challenge },
      );
    }
    const objectId = this.tokenIndex.get(m[1]);
    const principal = objectId === undefined ? undefined : this.worldValue.principalById(objectId);
    if (!principal) {
      throw new ArmError(
        401,
        'AuthenticationFailed',
        'Authentication failed. The access token is not valid for this simulator (not one of the tokens it printed at start).',
        { headers: challenge },
      );
    }
    return principal;
  }

  // ------------------------------------------------------------------------------------------ control

  control(): SimulatorControl {
    return {
      loadScenario: (scenario, ids) => this.loadScenario(scenario, ids),
      state: () => this.state(),
      settings: () => this.settingsValue,
      updateSettings: (patch) => this.updateSettings(patch),
      setFaults: (config) => this.faults.set(FaultConfigSchema.parse(config)),
      clearFaults: () => this.faults.clear(),
      faults: () => this.faults.snapshot(),
      calls: (since) => this.callLog.list(since),
      clearCalls: () => this.callLog.clear(),
      counters: () => this.callLog.counts(),
      resetCounters: () => this.callLog.resetCounters(),
      now: () => this.clock.now(),
      setTimeFactor: (factor) => {
        this.updateSettings({ timeFactor: factor });
      },
      advance: (ms) => this.clock.advance(ms),
      setThrottling: (settings) => {
        this.updateSettings({ throttling: typeof settings === 'boolean' ? { enabled: settings } : settings });
      },
      setRoleEnforcement: (enabled) => {
        this.updateSettings({ enforceRoles: enabled });
      },
      setHealth: (target) => this.setHealth(target),
      addEventSubscription: (s) => this.events.addSubscription(s),
      removeEventSubscription: (name) => this.events.removeSubscription(name),
      eventSubscriptions: () => this.events.listSubscriptions(),
      events: () => this.events.events(),
      deliveries: () => this.events.deliveryLog(),
      principals: () => this.principals(),
      checkAccess: (r) => {
        const p =
          this.worldValue.principalById(r.principal) ??
          [...this.worldValue.principals.values()].find((x) => x.name === r.principal);
        if (!p) throw new ArmError(404, 'PrincipalNotFound', `No principal '${r.principal}' in the scenario.`);
        return this.access({ principalId: p.objectId, action: r.action, scope: r.scope });
      },
      world: () => this.worldValue,
    };
  }

  principals(): Record<string, PrincipalInfo> {
    const out: Record<string, PrincipalInfo> = {};
    for (const p of this.worldValue.principals.values()) {
      out[p.name] = { name: p.name, objectId: p.objectId, clientId: p.clientId, type: p.kind, token: p.token };
    }
    return out;
  }

  setHealth(target: HealthTarget): void {
    const world = this.worldValue;
    let healthKey: string;
    if (target.target !== undefined) healthKey = `target:${target.target.toLowerCase()}`;
    else if (target.resourceId !== undefined) {
      healthKey = key(target.resourceId);
      if (!world.networkResources.has(healthKey) && !world.clusters.has(healthKey)) {
        throw new ArmError(
          404,
          'ResourceNotFound',
          `No public IP address or managed cluster '${target.resourceId}' in the simulator.`,
        );
      }
    } else
      throw new ArmError(
        400,
        'InvalidHealthTarget',
        'Give resourceId (a public IP or cluster id) or target (an external endpoint).',
      );
    const endpoints = [...world.trafficProfiles.values()].flatMap((p) => [...p.endpoints.values()]);
    const before = endpoints.map((e) => targetHealth(this.ctx, e));
    if (target.health === null) world.health.delete(healthKey);
    else world.health.set(healthKey, target.health);
    // Endpoints whose target's health changed: their probes notice it after the probe window.
    const at = this.clock.now();
    endpoints.forEach((e, i) => {
      const previous = before[i];
      if (previous !== undefined && previous !== targetHealth(this.ctx, e)) e.healthChange = { previous, at };
    });
  }

  state(): Record<string, unknown> {
    const world = this.worldValue;
    const ctx = this.ctx;
    return {
      subscriptionId: world.subscriptionId,
      tenantId: world.tenantId,
      simulatedTime: this.clock.nowIso(),
      settings: this.settingsValue,
      principals: Object.values(this.principals()).map(({ token: _token, ...rest }) => rest),
      resourceGroups: [...world.resourceGroups.values()],
      fleets: [...world.fleets.values()].map(renderFleet),
      members: [...world.members.values()].map((m) => renderMember(m, world)),
      clusterMeshProfiles: [...world.profiles.values()].map(renderProfile),
      managedClusters: [...world.clusters.values()].map((c) => ({
        ...renderCluster(c, world.tenantId),
        simulator: { meshLoadBalancer: c.meshLoadBalancer, meshLoadBalancerError: c.meshLoadBalancerError ?? null },
      })),
      virtualNetworks: [...world.virtualNetworks.values()].map((v) => renderVnet(ctx, v)),
      networkResources: [...world.networkResources.values()].map((r) => renderNetworkResource(ctx, r)),
      trafficManagerProfiles: [...world.trafficProfiles.values()].map((t) => renderTrafficProfile(ctx, t, true)),
      roleAssignments: [...world.roleAssignments.values()].map(renderRoleAssignment),
      operations: this.operations.all().map((o) => ({
        id: o.id,
        resourceId: o.resourceId,
        status: o.status,
        startTime: o.startTime,
        endTime: o.endTime ?? null,
        error: o.error ?? null,
      })),
      health: Object.fromEntries(world.health),
      pendingTasks: this.clock.pending,
    };
  }

  async stop(): Promise<void> {
    this.clock.stop();
    await this.events.stop();
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The collection's parent: `.../fleets/f/members` → the fleet; `.../resourceGroups/rg/providers/NS/type` → the resource group. */
function parentScope(path: string): string {
  const parts = path.split('/').filter((p) => p.length > 0);
  if (parts.length >= 3 && parts[parts.length - 3]?.toLowerCase() === 'providers')
    return `/${parts.slice(0, -3).join('/')}`;
  return `/${parts.slice(0, -1).join('/')}`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY)
      throw new ArmError(413, 'RequestEntityTooLarge', `The request body exceeds ${MAX_BODY} bytes.`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: ResponseHeaders): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendEmpty(res: ServerResponse, status: number, headers: ResponseHeaders): void {
  res.writeHead(status, { ...headers, 'content-length': 0 });
  res.end();
}

/** Starts the simulator: certificate, scenario, HTTPS server on loopback. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const t0 = performance.now();
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host))
    throw new Error(`the simulator listens on loopback only, not '${host}'`);
  const [certificate, sim] = await Promise.all([
    generateServerCertificate(),
    Promise.resolve().then(() => new Simulator(options)),
  ]);
  const server: Server = createServer(
    { cert: certificate.certPem, key: certificate.keyPem, keepAlive: true },
    (req, res) => {
      sim.handle(req, res).catch((error: unknown) => {
        options.logger?.error('simulator request failed', { error: ensureError(error) });
        if (!res.headersSent)
          sendJson(res, 500, { error: { code: 'InternalServerError', message: ensureError(error).message } }, {});
        else res.destroy();
      });
    },
  );
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the simulator server has no TCP address');
  const hostForUrl = host === '::1' ? '[::1]' : host;
  const endpoint = `https://${hostForUrl}:${address.port}`;
  sim.baseUrl = endpoint;
  const startupMs = Math.round(performance.now() - t0);
  const control = sim.control();
  return {
    endpoint,
    port: address.port,
    get subscriptionId() {
      return sim.world.subscriptionId;
    },
    get tenantId() {
      return sim.world.tenantId;
    },
    certificatePem: certificate.certPem,
    get tokens() {
      return sim.tokens();
    },
    adminToken: sim.adminToken,
    control,
    startupMs,
    stop: async () => {
      await sim.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export type { Simulator };
