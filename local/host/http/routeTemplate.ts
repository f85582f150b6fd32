/**
 * HTTP trigger route templates, as the Functions host reads them (ASP.NET Core routing syntax):
 * `products/{category:alpha}/{id:int?}`, `files/{name}.{ext}`, `proxy/{*rest}`, `items/{page=1}`.
 * Literal text matches case-insensitively; parameter values are URL-decoded strings. Pure: no I/O.
 */

export class RouteTemplateError extends Error {
  constructor(template: string, message: string) {
    super(`route template "${template}": ${message}`);
    this.name = 'RouteTemplateError';
  }
}

export interface RouteConstraint {
  name: string;
  args: string[];
}

export interface RouteParameter {
  kind: 'parameter';
  name: string;
  optional: boolean;
  defaultValue: string | undefined;
  catchAll: boolean;
  constraints: RouteConstraint[];
}

export interface RouteLiteral {
  kind: 'literal';
  text: string;
}

export type RoutePart = RouteParameter | RouteLiteral;

export interface RouteSegment {
  parts: RoutePart[];
  /** Regex matching one decoded path segment; groups are the parameters in order. */
  pattern: RegExp;
}

export interface RouteTemplate {
  template: string;
  segments: RouteSegment[];
  /** ASP.NET-style precedence digits per segment: lower wins (literal 1, complex 2, constrained 3, plain 4, catch-all 5). */
  precedence: number[];
}

const KNOWN_CONSTRAINTS = new Set([
  'int',
  'long',
  'bool',
  'datetime',
  'decimal',
  'double',
  'float',
  'guid',
  'alpha',
  'min',
  'max',
  'range',
  'length',
  'minlength',
  'maxlength',
  'regex',
  'required',
  'nonfile',
  'file',
]);

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits the inside of `{...}` into name, constraints and optional/default markers. */
function parseParameter(template: string, body: string): RouteParameter {
  let rest = body;
  let catchAll = false;
  if (rest.startsWith('**')) {
    catchAll = true;
    rest = rest.slice(2);
  } else if (rest.startsWith('*')) {
    catchAll = true;
    rest = rest.slice(1);
  }
  // name runs up to the first ':', '=' or a trailing '?'
  const nameMatch = /^[^:=?]+/.exec(rest);
  if (!nameMatch) throw new RouteTemplateError(template, `parameter "{${body}}" has no name`);
  const name = nameMatch[0].trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new RouteTemplateError(template, `parameter name "${name}" is not a valid identifier`);
  }
  rest = rest.slice(nameMatch[0].length);
  const constraints: RouteConstraint[] = [];
  let optional = false;
  let defaultValue: string | undefined;
  while (rest.length > 0) {
    if (rest.startsWith(':')) {
      rest = rest.slice(1);
      const cName = /^[A-Za-z]+/.exec(rest);
      if (!cName) throw new RouteTemplateError(template, `parameter "${name}" has an empty constraint`);
      rest = rest.slice(cName[0].length);
      const args: string[] = [];
      if (rest.startsWith('(')) {
        let depth = 0;
        let end = -1;
        for (let i = 0; i < rest.length; i++) {
          const ch = rest[i];
          if (ch === '(') depth++;
          else if (ch === ')') {
            depth--;
            if (depth === 0) {
              end = i;
              break;
            }
          }
        }
        if (end < 0) throw new RouteTemplateError(template, `constraint "${cName[0]}" of "${name}" has no closing ")"`);
        const inner = rest.slice(1, end);
        rest = rest.slice(end + 1);
        if (cName[0].toLowerCase() === 'regex') args.push(inner);
        else args.push(...inner.split(',').map((a) => a.trim()));
      }
      const constraintName = cName[0].toLowerCase();
      if (!KNOWN_CONSTRAINTS.has(constraintName)) {
        throw new RouteTemplateError(template, `unknown constraint "${cName[0]}" on parameter "${name}"`);
      }
      constraints.push({ name: constraintName, args });
    } else if (rest === '?') {
      optional = true;
      rest = '';
    } else if (rest.startsWith('=')) {
      defaultValue = rest.slice(1);
      rest = '';
    } else {
      throw new RouteTemplateError(template, `unexpected "${rest}" in parameter "${name}"`);
    }
  }
  if (catchAll && optional)
    throw new RouteTemplateError(template, `catch-all parameter "${name}" cannot be marked optional`);
  return { kind: 'parameter', name, optional, defaultValue, catchAll, constraints };
}

