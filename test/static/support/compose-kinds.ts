import { environmentOf } from '../../../tools/docs/src/compose.js';
import type { ServiceSpec } from '../../../tools/docs/src/services.js';
import { type ComposeService, commandOf, flagValue } from './compose-facts.js';

/** What a compose service runs: one of ours (with its spec), or a known third-party server, or something else. */
export type ServiceKind =
  | { readonly kind: 'ours'; readonly spec: ServiceSpec }
  | { readonly kind: 'nats' | 'mlflow' | 'postgres' | 'other' };

/** The repository part of an image reference, without registry path, tag or digest (`ghcr.io/mlflow/mlflow:v1` → `mlflow`). */
export function imageName(reference: string): string {
  const withoutDigest = reference.split('@')[0]!;
  const last = withoutDigest.split('/').at(-1)!;
  return last.split(':')[0]!;
}

/** Classifies a compose service by name (ours), image or command. */
export function kindOf(name: string, service: ComposeService, specs: readonly ServiceSpec[]): ServiceKind {
  const spec = specs.find((s) => s.name === name);
  if (spec !== undefined) return { kind: 'ours', spec };
  const words = commandOf(service);
  if (words.includes('mlflow') && words.includes('server')) return { kind: 'mlflow' };
  const image = typeof service.image === 'string' ? imageName(service.image) : '';
  if (image === 'nats') return { kind: 'nats' };
  if (image === 'postgres') return { kind: 'postgres' };
  return { kind: 'other' };
}

/** A service's environment with shell-supplied (null) values left out, as its process would see it. */
export function processEnv(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environmentOf(service)).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

/** Our service's parsed config values by variable name (numbers coerced), or undefined when the env is invalid. */
export function configValues(spec: ServiceSpec, service: ComposeService): Record<string, unknown> | undefined {
  const parsed = spec.configSchema.safeParse(processEnv(service));
  return parsed.success ? (parsed.data as Record<string, unknown>) : undefined;
}

/** The TCP ports a service listens on inside its container, or undefined when this checker cannot tell. */
export function listeningPorts(kind: ServiceKind, service: ComposeService): number[] | undefined {
  const words = commandOf(service);
  switch (kind.kind) {
    case 'ours': {
      const values = configValues(kind.spec, service);
      if (values === undefined) return undefined;
      const vars = [kind.spec.health.portVariable, kind.spec.publicHttp?.portVariable];
      return vars.flatMap((v) => (v !== undefined && typeof values[v] === 'number' ? [values[v] as number] : []));
    }
    case 'nats': {
      const http = flagValue(words, '--http_port', '-m');
      return [Number(flagValue(words, '--port', '-p') ?? 4222), ...(http === undefined ? [] : [Number(http)])];
    }
    case 'mlflow':
      return [Number(flagValue(words, '--port', '-p') ?? 5000)];
    case 'postgres':
      return [5432];
    default:
      return undefined;
  }
}
