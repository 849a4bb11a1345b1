import { isMapping } from '../../../tools/docs/src/compose.js';

/** A compose service definition (a mapping). */
export type ComposeService = Record<string, unknown>;

/** A service's command as words (exec form as is; a string split on whitespace). */
export function commandOf(service: ComposeService): string[] {
  const command = service.command;
  if (Array.isArray(command)) return command.map(String);
  return typeof command === 'string' ? command.split(/\s+/).filter((w) => w !== '') : [];
}

/** The value after a flag (`--port 5000` or `--port=5000`), any of several spellings. */
export function flagValue(words: readonly string[], ...flags: string[]): string | undefined {
  for (const [i, word] of words.entries()) {
    for (const flag of flags) {
      if (word === flag) return words[i + 1];
      if (word.startsWith(`${flag}=`)) return word.slice(flag.length + 1);
    }
  }
  return undefined;
}

/** Whether a flag is present (`--serve-artifacts`, `-js`). */
export function hasFlag(words: readonly string[], ...flags: string[]): boolean {
  return words.some((w) => flags.includes(w) || flags.some((f) => w.startsWith(`${f}=`)));
}

/** The healthcheck command as one string, or undefined when the service has none (or disables it). */
export function healthcheckOf(service: ComposeService): string | undefined {
  const health = service.healthcheck;
  if (!isMapping(health) || health.disable === true) return undefined;
  const test = health.test;
  const words = Array.isArray(test) ? test.map(String) : typeof test === 'string' ? [test] : [];
  if (words.length === 0 || words[0] === 'NONE') return undefined;
  return words.join(' ');
}

/** depends_on as name → condition (short list form has no condition). */
export function dependenciesOf(service: ComposeService): Map<string, string | undefined> {
  const deps = service.depends_on;
  if (Array.isArray(deps)) return new Map(deps.map((d) => [String(d), undefined]));
  if (!isMapping(deps)) return new Map();
  return new Map(
    Object.entries(deps).map(([name, spec]) => [
      name,
      isMapping(spec) && typeof spec.condition === 'string' ? spec.condition : undefined,
    ]),
  );
}

/** Container ports a service publishes to the host (short and long syntax). */
export function publishedPorts(service: ComposeService): number[] {
  const ports = Array.isArray(service.ports) ? service.ports : [];
  return ports.flatMap((port) => {
    if (isMapping(port)) return port.target === undefined ? [] : [Number(port.target)];
    const container = String(port).split('/')[0]!.split(':').at(-1)!;
    return [Number(container)];
  });
}

/** Volume mounts as { source, target }; a source without `/` or `.` is a named volume. */
export function mountsOf(service: ComposeService): { source: string | undefined; target: string; named: boolean }[] {
  const volumes = Array.isArray(service.volumes) ? service.volumes : [];
  return volumes.map((volume) => {
    if (isMapping(volume)) {
      const source = volume.source === undefined ? undefined : String(volume.source);
      return { source, target: String(volume.target), named: volume.type === 'volume' };
    }
    const [first, second] = String(volume).split(':');
    if (second === undefined) return { source: undefined, target: first!, named: false };
    return { source: first, target: second, named: !/^[./~]/.test(first!) };
  });
}

/** Whether an absolute container path lies on one of the service's mounts. */
export function onVolume(service: ComposeService, path: string): boolean {
  return mountsOf(service).some((m) => path === m.target || path.startsWith(`${m.target.replace(/\/$/, '')}/`));
}

/** A URL found in a string: scheme, host and port (the scheme's default port when none is written). */
export interface FoundUrl {
  readonly text: string;
  readonly scheme: string;
  readonly host: string;
  readonly port: number | undefined;
}

const DEFAULT_PORTS: Record<string, number> = {
  nats: 4222,
  http: 80,
  https: 443,
  postgresql: 5432,
  'postgresql+psycopg2': 5432,
  postgres: 5432,
};

/** Every `scheme://[credentials@]host[:port]` in a text. */
export function urlsIn(text: string): FoundUrl[] {
  const found: FoundUrl[] = [];
  for (const m of text.matchAll(/\b([a-z][a-z0-9+.-]*):\/\/(?:[^@/\s,]*@)?([A-Za-z0-9_.-]+)(?::(\d+))?/g)) {
    const scheme = m[1]!;
    found.push({ text: m[0], scheme, host: m[2]!, port: m[3] === undefined ? DEFAULT_PORTS[scheme] : Number(m[3]) });
  }
  return found;
}

/** fnmatch-style matching (`*` any run, `?` one character), as MLflow matches --allowed-hosts. */
export function globMatches(pattern: string, text: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(text);
}
