/** Reads a CSV data set named by a request; provided by the service (it owns the data directory). */
export type CsvLoader = (path: string) => Promise<{ text: string; source: string }>;

/**
 * The data a request names cannot be used (a CSV missing or malformed, a split or a class layout the rows do not
 * allow): trying again cannot help, so the tuning is rejected instead of retried.
 */
export class UnusableDataError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** How many test rows the MLmodel input example shows. */
export const INPUT_EXAMPLE_ROWS = 5;

/** The input example travels as an MLflow tag (at most 8000 characters): rows are kept while their JSON fits this. */
export const INPUT_EXAMPLE_CHARACTERS = 7000;

/** The first rows whose JSON fits {@link INPUT_EXAMPLE_CHARACTERS} (none when one row alone is wider: no example). */
export function inputExampleOf<T>(rows: readonly T[]): T[] {
  const kept: T[] = [];
  for (const row of rows.slice(0, INPUT_EXAMPLE_ROWS)) {
    if (JSON.stringify([...kept, row]).length > INPUT_EXAMPLE_CHARACTERS) break;
    kept.push(row);
  }
  return kept;
}
