/**
 * Reading the Bicep files without a Bicep compiler (none can be installed offline: the npm wrappers download the CLI
 * binary). The files are parsed with tree-sitter's Bicep grammar (`tree-sitter-bicep`, run by `web-tree-sitter` as
 * WebAssembly), which gives:
 *
 * - a syntax check: unbalanced braces, unterminated strings, stray tokens are ERROR / MISSING nodes;
 * - a syntax tree for the few extractions the tests need (object keys of a `var`, calls of a function, module
 *   references, role assignment resources), instead of regular expressions over the text.
 *
 * What it is not: the grammar knows no types, resource schemas or scopes, so a misspelt property or a wrong
 * api-version passes here and fails in `azd provision`. Known grammar gap: it predates the `extension` statement
 * (Microsoft Graph extension), so an `extension ...` line is blanked to spaces before parsing (positions unchanged).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { infraDir, repoRoot } from './config.js';

export interface BicepFile {
  /** Path relative to the repository root, with forward slashes. */
  readonly relative: string;
  readonly source: string;
  readonly root: Node;
}

let parserPromise: Promise<Parser> | undefined;

function bicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    const language = await Language.load(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

/** Every .bicep file under infra/, sorted, relative to the repository root. */
export function bicepFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.bicep')) found.push(path.relative(repoRoot, full).split(path.sep).join('/'));
    }
  };
  walk(infraDir);
  return found.sort();
}

/** Blanks `extension ...` statements (unknown to the grammar) keeping every other character where it was. */
export function blankExtensionStatements(source: string): string {
  return source.replace(/^extension\s.*$/gm, (line) => ' '.repeat(line.length));
}

export async function parseBicep(relative: string): Promise<BicepFile> {
  const source = readFileSync(path.join(repoRoot, relative), 'utf8');
  return { relative, source, root: await parseBicepSource(source) };
}

export async function parseBicepSource(source: string): Promise<Node> {
  const parser = await bicepParser();
  const tree = parser.parse(blankExtensionStatements(source));
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree.rootNode;
}

/** ERROR and MISSING nodes as `line:column message`. Empty when the file is syntactically valid. */
export function syntaxErrors(root: Node): string[] {
  const errors: string[] = [];
  const visit = (node: Node): void => {
    if (node.type === 'ERROR' || node.isMissing) {
      const where = `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
      errors.push(
        node.isMissing ? `${where} missing ${node.type}` : `${where} unexpected ${JSON.stringify(node.text)}`,
      );
    }
    for (const child of node.children) visit(child);
  };
  visit(root);
  return errors;
}

/** The value of a string literal without interpolation; undefined for anything else. */
export function stringLiteral(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  if (node.namedChildren.some((c) => c.type === 'interpolation')) return undefined;
  return node.namedChildren.map((c) => c.text).join('');
}

/** The key of an object property (identifier or quoted). */
export function propertyKey(property: Node): string | undefined {
  const key = property.namedChildren[0];
  if (!key) return undefined;
  return key.type === 'identifier' ? key.text : stringLiteral(key);
}

/** The value node of `key:` in an object node. */
export function propertyValue(object: Node, key: string): Node | undefined {
  for (const property of object.namedChildren) {
    if (property.type === 'object_property' && propertyKey(property) === key) return property.namedChildren[1];
  }
  return undefined;
}

/** The keys of the object literal assigned to `var <name>`. Throws when there is no such variable. */
export function variableObjectKeys(root: Node, name: string): string[] {
  for (const declaration of root.namedChildren) {
    if (declaration.type !== 'variable_declaration' || declaration.namedChildren[0]?.text !== name) continue;
    const value = declaration.namedChildren[1];
    if (value?.type !== 'object') throw new Error(`var ${name} is not an object literal`);
    return value.namedChildren.filter((c) => c.type === 'object_property').flatMap((p) => propertyKey(p) ?? []);
  }
  throw new Error(`no var ${name}`);
}

/** The value node of `var <name> = ...`, or undefined when there is no such variable. */
export function variableValue(root: Node, name: string): Node | undefined {
  const declaration = root.namedChildren.find(
    (d) => d.type === 'variable_declaration' && d.namedChildren[0]?.text === name,
  );
  return declaration?.namedChildren[1] ?? undefined;
}

/** The value node at a dotted path of properties (`login.tokenStore.enabled`) in an object node. */
export function propertyPath(object: Node, dotted: string): Node | undefined {
  let node: Node | undefined = object;
  for (const key of dotted.split('.')) node = node?.type === 'object' ? propertyValue(node, key) : undefined;
  return node;
}

/** Call expressions of the function `name` (for example `loadJsonContent`). */
export function callsOf(root: Node, name: string): Node[] {
  return root.descendantsOfType('call_expression').filter((call) => call.childForFieldName('function')?.text === name);
}

/** The arguments of a call expression. */
export function callArguments(call: Node): Node[] {
  return call.childForFieldName('arguments')?.namedChildren ?? [];
}

/** The path strings of every `module x '<path>' = ...` declaration. */
export function moduleReferences(root: Node): string[] {
  return root
    .descendantsOfType('module_declaration')
    .flatMap((m) => stringLiteral(m.namedChildren.find((c) => c.type === 'string')) ?? []);
}

export interface ResourceDeclaration {
  readonly symbol: string;
  readonly type: string;
  /** The resource body (for a loop or condition, the object inside it). */
  readonly body: Node | undefined;
  readonly line: number;
}

/** Every resource declaration (including `existing` ones) with its type string and body object. */
export function resourceDeclarations(root: Node): ResourceDeclaration[] {
  return root.descendantsOfType('resource_declaration').map((declaration) => {
    const symbol = declaration.namedChildren[0]?.text ?? '';
    const type = stringLiteral(declaration.namedChildren.find((c) => c.type === 'string')) ?? '';
    return { symbol, type, body: bodyObject(declaration), line: declaration.startPosition.row + 1 };
  });
}

function bodyObject(node: Node): Node | undefined {
  for (const child of node.namedChildren) {
    if (child.type === 'object') return child;
    if (child.type === 'for_statement' || child.type === 'if_statement') {
      const inner = bodyObject(child);
      if (inner) return inner;
    }
  }
  return undefined;
}
