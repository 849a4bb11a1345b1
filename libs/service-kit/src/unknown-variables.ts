import type { z } from 'zod';
import type { Logger } from './logger.js';

/** A variable with a service's prefix that its schema does not read, and the one it most likely means. */
export interface UnknownVariable {
  readonly name: string;
  readonly meant?: string | undefined;
}

/**
 * The variables of `env` named with one of `prefixes` (a service's own, `PREDICTOR_`) that the schema does not read:
 * a misspelt `PREDICTOR_AUTH_TOKEN` would otherwise leave authentication off without a word.
 */
export function unknownVariables(
  schema: z.ZodObject,
  env: Record<string, string | undefined>,
  prefixes: readonly string[],
): UnknownVariable[] {
  const known = Object.keys(schema.shape);
  return Object.keys(env)
    .filter((name) => prefixes.some((prefix) => name.startsWith(prefix)) && !known.includes(name))
    .sort()
    .map((name) => ({ name, meant: closest(name, known) }));
}

/** Logs a warning for each variable {@link unknownVariables} finds (its value is not logged: it may be a secret). */
export function warnUnknownVariables(
  logger: Logger,
  schema: z.ZodObject,
  env: Record<string, string | undefined>,
  prefixes: readonly string[],
): void {
  for (const { name, meant } of unknownVariables(schema, env, prefixes)) {
    const hint = meant === undefined ? '' : ` (did you mean ${meant}?)`;
    logger.warn({ variable: name, meant }, `${name} is set but not read by this service${hint}: it has no effect`);
  }
}

/** The known name within a few edits of `name` (a typo, a missing or extra S), if one is. */
function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= 3 && (best === undefined || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

/** Levenshtein distance: insertions, deletions and substitutions turning `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
