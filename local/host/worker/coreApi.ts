/**
 * The host side of `@azure/functions-core`: the module the real Node worker provides to `@azure/functions` at run
 * time (Azure/azure-functions-nodejs-worker `setupCoreModule`). The library `require`s it lazily on the first
 * registration; `installCoreModule` answers that one request name with `WorkerRuntime.coreApi` and leaves every other
 * `require` untouched. Registrations, hooks and the programming model land in the `WorkerRuntime`.
 */
import { Module } from 'node:module';
import path from 'node:path';
import type { RpcBindingInfo, RpcFunctionMetadata, RpcLogCategory, RpcLogLevel } from './rpc.js';
import { isRecord } from './rpc.js';

export const CORE_MODULE_NAME = '@azure/functions-core';
export const WORKER_VERSION = '3.12.0-local-host';
export const HOST_VERSION = '4.1040.0-local-host';

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookCallback = (context: Record<string, unknown>) => unknown;

/** What the app's programming model must offer (checked at run time, since it comes from the app's library copy). */
export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: unknown): unknown;
  getCapabilities?: (capabilities: Record<string, string>) => unknown;
}

export interface RegisteredFunction {
  name: string;
  metadata: RpcFunctionMetadata;
  callback: FunctionCallback;
  triggerName: string;
  trigger: RpcBindingInfo & { type: string };
}

export class Disposable {
  #callOnDispose: (() => unknown) | undefined;
  static from(...likes: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => {
      for (const like of likes) like.dispose();
    });
  }
  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }
  dispose(): unknown {
    const fn = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return fn?.();
  }
}

export class CoreApiError extends Error {
  readonly isAzureFunctionsSystemError = true;
  constructor(message: string) {
    super(message);
    this.name = 'AzFuncSystemError';
  }
}

function isProgrammingModel(value: unknown): value is ProgrammingModel {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    typeof value.version === 'string' &&
    typeof value.getInvocationModel === 'function'
  );
}

function isFunctionCallback(value: unknown): value is FunctionCallback {
  return typeof value === 'function';
}

function isTriggerType(type: unknown): type is string {
  return typeof type === 'string' && /trigger$/i.test(type);
}

export type CoreLog = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

/** Everything the app registered, plus the app-level hook state, for one process. */
export class WorkerRuntime {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<string, HookCallback[]>();
  readonly appHookData: Record<string, unknown> = {};
  programmingModel: ProgrammingModel | undefined;
  /** Registration is allowed only while the app loads, as in the worker. */
  indexingLocked = false;
  currentEntryPoint: string | undefined;
  readonly coreApi: Record<string, unknown>;

  constructor(private readonly log: CoreLog) {
    // `this` methods are bound: the library calls them as free functions of the module object.
    this.coreApi = {
      version: WORKER_VERSION,
      hostVersion: HOST_VERSION,
      registerFunction: (metadata: unknown, callback: unknown) => this.registerFunction(metadata, callback),
      registerHook: (hookName: unknown, callback: unknown) => this.registerHook(hookName, callback),
      setProgrammingModel: (model: unknown) => {
        this.setProgrammingModel(model);
      },
      getProgrammingModel: () => this.programmingModel,
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => {
        this.log(level, category, message);
      },
      Disposable,
    };
  }

  setProgrammingModel(model: unknown): void {
    if (!isProgrammingModel(model)) {
      throw new CoreApiError('setProgrammingModel: expected an object with name, version and getInvocationModel().');
    }
    this.programmingModel = model;
  }

