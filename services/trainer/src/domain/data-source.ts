/** A CSV data set as read: its text, where it came from, and the SHA-256 (hex) of its bytes. */
export interface LoadedCsv {
  readonly text: string;
  readonly source: string;
  readonly sha256: string;
}

/**
 * Reads a CSV data set named by a request; provided by the service (it owns the data directory). `digest` is the
 * SHA-256 the request pins, when it pins one: a loader that kept a snapshot of those bytes may answer with it when the
 * file itself changed or is missing here.
 */
export type CsvLoader = (path: string, digest?: string) => Promise<LoadedCsv>;

/**
 * The data a request names cannot be used (a CSV missing or malformed, a split or a class layout the rows do not
 * allow): trying again cannot help, so the tuning is rejected instead of retried.
 */
export class UnusableDataError extends Error {
  /**
   * True when only this process failed to read the data (its file missing here, or unreadable): a replica that
   * shares the data directory may read it, so a queued trial is tried again before it is given up.
   */
  readonly readableElsewhere: boolean;
  constructor(message: string, options?: ErrorOptions & { readonly readableElsewhere?: boolean }) {
    super(message, options);
    this.name = new.target.name;
    this.readableElsewhere = options?.readableElsewhere ?? false;
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

/** Why a CSV whose bytes hash differently from the digest its request pins is refused. */
export function digestMismatch(path: string, expected: string, actual: string): string {
  return `dataset ${JSON.stringify(path)}: expected SHA-256 ${expected}, the file's is ${actual} (it changed since it was pinned)`;
}

/** Loads a request's CSV and refuses it (UnusableDataError) when its bytes differ from the digest the request pins. */
export async function loadPinnedCsv(
  spec: { path: string; digest?: string | undefined },
  loadCsv: CsvLoader,
): Promise<LoadedCsv> {
  const csv = await loadCsv(spec.path, spec.digest);
  if (spec.digest !== undefined && csv.sha256 !== spec.digest) {
    throw new UnusableDataError(digestMismatch(spec.path, spec.digest, csv.sha256));
  }
  return csv;
}
