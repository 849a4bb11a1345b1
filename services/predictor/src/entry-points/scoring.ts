import { randomUUID } from 'node:crypto';
import type { DenseMatrix } from '@mlops/ml';
import type { PredictorMetrics } from '../adapters/metrics.js';
import type { ServedModel } from '../domain/served-model.js';

/** One scoring call's results: per-row probabilities of class 1, labels and prediction ids. */
export interface Scored {
  readonly probabilities: Float64Array;
  readonly labels: Float64Array;
  /** `<request uuid>:<row>` for each row: unique, and joinable with ground truth later. */
  readonly ids: string[];
}

/** Scores rows with the served model and counts them; every protocol goes through here. */
export function score(served: ServedModel, X: DenseMatrix, metrics: PredictorMetrics | undefined): Scored {
  const probabilities = served.model.predictPositiveProba(X);
  const labels = served.model.predict(X);
  const request = randomUUID();
  const ids = Array.from({ length: X.rows }, (_, i) => `${request}:${i}`);
  if (metrics !== undefined) {
    metrics.rows.inc(X.rows);
    let positives = 0;
    const positive = served.model.classes[1];
    for (const label of labels) if (label === positive) positives++;
    if (positives > 0) metrics.predictions.inc({ class: String(positive) }, positives);
    if (X.rows - positives > 0) metrics.predictions.inc({ class: String(served.model.classes[0]) }, X.rows - positives);
  }
  return { probabilities, labels, ids };
}
