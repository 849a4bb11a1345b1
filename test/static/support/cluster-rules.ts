import { type ComposeModel, environmentOf, isMapping, servicesOf } from '../../../tools/docs/src/compose.js';
import type { ServiceSpec } from '../../../tools/docs/src/services.js';
import {
  type ComposeService,
  commandOf,
  dependenciesOf,
  flagValue,
  healthcheckOf,
  mountsOf,
  publishedPorts,
  urlsIn,
} from './compose-facts.js';
import { imageName } from './compose-kinds.js';
import { type ComposeExpectations, checkCompose } from './compose-rules.js';
import { isPinnedImage, parseDockerfile } from './dockerfile.js';

/** What the cluster file is checked with: itself (raw text) and the configs it mounts. */
export interface ClusterFiles {
  /** docker-compose.cluster.yml as written (for `${VAR:?}` references). */
  readonly text: string;
  /** deploy/nats/cluster.conf */
  readonly natsConf: string;
  /** deploy/haproxy/haproxy.cfg */
  readonly haproxyCfg: string;
}

/** Variables referenced as `${NAME:?message}` / `${NAME?message}`: compose refuses to start while they are unset. */
export function requiredVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?[^}]*\}/g)].map((m) => m[1]!))];
}

/** MinIO names its releases by time (`RELEASE.2025-09-07T16-13-09Z`): immutable, though not major.minor. */
export function isMinioRelease(reference: string): boolean {
  return /^(quay\.io\/)?minio\/(minio|mc):RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/.test(reference);
}

/** Services that others wait for with `service_completed_successfully`: one-shot jobs (they exit, no healthcheck). */
export function oneShotJobs(services: Record<string, ComposeService>): string[] {
  const jobs = Object.values(services).flatMap((s) =>
    [...dependenciesOf(s)].filter(([, c]) => c === 'service_completed_successfully').map(([name]) => name),
  );
  return [...new Set(jobs)];
}

/** The services that instantiate a spec under another name: `<spec>-<n>` building target `<spec>`. */
export function instancesOf(services: Record<string, ComposeService>, spec: ServiceSpec): string[] {
  return Object.entries(services)
    .filter(([name, s]) => name.startsWith(`${spec.name}-`) && isMapping(s.build) && s.build.target === spec.name)
    .map(([name]) => name);
}

/**
 * Our specs as the cluster file instantiates them: each instance of a spec is checked as that spec under its own
 * name (two predictors need two instance names, hence two services).
 */
export function instanceSpecs(services: Record<string, ComposeService>, specs: readonly ServiceSpec[]): ServiceSpec[] {
  return specs.flatMap((spec) => {
    const instances = instancesOf(services, spec);
    return instances.length === 0 ? [spec] : instances.map((name) => ({ ...spec, name }));
  });
}

/** checkCompose's findings on the cluster file, split into problems and the ones the file has on purpose. */
export function checkClusterCompose(
  compose: ComposeModel,
  files: ClusterFiles,
  expect: ComposeExpectations,
): { problems: string[]; waived: string[] } {
  const services = servicesOf(compose.model);
  const specs = instanceSpecs(services, expect.services);
  const required = requiredVariables(files.text);
  const jobs = oneShotJobs(services);
  const waivers: ((problem: string) => boolean)[] = [
    // `${VAR:?}`: not a missing default, the point is that compose refuses to start without it.
    (p) => required.some((name) => p.endsWith(`\${${name}} has no default; write \${${name}:-value}`)),
    // predictor-1 builds target predictor.
    (p) =>
      expect.services.some((spec) =>
        instancesOf(services, spec).some((name) => p === `${name}: builds target ${spec.name}, not ${name}`),
      ),
    // a one-shot job exits: no healthcheck, and others wait for it to complete, not to be healthy.
    (p) => jobs.some((job) => p === `${job}: no healthcheck`),
    (p) =>
      jobs.some((job) =>
        p.endsWith(`: depends_on ${job} needs condition: service_healthy (has service_completed_successfully)`),
      ),
    // MinIO's release tags are timestamps, not major.minor.
    (p) => isMinioRelease(/: image (\S+) is not pinned to a full version$/.exec(p)?.[1] ?? ''),
  ];
  const all = checkCompose(compose, { ...expect, services: specs });
  return {
    problems: all.filter((p) => !waivers.some((w) => w(p))),
    waived: all.filter((p) => waivers.some((w) => w(p))),
  };
}

