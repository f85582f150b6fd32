/**
 * Invokes a registered function through the app's own programming model, the way the worker's InvocationHandler does:
 * getInvocationModel → getArguments → preInvocation hooks → invokeFunction → postInvocation hooks → getResponse.
 * So the handler sees the library's real HttpRequest and InvocationContext, and return values and extra outputs are
 * converted by the library itself.
 */
import type { Logger } from '../../../shared/log.js';
import type { RegisteredFunction, WorkerRuntime } from './coreApi.js';
import type { RpcInvocationRequest, RpcLogCategory, RpcLogLevel, RpcParameterBinding, RpcTypedData } from './rpc.js';
import { isRecord } from './rpc.js';

export interface InvocationOutcome {
  ok: boolean;
  /** The handler's raw result (before the library converts it), when it returned. */
  rawResult?: unknown;
  /** The error it threw, when it failed. */
  error?: unknown;
  returnValue?: unknown;
  outputData: { name: string; data: unknown }[];
}

export interface InvokeOptions {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  invocationId: string;
}

type InvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation' | undefined;

interface InvocationModel {
  getArguments(): Promise<unknown>;
  invokeFunction(context: unknown, inputs: unknown[], callback: unknown): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<unknown>;
}

function isInvocationModel(value: unknown): value is InvocationModel {
  return (
    isRecord(value) &&
    typeof value.getArguments === 'function' &&
    typeof value.invokeFunction === 'function' &&
    typeof value.getResponse === 'function'
  );
}

function isLogLevel(value: unknown): value is RpcLogLevel {
  return typeof value === 'string' && Object.hasOwn(LEVEL, value);
}

const LEVEL: Record<RpcLogLevel, 'debug' | 'info' | 'warn' | 'error' | undefined> = {
  trace: 'debug',
  debug: 'debug',
  information: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  none: undefined,
};

export function writeAppLog(
  logger: Logger,
  level: RpcLogLevel,
  category: RpcLogCategory,
  message: string,
  fields: Record<string, unknown> = {},
): void {
  const mapped = LEVEL[level];
  if (!mapped) return;
  logger[mapped](category === 'user' ? 'app log' : 'library log', { ...fields, text: message });
}

export async function invokeThroughModel(
  runtime: WorkerRuntime,
  fn: RegisteredFunction,
  options: InvokeOptions,
  logger: Logger,
): Promise<InvocationOutcome> {
  const model = runtime.programmingModel;
  if (!model) throw new Error('the app did not set a programming model (is @azure/functions v4 imported?)');
  const request: RpcInvocationRequest = {
    invocationId: options.invocationId,
    functionId: fn.metadata.functionId,
    inputData: options.inputData,
    triggerMetadata: options.triggerMetadata ?? {},
    traceContext: { traceParent: null, traceState: null, attributes: {} },
    retryContext: null,
  };
  const current: { invocationContext: unknown } = { invocationContext: undefined };
  const coreContext: {
    invocationId: string;
    request: RpcInvocationRequest;
    metadata: RegisteredFunction['metadata'];
    state: InvocationState;
    log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
  } = {
    invocationId: options.invocationId,
    request,
    metadata: fn.metadata,
    state: undefined,
    log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
      const hookContext: Record<string, unknown> = {
        hookData: {},
        appHookData: runtime.appHookData,
        level,
        message,
        category,
        invocationContext: current.invocationContext,
      };
      for (const hook of runtime.hooks.get('log') ?? []) hook(hookContext);
      const finalLevel = isLogLevel(hookContext.level) ? hookContext.level : level;
      const finalMessage = typeof hookContext.message === 'string' ? hookContext.message : message;
      writeAppLog(logger, finalLevel, category, finalMessage, {
        function: fn.name,
        invocationId: options.invocationId,
      });
    },
  };
  const invocationModel: unknown = await model.getInvocationModel(coreContext);
  if (!isInvocationModel(invocationModel))
    throw new Error('the programming model returned an invalid invocation model');
  const args = await invocationModel.getArguments();
  if (!isRecord(args) || !Array.isArray(args.inputs)) throw new Error('getArguments() returned no inputs');
  const invocationContext = args.context;
  current.invocationContext = invocationContext;
  const hookData: Record<string, unknown> = {};
  const pre: Record<string, unknown> = {
    hookData,
    appHookData: runtime.appHookData,
    invocationContext,
    inputs: args.inputs,
    functionCallback: fn.callback,
  };
  coreContext.state = 'preInvocationHooks';
  try {
    await runtime.runHooks('preInvocation', pre);
  } finally {
    coreContext.state = undefined;
  }
  const inputs: unknown[] = Array.isArray(pre.inputs) ? pre.inputs : args.inputs;
  const post: Record<string, unknown> = {
    hookData,
    appHookData: runtime.appHookData,
    invocationContext,
    inputs,
    result: null,
    error: null,
  };
  coreContext.state = 'invocation';
  try {
    post.result = await invocationModel.invokeFunction(invocationContext, inputs, pre.functionCallback);
  } catch (err: unknown) {
    post.error = err;
  } finally {
    coreContext.state = undefined;
  }
  coreContext.state = 'postInvocationHooks';
  try {
    await runtime.runHooks('postInvocation', post);
  } finally {
    coreContext.state = undefined;
  }
  if (post.error !== null && post.error !== undefined) {
    return { ok: false, error: post.error, outputData: [] };
  }
  const response = await invocationModel.getResponse(invocationContext, post.result);
  const outputData: { name: string; data: unknown }[] = [];
  if (isRecord(response) && Array.isArray(response.outputData)) {
    for (const item of response.outputData as unknown[]) {
      if (isRecord(item) && typeof item.name === 'string') outputData.push({ name: item.name, data: item.data });
    }
  }
  return {
    ok: true,
    rawResult: post.result,
    returnValue: isRecord(response) ? response.returnValue : undefined,
    outputData,
  };
}
