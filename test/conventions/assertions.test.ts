import { describe, expect, it } from 'vitest';
import {
  conditionalAssertions,
  focusedOrSkipped,
  readRepoFile,
  repoTestFiles,
  repoTestSources,
} from './support/test-files.js';

describe('test sources', () => {
  const sources = repoTestSources().map((file) => ({ file, text: readRepoFile(file)! }));

  it('when scanned, then they include every test file and its support modules', () => {
    const scanned = sources.map((s) => s.file);
    expect(scanned).toEqual(expect.arrayContaining(repoTestFiles().filter((file) => file.endsWith('.ts'))));
    expect(scanned).toEqual(expect.arrayContaining(['test/fault/support/stack.ts', 'test/global-setup.ts']));
  });

  it('when read, then no assertion is conditional (a test must not pass without asserting)', () => {
    expect(sources.flatMap(({ file, text }) => conditionalAssertions(file, text))).toEqual([]);
  });

  it('when read, then no test is focused (only) or left out (skip, skipIf, runIf, todo)', () => {
    expect(sources.flatMap(({ file, text }) => focusedOrSkipped(file, text))).toEqual([]);
  });
});

describe('the source checks catch', () => {
  it.each([
    ['if (ok) expect(a).toBe(1);', ['inside an if']],
    ['if (ok) { x(); } else { expect(a).toBe(1); }', ['inside an if']],
    ['ok ? expect(a).toBe(1) : undefined;', ['in a branch of ?:']],
    ['ok && expect(a).toBe(1);', ['after &&']],
    ['switch (a) { case 1: expect(a).toBe(1); }', ['in a switch case']],
    ['try { f(); } catch (e) { expect(e).toBeDefined(); }', ['in a catch block']],
    ['if (ok) expect.soft(a).toBe(1);', ['inside an if']],
    ['expect(a).toBe(ok ? 1 : 2);', []],
    ['expect(status !== 200 || valid(body)).toBe(true);', []],
    ['expect(a).toEqual(ok ? null : expect.closeTo(1, 12));', []],
    ['if (expect(a)) f();', []],
    ['for (const x of xs) expect(x).toBe(1);', []],
    ['if (ok) it("a", () => { expect(a).toBe(1); });', []],
  ])('%s: %j', (body, why) => {
    const findings = conditionalAssertions('x.test.ts', `it('t', () => {\n${body}\n});\n`);
    expect(findings).toEqual(why.map((w) => `x.test.ts:2 expect(...) ${w}`));
  });

  // The planted offenders are assembled from parts, so this file never holds a literal focused or skipped test.
  const call = (...parts: string[]) => parts.join('.');
  it.each([
    [`${call('it', 'only')}("a", () => {});`, [call('it', 'only')]],
    [`${call('describe', 'skip')}("a", () => {});`, [call('describe', 'skip')]],
    [`${call('test', 'skipIf')}(process.env.CI)("a", () => {});`, [call('test', 'skipIf')]],
    [`${call('it', 'concurrent', 'only')}("a", () => {});`, [call('it', 'concurrent', 'only')]],
    [`${call('it', 'todo')}("a");`, [call('it', 'todo')]],
    ['it.each([1])("a %i", () => {});', []],
    [`const only = ${call('list', 'only')}; ${call('rows', 'skip')}(1);`, []],
  ])('%s: %j', (code, found) => {
    expect(focusedOrSkipped('x.test.ts', code)).toEqual(found.map((what) => `x.test.ts:1 ${what}`));
  });
});