function parseSegment(template: string, text: string): RoutePart[] {
  const parts: RoutePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '{' && text.charAt(i + 1) === '{') {
      literal += '{';
      i += 2;
    } else if (ch === '}' && text.charAt(i + 1) === '}') {
      literal += '}';
      i += 2;
    } else if (ch === '{') {
      // find the matching '}' (regex constraints may contain escaped '{{' '}}' and parentheses)
      let j = i + 1;
      let body = '';
      let closed = false;
      while (j < text.length) {
        const c = text.charAt(j);
        if ((c === '{' || c === '}') && text.charAt(j + 1) === c) {
          body += c;
          j += 2;
        } else if (c === '}') {
          closed = true;
          break;
        } else {
          body += c;
          j++;
        }
      }
      if (!closed) throw new RouteTemplateError(template, `unclosed "{" in segment "${text}"`);
      if (literal) parts.push({ kind: 'literal', text: literal });
      literal = '';
      parts.push(parseParameter(template, body));
      i = j + 1;
    } else if (ch === '}') {
      throw new RouteTemplateError(template, `unmatched "}" in segment "${text}"`);
    } else {
      literal += ch;
      i++;
    }
  }
  if (literal) parts.push({ kind: 'literal', text: literal });
  for (let k = 0; k + 1 < parts.length; k++) {
    if (parts[k]?.kind === 'parameter' && parts[k + 1]?.kind === 'parameter') {
      throw new RouteTemplateError(template, `segment "${text}" has two parameters without a literal between them`);
    }
  }
  return parts;
}

function segmentPattern(parts: RoutePart[]): RegExp {
  const source = parts
    // greedy groups: like ASP.NET, complex segments bind the right-most literal first ({name}.{ext} on a.b.c)
    .map((part) => (part.kind === 'literal' ? escapeRegex(part.text) : '(.+)'))
    .join('');
  return new RegExp(`^${source}$`, 'is');
}

function precedenceOf(parts: RoutePart[]): number {
  const only = parts.length === 1 ? parts[0] : undefined;
  if (!only) return 2;
  if (only.kind === 'literal') return 1;
  if (only.catchAll) return 5;
  return only.constraints.length > 0 ? 3 : 4;
}

function isSingleParameter(segment: RouteSegment): RouteParameter | undefined {
  const only = segment.parts.length === 1 ? segment.parts[0] : undefined;
  return only?.kind === 'parameter' ? only : undefined;
}

export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template
    .trim()
    .replace(/^~?\/+/, '')
    .replace(/\/+$/, '');
  if (trimmed.replace(/\{[^}]*\}/g, '').includes('?')) {
    throw new RouteTemplateError(template, 'a route template cannot contain a query string');
  }
  const rawSegments = trimmed === '' ? [] : trimmed.split('/');
  const segments: RouteSegment[] = [];
  const names = new Set<string>();
  rawSegments.forEach((raw, index) => {
    if (raw === '') throw new RouteTemplateError(template, 'empty segment ("//")');
    const parts = parseSegment(template, raw);
    for (const part of parts) {
      if (part.kind !== 'parameter') continue;
      const key = part.name.toLowerCase();
      if (names.has(key)) throw new RouteTemplateError(template, `parameter "${part.name}" appears twice`);
      names.add(key);
      if (part.catchAll && (index !== rawSegments.length - 1 || parts.length !== 1)) {
        throw new RouteTemplateError(template, `catch-all parameter "${part.name}" must be the whole last segment`);
      }
      if ((part.optional || part.defaultValue !== undefined) && parts.length !== 1) {
        throw new RouteTemplateError(template, `optional parameter "${part.name}" must be a whole segment`);
      }
    }
    segments.push({ parts, pattern: segmentPattern(parts) });
  });
  // optional segments may only be followed by optional segments (or a catch-all)
  let sawOptional = false;
  for (const segment of segments) {
    const p = isSingleParameter(segment);
    const optionalHere = p !== undefined && (p.optional || p.defaultValue !== undefined || p.catchAll);
    if (sawOptional && !optionalHere) {
      throw new RouteTemplateError(template, 'an optional parameter can only be followed by optional segments');
    }
    if (optionalHere) sawOptional = true;
  }
  return { template, segments, precedence: segments.map((s) => precedenceOf(s.parts)) };
}

