import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  ComposeSyntaxError,
  interpolateModel,
  interpolateText,
  parseComposeText,
} from '../../tools/docs/src/compose.js';
import { SERVICES, type ServiceSpec } from '../../tools/docs/src/services.js';
import { type ComposeExpectations, checkCompose, SCALABLE_SERVICES } from './support/compose-rules.js';
import { projectExpectations, repoFile } from './support/project.js';

const expectations = projectExpectations();
const base = () => parseComposeText(repoFile('docker-compose.yml'), 'docker-compose.yml');
const postgres = () => parseComposeText(repoFile('docker-compose.postgres.yml'), 'docker-compose.postgres.yml');

// biome-ignore lint/suspicious/noExplicitAny: the tests edit free-form YAML documents in place
type Doc = Record<string, any>;

/** The problems of docker-compose.yml after an edit (a fresh copy each time). */
function problemsAfter(edit: (doc: Doc) => void, expect: ComposeExpectations = expectations): string[] {
  const doc = base() as Doc;
  edit(doc);
  return checkCompose(interpolateModel([doc]), expect);
}

describe('docker-compose.yml', () => {
  test('passes the Compose Specification schema and every project rule', () => {
    expect(checkCompose(interpolateModel([base()]), expectations)).toEqual([]);
  });

  test('with docker-compose.postgres.yml on top, passes them too', () => {
    expect(checkCompose(interpolateModel([base(), postgres()]), expectations)).toEqual([]);
  });

  test('restarts every service after a crash, also with the PostgreSQL override, and can scale the trainer', () => {
    const services = interpolateModel([base(), postgres()]).model.services as Doc;
    const policies = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.restart]));
    expect(policies).toEqual({
      nats: 'unless-stopped',
      mlflow: 'unless-stopped',
      trainer: 'unless-stopped',
      tracker: 'unless-stopped',
      predictor: 'unless-stopped',
      monitor: 'unless-stopped',
      postgres: 'unless-stopped',
    });
    expect(SCALABLE_SERVICES).toEqual(['trainer']);
    expect(services.trainer).not.toHaveProperty('container_name');
    expect(services.trainer).not.toHaveProperty('ports');
    expect(repoFile('README.md')).toContain('docker compose up --scale trainer=3');
  });

  test('sets the variables the services expect for containers', () => {
    const services = interpolateModel([base()]).model.services as Doc;
    expect(services.trainer.environment.NATS_URL).toBe('nats://nats:4222');
    expect(services.tracker.environment.MLFLOW_TRACKING_URI).toBe('http://mlflow:5000');
    expect(services.predictor.environment).toMatchObject({ PREDICTOR_HOST: '0.0.0.0', PREDICTOR_PORT: '8080' });
  });
});

/** An edit that sets (or, with undefined, deletes) the value at a dotted path. */
function set(path: string, value: unknown): (doc: Doc) => void {
  return (doc) => {
    const keys = path.split('.');
    const parent = keys.slice(0, -1).reduce((node: Doc, key) => node[key], doc);
    const last = keys.at(-1)!;
    if (value === undefined) delete parent[last];
    else parent[last] = value;
  };
}

/** An edit of the mlflow command line. */
function mlflowCommand(edit: (words: string[]) => string[]): (doc: Doc) => void {
  return (doc) => {
    doc.services.mlflow.command = edit([...doc.services.mlflow.command]);
  };
}

const env = (service: string, name: string) => `services.${service}.environment.${name}`;

