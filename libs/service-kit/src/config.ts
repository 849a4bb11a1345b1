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
 */
export function parseConfig<T extends z.ZodType>(
  service: string,
  schema: T,
  env: Record<string, string | undefined>,
): z.output<T> {
  const numberProblems = new Map<string, string>();
  for (const name of numberVariables(schema)) {
    const text = env[name];
    const problem = text === undefined ? undefined : numberTextProblem(name, text);
    if (problem !== undefined) numberProblems.set(name, problem);
  }
  const result = schema.safeParse(env);
  if (result.success && numberProblems.size === 0) return result.data;
  const issues = result.error?.issues ?? [];
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
  throw new ConfigError(service, [...numberProblems.values(), ...schemaProblems]);
}

/** A log level variable (LOG_LEVEL), defaulting to info. */
export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** A TCP port variable; 0 lets the OS choose (tests). */
export const portSchema = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** A duration in milliseconds. */
export const millisSchema = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** A yes/no variable: true/false, 1/0 or yes/no, with a default. */
export const flagSchema = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
