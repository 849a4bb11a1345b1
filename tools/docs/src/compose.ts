import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** One `${NAME...}` reference found while interpolating a compose file. */
export interface Interpolation {
  readonly name: string;
  /** The fallback written after `:-` or `-`, undefined when there is none. */
  readonly fallback: string | undefined;
  /** Where it was found, e.g. `services.predictor.ports.0`. */
  readonly path: string;
}

/** A compose model after interpolation with an empty host environment, and every variable reference in it. */
export interface ComposeModel {
  /** The merged files as written, before interpolation. */
  readonly raw: Record<string, unknown>;
  /** The merged files after interpolation. */
  readonly model: Record<string, unknown>;
  readonly interpolations: readonly Interpolation[];
}

/** Thrown for compose syntax this loader does not understand (so a check never silently skips it). */
export class ComposeSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ComposeSyntaxError';
  }
}

const REFERENCE = /\$(?:\$|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/**
 * Replaces `${NAME}`, `${NAME:-fallback}`, `${NAME-fallback}`, `${NAME:?message}`, `$NAME` and `$$` the way
 * `docker compose` does when NAME is unset: the fallback, or the empty string. References are recorded.
 */
export function interpolateText(text: string, path: string, found: Interpolation[]): string {
  return text.replace(REFERENCE, (whole, braced: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$';
    if (bare !== undefined) {
      found.push({ name: bare, fallback: undefined, path });
      return '';
    }
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*)|(:?\?)(.*))?$/s.exec(braced ?? '');
    if (match === null) throw new ComposeSyntaxError(`${path}: unsupported interpolation ${whole}`);
    const [, name, dash, fallback] = match;
    found.push({ name: name!, fallback: dash === undefined ? undefined : fallback, path });
    return dash === undefined ? '' : fallback!;
  });
}

/** Interpolates every string value (not keys) of a parsed compose document. */
export function interpolate(value: unknown, path: string, found: Interpolation[]): unknown {
  if (typeof value === 'string') return interpolateText(value, path, found);
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, `${path}.${i}`, found));
  if (isMapping(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, path === '' ? key : `${path}.${key}`, found)]),
    );
  }
  return value;
}

/** Sequences compose merges item by item across files instead of replacing them. */
const MERGED_SEQUENCES = new Set(['ports', 'volumes', 'expose', 'secrets', 'configs', 'dns', 'extra_hosts']);

/**
 * Applies an override file the way `docker compose -f base -f override` does for the parts this project uses:
 * mappings merge key by key, the sequences in MERGED_SEQUENCES are concatenated without duplicates, and any other
 * value (command, healthcheck.test, image, ...) is replaced.
 */
export function mergeCompose(base: unknown, override: unknown, key = ''): unknown {
  if (isMapping(base) && isMapping(override)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) merged[k] = k in base ? mergeCompose(base[k], v, k) : v;
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(override) && MERGED_SEQUENCES.has(key)) {
    const seen = new Set(base.map((item) => JSON.stringify(item)));
    return [...base, ...override.filter((item) => !seen.has(JSON.stringify(item)))];
  }
  return override;
}

/** Parses compose YAML text (anchors and merge keys allowed); the document must be a mapping. */
export function parseComposeText(text: string, origin: string): Record<string, unknown> {
  const document: unknown = parse(text, { merge: true });
  if (!isMapping(document)) throw new ComposeSyntaxError(`${origin}: a compose file is a YAML mapping`);
  return document;
}

/** Reads, merges (in order) and interpolates compose files. */
export function loadCompose(paths: readonly string[]): ComposeModel {
  const documents = paths.map((path) => parseComposeText(readFileSync(path, 'utf8'), path));
  return interpolateModel(documents);
}

/** Merges parsed documents in order and interpolates the result, recording every variable reference. */
export function interpolateModel(documents: readonly Record<string, unknown>[]): ComposeModel {
  const raw = documents.reduce<unknown>((acc, doc) => mergeCompose(acc, doc), {}) as Record<string, unknown>;
  const interpolations: Interpolation[] = [];
  const model = interpolate(raw, '', interpolations) as Record<string, unknown>;
  return { raw, model, interpolations };
}

/** A plain (non-array) object. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `services` mapping of a compose model (empty when absent). */
export function servicesOf(model: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const services = model.services;
  if (!isMapping(services)) return {};
  return Object.fromEntries(Object.entries(services).filter(([, s]) => isMapping(s))) as Record<
    string,
    Record<string, unknown>
  >;
}

/** A service's environment as name → value; list form (`KEY=VALUE`) is normalised; null means "from the shell". */
export function environmentOf(service: Record<string, unknown>): Record<string, string | null> {
  const env = service.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const text = String(entry);
        const eq = text.indexOf('=');
        return eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)];
      }),
    );
  }
  if (!isMapping(env)) return {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? null : String(v)]));
}
