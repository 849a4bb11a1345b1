/** One scoring request inside a logged message, or one part of a request logged in parts. */
export interface LoggedRequestRows {
  readonly requestId: string;
  readonly predictedAtMs: number;
  /** Rows of the request, or of this part of it. */
  readonly rows: number;
  /** The request's row this part starts at (see firstRowOf). */
  readonly firstRow?: number;
  /** Rows of the whole request this part belongs to (see requestRowsOf). */
  readonly requestRows?: number;
  /** The client id of the bearer token it was scored with; absent when the predictor had no tokens. */
  readonly client?: string;
}

/** One `prediction.logged` message, decoded: scoring requests of one version, their rows concatenated. */
export interface PredictionBatch {
  readonly model: string;
  readonly version: string;
  readonly requests: readonly LoggedRequestRows[];
  /** Rows of all the requests together. */
  readonly rows: number;
  readonly columns: number;
  /** Row-major rows × columns: the model's features, or a table model's raw columns coded (`rawColumns`). */
  readonly features: Float64Array;
  /** True when `features` are a table model's raw columns (categories as indices, NaN where missing). */
  readonly rawColumns: boolean;
  readonly probabilities: Float64Array;
  readonly labels: Float64Array;
  /** The `prediction.logged` message's stream sequence. */
  readonly sequence: number;
}

/** `<model>:<version>`: how versions are keyed in checkpoints, metrics and status. */
export function versionKey(model: string, version: string): string {
  return `${model}:${version}`;
}

/** The request's row a logged entry starts at: 0 unless it is a later part of a request logged in parts. */
export function firstRowOf(entry: LoggedRequestRows): number {
  return entry.firstRow ?? 0;
}

/** Rows of the whole request a logged entry holds all or a part of. */
export function requestRowsOf(entry: LoggedRequestRows): number {
  return entry.requestRows ?? firstRowOf(entry) + entry.rows;
}

/** Whether a logged entry is a part of a request logged in parts (not the whole request). */
export function isPart(entry: LoggedRequestRows): boolean {
  return entry.rows !== requestRowsOf(entry);
}
