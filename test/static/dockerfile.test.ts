import { describe, expect, test } from 'vitest';
import { SERVICES } from '../../tools/docs/src/services.js';
import { isPinnedImage, parseDockerfile, parseInstructions } from './support/dockerfile.js';
import { checkDockerfile, type DockerfileExpectations } from './support/dockerfile-rules.js';
import { repoFile, workspaceDirs } from './support/project.js';

const nodeVersion = repoFile('.node-version').trim();
const expectations: DockerfileExpectations = {
  workspaces: workspaceDirs(),
  services: SERVICES.map((s) => s.name),
  nodeVersion,
};
const dockerfile = repoFile('Dockerfile');
const nodeMajor = nodeVersion.split('.')[0]!;

describe('Dockerfile', () => {
  test('builds every service as its own non-root target from production dependencies', () => {
    expect(expectations.workspaces).toEqual(expect.arrayContaining(['libs/contracts', 'services/predictor', 'cli']));
    expect(checkDockerfile(dockerfile, expectations)).toEqual([]);
  });

  test('.dockerignore keeps host installs, builds and data out of the build context', () => {
    const ignored = repoFile('.dockerignore').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.venv', 'data', '.git']) expect(ignored).toContain(entry);
  });
});

describe('the Dockerfile checker rejects', () => {
  const edited = (from: string | RegExp, to: string) => {
    const text = dockerfile.replace(from, to);
    expect(text).not.toBe(dockerfile);
    return checkDockerfile(text, expectations).join('\n');
  };

  test.each<[string, string | RegExp, string, string]>([
    [
      'an unpinned base image',
      `node:${nodeVersion}-bookworm-slim AS runtime`,
      `node:${nodeMajor}-bookworm-slim AS runtime`,
      `FROM node:${nodeMajor}-bookworm-slim: base images are pinned`,
    ],
    [
      'a node image of another version than .node-version',
      `node:${nodeVersion}-bookworm-slim AS manifests`,
      'node:22.21.1-bookworm-slim AS manifests',
      `FROM node:22.21.1-bookworm-slim: the node image must be Node ${nodeVersion}`,
    ],
    [
      'a workspace manifest that never reaches npm ci',
      'COPY libs/bus/package.json libs/bus/\n',
      '',
      'libs/bus/package.json is never copied',
    ],
    ['npm install', 'npm ci --ignore-scripts', 'npm install --ignore-scripts', 'use npm ci'],
    ['no compilation', 'npx tsc -b', 'npx tsc', 'no stage compiles with tsc -b'],
    ['a root target', 'USER node\n', '', 'runs as root (no USER)'],
    [
      'a shell-form CMD',
      'CMD ["node", "services/tracker/dist/main.js"]',
      'CMD node services/tracker/dist/main.js',
      'target tracker: CMD must be',
    ],
    [
      'a target running another service',
      'CMD ["node", "services/trainer/dist/main.js"]',
      'CMD ["node", "services/tracker/dist/main.js"]',
      'target trainer: CMD must be',
    ],
    ['a missing target', 'FROM runtime AS predictor', 'FROM runtime AS serving', 'no target predictor'],
    [
      'dev dependencies in the image',
      'COPY --from=prod-deps /app/node_modules',
      'COPY --from=build /app/node_modules',
      'copies node_modules from build, not production-only',
    ],
  ])('%s', (_name, from, to, expected) => {
    expect(edited(from, to)).toContain(expected);
  });
});

describe('Dockerfile parsing', () => {
  test('joins continuation lines, drops comments and splits stages', () => {
    const text = '# syntax=docker/dockerfile:1\nFROM a:1.2 AS one\nRUN x \\\n  # note\n  && y\nFROM one\nUSER node\n';
    expect(parseInstructions(text).map((i) => [i.keyword, i.args, i.line])).toEqual([
      ['FROM', 'a:1.2 AS one', 2],
      ['RUN', 'x && y', 3],
      ['FROM', 'one', 6],
      ['USER', 'node', 7],
    ]);
    expect(parseDockerfile(text).map((s) => [s.name, s.base])).toEqual([
      ['one', 'a:1.2'],
      [undefined, 'one'],
    ]);
  });

  test.each([
    ['node:24.22.3-bookworm-slim', true],
    ['ghcr.io/mlflow/mlflow:v3.17.2', true],
    ['postgres:17.6-alpine', true],
    [`nats@sha256:${'a'.repeat(64)}`, true],
    ['localhost:5000/team/app:1.4.0', true],
    ['nats:latest', false],
    ['nats', false],
    ['node:24-alpine', false],
    ['localhost:5000/team/app', false],
  ])('%s pinned: %s', (reference, pinned) => {
    expect(isPinnedImage(reference)).toBe(pinned);
  });
});
