import { isIP } from 'node:net';
import { z } from 'zod';
import { numberTextProblem, numberVariables } from './env-numbers.js';

/** Thrown by {@link parseConfig} with every problem in the environment listed, one per line. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(service: string, problems: string[]) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Parses environment variables with a zod schema, failing fast with every problem named by variable. A number variable
 * takes plain decimal text only (`500`, `0.25`, `1e9`): empty, hexadecimal, padded or `Infinity` text is refused.
 * `alsoProblems` adds checks made outside the schema (each problem `VARIABLE: why`), listed with the schema's.
 */
export function parseConfig<T extends z.ZodType>(
  service: string,
  schema: T,
  env: Record<string, string | undefined>,
  alsoProblems: (env: Record<string, string | undefined>) => readonly string[] = () => [],
): z.output<T> {
  const numberProblems = new Map<string, string>();
  for (const name of numberVariables(schema)) {
    const text = env[name];
    const problem = text === undefined ? undefined : numberTextProblem(name, text);
    if (problem !== undefined) numberProblems.set(name, problem);
  }
  const result = schema.safeParse(env);
  const more = alsoProblems(env);
  if (result.success && numberProblems.size === 0 && more.length === 0) return result.data;
  const issues = [...(result.error?.issues ?? [])];
  const refused = issues.filter((issue) => issue.path.length > 0).map(variableOf);
  issues.push(...checksAcrossVariables(schema, env, [...refused, ...numberProblems.keys()]));
  for (const issue of issues) {
    // A schema's own wording of a bad number ("must be a number of seconds") says more than the generic one.
    const name = String(issue.path[0]);
    if (numberProblems.has(name) && issue.code === 'invalid_type' && !issue.message.startsWith('Invalid input')) {
      numberProblems.set(name, `${name}: ${issue.message}, got ${JSON.stringify(env[name])}`);
    }
  }
  const schemaProblems = issues
    // A number refused above gets that one line, not also zod's wording of what coercion made of it.
    .filter((issue) => !numberProblems.has(String(issue.path[0])))
    .map((issue) => `${issue.path.map(String).join('.') || '(env)'}: ${issue.message}`);
  const named = new Set([...numberProblems.keys(), ...issues.map(variableOf)]);
  // A variable the schema refused already gets that line, not a second wording of the same problem.
  const otherProblems = more.filter((problem) => !named.has(problem.slice(0, problem.indexOf(':'))));
  throw new ConfigError(service, [...numberProblems.values(), ...schemaProblems, ...otherProblems]);
}

/** The variable an issue is about (its first path element). */
function variableOf(issue: z.core.$ZodIssue): string {
  return String(issue.path[0]);
}

/**
 * The problems of checks across variables (a user without a password, a flag that needs tokens): zod runs them only
 * when every variable parsed, so the environment is parsed again with the refused variables unset. A problem that
 * names a refused variable is left out: it would be about the default that took its place.
 */
function checksAcrossVariables(
  schema: z.ZodType,
  env: Record<string, string | undefined>,
  refused: readonly string[],
): z.core.$ZodIssue[] {
  if (refused.length === 0) return [];
  const rest = { ...env };
  for (const name of refused) delete rest[name];
  const again = schema.safeParse(rest);
  if (again.success) return [];
  const mentionsRefused = (issue: z.core.$ZodIssue) =>
    refused.some((name) => variableOf(issue) === name || issue.message.includes(name));
  return again.error.issues.filter((issue) => !mentionsRefused(issue));
}

/** A log level variable (LOG_LEVEL), defaulting to info. */
export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** A TCP port variable; 0 lets the OS choose (tests). */
export const portSchema = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** The longest delay Node's timers keep (2^31 - 1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** The message of a duration longer than a timer keeps. */
export const TIMER_MAX_MESSAGE = `must be at most ${MAX_TIMER_MS} (about 24.8 days): the longest timer Node keeps`;

/** A duration in milliseconds, at least `min`, at most what a timer keeps. */
export const millisSchema = (fallback: number, min = 1) =>
  z.coerce.number().int().min(min).max(MAX_TIMER_MS, TIMER_MAX_MESSAGE).default(fallback);

/** An IP address or a host name: letters, digits, hyphens and dots (what `listen` can bind). */
const HOST_NAME = /^(?=.{1,253}$)[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*\.?$/i;

/**
 * The interface a server binds: an IP address or a host name, default `fallback`. Empty is refused: `listen` would take
 * it as every interface, which must be asked for plainly (0.0.0.0 or ::).
 */
export const hostSchema = (fallback: string) =>
  z
    .string()
    .min(1, 'is empty: unset it to bind 127.0.0.1, or give 0.0.0.0 (or ::) to bind every interface')
    .refine(
      (text) => text === '' || isIP(text) !== 0 || HOST_NAME.test(text),
      'is neither an IP address nor a host name (0.0.0.0 or :: binds every interface)',
    )
    .default(fallback)
    .meta({ format: 'host' }); // the configuration docs say "IP address or host name"

/** A yes/no variable: true/false, 1/0 or yes/no, with a default. */
export const flagSchema = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
