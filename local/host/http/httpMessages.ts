/**
 * Conversions between node:http messages and the RPC HTTP shapes the library reads (RpcHttpData for the request,
 * the `http` typed data it returns for the response, cookies included).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RpcHttpData } from '../worker/rpc.js';
import { isRecord, typedDataToBuffer } from '../worker/rpc.js';

export const MAX_BODY_BYTES = 100 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) throw new BodyTooLargeError(`request body larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function queryRecord(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of new Set(query.keys())) out[key] = query.getAll(key).join(',');
  return out;
}

export function toRpcHttpRequest(options: {
  req: IncomingMessage;
  url: URL;
  body: Buffer;
  params: Record<string, string>;
}): RpcHttpData {
  return {
    method: options.req.method ?? 'GET',
    url: options.url.toString(),
    headers: headerRecord(options.req),
    query: queryRecord(options.url.searchParams),
    params: options.params,
    body: options.body.length > 0 ? { bytes: new Uint8Array(options.body) } : null,
  };
}

function nullableValue(value: unknown): unknown {
  return isRecord(value) ? value.value : undefined;
}

function cookieHeader(cookie: unknown): string | undefined {
  if (!isRecord(cookie) || typeof cookie.name !== 'string') return undefined;
  const parts = [`${cookie.name}=${typeof cookie.value === 'string' ? cookie.value : ''}`];
  const domain = nullableValue(cookie.domain);
  if (typeof domain === 'string') parts.push(`Domain=${domain}`);
  const cookiePath = nullableValue(cookie.path);
  if (typeof cookiePath === 'string') parts.push(`Path=${cookiePath}`);
  const expires = nullableValue(cookie.expires);
  if (isRecord(expires)) {
    const seconds = Number(expires.seconds ?? 0);
    const nanos = Number(expires.nanos ?? 0);
    parts.push(`Expires=${new Date(seconds * 1000 + nanos / 1e6).toUTCString()}`);
  }
  const maxAge = nullableValue(cookie.maxAge);
  if (typeof maxAge === 'number') parts.push(`Max-Age=${maxAge}`);
  if (nullableValue(cookie.secure) === true) parts.push('Secure');
  if (nullableValue(cookie.httpOnly) === true) parts.push('HttpOnly');
  if (cookie.sameSite === 'lax') parts.push('SameSite=Lax');
  else if (cookie.sameSite === 'strict') parts.push('SameSite=Strict');
  else if (cookie.sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}

/** Writes the `http` typed data a function returned. `undefined` (no response) becomes 204, as in Azure. */
export function writeRpcHttpResponse(res: ServerResponse, http: unknown): void {
  if (!isRecord(http)) {
    res.writeHead(204);
    res.end();
    return;
  }
  const status = typeof http.statusCode === 'string' ? Number.parseInt(http.statusCode, 10) : 200;
  const headers: Record<string, string | string[]> = {};
  if (isRecord(http.headers)) {
    for (const [name, value] of Object.entries(http.headers)) {
      if (typeof value === 'string') headers[name] = value;
    }
  }
  const cookies = Array.isArray(http.cookies) ? (http.cookies as unknown[]).map(cookieHeader) : [];
  const setCookie = cookies.filter((c): c is string => c !== undefined);
  if (setCookie.length > 0) headers['set-cookie'] = setCookie;
  const body = typedDataToBuffer(http.body);
  res.writeHead(Number.isInteger(status) && status >= 100 && status <= 999 ? status : 500, headers);
  res.end(body);
}

export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    ...headers,
  });
  res.end(text);
}

/** `host[:port]`: a DNS name or IPv4 address, or an IPv6 address in brackets, then an optional port. */
const HOST_HEADER =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::(\d{1,5}))?$/;

/**
 * The origin a request was addressed to, from its Host header, as the Functions host builds request URLs (so the URLs
 * createCheckStatusResponse hands out work for a caller that used `localhost`, a LAN address or a name). A header
 * that is missing or is not plain `host[:port]` syntax (paths, user info, spaces, a port outside 1-65535) is ignored
 * and `fallback` (the listen URL) is used.
 */
export function requestOrigin(hostHeader: string | undefined, fallback: string): string {
  if (hostHeader === undefined || hostHeader.length > 261) return fallback;
  const match = HOST_HEADER.exec(hostHeader);
  if (!match) return fallback;
  const port = match[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return fallback;
  try {
    return new URL(`http://${hostHeader}`).origin;
  } catch {
    return fallback; // e.g. brackets around something that is not an IPv6 address
  }
}

/** The full URL of a request: its path and query (from the request target) under `origin`. */
export function requestUrlOf(target: string | undefined, origin: string): URL {
  const path = target ?? '/';
  if (path.startsWith('/')) return new URL(`${origin}${path}`);
  // absolute-form (`GET http://other/x`) or `*`: only the path and query are kept
  const parsed = new URL(path, origin);
  return new URL(`${origin}${parsed.pathname}${parsed.search}`);
}