const INT32 = { min: -2147483648, max: 2147483647 };

function isInteger(value: string): boolean {
  return /^[-+]?\d+$/.test(value);
}

function isNumber(value: string): boolean {
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value) && Number.isFinite(Number(value));
}

const GUID =
  /^(\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}|\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i;

function argNumber(constraint: RouteConstraint, index: number): number {
  return Number(constraint.args[index]);
}

export function satisfiesConstraint(constraint: RouteConstraint, value: string): boolean {
  switch (constraint.name) {
    case 'int': {
      if (!isInteger(value)) return false;
      const n = Number(value);
      return n >= INT32.min && n <= INT32.max;
    }
    case 'long':
      return isInteger(value) && BigInt(value) >= -(2n ** 63n) && BigInt(value) < 2n ** 63n;
    case 'bool':
      return /^(true|false)$/i.test(value);
    case 'datetime':
      return !Number.isNaN(Date.parse(value));
    case 'decimal':
    case 'double':
    case 'float':
      return isNumber(value);
    case 'guid':
      return GUID.test(value);
    case 'alpha':
      return /^[a-z]+$/i.test(value);
    case 'min':
      return isInteger(value) && Number(value) >= argNumber(constraint, 0);
    case 'max':
      return isInteger(value) && Number(value) <= argNumber(constraint, 0);
    case 'range':
      return isInteger(value) && Number(value) >= argNumber(constraint, 0) && Number(value) <= argNumber(constraint, 1);
    case 'length':
      return constraint.args.length >= 2
        ? value.length >= argNumber(constraint, 0) && value.length <= argNumber(constraint, 1)
        : value.length === argNumber(constraint, 0);
    case 'minlength':
      return value.length >= argNumber(constraint, 0);
    case 'maxlength':
      return value.length <= argNumber(constraint, 0);
    case 'regex':
      return new RegExp(constraint.args[0] ?? '', 'i').test(value);
    case 'required':
      return value.length > 0;
    case 'file':
      return /\.[^/.]+$/.test(value);
    case 'nonfile':
      return !/\.[^/.]+$/.test(value);
    default:
      return false;
  }
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Matches a request path (no query, no route prefix, not decoded) against a template. Returns the parameter values
 * (missing optional parameters are absent, defaults applied) or undefined.
 */
export function matchRoute(route: RouteTemplate, path: string): Record<string, string> | undefined {
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '');
  const rawSegments = trimmed === '' ? [] : trimmed.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const segment = route.segments[i];
    if (!segment) return undefined;
    const single = isSingleParameter(segment);
    if (single?.catchAll) {
      const rest = rawSegments.slice(i).map(decodeSegment);
      if (rest.some((s) => s === undefined)) return undefined;
      const value = rest.join('/');
      if (value !== '') {
        if (!single.constraints.every((c) => satisfiesConstraint(c, value))) return undefined;
        params[single.name] = value;
      } else if (single.defaultValue !== undefined) {
        params[single.name] = single.defaultValue;
      }
      return params;
    }
    const raw = rawSegments[i];
    if (raw === undefined) {
      if (single && (single.optional || single.defaultValue !== undefined)) {
        if (single.defaultValue !== undefined) params[single.name] = single.defaultValue;
        continue;
      }
      return undefined;
    }
    const decoded = decodeSegment(raw);
    if (decoded === undefined) return undefined;
    const match = segment.pattern.exec(decoded);
    if (!match) return undefined;
    let group = 1;
    for (const part of segment.parts) {
      if (part.kind !== 'parameter') continue;
      const value = match[group++] ?? '';
      if (!part.constraints.every((c) => satisfiesConstraint(c, value))) return undefined;
      params[part.name] = value;
    }
  }
  if (rawSegments.length > route.segments.length) return undefined;
  return params;
}

/** Orders routes the way ASP.NET does: more specific first. */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const n = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < n; i++) {
    const pa = a.precedence[i];
    const pb = b.precedence[i];
    if (pa === undefined) return pb === undefined ? 0 : -1;
    if (pb === undefined) return 1;
    if (pa !== pb) return pa - pb;
  }
  return 0;
}
