/**
 * What every HTTP function shares: ARM-style error bodies (`{ error: { code, message, details? } }`), parsing of
 * route parameters and JSON bodies with zod (400 naming the field), and the app-role check behind App Service
 * authentication. Function keys are enforced by the host (`authLevel: 'function'`); roles are checked here whenever
 * a client principal is present (`x-ms-client-principal`, set by Easy Auth, which strips any value a client sends).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import { z } from 'zod';
import { isAzureApiError } from '../../shared/azure/errors.js';
import { ProfileNameSchema } from '../../shared/state/documents.js';
import { ensureError, FleetMeshError, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';

export const Roles = { operator: 'FleetMesh.Operator', reader: 'FleetMesh.Reader' } as const;

/** The `{profile}` route parameter: a mesh profile name. */
export const ProfileParams = z.object({ profile: ProfileNameSchema });

export class HttpError extends FleetMeshError {}

export function problem(status: number, code: string, message: string, details?: unknown): HttpResponseInit {
  return { status, jsonBody: { error: { code, message, ...(details === undefined ? {} : { details }) } } };
}

/** Maps anything thrown to an ARM-style response: 4xx with the error's own message, 5xx without internals. */
export function errorResponse(error: unknown, logger: Logger, context: InvocationContext): HttpResponseInit {
  const e = ensureError(error);
  if (e instanceof FleetMeshError && e.status < 500) {
    return problem(e.status, e.code, e.message, e instanceof ValidationError ? e.details : undefined);
  }
  if (isAzureApiError(e)) {
    logger.warn('azure call failed', { function: context.functionName, invocationId: context.invocationId, error: e });
    return problem(502, 'AzureError', `Azure answered ${e.statusCode} ${e.armCode ?? ''} to ${e.operation}`.trim());
  }
  logger.error('request failed', { function: context.functionName, invocationId: context.invocationId, error: e });
  return problem(500, 'InternalError', `the request failed; see the logs for invocation ${context.invocationId}`);
}

/** Validates route parameters; a bad one is a 400 naming it. */
export function params<S extends z.ZodType>(request: HttpRequest, schema: S): z.output<S> {
  const result = schema.safeParse(request.params);
  if (!result.success) throw new ValidationError(`invalid route parameter: ${describe(result.error)}`);
  return result.data;
}

/** Reads an optional JSON body and validates it; empty body = `{}`. */
export async function body<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<z.output<S>> {
  const text = await request.text();
  let raw: unknown = {};
  if (text.trim() !== '') {
    // Parsed as JSON whatever its content type says: `curl -d` sends form encoding, and a body that is not JSON gets
    // a 400 saying so.
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new ValidationError(`the body is not valid JSON: ${ensureError(e).message}`);
    }
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ValidationError(`invalid request body: ${describe(result.error)}`, {
      details: result.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return result.data;
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      return path ? `'${path}': ${i.message}` : i.message;
    })
    .join('; ');
}

const ClientPrincipalSchema = z.object({
  auth_typ: z.string().optional(),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })).default([]),
});

export interface Caller {
  /** Who asked: the principal's name or object id, or `function-key` when no principal is present. */
  readonly name: string;
  readonly authenticated: boolean;
  readonly roles: readonly string[];
}

/** The caller, from Easy Auth's `x-ms-client-principal`; 401 when the header is present but unreadable. */
export function caller(request: HttpRequest): Caller {
  const header = request.headers.get('x-ms-client-principal');
  if (!header) return { name: 'function-key', authenticated: false, roles: [] };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    throw new HttpError('Unauthorized', 'x-ms-client-principal is not base64-encoded JSON', { status: 401 });
  }
  const parsed = ClientPrincipalSchema.safeParse(decoded);
  if (!parsed.success) throw new HttpError('Unauthorized', 'x-ms-client-principal is malformed', { status: 401 });
  const p = parsed.data;
  const roleTypes = new Set(
    [p.role_typ, 'roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'].filter(
      (t): t is string => t !== undefined,
    ),
  );
  const nameTypes = [
    p.name_typ,
    'name',
    'preferred_username',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  ];
  const roles = p.claims.filter((c) => roleTypes.has(c.typ)).map((c) => c.val);
  const name =
    nameTypes.map((t) => p.claims.find((c) => c.typ === t)?.val).find((v) => v !== undefined) ??
    p.claims.find((c) => c.typ === 'http://schemas.microsoft.com/identity/claims/objectidentifier' || c.typ === 'oid')
      ?.val ??
    request.headers.get('x-ms-client-principal-name') ??
    'unknown principal';
  return { name, authenticated: true, roles };
}

/**
 * Authorises the caller: mutating routes need FleetMesh.Operator, reads FleetMesh.Reader or FleetMesh.Operator.
 * Without a client principal the function key (checked by the host) is the authorisation.
 */
export function authorize(request: HttpRequest, need: 'operator' | 'reader'): Caller {
  const who = caller(request);
  if (!who.authenticated) return who;
  const allowed = need === 'operator' ? [Roles.operator] : [Roles.reader, Roles.operator];
  if (!who.roles.some((r) => allowed.some((a) => a === r))) {
    throw new HttpError('Forbidden', `this route needs the app role ${allowed.join(' or ')}`, { status: 403 });
  }
  return who;
}

export type RouteHandler = (
  request: HttpRequest,
  client: DurableClient,
  context: InvocationContext,
) => Promise<HttpResponseInit>;

/** Wraps a route so every failure becomes an ARM-style response (nothing escapes as a bare host 500). */
export function guarded(logger: () => Logger, fn: RouteHandler): RouteHandler {
  return async (request, client, context) => {
    try {
      return await fn(request, client, context);
    } catch (e) {
      return errorResponse(e, logger(), context);
    }
  };
}
