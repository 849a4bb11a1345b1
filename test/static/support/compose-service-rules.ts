import { environmentOf, isMapping } from '../../../tools/docs/src/compose.js';
import { type ServiceSpec, serviceVariables } from '../../../tools/docs/src/services.js';
import {
  type ComposeService,
  commandOf,
  flagValue,
  globMatches,
  hasFlag,
  healthcheckOf,
  onVolume,
  publishedPorts,
} from './compose-facts.js';
import { configValues, processEnv } from './compose-kinds.js';
import type { ServiceContext } from './compose-rules.js';

const ALL_INTERFACES = ['0.0.0.0', '::'];
const REACHABLE_FROM_INSIDE = ['127.0.0.1', 'localhost', ...ALL_INTERFACES];

/** One of our services: its environment is exactly what its config schema reads, valid, and wired to health checks. */
export function ourServiceProblems(c: ServiceContext, spec: ServiceSpec): string[] {
  const env = environmentOf(c.service);
  const accepted = new Set(serviceVariables(spec).map((v) => v.name));
  const problems = [
    ...Object.entries(env)
      .filter(([, value]) => value === null)
      .map(([name]) => `${c.name}: ${name} takes its value from the host shell; set it here (\${${name}:-default})`),
    ...Object.keys(env)
      .filter((name) => !accepted.has(name))
      .map((name) => `${c.name}: ${name} is not a variable the ${spec.name} reads (${spec.packageName} configSchema)`),
    ...serviceVariables(spec)
      .filter((v) => v.required && !(v.name in env))
      .map((v) => `${c.name}: required ${v.name} is not set`),
  ];
  try {
    spec.loadConfig(processEnv(c.service));
  } catch (err) {
    problems.push(`${c.name}: its loadConfig rejects this environment: ${(err as Error).message}`);
    return problems;
  }
  if (isMapping(c.service.build) && c.service.build.target !== spec.name)
    problems.push(`${c.name}: builds target ${c.service.build.target}, not ${spec.name}`);
  return [...problems, ...healthWiringProblems(c, spec), ...publicHttpProblems(c, spec)];
}

function healthWiringProblems(c: ServiceContext, spec: ServiceSpec): string[] {
  const values = configValues(spec, c.service) ?? {};
  const { portVariable, hostVariable, healthPath } = spec.health;
  const port = values[portVariable];
  if (port === undefined) return [`${c.name}: ${portVariable} is unset, so there is no health endpoint to check`];
  const problems: string[] = [];
  if (!REACHABLE_FROM_INSIDE.includes(String(values[hostVariable])))
    problems.push(`${c.name}: ${hostVariable}=${values[hostVariable]} is not reachable from the health check`);
  const health = healthcheckOf(c.service) ?? '';
  if (!new RegExp(`http://(127\\.0\\.0\\.1|localhost):${port}${healthPath}\\b`).test(health))
    problems.push(`${c.name}: the healthcheck must call http://127.0.0.1:${port}${healthPath} (${portVariable})`);
  return problems;
}

function publicHttpProblems(c: ServiceContext, spec: ServiceSpec): string[] {
  const published = publishedPorts(c.service);
  if (published.length === 0) return [];
  if (spec.publicHttp === undefined) return [`${c.name}: publishes ports but serves no public HTTP`];
  const host = String(configValues(spec, c.service)?.[spec.publicHttp.hostVariable]);
  return ALL_INTERFACES.includes(host)
    ? []
    : [`${c.name}: ${spec.publicHttp.hostVariable}=${host} binds inside the container only; set 0.0.0.0`];
}

/** nats-server: JetStream on, its store on a volume. */
export function natsProblems(c: ServiceContext): string[] {
  const words = commandOf(c.service);
  const problems: string[] = [];
  if (!hasFlag(words, '--jetstream', '-js')) problems.push(`${c.name}: JetStream is off (--jetstream)`);
  const store = flagValue(words, '--store_dir', '-sd');
  if (store === undefined || !onVolume(c.service, store))
    problems.push(`${c.name}: the JetStream store (--store_dir ${store ?? 'unset'}) is not on a volume`);
  return problems;
}

/** mlflow server: reachable, artifact proxy on, SQLite file and artifacts on volumes. */
export function mlflowProblems(c: ServiceContext): string[] {
  const words = commandOf(c.service);
  const problems: string[] = [];
  const host = flagValue(words, '--host', '-h') ?? '127.0.0.1';
  if (!ALL_INTERFACES.includes(host)) problems.push(`${c.name}: --host ${host} is unreachable from other containers`);
  if (!hasFlag(words, '--serve-artifacts')) problems.push(`${c.name}: the artifact proxy is off (--serve-artifacts)`);
  const artifacts = flagValue(words, '--artifacts-destination');
  if (artifacts === undefined || (artifacts.startsWith('/') && !onVolume(c.service, artifacts)))
    problems.push(`${c.name}: --artifacts-destination ${artifacts ?? 'unset'} is not on a volume`);
  const store = flagValue(words, '--backend-store-uri') ?? '';
  const sqlite = /^sqlite:\/\/\/(.*)$/.exec(store)?.[1];
  if (store === '') problems.push(`${c.name}: no --backend-store-uri`);
  if (sqlite !== undefined && !onVolume(c.service, sqlite))
    problems.push(`${c.name}: the SQLite file ${sqlite} is not on a volume`);
  if (hasFlag(words, '--gunicorn-opts')) {
    for (const flag of UVICORN_ONLY_FLAGS.filter((f) => hasFlag(words, f)))
      problems.push(`${c.name}: MLflow refuses ${flag} with --gunicorn-opts (set it in the environment instead)`);
  }
  return problems;
}

/** Security flags `mlflow server` accepts only under uvicorn; under gunicorn their MLFLOW_SERVER_* variables do it. */
const UVICORN_ONLY_FLAGS = ['--allowed-hosts', '--cors-allowed-origins', '--disable-security-middleware'];

/**
 * Whether MLflow's Host-header check (fnmatch patterns from MLFLOW_SERVER_ALLOWED_HOSTS, or --allowed-hosts under
 * uvicorn) lets `host:port` through.
 */
export function mlflowAllowsHost(service: ComposeService, host: string, port: number | undefined): boolean {
  // Under uvicorn the flag, when given, overrides the variable; under gunicorn MLflow refuses the flag.
  const allowed = flagValue(commandOf(service), '--allowed-hosts') ?? processEnv(service).MLFLOW_SERVER_ALLOWED_HOSTS;
  // MLflow's default: localhost and private IP ranges, never a compose service name.
  const patterns = allowed?.split(',').map((p) => p.trim()) ?? ['localhost', 'localhost:*', '127.0.0.1', '127.0.0.1:*'];
  const header = port === undefined || port === 80 ? host : `${host}:${port}`;
  return patterns.some((p) => p === '*' || globMatches(p, header));
}
