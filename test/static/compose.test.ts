import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  ComposeSyntaxError,
  interpolateModel,
  interpolateText,
  parseComposeText,
} from '../../tools/docs/src/compose.js';
import { SERVICES, type ServiceSpec } from '../../tools/docs/src/services.js';
import { type ClusterFiles, checkClusterCompose, clusterProblems } from './support/cluster-rules.js';
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
      'MLflow without MLFLOW_SERVER_ALLOWED_HOSTS (its default refuses the Host mlflow:5000)',
      set(env('mlflow', 'MLFLOW_SERVER_ALLOWED_HOSTS'), undefined),
      "mlflow:5000 is not in mlflow's allowed hosts",
    ],
    [
      'MLflow under gunicorn given --allowed-hosts (MLflow refuses to start)',
      mlflowCommand((words) => [...words, '--allowed-hosts', 'mlflow:5000']),
      'MLflow refuses --allowed-hosts with --gunicorn-opts',
    ],
    [
      'MLflow under gunicorn given --disable-security-middleware',
      mlflowCommand((words) => [...words, '--disable-security-middleware']),
      'MLflow refuses --disable-security-middleware with --gunicorn-opts',
    ],
    [
      'MLflow under uvicorn whose --allowed-hosts overrides MLFLOW_SERVER_ALLOWED_HOSTS',
      mlflowCommand((words) => [
        ...words.filter((w, i) => w !== '--gunicorn-opts' && words[i - 1] !== '--gunicorn-opts'),
        '--allowed-hosts',
        'localhost',
      ]),
      "mlflow:5000 is not in mlflow's allowed hosts",
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

const clusterFiles = (): ClusterFiles => ({
  text: repoFile('docker-compose.cluster.yml'),
  natsConf: repoFile('deploy/nats/cluster.conf'),
  haproxyCfg: repoFile('deploy/haproxy/haproxy.cfg'),
});
const cluster = () => parseComposeText(repoFile('docker-compose.cluster.yml'), 'docker-compose.cluster.yml');

/** The configs the cluster file mounts, as text an edit may change. */
type ClusterConfigs = { natsConf: string; haproxyCfg: string };
type ClusterEdit = (doc: Doc, configs: ClusterConfigs) => void;

/** The cluster-only problems after an edit of the compose file and/or its configs (fresh copies each time). */
function clusterProblemsAfter(edit: ClusterEdit): string[] {
  const doc = cluster() as Doc;
  const files = clusterFiles();
  const configs = { natsConf: files.natsConf, haproxyCfg: files.haproxyCfg };
  edit(doc, configs);
  return clusterProblems(interpolateModel([doc]), { ...files, ...configs }, SERVICES);
}

describe('docker-compose.cluster.yml', () => {
  test('passes the schema and every rule of docker-compose.yml, waiving only what the file does on purpose', () => {
    const { problems, waived } = checkClusterCompose(interpolateModel([cluster()]), clusterFiles(), expectations);
    expect(problems).toEqual([]);
    // Exactly these, so a waiver never hides anything else: required credentials (`${VAR:?}`), the two predictor
    // instances building target predictor, the one-shot bucket job, and MinIO's timestamp release tags.
    const kinds = [...new Set(waived.map((p) => p.replace(/^services\.[\w.-]+: /, '')))].sort();
    expect(kinds).toEqual(
      [
        `\${AWS_ACCESS_KEY_ID} has no default; write \${AWS_ACCESS_KEY_ID:-value}`,
        `\${AWS_SECRET_ACCESS_KEY} has no default; write \${AWS_SECRET_ACCESS_KEY:-value}`,
        `\${MLFLOW_DB_PASSWORD} has no default; write \${MLFLOW_DB_PASSWORD:-value}`,
        'minio-init: image minio/mc:RELEASE.2025-08-13T08-35-41Z is not pinned to a full version',
        'minio-init: no healthcheck',
        'minio: image minio/minio:RELEASE.2025-09-07T16-13-09Z is not pinned to a full version',
        'mlflow: depends_on minio-init needs condition: service_healthy (has service_completed_successfully)',
        'predictor-1: builds target predictor, not predictor-1',
        'predictor-2: builds target predictor, not predictor-2',
      ].sort(),
    );
  });

  test('passes the cluster rules: NATS cluster, clients, MLflow stores, replicas, proxy, restarts, no secrets', () => {
    expect(clusterProblems(interpolateModel([cluster()]), clusterFiles(), SERVICES)).toEqual([]);
  });

  test('runs three NATS 2.10 nodes, several trainers and two predictor instances, each service restarted', () => {
    const services = interpolateModel([cluster()]).model.services as Doc;
    const nodes = ['nats-1', 'nats-2', 'nats-3'];
    for (const node of nodes) expect(services[node].image).toMatch(/^nats:2\.10\.\d+/);
    expect(services.trainer.deploy.replicas).toBe(3);
    expect(services['predictor-1'].environment.PREDICTOR_INSTANCE).toBe('predictor-1');
    expect(services['predictor-2'].environment.PREDICTOR_INSTANCE).toBe('predictor-2');
    for (const name of ['trainer', 'tracker', 'predictor-1', 'predictor-2', 'monitor']) {
      expect(services[name].environment.NATS_URL).toBe('nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222');
      expect(services[name].environment.NATS_STREAM_REPLICAS).toBe('3');
    }
    const policies = Object.entries(services).map(([name, s]) => [name, s.restart]);
    expect(Object.fromEntries(policies)).toMatchObject({ 'minio-init': 'on-failure', mlflow: 'unless-stopped' });
    expect(policies.filter(([, r]) => r === undefined)).toEqual([]);
  });
});

/** An edit of the cluster's NATS or HAProxy config text. */
function configEdit(key: keyof ClusterConfigs, from: RegExp | string, to: string): ClusterEdit {
  return (_doc, configs) => {
    configs[key] = configs[key].replace(from, to);
  };
}

describe('the cluster checker rejects', () => {
  test.each<[string, ClusterEdit, string]>([
    [
      'a NATS node left out of the routes',
      configEdit('natsConf', /\n\s*nats-route:\/\/nats-3:6222/, ''),
      'nats-3: no route to it',
    ],
    [
      'two nodes with one server_name',
      set('services.nats-3.command.4', 'nats-1'),
      'nats-3: --server_name nats-1 is not unique',
    ],
    [
      'two nodes on one store volume',
      set('services.nats-2.volumes.1', 'nats-1-data:/data'),
      'nats-2: its JetStream store is not on a named volume of its own',
    ],
    [
      'a NATS image that is not 2.10',
      set('services.nats-1.image', 'nats:2.11.0-alpine'),
      'nats-1: image nats:2.11.0-alpine is not nats 2.10.x',
    ],
    [
      'a client that lists one node',
      set(env('tracker', 'NATS_URL'), 'nats://nats-1:4222'),
      'tracker: NATS_URL does not list nats-2, nats-3',
    ],
    [
      'streams in one replica',
      set(env('monitor', 'NATS_STREAM_REPLICAS'), '1'),
      'monitor: NATS_STREAM_REPLICAS is 1, not 3',
    ],
    [
      'MLflow on SQLite',
      set('services.mlflow.command.3', 'sqlite:////mlflow/mlflow.db'),
      'mlflow: --backend-store-uri is not the postgres service',
    ],
    ['artifacts on a local path', set('services.mlflow.command.5', '/mlflow/artifacts'), 'is not s3://<bucket>'],
    [
      'an S3 endpoint that is not MinIO',
      set(env('mlflow', 'MLFLOW_S3_ENDPOINT_URL'), 'http://s3.example:9000'),
      'MLFLOW_S3_ENDPOINT_URL is not the MinIO service',
    ],
    [
      'a bucket nobody creates',
      set('services.mlflow.command.5', 's3://other-bucket'),
      'no minio/mc job creates the bucket other-bucket',
    ],
    [
      'an S3 key with a default',
      set(env('mlflow', 'AWS_SECRET_ACCESS_KEY'), `\${AWS_SECRET_ACCESS_KEY:-minio123}`),
      'mlflow: AWS_SECRET_ACCESS_KEY is not a required',
    ],
    [
      'a secret written in the file',
      set(env('minio', 'MINIO_ROOT_PASSWORD'), 'minio123'),
      'minio: MINIO_ROOT_PASSWORD is written in the file',
    ],
    [
      'a bare postgresql:// store (SQLAlchemy 2.1 would look for psycopg 3)',
      set('services.mlflow.command.3', `postgresql://mlflow:\${MLFLOW_DB_PASSWORD:?set it}@postgres:5432/mlflow`),
      'mlflow: --backend-store-uri is not the postgres service',
    ],
    [
      'a database password in the command',
      set('services.mlflow.command.3', 'postgresql://mlflow:hunter2@postgres:5432/mlflow'),
      'mlflow: a password is written into postgresql://',
    ],
    [
      'an MLflow image without boto3',
      set(
        'services.mlflow.build.dockerfile_inline',
        'FROM ghcr.io/mlflow/mlflow:v3.17.2\nRUN pip install psycopg2-binary==2.9.11\n',
      ),
      'does not pin boto3',
    ],
    ['one trainer', set('services.trainer.deploy.replicas', 1), 'trainer: 1 replica(s), not several'],
    [
      'predictors sharing an instance name',
      set(env('predictor-2', 'PREDICTOR_INSTANCE'), 'predictor-1'),
      'predictors share a PREDICTOR_INSTANCE',
    ],
    [
      'a predictor the proxy does not name',
      configEdit('haproxyCfg', /\n\s*server predictor-2 .*/, ''),
      'no server for predictor-2',
    ],
    [
      'a proxy server that is no predictor',
      configEdit(
        'haproxyCfg',
        'server predictor-2 predictor-2:8080',
        'server predictor-2 predictor-2:8080\n  server old old-predictor:8080',
      ),
      'server old (old-predictor) is not a predictor service',
    ],
    [
      'a proxy on the wrong port',
      configEdit('haproxyCfg', 'predictor-1:8080', 'predictor-1:9090'),
      'predictor-1:9090, but it listens on 8080',
    ],
    [
      'a proxy without health checks',
      configEdit('haproxyCfg', /default-server check /, 'default-server '),
      'predictor-1 is not health-checked',
    ],
    [
      'a predictor published past the proxy',
      set('services.predictor-1.ports', ['127.0.0.1:8081:8080']),
      'predictor-1: published past the proxy',
    ],
    ['a service without restart policy', set('services.nats-2.restart', undefined), 'nats-2: restart: no'],
  ])('%s', (_name, edit, expected) => {
    expect(clusterProblemsAfter(edit).join('\n')).toContain(expected);
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
