import { randomBytes } from 'node:crypto';
import type { DenseMatrix } from '@mlops/ml';
import type { PredictorMetrics } from '../adapters/metrics.js';
import type { ServedModel } from '../domain/served-model.js';

/** One scoring call's results: per-row probabilities of class 1, labels and prediction ids. */
export interface Scored {
  readonly probabilities: Float64Array;
  readonly labels: Float64Array;
  /** `<request id>-<row>` for each row (request id: 128 random bits, base64url): unique, joinable with ground truth. */
  readonly ids: string[];
}

/** Scores rows with the served model and counts them; every protocol goes through here. */
export function score(served: ServedModel, X: DenseMatrix, metrics: PredictorMetrics): Scored {
  const { labels, probabilities } = served.model.predictWithProba(X);
  const positive = served.model.classes[1];
  let positives = 0;
  for (let i = 0; i < X.rows; i++) if (labels[i] === positive) positives++;
  const request = `${randomBytes(16).toString('base64url')}-`;
  const ids = new Array<string>(X.rows);
  for (let i = 0; i < X.rows; i++) ids[i] = request + i;
  metrics.countScored(served, X.rows, positives, served.model.classes);
  return { probabilities, labels, ids };
}
