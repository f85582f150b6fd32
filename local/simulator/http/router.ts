/**
 * Case-insensitive ARM routing. Patterns are written with `{param}` segments; a leading `{*scope}` captures any scope
 * prefix (subscription, resource group or resource) as for `/{scope}/providers/Microsoft.Authorization/...`.
 * Literal segments match case-insensitively; parameters keep the caller's casing.
 */
import type { SimContext } from '../context.js';
import type { AccessRequest } from '../rbac/access.js';
import type { ArmRequest, ArmResponse } from './request.js';

export type Params = Readonly<Record<string, string>>;

export interface RouteDefinition {
  /** Operation id (see rbac/actions.ts) or `operations.get` for operation status polls. */
  readonly operation: string;
  readonly method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  readonly pattern: string;
  /** Accepted api-versions; `any` for operation status URLs (pollers echo the client's api-version). */
  readonly apiVersions: readonly string[] | 'any';
  /** Scope of the access check (defaults by the operation's table entry: the path, or its collection parent). */
  readonly scope?: (params: Params, path: string) => string | undefined;
  /** Extra endpoint-type parameter name for Traffic Manager actions. */
  readonly endpointTypeParam?: string;
  /** Request/resource attributes for role assignment conditions. */
  readonly conditionAttributes?: (
    request: ArmRequest,
    params: Params,
    ctx: SimContext,
  ) => Pick<AccessRequest, 'request' | 'resource'>;
  readonly handle: (request: ArmRequest, params: Params, ctx: SimContext) => ArmResponse;
}

type Segment = { readonly literal: string } | { readonly param: string };

interface Compiled {
  readonly route: RouteDefinition;
  readonly scoped: boolean;
  readonly segments: readonly Segment[];
}

export interface RouteMatch {
  readonly route: RouteDefinition;
  readonly params: Params;
}

export class Router {
  private readonly compiled: Compiled[] = [];

  add(...routes: RouteDefinition[]): void {
    for (const route of routes) {
      const parts = route.pattern.split('/').filter((p) => p.length > 0);
      const scoped = parts[0] === '{*scope}';
      const segments = (scoped ? parts.slice(1) : parts).map((p): Segment => {
        const m = /^\{(\w+)\}$/.exec(p);
        return m?.[1] ? { param: m[1] } : { literal: p.toLowerCase() };
      });
      this.compiled.push({ route, scoped, segments });
    }
  }

  /**
   * Finds the route for a path. Returns `methodMismatch` when the path matches a route with another method (405),
   * undefined when nothing matches.
   */
  match(method: string, path: string): RouteMatch | { readonly methodMismatch: true } | undefined {
    const parts = path.split('/').filter((p) => p.length > 0);
    let pathMatched = false;
    for (const c of this.compiled) {
      const params = matchSegments(c, parts);
      if (!params) continue;
      if (c.route.method !== method) {
        pathMatched = true;
        continue;
      }
      return { route: c.route, params };
    }
    return pathMatched ? { methodMismatch: true } : undefined;
  }
}

function matchSegments(c: Compiled, parts: readonly string[]): Record<string, string> | undefined {
  const offset = c.scoped ? parts.length - c.segments.length : 0;
  if (c.scoped ? offset < 0 : parts.length !== c.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < c.segments.length; i++) {
    const seg = c.segments[i];
    const part = parts[offset + i];
    if (seg === undefined || part === undefined) return undefined;
    if ('literal' in seg) {
      if (part.toLowerCase() !== seg.literal) return undefined;
    } else {
      params[seg.param] = decodeURIComponent(part);
    }
  }
  if (c.scoped) {
    const scopeParts = parts.slice(0, offset);
    if (!isScopePath(scopeParts)) return undefined;
    params['scope'] = scopeParts.length === 0 ? '' : `/${scopeParts.join('/')}`;
  }
  return params;
}

/** A scope is empty (tenant), or starts with subscriptions/{id}, optionally resourceGroups/{rg}, then provider pairs. */
function isScopePath(parts: readonly string[]): boolean {
  if (parts.length === 0) return true;
  if (parts[0]?.toLowerCase() !== 'subscriptions' || parts.length < 2) return false;
  let i = 2;
  if (parts[i]?.toLowerCase() === 'resourcegroups') {
    if (parts.length < i + 2) return false;
    i += 2;
  }
  if (i === parts.length) return true;
  if (parts[i]?.toLowerCase() !== 'providers') return false;
  const rest = parts.length - (i + 2);
  return rest >= 2 && rest % 2 === 0;
}
