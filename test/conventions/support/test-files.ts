import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, matchesGlob, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root (absolute). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A vitest project as vitest.config.ts declares it: a name and the globs that pick its files. */
export interface Tier {
  readonly name: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** One rule broken at one place: `<file>:<line> <what>`. */
export type Finding = string;

const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'data', 'coverage', 'vendor', 'fixtures', '__pycache__']);
/** What vitest would take for a test file if some project included it (its default include, roughly). */
const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;

/** Repository files (POSIX paths from the root) whose path passes `keep`, outside hidden and generated directories. */
function repoFiles(keep: (path: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED_DIRS.has(entry.name)) walk(path);
      else if (entry.isFile() && keep(path)) found.push(path);
    }
  };
  walk('');
  return found.sort();
}

/** Every test file of the repository (`*.test.ts`, but also `*.spec.js` and the like, which no tier runs). */
export function repoTestFiles(): string[] {
  return repoFiles((path) => TEST_FILE.test(path));
}

/** Every TypeScript file of a test directory: test files, their support modules and global setups. */
export function repoTestSources(): string[] {
  return repoFiles((path) => path.endsWith('.ts') && /(^|\/)test\//.test(path));
}

/** The names of the tiers whose globs pick the file (exactly one, for a well-placed test file). */
export function tiersOf(file: string, tiers: readonly Tier[]): string[] {
  return tiers
    .filter((t) => t.include.some((g) => matchesGlob(file, g)) && !t.exclude.some((g) => matchesGlob(file, g)))
    .map((t) => t.name);
}

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function at(source: ts.SourceFile, node: ts.Node, what: string): Finding {
  return `${source.fileName}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1} ${what}`;
}

function visit(node: ts.Node, fn: (node: ts.Node) => void): void {
  fn(node);
  ts.forEachChild(node, (child) => visit(child, fn));
}

/** The modules a source imports or re-exports, statically or with `import()`, and the names it imports from each. */
function imports(source: ts.SourceFile): { node: ts.Node; specifier: string; names: string[] }[] {
  const found: { node: ts.Node; specifier: string; names: string[] }[] = [];
  visit(source, (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
      if (!ts.isStringLiteral(node.moduleSpecifier)) return;
      const bindings = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : undefined;
      const names =
        bindings !== undefined && ts.isNamedImports(bindings)
          ? bindings.elements.map((e) => (e.propertyName ?? e.name).text)
          : [];
      found.push({ node, specifier: node.moduleSpecifier.text, names });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg !== undefined && ts.isStringLiteral(arg)) found.push({ node, specifier: arg.text, names: [] });
    }
  });
  return found;
}

/**
 * Where a test file (or a test-directory module it imports, followed transitively) reaches for real servers: it
 * imports `@mlops/testkit` or `@mlops/local-stack` (nats-server, MLflow, service processes) or vitest's `inject` (what global setup
 * provides). `read` gives a repository file's text, or undefined when there is none.
 */
export function serverUses(file: string, read: (path: string) => string | undefined): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const follow = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = read(path);
    if (text === undefined) return;
    const source = parse(path, text);
    for (const { node, specifier, names } of imports(source)) {
      if (/^@mlops\/(testkit|local-stack)(\/|$)/.test(specifier))
        findings.push(at(source, node, `imports ${specifier} (real servers)`));
      else if (specifier === 'vitest' && names.includes('inject'))
        findings.push(at(source, node, "imports inject from vitest (what a tier's global setup provides)"));
      else if (specifier.startsWith('.')) {
        const target = join(dirname(path), specifier).split(sep).join('/').replace(/\.js$/, '.ts');
        if (/(^|\/)test\//.test(target)) follow(target);
      }
    }
  };
  follow(file);
  return findings;
}

/** Reads a repository file (POSIX path from the root), or undefined when it does not exist. */
export function readRepoFile(path: string): string | undefined {
  const absolute = join(REPO_ROOT, path);
  return existsSync(absolute) ? readFileSync(absolute, 'utf8') : undefined;
}

/** `expect(x)`, `expect.soft(x)`, `expect.poll(f)`: an assertion (unlike `expect.any(...)` and other matchers). */
function isAssertion(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node)) return false;
  const callee = node.expression;
  if (ts.isIdentifier(callee)) return callee.text === 'expect';
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'expect' &&
    ['soft', 'poll'].includes(callee.name.text)
  );
}

const SHORT_CIRCUIT = new Set([
  ts.SyntaxKind.AmpersandAmpersandToken,
  ts.SyntaxKind.BarBarToken,
  ts.SyntaxKind.QuestionQuestionToken,
]);

/** Why `child` runs only sometimes inside `parent`, or undefined when it runs whenever `parent` does. */
function condition(parent: ts.Node, child: ts.Node): string | undefined {
  if (ts.isIfStatement(parent) && child !== parent.expression) return 'inside an if';
  if (ts.isConditionalExpression(parent) && child !== parent.condition) return 'in a branch of ?:';
  if (ts.isBinaryExpression(parent) && child === parent.right && SHORT_CIRCUIT.has(parent.operatorToken.kind))
    return `after ${parent.operatorToken.getText()}`;
  if (ts.isCaseClause(parent) || ts.isDefaultClause(parent)) return 'in a switch case';
  if (ts.isCatchClause(parent)) return 'in a catch block';
  return undefined;
}

/** Why a node runs only sometimes when its enclosing function (or the module) runs, or undefined. */
function conditionInFunction(node: ts.Node): string | undefined {
  const parent: ts.Node | undefined = node.parent;
  if (parent === undefined || ts.isFunctionLike(parent)) return undefined;
  return condition(parent, node) ?? conditionInFunction(parent);
}

/**
 * Assertions that run only on some paths of their function (inside an if, a ?: branch, after && / || / ??, in a
 * switch case or a catch block): a test built on them can pass without asserting anything. Assert unconditionally
 * instead, e.g. `expect(status !== 200 || documented(body)).toBe(true)` or `expect(x).toBe(ok ? a : b)`.
 */
export function conditionalAssertions(file: string, text: string): Finding[] {
  const source = parse(file, text);
  const findings: Finding[] = [];
  visit(source, (node) => {
    const why = isAssertion(node) ? conditionInFunction(node) : undefined;
    if (why !== undefined) findings.push(at(source, node, `expect(...) ${why}`));
  });
  return findings;
}

const TEST_APIS = new Set(['describe', 'suite', 'it', 'test', 'bench']);
const LEFT_OUT = new Set(['only', 'skip', 'skipIf', 'runIf', 'todo']);

/** The identifier a call or property chain starts from: `it` for a chain such as it, concurrent, only, `test` for `test.each(x)`. */
function rootOf(expression: ts.Expression): ts.Expression {
  return ts.isPropertyAccessExpression(expression) || ts.isCallExpression(expression)
    ? rootOf(expression.expression)
    : expression;
}

/** Focus and skip modifiers (`only`, `skip`, `skipIf`, `todo` on it/test/describe) and the like: tests left out of (or focused in) a run. */
export function focusedOrSkipped(file: string, text: string): Finding[] {
  const source = parse(file, text);
  const findings: Finding[] = [];
  visit(source, (node) => {
    if (!ts.isPropertyAccessExpression(node) || !LEFT_OUT.has(node.name.text)) return;
    const root = rootOf(node.expression);
    if (ts.isIdentifier(root) && TEST_APIS.has(root.text)) findings.push(at(source, node, node.getText(source)));
  });
  return findings;
}
