/**
 * Helpers shared by the provider handlers: existence checks with ARM's 404s, body validation with errors that name the
 * offending field, paging with nextLink.
 */
import { z } from 'zod';
import type { SimContext } from '../context.js';
import { ArmError, badRequest, resourceGroupNotFound, subscriptionNotFound } from '../http/errors.js';
import type { ArmRequest } from '../http/request.js';
import { key, type ResourceGroupRecord } from '../world.js';

export function requireSubscription(ctx: SimContext, subscriptionId: string): void {
  if (subscriptionId.toLowerCase() !== ctx.world.subscriptionId.toLowerCase())
    throw subscriptionNotFound(subscriptionId);
}

export function requireResourceGroup(
  ctx: SimContext,
  subscriptionId: string,
  resourceGroup: string,
): ResourceGroupRecord {
  requireSubscription(ctx, subscriptionId);
  const rg = ctx.world.resourceGroups.get(key(`/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`));
  if (!rg) throw resourceGroupNotFound(resourceGroup);
  return rg;
}

/** Validates a request body; a failure is a 400 naming the first bad field (`properties.labels.env`). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, code = 'InvalidRequestContent'): z.output<S> {
  if (body === undefined) throw badRequest(code, 'The request body is required.');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? issue.path.map(String).join('.') : '';
  const message = issue?.message ?? 'invalid';
  throw badRequest(code, `The request body is invalid at '${path || '(body)'}': ${message}.`, path || undefined);
}

export const ARM_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function checkName(name: string, what: string, max: number): void {
  if (name.length < 1 || name.length > max || !ARM_NAME.test(name)) {
    throw badRequest(
      'InvalidResourceName',
      `The ${what} name '${name}' is invalid: it must be 1-${max} characters of lower-case letters, digits and hyphens, starting and ending with a letter or digit (^[a-z0-9]([-a-z0-9]*[a-z0-9])?$).`,
      'name',
    );
  }
}

const SkipToken = z.object({ o: z.int().min(0) });

/** One page of `items` for a list request, with `nextLink` when more remain (`$skipToken`, `$top` honoured). */
export function page<T>(items: readonly T[], request: ArmRequest, pageSize: number): { value: T[]; nextLink?: string } {
  let offset = 0;
  const token = request.query.get('$skipToken') ?? request.query.get('$skiptoken');
  if (token !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const result = SkipToken.safeParse(parsed);
    if (!result.success) throw badRequest('InvalidSkipToken', `The $skipToken '${token}' is not valid for this list.`);
    offset = result.data.o;
  }
  let size = pageSize;
  const top = request.query.get('$top');
  if (top !== null) {
    const n = Number(top);
    if (!Number.isInteger(n) || n < 1)
      throw badRequest('InvalidParameter', `The $top value '${top}' must be a positive integer.`, '$top');
    size = Math.min(size, n);
  }
  const value = items.slice(offset, offset + size);
  if (offset + size >= items.length) return { value };
  // Keys are written as ARM writes them (`$skipToken`, not `%24skipToken`); values are encoded.
  const pairs = [...request.query]
    .filter(([k]) => k.toLowerCase() !== '$skiptoken')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  pairs.push(`$skipToken=${Buffer.from(JSON.stringify({ o: offset + size })).toString('base64url')}`);
  return { value, nextLink: `${request.baseUrl}${request.path}?${pairs.join('&')}` };
}

/** The provider-relative typed path of an id (`Microsoft.Network/virtualNetworks/v1/subnets/s1`), for 404 messages. */
export function typedPath(id: string): string {
  const i = id.toLowerCase().indexOf('/providers/');
  return i < 0 ? id : id.slice(i + '/providers/'.length);
}

export function methodNotAllowed(method: string, path: string): ArmError {
  return new ArmError(405, 'MethodNotAllowed', `The method '${method}' is not supported for '${path}'.`);
}

export const Tags = z.record(z.string().max(512), z.string().max(256));
