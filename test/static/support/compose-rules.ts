import { type ComposeModel, isMapping, servicesOf } from '../../../tools/docs/src/compose.js';
import type { ServiceSpec } from '../../../tools/docs/src/services.js';
import {
  type ComposeService,
  commandOf,
  dependenciesOf,
  healthcheckOf,
  mountsOf,
  publishedPorts,
  urlsIn,
} from './compose-facts.js';
import { imageName, kindOf, listeningPorts, processEnv, type ServiceKind } from './compose-kinds.js';
import { mlflowAllowsHost, mlflowProblems, natsProblems, ourServiceProblems } from './compose-service-rules.js';
import { isPinnedImage, parseDockerfile } from './dockerfile.js';

/** What a compose file is checked against. */
export interface ComposeExpectations {
  readonly services: readonly ServiceSpec[];
  /** The Dockerfile `build:` sections refer to (targets). */
  readonly dockerfile: string;
  /** The MLflow version pinned for the local stack (requirements.txt); MLflow images must carry it. */
  readonly mlflowVersion: string;
  /** Validation against the Compose Specification JSON Schema: one message per violation. */
  readonly validateSchema: (model: unknown) => string[];
}

/** A compose service with its name and kind, and everything rules need to look at the others. */
export interface ServiceContext {
  readonly name: string;
  readonly service: ComposeService;
  readonly kind: ServiceKind;
  readonly all: ReadonlyMap<string, { service: ComposeService; kind: ServiceKind }>;
  readonly expect: ComposeExpectations;
}

/** Every problem of a (merged, interpolated) compose model against the project's rules; empty when it passes. */
export function checkCompose(compose: ComposeModel, expect: ComposeExpectations): string[] {
  const services = servicesOf(compose.model);
  const all = new Map(
    Object.entries(services).map(([name, service]) => [
      name,
      { service, kind: kindOf(name, service, expect.services) },
    ]),
  );
  const contexts = [...all.entries()].map(([name, { service, kind }]) => ({ name, service, kind, all, expect }));
  return [
    ...expect.validateSchema(compose.model).map((p) => `schema: ${p}`),
    ...compose.interpolations
      .filter((ref) => ref.fallback === undefined)
      .map((ref) => `${ref.path}: \${${ref.name}} has no default; write \${${ref.name}:-value}`),
    ...expect.services.filter((spec) => !all.has(spec.name)).map((spec) => `service ${spec.name} is missing`),
    ...volumeProblems(compose.model, contexts),
    ...contexts.flatMap((c) => [
      ...healthAndDependencyProblems(c),
      ...restartProblems(c),
      ...imageProblems(c),
      ...urlProblems(c),
      ...publishedPortProblems(c),
      ...(c.kind.kind === 'ours' ? ourServiceProblems(c, c.kind.spec) : []),
      ...(c.kind.kind === 'nats' ? natsProblems(c) : []),
      ...(c.kind.kind === 'mlflow' ? mlflowProblems(c) : []),
    ]),
  ];
}

function volumeProblems(model: Record<string, unknown>, contexts: readonly ServiceContext[]): string[] {
  const declared = isMapping(model.volumes) ? Object.keys(model.volumes) : [];
  return contexts.flatMap((c) =>
    mountsOf(c.service)
      .filter((m) => m.named && m.source !== undefined && !declared.includes(m.source))
      .map((m) => `${c.name}: named volume ${m.source} is not declared under volumes:`),
  );
}

function healthAndDependencyProblems(c: ServiceContext): string[] {
  const problems: string[] = [];
  if (healthcheckOf(c.service) === undefined) problems.push(`${c.name}: no healthcheck`);
  for (const [dep, condition] of dependenciesOf(c.service)) {
    if (!c.all.has(dep)) problems.push(`${c.name}: depends_on ${dep}, which is not a service`);
    else if (condition !== 'service_healthy')
      problems.push(`${c.name}: depends_on ${dep} needs condition: service_healthy (has ${condition ?? 'none'})`);
  }
  return problems;
}

/** Restart policies that bring a crashed container back (`no`, the default, leaves it down). */
const RESTARTING = ['unless-stopped', 'always', 'on-failure'];