/** The cluster routes of a nats-server config: the listen port and every `nats-route://host:port`. */
export function natsRoutes(conf: string): { listenPort: number | undefined; routes: { host: string; port: number }[] } {
  const cluster = /\bcluster\s*\{([\s\S]*?)\n\}/.exec(conf)?.[1] ?? '';
  const listen = /^\s*listen\s*[:=]\s*\S*?:(\d+)\s*$/m.exec(cluster)?.[1];
  const routes = [...cluster.matchAll(/nats-route:\/\/(?:[^@\s]*@)?([\w.-]+):(\d+)/g)].map((m) => ({
    host: m[1]!,
    port: Number(m[2]),
  }));
  return { listenPort: listen === undefined ? undefined : Number(listen), routes };
}

/** The `server` lines of an HAProxy backend, and its `option httpchk` request path. */
export function haproxyBackend(
  cfg: string,
  backend: string,
): { servers: { name: string; host: string; port: number; checked: boolean }[]; checkPath: string | undefined } {
  const lines = cfg.split('\n').map((l) => l.replace(/#.*$/, '').trim());
  const start = lines.findIndex((l) => new RegExp(`^backend\\s+${backend}$`).test(l));
  if (start < 0) return { servers: [], checkPath: undefined };
  const end = lines.findIndex((l, i) => i > start && /^(backend|frontend|listen|defaults|global|resolvers)\b/.test(l));
  const body = lines.slice(start + 1, end < 0 ? undefined : end);
  const defaultChecked = body.some((l) => /^default-server\b.*\bcheck\b/.test(l));
  const servers = body.flatMap((l) => {
    const m = /^server\s+(\S+)\s+([\w.-]+):(\d+)(.*)$/.exec(l);
    return m === null
      ? []
      : [{ name: m[1]!, host: m[2]!, port: Number(m[3]), checked: defaultChecked || /\bcheck\b/.test(m[4]!) }];
  });
  const checkPath = body.map((l) => /^option\s+httpchk\s+(?:GET\s+)?(\S+)/.exec(l)?.[1]).find((p) => p !== undefined);
  return { servers, checkPath };
}

const NATS_VERSION = /^nats:2\.10\.\d+(-[\w.]+)?$/;
const RESTARTING = ['unless-stopped', 'always'];
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|ACCESS_KEY/;

/** The rules only the cluster file has: NATS cluster, NATS clients, MLflow on PostgreSQL + S3, replicas, the proxy. */
export function clusterProblems(compose: ComposeModel, files: ClusterFiles, specs: readonly ServiceSpec[]): string[] {
  const services = servicesOf(compose.model);
  const raw = servicesOf(compose.raw);
  const required = requiredVariables(files.text);
  const nodes = Object.keys(services).filter((n) => imageName(String(services[n]!.image ?? '')) === 'nats');
  const ours = instanceSpecs(services, specs).filter((s) => services[s.name] !== undefined);
  return [
    ...natsClusterProblems(services, nodes, files.natsConf),
    ...natsClientProblems(services, nodes, ours),
    ...mlflowStoreProblems(services, raw, required),
    ...replicaProblems(services, ours),
    ...proxyProblems(services, ours, files.haproxyCfg),
    ...restartAndSecretProblems(services, raw, oneShotJobs(services)),
  ];
}

function natsClusterProblems(services: Record<string, ComposeService>, nodes: string[], conf: string): string[] {
  const problems: string[] = [];
  if (nodes.length !== 3) problems.push(`NATS: ${nodes.length} nodes (${nodes.join(', ')}), not 3`);
  const { listenPort, routes } = natsRoutes(conf);
  if (listenPort === undefined) problems.push('deploy/nats/cluster.conf: no cluster listen port');
  const names = new Set<string>();
  const volumes = new Set<string>();
  for (const node of nodes) {
    const s = services[node]!;
    const words = commandOf(s);
    if (!NATS_VERSION.test(String(s.image))) problems.push(`${node}: image ${s.image} is not nats 2.10.x`);
    const name = flagValue(words, '--server_name', '-n');
    if (name === undefined || names.has(name)) problems.push(`${node}: --server_name ${name ?? 'unset'} is not unique`);
    else names.add(name);
    const store = flagValue(words, '--store_dir', '-sd');
    const volume = mountsOf(s).find((m) => m.target === store && m.named)?.source;
    if (volume === undefined || volumes.has(volume))
      problems.push(`${node}: its JetStream store is not on a named volume of its own`);
    else volumes.add(volume);
    const http = flagValue(words, '--http_port', '-m');
    if (http === undefined || !(healthcheckOf(s) ?? '').includes(`:${http}/healthz`))
      problems.push(`${node}: no monitoring port (--http_port) checked by its healthcheck`);
    const config = flagValue(words, '--config', '-c');
    const mount = mountsOf(s).find((m) => m.target === config);
    if (mount?.source !== './deploy/nats/cluster.conf')
      problems.push(`${node}: does not run with ./deploy/nats/cluster.conf (--config)`);
    if (!routes.some((r) => r.host === node && r.port === listenPort))
      problems.push(`${node}: no route to it in deploy/nats/cluster.conf on the cluster port ${listenPort}`);
  }
  for (const r of routes.filter((r) => !nodes.includes(r.host)))
    problems.push(`deploy/nats/cluster.conf: route to ${r.host}, which is not a NATS node`);
  return problems;
}

function natsClientProblems(
  services: Record<string, ComposeService>,
  nodes: string[],
  ours: readonly ServiceSpec[],
): string[] {
  return ours.flatMap((spec) => {
    const env = environmentOf(services[spec.name]!);
    const problems: string[] = [];
    const hosts = urlsIn(env.NATS_URL ?? '').map((u) => `${u.scheme}://${u.host}:${u.port}`);
    const missing = nodes.filter((n) => !hosts.includes(`nats://${n}:4222`));
    if (missing.length > 0) problems.push(`${spec.name}: NATS_URL does not list ${missing.join(', ')}`);
    if (env.NATS_STREAM_REPLICAS !== '3')
      problems.push(`${spec.name}: NATS_STREAM_REPLICAS is ${env.NATS_STREAM_REPLICAS ?? 'unset'}, not 3`);
    return problems;
  });
}

function mlflowStoreProblems(
  services: Record<string, ComposeService>,
  raw: Record<string, ComposeService>,
  required: string[],
): string[] {
  const mlflow = services.mlflow;
  if (mlflow === undefined) return ['mlflow: missing'];
  const problems: string[] = [];
  const words = commandOf(mlflow);
  const store = urlsIn(flagValue(words, '--backend-store-uri') ?? '')[0];
  // SQLAlchemy 2.1 (MLflow 3.17) reads a bare postgresql:// as psycopg 3, which the image does not have.
  if (store?.scheme !== 'postgresql+psycopg2' || imageName(String(services[store.host]?.image ?? '')) !== 'postgres')
    problems.push('mlflow: --backend-store-uri is not the postgres service');
  const bucket = /^s3:\/\/([\w.-]+)\/?$/.exec(flagValue(words, '--artifacts-destination') ?? '')?.[1];
  if (bucket === undefined) problems.push('mlflow: --artifacts-destination is not s3://<bucket>');
  const env = environmentOf(mlflow);
  const endpoint = urlsIn(env.MLFLOW_S3_ENDPOINT_URL ?? '')[0];
  if (endpoint === undefined || imageName(String(services[endpoint.host]?.image ?? '')) !== 'minio')
    problems.push('mlflow: MLFLOW_S3_ENDPOINT_URL is not the MinIO service');
  const makesBucket = Object.entries(services).some(
    ([, s]) =>
      imageName(String(s.image ?? '')) === 'mc' &&
      new RegExp(`\\bmc mb\\b.*/${bucket}\\b`).test(commandOf(s).join(' ')),
  );
  if (bucket !== undefined && !makesBucket) problems.push(`no minio/mc job creates the bucket ${bucket}`);
  const rawEnv = environmentOf(raw.mlflow ?? {});
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
    const ref = /^\$\{([A-Za-z_]\w*):?\?[^}]*\}$/.exec(rawEnv[name] ?? '')?.[1];
    if (ref === undefined || !required.includes(ref))
      problems.push(`mlflow: ${name} is not a required \${VAR:?} variable`);
  }
  const build = isMapping(mlflow.build) ? String(mlflow.build.dockerfile_inline ?? '') : '';
  for (const pkg of ['boto3', 'psycopg2-binary'])
    if (!new RegExp(`\\b${pkg}==\\d`).test(build))
      problems.push(`mlflow: its image does not pin ${pkg} (pip install ${pkg}==…)`);
  if (parseDockerfile(build).some((s) => !isPinnedImage(s.base))) problems.push('mlflow: its base image is not pinned');
  return problems;
}

