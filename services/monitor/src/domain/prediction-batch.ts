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
  /** Row-major rows × columns. */
  readonly features: Float64Array;
  readonly probabilities: Float64Array;
  readonly labels: Float64Array;
  /** The `prediction.logged` message's stream sequence. */
  readonly sequence: number;
}

/** One request of a batch with its own rows' probabilities and labels (views, no copy): what the label join keeps. */
export interface RequestOfBatch {
  readonly model: string;
  readonly version: string;
  readonly requestId: string;
  readonly predictedAtMs: number;
  readonly probabilities: Float64Array;
  readonly labels: Float64Array;
}

/** The requests of a batch, each with its slice of the batch's arrays. */
export function requestsOf(batch: PredictionBatch): RequestOfBatch[] {
  let offset = 0;
  return batch.requests.map((r) => {
    const slice = { start: offset, end: offset + r.rows };
    offset = slice.end;
    return {
      model: batch.model,
      version: batch.version,
      requestId: r.requestId,
      predictedAtMs: r.predictedAtMs,
      probabilities: batch.probabilities.subarray(slice.start, slice.end),
      labels: batch.labels.subarray(slice.start, slice.end),
    };
  });
}

/** `<model>:<version>`: how versions are keyed in checkpoints, metrics and status. */
export function versionKey(model: string, version: string): string {
  return `${model}:${version}`;
}