describe('the compose checker rejects', () => {
  test.each<[string, (doc: Doc) => void, string]>([
    [
      'a variable no config schema reads',
      set(env('predictor', 'PREDICTOR_PROT'), '8080'),
      'predictor: PREDICTOR_PROT is not a variable the predictor reads',
    ],
    [
      "MLflow's client variables on a service that does not talk to MLflow",
      set(env('trainer', 'MLFLOW_TRACKING_TOKEN'), 'x'),
      'trainer: MLFLOW_TRACKING_TOKEN is not a variable',
    ],
    ['a value the config schema refuses', set(env('predictor', 'PREDICTOR_PORT'), 'eighty'), 'loadConfig rejects'],
    ['a value taken from the host shell', set(env('tracker', 'LOG_LEVEL'), null), 'from the host shell'],
    ['a service without healthcheck', set('services.nats.healthcheck', undefined), 'nats: no healthcheck'],
    ['a service without restart policy', set('services.tracker.restart', undefined), 'tracker: no restart policy'],
    ['restart: "no"', set('services.mlflow.restart', 'no'), 'mlflow: restart: no leaves a crashed container down'],
    [
      'a trainer with a fixed container name',
      set('services.trainer.container_name', 'trainer'),
      'trainer: container_name trainer stops docker compose up --scale trainer=N',
    ],
    [
      'a trainer publishing a host port',
      set('services.trainer.ports', ['127.0.0.1:8081:8081']),
      'trainer: a published host port stops docker compose up --scale trainer=N',
    ],
    ['a disabled healthcheck', set('services.mlflow.healthcheck', { test: ['NONE'] }), 'mlflow: no healthcheck'],
    [
      'depends_on without a health condition',
      set('services.trainer.depends_on', ['nats']),
      'condition: service_healthy',
    ],
    [
      'a URL to a service it does not wait for',
      set('services.tracker.depends_on.mlflow', undefined),
      'tracker: uses http://mlflow:5000 but does not depend on mlflow',
    ],
    ['an unpinned image', set('services.nats.image', 'nats:latest'), 'image nats:latest is not pinned'],
    ['a major-only tag', set('services.nats.image', 'nats:2-alpine'), 'is not pinned'],
    [
      'an MLflow image other than the pinned version',
      set('services.mlflow.image', 'ghcr.io/mlflow/mlflow:v3.16.0'),
      'is not the pinned MLflow v',
    ],
    [
      'a NATS port nats does not listen on',
      set(env('trainer', 'NATS_URL'), 'nats://nats:4223'),
      'nats listens on 4222',
    ],
    [
      'a service name that is not in the file',
      set('services.trainer.depends_on.natz', { condition: 'service_healthy' }),
      'depends_on natz, which is not a service',
    ],
    [
      'MLflow without --allowed-hosts (its default refuses the Host mlflow:5000)',
      mlflowCommand((words) => words.filter((w, i) => w !== '--allowed-hosts' && words[i - 1] !== '--allowed-hosts')),
      "mlflow:5000 is not in mlflow's --allowed-hosts",
    ],
    [
      'MLflow bound to loopback',
      mlflowCommand((words) => words.map((w, i) => (words[i - 1] === '--host' ? '127.0.0.1' : w))),
      '--host 127.0.0.1 is unreachable',
    ],
    [
      'MLflow without the artifact proxy',
      mlflowCommand((words) => words.filter((w) => w !== '--serve-artifacts')),
      'artifact proxy is off',
    ],
    [
      'MLflow data off its volume',
      set('services.mlflow.volumes', undefined),
      'SQLite file /mlflow/mlflow.db is not on a volume',
    ],
    [
      'nats without JetStream',
      set('services.nats.command', ['nats-server', '--http_port', '8222']),
      'JetStream is off',
    ],
    [
      'a predictor bound to loopback',
      set(env('predictor', 'PREDICTOR_HOST'), '127.0.0.1'),
      'binds inside the container only',
    ],
    [
      'a published port nothing listens on',
      set('services.predictor.ports', ['8080:9090']),
      'publishes container port 9090',
    ],
    [
      'a trainer without health port',
      set(env('trainer', 'TRAINER_HEALTH_PORT'), undefined),
      'TRAINER_HEALTH_PORT is unset',
    ],
    [
      'a healthcheck on another port than the service',
      set(env('tracker', 'TRACKER_HEALTH_PORT'), '9000'),
      'the healthcheck must call http://127.0.0.1:9000/ready',
    ],
    ['a wrong build target', set('services.tracker.build.target', 'trainer'), 'builds target trainer, not tracker'],
    [
      'a build target the Dockerfile lacks',
      set('services.tracker.build.target', 'worker'),
      'build target worker is not in',
    ],
    ['a missing service', set('services.tracker', undefined), 'service tracker is missing'],
    ['an undeclared named volume', set('volumes.datasets', undefined), 'named volume datasets is not declared'],
    ['an interpolation without default', set(env('predictor', 'LOG_LEVEL'), `\${LOG_LEVEL}`), 'has no default'],
    [
      'a property the Compose Specification does not know',
      set('services.nats.healthckeck', {}),
      'schema: /services/nats',
    ],
  ])('%s', (_name, edit, expected) => {
    const problems = problemsAfter(edit);
    expect(problems.join('\n')).toContain(expected);
  });

  test('a required variable that is not set (the check follows the schema, no edit needed)', () => {
    const withSecret = extendSchema('trainer', { TRAINER_SIGNING_KEY: z.string().min(1).describe('a secret') });
    const problems = problemsAfter(() => {}, { ...expectations, services: withSecret });
    expect(problems).toContain('trainer: required TRAINER_SIGNING_KEY is not set');
  });

  test('accepts a variable as soon as the schema reads it', () => {
    const edit = set(env('predictor', 'PREDICTOR_NATS_CREDS'), '/run/secrets/nats.creds');
    expect(problemsAfter(edit).join('\n')).toContain('PREDICTOR_NATS_CREDS is not a variable');
    const withCreds = extendSchema('predictor', { PREDICTOR_NATS_CREDS: z.string().optional().describe('creds file') });
    expect(problemsAfter(edit, { ...expectations, services: withCreds })).toEqual([]);
  });
});

describe('compose interpolation', () => {
  test('uses the fallback of :- and -, empties a bare reference, unescapes $$ and records every reference', () => {
    const found: { name: string; fallback: string | undefined; path: string }[] = [];
    expect(interpolateText(`a\${A:-1}b\${B-2}c\${C}d$$e$F`, 'p', found)).toBe('a1b2cd$e');
    expect(found.map((f) => [f.name, f.fallback])).toEqual([
      ['A', '1'],
      ['B', '2'],
      ['C', undefined],
      ['F', undefined],
    ]);
  });

  test('refuses syntax it does not understand instead of skipping it', () => {
    expect(() => interpolateText(`\${A:+x}`, 'p', [])).toThrow(ComposeSyntaxError);
  });
});

function extendSchema(name: string, shape: Record<string, z.ZodType>): ServiceSpec[] {
  return SERVICES.map((spec) => {
    if (spec.name !== name) return spec;
    const configSchema = spec.configSchema.safeExtend(shape);
    return { ...spec, configSchema, loadConfig: (env) => configSchema.parse(env) };
  });
}
