/**
 * Function keys, as the Functions host keeps them: a master key (admin level, also accepted everywhere), host-level
 * function keys, per-function keys, and system keys for extensions (`eventgrid_extension`, `durabletask_extension`).
 * A key is presented in the `x-functions-key` header or the `code` query parameter; the header wins when both are
 * there, as in the Functions host. When no key is configured at all the host does not check keys, as Core Tools does
 * locally.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const hostKeysSchema = z
  .object({
    masterKey: z.string().min(1).optional(),
    functionKeys: z.record(z.string(), z.string().min(1)).optional(),
    systemKeys: z.record(z.string(), z.string().min(1)).optional(),
    functions: z.record(z.string(), z.record(z.string(), z.string().min(1))).optional(),
  })
  .strict();

export type HostKeys = z.infer<typeof hostKeysSchema>;

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export function keysConfigured(keys: HostKeys | undefined): keys is HostKeys {
  if (!keys) return false;
  return Boolean(
    keys.masterKey ||
    Object.keys(keys.functionKeys ?? {}).length ||
    Object.keys(keys.systemKeys ?? {}).length ||
    Object.values(keys.functions ?? {}).some((k) => Object.keys(k).length > 0),
  );
}

/** Fills in the system keys the host would generate, so the URLs it hands out carry a working code. */
export function withSystemKeys(keys: HostKeys, names: readonly string[]): HostKeys {
  const systemKeys = { ...(keys.systemKeys ?? {}) };
  for (const name of names) systemKeys[name] ??= randomBytes(32).toString('base64url');
  return { ...keys, systemKeys };
}

function equal(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

function anyEqual(candidates: Iterable<string>, presented: string): boolean {
  let found = false;
  for (const c of candidates) if (equal(c, presented)) found = true;
  return found;
}

/**
 * The key a request presents: the `x-functions-key` header when the request has one (even empty, which then matches
 * no key), otherwise `code=`; the Functions host reads them in this order.
 */
export function presentedKey(query: URLSearchParams, header: string | string[] | undefined): string | undefined {
  if (typeof header === 'string') return header;
  if (Array.isArray(header) && header.length > 0) return header[0];
  return query.get('code') ?? undefined;
}

export function authorizeFunction(
  keys: HostKeys | undefined,
  level: AuthLevel,
  functionName: string,
  presented: string | undefined,
): boolean {
  if (level === 'anonymous' || !keysConfigured(keys)) return true;
  if (presented === undefined) return false;
  if (keys.masterKey && equal(keys.masterKey, presented)) return true;
  if (level === 'admin') return false;
  const perFunction = Object.entries(keys.functions ?? {}).find(
    ([n]) => n.toLowerCase() === functionName.toLowerCase(),
  );
  return anyEqual([...Object.values(keys.functionKeys ?? {}), ...Object.values(perFunction?.[1] ?? {})], presented);
}

export function authorizeSystem(
  keys: HostKeys | undefined,
  systemKeyName: string,
  presented: string | undefined,
): boolean {
  if (!keysConfigured(keys)) return true;
  if (presented === undefined) return false;
  if (keys.masterKey && equal(keys.masterKey, presented)) return true;
  const key = keys.systemKeys?.[systemKeyName];
  return key !== undefined && equal(key, presented);
}