  registerFunction(metadata: unknown, callback: unknown): Disposable {
    if (this.indexingLocked) throw new CoreApiError('A function can only be registered during app startup.');
    if (!isRecord(metadata) || typeof metadata.name !== 'string' || !isRecord(metadata.bindings)) {
      throw new CoreApiError('registerFunction: metadata must have a name and bindings.');
    }
    if (!isFunctionCallback(callback)) throw new CoreApiError('registerFunction: the callback must be a function.');
    const name = metadata.name;
    const functionId = typeof metadata.functionId === 'string' && metadata.functionId ? metadata.functionId : name;
    if (this.functions.has(functionId)) {
      throw new CoreApiError(`A function with id "${functionId}" has already been registered.`);
    }
    const bindings: Record<string, RpcBindingInfo> = {};
    let trigger: (RpcBindingInfo & { type: string }) | undefined;
    let triggerName: string | undefined;
    for (const [bindingName, raw] of Object.entries(metadata.bindings)) {
      if (!isRecord(raw))
        throw new CoreApiError(`registerFunction: binding "${bindingName}" of "${name}" is not an object.`);
      const direction =
        raw.direction === 'in' || raw.direction === 'out' || raw.direction === 'inout' ? raw.direction : null;
      const binding: RpcBindingInfo = { ...raw, type: typeof raw.type === 'string' ? raw.type : null, direction };
      bindings[bindingName] = binding;
      const type = raw.type;
      if (isTriggerType(type)) {
        if (trigger) throw new CoreApiError(`Function "${name}" has more than one trigger binding.`);
        trigger = { ...binding, type };
        triggerName = bindingName;
      }
    }
    if (!trigger || triggerName === undefined) throw new CoreApiError(`Function "${name}" has no trigger binding.`);
    const entry = this.currentEntryPoint;
    const rpcMetadata: RpcFunctionMetadata = {
      name,
      functionId,
      bindings,
      rawBindings: Object.entries(bindings).map(([n, b]) => JSON.stringify({ ...b, name: n })),
      directory: entry ? path.dirname(entry) : '',
      scriptFile: entry ? path.basename(entry) : 'unknown',
    };
    this.functions.set(functionId, { name, metadata: rpcMetadata, callback, triggerName, trigger });
    return new Disposable(() => {
      if (this.indexingLocked) throw new CoreApiError('A function can only be disposed during app startup.');
      this.functions.delete(functionId);
    });
  }

  registerHook(hookName: unknown, callback: unknown): Disposable {
    if (typeof hookName !== 'string' || typeof callback !== 'function') {
      throw new CoreApiError('registerHook: expected a hook name and a callback function.');
    }
    const hook: HookCallback = (context) => Reflect.apply(callback, undefined, [context]) as unknown;
    const list = this.hooks.get(hookName) ?? [];
    list.push(hook);
    this.hooks.set(hookName, list);
    return new Disposable(() => {
      const index = list.indexOf(hook);
      if (index >= 0) list.splice(index, 1);
    });
  }

  async runHooks(hookName: string, context: Record<string, unknown>): Promise<void> {
    for (const hook of [...(this.hooks.get(hookName) ?? [])]) {
      await hook(context);
    }
  }
}

type RequireFn = (id: string) => unknown;

let installed: { runtime: WorkerRuntime; original: RequireFn } | undefined;

/**
 * Answers `require('@azure/functions-core')` from anywhere in this process with the runtime's core API, as the
 * worker does. Only one runtime per process: `@azure/functions` keeps module-level state.
 */
export function installCoreModule(runtime: WorkerRuntime): () => void {
  if (installed) throw new Error('@azure/functions-core is already provided by another host in this process');
  // the prototype method itself is kept and re-applied with the caller's `this` below
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const original: RequireFn = Module.prototype.require;
  const proxy = new Proxy(original, {
    apply(target, thisArg: unknown, args: unknown[]): unknown {
      if (args[0] === CORE_MODULE_NAME) return runtime.coreApi;
      return Reflect.apply(target, thisArg, args) as unknown;
    },
  });
  Module.prototype.require = Object.assign(proxy, original);
  installed = { runtime, original };
  return () => {
    if (installed?.runtime === runtime) {
      Module.prototype.require = Object.assign(installed.original, original);
      installed = undefined;
    }
  };
}
