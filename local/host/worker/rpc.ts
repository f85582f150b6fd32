/**
 * The RPC shapes exchanged between the Functions host and the Node worker (`@azure/functions-core` types, from the
 * worker's `types-core/index.d.ts` and the language-worker protobuf). Only the members the library reads or writes are
 * declared. Values that come back from the app are `unknown` and are read with the helpers below.
 */

export interface RpcNullableString {
  value?: string | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  statusCode?: string | null;
  query?: Record<string, string> | null;
  enableContentNegotiation?: boolean | null;
  cookies?: unknown[] | null;
}

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
}

export interface RpcParameterBinding {
  name: string;
  data?: RpcTypedData | null;
}

export interface RpcBindingInfo {
  type?: string | null;
  direction?: 'in' | 'out' | 'inout' | null;
  dataType?: string | null;
  [property: string]: unknown;
}

export interface RpcInvocationRequest {
  invocationId: string;
  functionId: string;
  inputData: RpcParameterBinding[];
  triggerMetadata: Record<string, RpcTypedData>;
  traceContext?: { traceParent?: string | null; traceState?: string | null; attributes?: Record<string, string> };
  retryContext?: null;
}

export interface RpcFunctionMetadata {
  name: string;
  functionId: string;
  bindings: Record<string, RpcBindingInfo>;
  rawBindings: string[];
  directory: string;
  scriptFile: string;
}

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a typed-data value the way the worker hands it to the host: bytes stay bytes, JSON is parsed. */
export function fromTypedData(value: unknown): unknown {
  if (!isRecord(value)) return undefined;
  const s = value.string;
  if (typeof s === 'string') return s;
  const j = value.json;
  if (typeof j === 'string') return JSON.parse(j) as unknown;
  const b = value.bytes ?? value.stream;
  if (b instanceof Uint8Array) return Buffer.from(b);
  const i = value.int;
  if (typeof i === 'number') return i;
  if (typeof i === 'bigint') return Number(i);
  const d = value.double;
  if (typeof d === 'number') return d;
  return undefined;
}

/** The body bytes of a typed-data value (an HTTP response body). */
export function typedDataToBuffer(value: unknown): Buffer {
  if (!isRecord(value)) return Buffer.alloc(0);
  if (typeof value.string === 'string') return Buffer.from(value.string, 'utf8');
  if (typeof value.json === 'string') return Buffer.from(value.json, 'utf8');
  const b = value.bytes ?? value.stream;
  if (b instanceof Uint8Array) return Buffer.from(b);
  if (typeof value.int === 'number' || typeof value.double === 'number')
    return Buffer.from(String(value.int ?? value.double));
  return Buffer.alloc(0);
}

/** A JSON value as the host passes it to a trigger. `undefined` stays absent. */
export function jsonTypedData(value: unknown): RpcTypedData | null {
  if (value === undefined) return null;
  return { json: JSON.stringify(value) };
}
