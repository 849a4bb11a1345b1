/** One scoring request inside a logged message. */
export interface LoggedRequestRows {
  readonly requestId: string;
  readonly predictedAtMs: number;
  readonly rows: number;
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
