/**
 * Role assignment conditions (ABAC, conditionVersion 2.0): the subset used to delegate role assignment management,
 * such as "may only assign Network Contributor":
 *
 *   ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'}))
 *     OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {4d97b98b-...}))
 *   AND
 *   ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}))
 *     OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {4d97b98b-...}))
 *
 * Supported: `AND`/`&&`, `OR`/`||`, `!`/`NOT`, parentheses, `ActionMatches{'<action, * wildcards>'}`, and comparisons of
 * the attributes `@Request[...]` / `@Resource[...]` `Microsoft.Authorization/roleAssignments:RoleDefinitionId`,
 * `:PrincipalId` and `:PrincipalType` with `GuidEquals`, `GuidNotEquals`, `StringEquals`, `StringNotEquals`,
 * `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase`, optionally prefixed by `ForAnyOfAnyValues:`,
 * `ForAnyOfAllValues:`, `ForAllOfAnyValues:` or `ForAllOfAllValues:`. Anything else is rejected with an error that
 * names the unsupported part (the real service accepts more).
 *
 * Format reference: MicrosoftDocs/azure-docs `articles/role-based-access-control/conditions-format.md` and
 * `delegate-role-assignments-examples.md`.
 */
import { actionMatches } from './match.js';

export type AttributeSource = 'Request' | 'Resource';
export type AttributeName = 'RoleDefinitionId' | 'PrincipalId' | 'PrincipalType';
export type Quantifier = 'ForAnyOfAnyValues' | 'ForAnyOfAllValues' | 'ForAllOfAnyValues' | 'ForAllOfAllValues';
export type Comparison =
  | 'GuidEquals'
  | 'GuidNotEquals'
  | 'StringEquals'
  | 'StringNotEquals'
  | 'StringEqualsIgnoreCase'
  | 'StringNotEqualsIgnoreCase';

export type ConditionNode =
  | { readonly kind: 'and' | 'or'; readonly left: ConditionNode; readonly right: ConditionNode }
  | { readonly kind: 'not'; readonly operand: ConditionNode }
  | { readonly kind: 'actionMatches'; readonly pattern: string }
  | {
      readonly kind: 'compare';
      readonly source: AttributeSource;
      readonly attribute: AttributeName;
      readonly quantifier: Quantifier;
      readonly comparison: Comparison;
      readonly values: readonly string[];
    };

export interface ParsedCondition {
  readonly text: string;
  readonly root: ConditionNode;
}

/** Attributes of the request being authorised. */
export interface ConditionContext {
  readonly action: string;
  readonly request?: Partial<Record<AttributeName, string>>;
  readonly resource?: Partial<Record<AttributeName, string>>;
}

export class ConditionSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConditionSyntaxError';
  }
}

const ATTRIBUTE_PREFIX = 'microsoft.authorization/roleassignments:';
const ATTRIBUTES: Record<string, AttributeName> = {
  roledefinitionid: 'RoleDefinitionId',
  principalid: 'PrincipalId',
  principaltype: 'PrincipalType',
};
const QUANTIFIERS: readonly Quantifier[] = [
  'ForAnyOfAnyValues',
  'ForAnyOfAllValues',
  'ForAllOfAnyValues',
  'ForAllOfAllValues',
];
const COMPARISONS: readonly Comparison[] = [
  'GuidEquals',
  'GuidNotEquals',
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
];