function replicaProblems(services: Record<string, ComposeService>, ours: readonly ServiceSpec[]): string[] {
  const problems: string[] = [];
  const trainer = services.trainer;
  const replicas = isMapping(trainer?.deploy) ? Number(trainer.deploy.replicas ?? 1) : 1;
  if (replicas < 2) problems.push(`trainer: ${replicas} replica(s), not several (deploy.replicas)`);
  const predictors = ours.filter((s) => s.name.startsWith('predictor'));
  if (predictors.length < 2) problems.push(`${predictors.length} predictor service(s), not several`);
  const instances = predictors.map((s) => environmentOf(services[s.name]!).PREDICTOR_INSTANCE ?? 'predictor');
  if (new Set(instances).size !== instances.length)
    problems.push(`predictors share a PREDICTOR_INSTANCE (${instances.join(', ')}): one durable consumer for all`);
  for (const p of predictors) {
    const deploy = services[p.name]!.deploy;
    if (isMapping(deploy) && Number(deploy.replicas ?? 1) > 1)
      problems.push(`${p.name}: replicas share PREDICTOR_INSTANCE; define one service per predictor`);
  }
  return problems;
}

function proxyProblems(services: Record<string, ComposeService>, ours: readonly ServiceSpec[], cfg: string): string[] {
  const proxy = services.proxy;
  if (proxy === undefined) return ['proxy: missing'];
  const problems: string[] = [];
  if (
    !mountsOf(proxy).some(
      (m) => m.source === './deploy/haproxy/haproxy.cfg' && m.target === '/usr/local/etc/haproxy/haproxy.cfg',
    )
  )
    problems.push('proxy: does not mount ./deploy/haproxy/haproxy.cfg as its config');
  const { servers, checkPath } = haproxyBackend(cfg, 'predictors');
  const predictors = ours.filter((s) => s.name.startsWith('predictor'));
  for (const p of predictors) {
    const port = Number(environmentOf(services[p.name]!).PREDICTOR_PORT ?? 8080);
    const server = servers.find((s) => s.host === p.name);
    if (server === undefined) problems.push(`deploy/haproxy/haproxy.cfg: no server for ${p.name}`);
    else {
      if (server.port !== port)
        problems.push(`deploy/haproxy/haproxy.cfg: ${p.name}:${server.port}, but it listens on ${port}`);
      if (!server.checked) problems.push(`deploy/haproxy/haproxy.cfg: ${p.name} is not health-checked`);
    }
    if (dependenciesOf(proxy).get(p.name) !== 'service_healthy') problems.push(`proxy: does not wait for ${p.name}`);
  }
  for (const s of servers.filter((s) => !predictors.some((p) => p.name === s.host)))
    problems.push(`deploy/haproxy/haproxy.cfg: server ${s.name} (${s.host}) is not a predictor service`);
  if (checkPath !== '/ready') problems.push(`deploy/haproxy/haproxy.cfg: checks ${checkPath ?? 'nothing'}, not /ready`);
  if (!publishedPorts(proxy).includes(8080)) problems.push('proxy: does not publish 8080');
  for (const p of predictors)
    if (publishedPorts(services[p.name]!).length > 0) problems.push(`${p.name}: published past the proxy`);
  return problems;
}

function restartAndSecretProblems(
  services: Record<string, ComposeService>,
  raw: Record<string, ComposeService>,
  jobs: string[],
): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(services)) {
    const restart = String(s.restart ?? 'no');
    const wanted = jobs.includes(name) ? ['on-failure'] : RESTARTING;
    if (!wanted.includes(restart.split(':')[0]!))
      problems.push(`${name}: restart: ${restart} (want ${wanted.join(' or ')})`);
  }
  for (const [name, s] of Object.entries(raw)) {
    for (const [key, value] of Object.entries(environmentOf(s))) {
      if (!SECRET_NAME.test(key) || value === null) continue;
      if (!/^\$\{[A-Za-z_]\w*(:?\?[^}]*|:-)\}$/.test(value))
        problems.push(`${name}: ${key} is written in the file; take it from a required \${${key}:?} variable`);
    }
    for (const word of commandOf(s)) {
      const password = /:\/\/[^:@/\s]+:([^@]+)@/.exec(word)?.[1];
      if (password !== undefined && !/^\$\{[A-Za-z_]\w*:?\?[^}]*\}$/.test(password))
        problems.push(`${name}: a password is written into ${word.split(':')[0]}:// in its command`);
    }
  }
  return problems;
}
