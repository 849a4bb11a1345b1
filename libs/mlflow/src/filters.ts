import { MlflowInvalidArgumentError } from './errors.js';

/** Runs and registry searches accept double-quoted strings; the LoggedModel search only single-quoted ones. */
export type FilterDialect = 'tracking' | 'logged-models';

/** `tags.\`key\` = 'value'` (backticks work in run, LoggedModel and model-version searches). */
export function tagEquals(key: string, value: string, dialect: FilterDialect = 'tracking'): string {
  return `tags.${quoteIdentifier(key)} = ${quoteString(value, dialect)}`;
}

/** An attribute comparison such as `name = 'x'`. */
export function attributeEquals(attribute: string, value: string, dialect: FilterDialect = 'tracking'): string {
  return `${attribute} = ${quoteString(value, dialect)}`;
}

function quoteIdentifier(key: string): string {
  if (key.includes('`')) throw new MlflowInvalidArgumentError('filter key', `${key} contains a backtick`);
  return `\`${key}\``;
}

/** MLflow's filter grammar has no escapes: single quotes unless the value holds one, then double quotes if allowed. */
function quoteString(value: string, dialect: FilterDialect): string {
  if (!value.includes("'")) return `'${value}'`;
  if (dialect === 'tracking' && !value.includes('"')) return `"${value}"`;
  throw new MlflowInvalidArgumentError('filter value', `${value} cannot be quoted in an MLflow ${dialect} filter`);
}