/** Services that `docker compose up --scale <name>=N` must be able to multiply (see README). */
export const SCALABLE_SERVICES: readonly string[] = ['trainer'];

/** Every service restarts after a crash; a scalable one has no fixed container name or host port to collide on. */
function restartProblems(c: ServiceContext): string[] {
  const problems: string[] = [];
  const restart = typeof c.service.restart === 'string' ? c.service.restart : undefined;
  if (restart === undefined) problems.push(`${c.name}: no restart policy; a crashed container stays down`);
  else if (!RESTARTING.includes(restart.split(':')[0]!))
    problems.push(`${c.name}: restart: ${restart} leaves a crashed container down (use unless-stopped or on-failure)`);
  if (!SCALABLE_SERVICES.includes(c.name)) return problems;
  if (c.service.container_name !== undefined)
    problems.push(`${c.name}: container_name ${c.service.container_name} stops docker compose up --scale ${c.name}=N`);
  if (Array.isArray(c.service.ports) && c.service.ports.length > 0)
    problems.push(
      `${c.name}: a published host port stops docker compose up --scale ${c.name}=N (two replicas, one port)`,
    );
  return problems;
}

function imageProblems(c: ServiceContext): string[] {
  const problems: string[] = [];
  const image = typeof c.service.image === 'string' ? c.service.image : undefined;
  const build = c.service.build;
  if (image === undefined && build === undefined) problems.push(`${c.name}: neither image nor build`);
  const references = image === undefined ? [] : [image];
  if (isMapping(build)) {
    if (typeof build.dockerfile_inline === 'string') {
      references.push(...parseDockerfile(build.dockerfile_inline).map((s) => s.base));
    } else if (build.dockerfile === undefined || build.dockerfile === 'Dockerfile') {
      const targets = parseDockerfile(c.expect.dockerfile).map((s) => s.name);
      if (!targets.includes(String(build.target)))
        problems.push(`${c.name}: build target ${build.target} is not in the Dockerfile`);
    }
  } else if (build !== undefined) {
    problems.push(`${c.name}: write build as a mapping with a target`);
  }
  for (const reference of references) {
    if (!isPinnedImage(reference)) problems.push(`${c.name}: image ${reference} is not pinned to a full version`);
    if (imageName(reference) === 'mlflow' && !reference.endsWith(`:v${c.expect.mlflowVersion}`))
      problems.push(`${c.name}: ${reference} is not the pinned MLflow v${c.expect.mlflowVersion} (requirements.txt)`);
  }
  return problems;
}

/** URLs naming another service: it must be a healthy dependency, listen on that port, and (MLflow) accept the host. */
function urlProblems(c: ServiceContext): string[] {
  const texts = [...Object.values(processEnv(c.service)), ...commandOf(c.service)];
  return urlsIn(texts.join(' ')).flatMap((url) => {
    const target = c.all.get(url.host);
    if (target === undefined || url.host === c.name) return [];
    const problems: string[] = [];
    if (dependenciesOf(c.service).get(url.host) !== 'service_healthy')
      problems.push(`${c.name}: uses ${url.text} but does not depend on ${url.host} being healthy`);
    const ports = listeningPorts(target.kind, target.service);
    if (ports !== undefined && (url.port === undefined || !ports.includes(url.port)))
      problems.push(`${c.name}: ${url.text} — ${url.host} listens on ${ports.join(', ')}`);
    if (target.kind.kind === 'mlflow' && !mlflowAllowsHost(target.service, url.host, url.port))
      problems.push(`${c.name}: ${url.host}:${url.port} is not in ${url.host}'s allowed hosts: MLflow answers 403`);
    return problems;
  });
}

function publishedPortProblems(c: ServiceContext): string[] {
  const ports = listeningPorts(c.kind, c.service);
  if (ports === undefined) return [];
  return publishedPorts(c.service)
    .filter((port) => !ports.includes(port))
    .map((port) => `${c.name}: publishes container port ${port}, but listens on ${ports.join(', ') || 'nothing'}`);
}