type Token =
  | { t: '(' | ')' | '{' | '}' | ',' | '!' | 'and' | 'or'; at: number }
  | { t: 'word'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'attr'; source: string; name: string; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if ('(){},'.includes(c)) {
      tokens.push({ t: c as '(' | ')' | '{' | '}' | ',', at: i });
      i++;
      continue;
    }
    if (c === '!') {
      tokens.push({ t: '!', at: i });
      i++;
      continue;
    }
    if (text.startsWith('&&', i)) {
      tokens.push({ t: 'and', at: i });
      i += 2;
      continue;
    }
    if (text.startsWith('||', i)) {
      tokens.push({ t: 'or', at: i });
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new ConditionSyntaxError(`unterminated string starting at offset ${i}`);
      tokens.push({ t: 'string', v: text.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    if (c === '@') {
      const m = /^@([A-Za-z]+)\[([^\]]*)\]/.exec(text.slice(i));
      if (!m) throw new ConditionSyntaxError(`malformed attribute at offset ${i}`);
      tokens.push({ t: 'attr', source: m[1] ?? '', name: m[2] ?? '', at: i });
      i += m[0].length;
      continue;
    }
    const m = /^[A-Za-z0-9_.:\-/*]+/.exec(text.slice(i));
    if (!m) throw new ConditionSyntaxError(`unexpected character '${c}' at offset ${i}`);
    const word = m[0];
    const lower = word.toLowerCase();
    if (lower === 'and') tokens.push({ t: 'and', at: i });
    else if (lower === 'or') tokens.push({ t: 'or', at: i });
    else if (lower === 'not') tokens.push({ t: '!', at: i });
    else tokens.push({ t: 'word', v: word, at: i });
    i += word.length;
  }
  return tokens;
}

/** Parses a condition; throws ConditionSyntaxError naming what is unsupported or malformed. */
export function parseCondition(text: string): ParsedCondition {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const describe = (tok: Token | undefined): string =>
    tok === undefined
      ? 'end of condition'
      : `'${'v' in tok ? tok.v : tok.t === 'attr' ? `@${tok.source}[${tok.name}]` : tok.t}' at offset ${tok.at}`;
  const expect = (t: Token['t']): Token => {
    const tok = tokens[pos];
    if (tok?.t !== t) throw new ConditionSyntaxError(`expected '${t}' but found ${describe(tok)}`);
    pos++;
    return tok;
  };

  const parseOr = (): ConditionNode => {
    let left = parseAnd();
    while (peek()?.t === 'or') {
      pos++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): ConditionNode => {
    let left = parseUnary();
    while (peek()?.t === 'and') {
      pos++;
      left = { kind: 'and', left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): ConditionNode => {
    if (peek()?.t === '!') {
      pos++;
      return { kind: 'not', operand: parseUnary() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): ConditionNode => {
    const tok = peek();
    if (tok?.t === '(') {
      pos++;
      const inner = parseOr();
      expect(')');
      return inner;
    }
    if (tok?.t === 'word') {
      if (tok.v.toLowerCase() !== 'actionmatches') {
        throw new ConditionSyntaxError(`unsupported function ${describe(tok)}: only ActionMatches is supported`);
      }
      pos++;
      expect('{');
      const pattern = expect('string');
      expect('}');
      return { kind: 'actionMatches', pattern: 'v' in pattern ? pattern.v : '' };
    }
    if (tok?.t === 'attr') {
      pos++;
      return parseComparison(tok);
    }
    throw new ConditionSyntaxError(`expected an expression but found ${describe(tok)}`);
  };
  const parseComparison = (attr: Extract<Token, { t: 'attr' }>): ConditionNode => {
    const source =
      attr.source.toLowerCase() === 'request'
        ? 'Request'
        : attr.source.toLowerCase() === 'resource'
          ? 'Resource'
          : undefined;
    if (!source) {
      throw new ConditionSyntaxError(
        `unsupported attribute source '@${attr.source}': only @Request and @Resource are supported`,
      );
    }
    const lowerName = attr.name.toLowerCase();
    const attribute = lowerName.startsWith(ATTRIBUTE_PREFIX)
      ? ATTRIBUTES[lowerName.slice(ATTRIBUTE_PREFIX.length)]
      : undefined;
    if (!attribute) {
      throw new ConditionSyntaxError(
        `unsupported attribute '${attr.name}': only Microsoft.Authorization/roleAssignments:RoleDefinitionId, :PrincipalId and :PrincipalType are supported`,
      );
    }
    const opTok = peek();
    if (opTok?.t !== 'word')
      throw new ConditionSyntaxError(
        `expected an operator after @${attr.source}[${attr.name}] but found ${describe(opTok)}`,
      );
    pos++;
    const parts = opTok.v.split(':');
    const quantifierText = parts.length === 2 ? parts[0] : undefined;
    const comparisonText = parts.length === 2 ? parts[1] : parts[0];
    const quantifier =
      quantifierText === undefined
        ? 'ForAnyOfAnyValues'
        : QUANTIFIERS.find((q) => q.toLowerCase() === quantifierText.toLowerCase());
    const comparison = COMPARISONS.find((c) => c.toLowerCase() === (comparisonText ?? '').toLowerCase());
    if (parts.length > 2 || !quantifier || !comparison) {
      throw new ConditionSyntaxError(
        `unsupported operator '${opTok.v}': supported are ${COMPARISONS.join(', ')}, optionally prefixed by ${QUANTIFIERS.join(', ')}`,
      );
    }
    const values: string[] = [];
    if (peek()?.t === '{') {
      pos++;
      for (;;) {
        values.push(parseValue());
        if (peek()?.t === ',') {
          pos++;
          continue;
        }
        break;
      }
      expect('}');
    } else {
      values.push(parseValue());
    }
    return { kind: 'compare', source, attribute, quantifier, comparison, values };
  };
  const parseValue = (): string => {
    const tok = peek();
    if (tok?.t === 'string' || tok?.t === 'word') {
      pos++;
      return tok.v;
    }
    throw new ConditionSyntaxError(`expected a value but found ${describe(tok)}`);
  };

  if (tokens.length === 0) throw new ConditionSyntaxError('the condition is empty');
  const root = parseOr();
  if (pos !== tokens.length) throw new ConditionSyntaxError(`unexpected ${describe(tokens[pos])}`);
  return { text, root };
}

export function evaluateCondition(condition: ParsedCondition, context: ConditionContext): boolean {
  return evaluate(condition.root, context);
}

function evaluate(node: ConditionNode, context: ConditionContext): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, context) && evaluate(node.right, context);
    case 'or':
      return evaluate(node.left, context) || evaluate(node.right, context);
    case 'not':
      return !evaluate(node.operand, context);
    case 'actionMatches':
      return actionMatches(node.pattern, context.action);
    case 'compare': {
      const attrs = node.source === 'Request' ? context.request : context.resource;
      const value = attrs?.[node.attribute];
      // A missing attribute makes the comparison false (the documented behaviour for absent attributes).
      if (value === undefined) return false;
      const left = [node.attribute === 'RoleDefinitionId' ? lastSegment(value) : value];
      const test = (l: string, r: string): boolean => compare(node.comparison, l, r);
      const anyRight = (l: string): boolean => node.values.some((r) => test(l, r));
      const allRight = (l: string): boolean => node.values.every((r) => test(l, r));
      switch (node.quantifier) {
        case 'ForAnyOfAnyValues':
          return left.some(anyRight);
        case 'ForAnyOfAllValues':
          return left.some(allRight);
        case 'ForAllOfAnyValues':
          return left.every(anyRight);
        case 'ForAllOfAllValues':
          return left.every(allRight);
      }
    }
  }
}

function compare(comparison: Comparison, left: string, right: string): boolean {
  switch (comparison) {
    case 'GuidEquals':
      return left.toLowerCase() === right.toLowerCase();
    case 'GuidNotEquals':
      return left.toLowerCase() !== right.toLowerCase();
    case 'StringEquals':
      return left === right;
    case 'StringNotEquals':
      return left !== right;
    case 'StringEqualsIgnoreCase':
      return left.toLowerCase() === right.toLowerCase();
    case 'StringNotEqualsIgnoreCase':
      return left.toLowerCase() !== right.toLowerCase();
  }
}

function lastSegment(id: string): string {
  return id.replace(/\/+$/, '').split('/').pop() ?? id;
}
