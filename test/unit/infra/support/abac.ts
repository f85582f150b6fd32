/**
 * A small evaluator for the subset of Azure ABAC condition syntax used on role assignments that delegate role
 * assignment management (learn.microsoft.com/azure/role-based-access-control/conditions-format and
 * delegate-role-assignments-examples): `ActionMatches{'action'}`, `@Request[attr]` / `@Resource[attr]` with
 * `ForAnyOfAnyValues:GuidEquals` or `ForAnyOfAnyValues:StringEqualsIgnoreCase` and a `{...}` value set, `!`, `AND`,
 * `OR` and parentheses. Anything else is a parse error, so a condition using other syntax fails the test loudly
 * instead of being misread.
 *
 * Semantics of a condition on a role assignment: an action the assignment's role allows is permitted only if the
 * condition evaluates to true for that request.
 */

export interface AbacRequest {
  readonly action: string;
  /** `@Request[...]` attributes, for example `Microsoft.Authorization/roleAssignments:RoleDefinitionId`. */
  readonly request?: Readonly<Record<string, readonly string[]>>;
  /** `@Resource[...]` attributes. */
  readonly resource?: Readonly<Record<string, readonly string[]>>;
}

type Expr =
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'action'; readonly action: string }
  | {
      readonly kind: 'attribute';
      readonly source: 'Request' | 'Resource';
      readonly attribute: string;
      readonly operator: 'GuidEquals' | 'StringEqualsIgnoreCase';
      readonly values: readonly string[];
    };

type Token =
  | { readonly t: '(' | ')' | '!' | 'AND' | 'OR' }
  | { readonly t: 'action'; readonly value: string }
  | {
      readonly t: 'attribute';
      readonly source: 'Request' | 'Resource';
      readonly attribute: string;
      readonly operator: 'GuidEquals' | 'StringEqualsIgnoreCase';
      readonly values: readonly string[];
    };

const ACTION = /^ActionMatches\{'([^']+)'\}/;
const ATTRIBUTE =
  /^@(Request|Resource)\[([^\]]+)\]\s+ForAnyOfAnyValues:(GuidEquals|StringEqualsIgnoreCase)\s*\{([^}]*)\}/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    const first = rest[0];
    if (first === '(' || first === ')' || first === '!') {
      tokens.push({ t: first });
      rest = rest.slice(1);
    } else if (/^AND\b/.test(rest)) {
      tokens.push({ t: 'AND' });
      rest = rest.slice(3);
    } else if (/^OR\b/.test(rest)) {
      tokens.push({ t: 'OR' });
      rest = rest.slice(2);
    } else if ((m = ACTION.exec(rest))) {
      tokens.push({ t: 'action', value: m[1] ?? '' });
      rest = rest.slice(m[0].length);
    } else if ((m = ATTRIBUTE.exec(rest))) {
      const values = (m[4] ?? '')
        .split(',')
        .map((v) => v.trim().replace(/^'(.*)'$/, '$1'))
        .filter((v) => v.length > 0);
      tokens.push({
        t: 'attribute',
        source: m[1] === 'Request' ? 'Request' : 'Resource',
        attribute: m[2] ?? '',
        operator: m[3] === 'GuidEquals' ? 'GuidEquals' : 'StringEqualsIgnoreCase',
        values,
      });
      rest = rest.slice(m[0].length);
    } else {
      throw new Error(`unsupported condition syntax at: ${rest.slice(0, 40)}`);
    }
    rest = rest.trimStart();
  }
  return tokens;
}

/** Parses a condition; throws on anything outside the supported subset. */
export function parseCondition(text: string): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const orExpr = (): Expr => {
    let left = andExpr();
    while (peek()?.t === 'OR') {
      i++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): Expr => {
    let left = unary();
    while (peek()?.t === 'AND') {
      i++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): Expr => {
    const token = tokens[i++];
    if (!token) throw new Error('condition ends too early');
    switch (token.t) {
      case '!':
        return { kind: 'not', operand: unary() };
      case '(': {
        const inner = orExpr();
        if (tokens[i++]?.t !== ')') throw new Error('missing )');
        return inner;
      }
      case 'action':
        return { kind: 'action', action: token.value };
      case 'attribute':
        return {
          kind: 'attribute',
          source: token.source,
          attribute: token.attribute,
          operator: token.operator,
          values: token.values,
        };
      default:
        throw new Error(`unexpected ${token.t}`);
    }
  };
  const expr = orExpr();
  if (i !== tokens.length) throw new Error('trailing tokens in condition');
  return expr;
}

export function evaluateCondition(condition: string, request: AbacRequest): boolean {
  return evaluate(parseCondition(condition), request);
}

function evaluate(expr: Expr, request: AbacRequest): boolean {
  switch (expr.kind) {
    case 'and':
      return evaluate(expr.left, request) && evaluate(expr.right, request);
    case 'or':
      return evaluate(expr.left, request) || evaluate(expr.right, request);
    case 'not':
      return !evaluate(expr.operand, request);
    case 'action':
      return expr.action.toLowerCase() === request.action.toLowerCase();
    case 'attribute': {
      const source = expr.source === 'Request' ? request.request : request.resource;
      const actual = source?.[expr.attribute] ?? [];
      const wanted = expr.values.map((v) => v.toLowerCase());
      return actual.some((a) => wanted.includes(a.toLowerCase()));
    }
  }
}

/** Every value set compared with GuidEquals on a RoleDefinitionId attribute, for structural checks. */
export function roleDefinitionValueSets(condition: string): string[][] {
  const sets: string[][] = [];
  const visit = (expr: Expr): void => {
    if (expr.kind === 'and' || expr.kind === 'or') {
      visit(expr.left);
      visit(expr.right);
    } else if (expr.kind === 'not') visit(expr.operand);
    else if (expr.kind === 'attribute' && expr.attribute.endsWith(':RoleDefinitionId')) {
      sets.push(expr.values.map((v) => v.toLowerCase()));
    }
  };
  visit(parseCondition(condition));
  return sets;
}
