import { createHash } from 'node:crypto';

/** MLflow's longest metric key (`MAX_ENTITY_KEY_LENGTH` in mlflow/utils/validation.py). */
const MAX_METRIC_KEY_CHARS = 250;

/** The longest prefix a column's key takes (`wasserstein/`; `psi/`, `js/`, `ks/`, `missing/`… are shorter). */
const LONGEST_PREFIX = 'wasserstein/';

/** The most a column's part of a key may take, so that every prefix fits within MLflow's limit. */
const MAX_COLUMN_KEY_CHARS = MAX_METRIC_KEY_CHARS - LONGEST_PREFIX.length;

/** Hex characters of the digest a column's key ends in when its name alone cannot be the key. */
const DIGEST_CHARS = 8;

/**
 * A column name in MLflow's metric-key characters: letters, digits, `_ - . /` and space, anything else `_`. MLflow
 * takes a few more (`:` except on Windows, non-ASCII letters), so these keys suit every MLflow server.
 */
function sanitisedColumn(column: string): string {
  return column.replace(/[^\w\-. /]/g, '_');
}

/**
 * Each column's part of its metric keys (`psi/<part>`, `missing/<part>`…), by column name. A column keeps its
 * sanitised name (the keys it always had) unless that is too long, would not stay itself as a path (MLflow refuses
 * `a//b`, `./a`, `a/..`), or another of these columns sanitises to it too while its own name is not it (`a<b` and
 * `a>b` both give `a_b`; a column named `a_b` keeps it). Those take a readable prefix and `-` with a digest of the
 * name: the same every window and after a restart, as long as the columns are the same (every window that logs
 * column metrics names all of a version's columns: its features or raw columns and the prediction).
 */
export function columnKeys(columns: Iterable<string>): Map<string, string> {
  const sanitised = new Map([...columns].map((name) => [name, sanitisedColumn(name)]));
  const claims = new Map<string, number>();
  for (const key of sanitised.values()) claims.set(key, (claims.get(key) ?? 0) + 1);
  return new Map([...sanitised].map(([name, key]) => [name, columnKey(name, key, (claims.get(key) ?? 0) > 1)]));
}

/** One column's part of its keys: its sanitised name, or a readable prefix and a digest when that cannot be it. */
function columnKey(column: string, sanitised: string, shared: boolean): string {
  const fits = sanitised.length <= MAX_COLUMN_KEY_CHARS && isPathItself(sanitised);
  if (fits && (!shared || sanitised === column)) return sanitised;
  const readable = sanitised.replaceAll('/', '_').slice(0, MAX_COLUMN_KEY_CHARS - DIGEST_CHARS - 1);
  return `${readable}-${digestOf(column)}`;
}

/** Whether `<prefix>/<part>` is its own normalised path, as MLflow requires: no empty, `.` or `..` segment. */
function isPathItself(part: string): boolean {
  return part.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function digestOf(column: string): string {
  return createHash('sha256').update(column, 'utf8').digest('hex').slice(0, DIGEST_CHARS);
}
