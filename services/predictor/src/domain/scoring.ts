import type { DenseMatrix } from '@mlops/ml';
import type { PredictionLog, ScoringMetrics } from './ports.js';
import { BadScoringRequest } from './scoring-rules.js';
import type { ServedModel } from './served-model.js';

/** One scoring call's results: per-row probabilities of class 1, labels and prediction ids. */
export interface Scored {
  readonly probabilities: Float64Array;
  readonly labels: Float64Array;
  /** The request's id (see createRequestIds). */
  readonly requestId: string;
  /** `<request id>-<row>` for each row: unique, joinable with ground truth. */
  readonly ids: string[];
}

/** Where score() reports each successful call: the metrics and the prediction log. */
export interface ScoringPorts {
  readonly metrics: ScoringMetrics;
  readonly log: PredictionLog;
}

/**
 * Scores rows with the served model, counts them and logs them (a table model's `rawCodes`, its raw columns coded,
 * instead of X) under the caller's client id (undefined without tokens); every protocol goes through here.
 */
export function score(
  served: ServedModel,
  X: DenseMatrix,
  ports: ScoringPorts,
  requestId: string,
  client: string | undefined,
  rawCodes?: DenseMatrix,
): Scored {
  const { labels, probabilities } = served.model.predictWithProba(X);
  refuseOverflow(probabilities);
  const positive = served.model.classes[1];
  let positives = 0;
  for (let i = 0; i < X.rows; i++) if (labels[i] === positive) positives++;
  const request = `${requestId}-`;
  const ids = new Array<string>(X.rows);
  for (let i = 0; i < X.rows; i++) ids[i] = request + i;
  // By the classes' own labels: a text target's ("no", "yes"), else its values (0 and 1, or 2 and 5).
  ports.metrics.countScored(served, X.rows, positives, served.classLabels ?? served.model.classes);
  ports.log.record({
    model: served,
    requestId,
    scoredAt: Date.now(),
    X: rawCodes ?? X,
    rawColumns: rawCodes !== undefined,
    probabilities,
    labels,
    client,
  });
  return { requestId, probabilities, labels, ids };
}

/** Finite but huge values (e.g. 1e308 and -1e308 in one row) make the decision value NaN: refuse, naming the row. */
function refuseOverflow(probabilities: Float64Array): void {
  for (let i = 0; i < probabilities.length; i++) {
    if (Number.isNaN(probabilities[i])) {
      throw new BadScoringRequest(`row ${i}: the values are too large to score (the decision value overflows)`);
    }
  }
}
