/** A request body the predictor cannot score; `message` names the problem and where it is. 413 for too many rows. */
export class BadScoringRequest extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BadScoringRequest';
  }
}

/** Limits applied while parsing. */
export interface ScoringLimits {
  readonly maxRows: number;
}

/** Refuses empty batches (400) and batches over the row limit (413). */
export function checkRowCount(rows: number, limits: ScoringLimits, where: string): void {
  if (rows === 0) throw new BadScoringRequest(`${where}: the batch is empty, send at least one row`);
  if (rows > limits.maxRows) {
    throw new BadScoringRequest(`${where}: the batch has ${rows} rows, at most ${limits.maxRows} are allowed`, 413);
  }
}
