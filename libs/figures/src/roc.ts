/** A ROC curve as scikit-learn's `roc_curve(y, scores, drop_intermediate=False)` gives it, and its area. */
export interface RocCurve {
  readonly fpr: Float64Array;
  readonly tpr: Float64Array;
  /** Decreasing; the first is +Infinity (nothing predicted positive). */
  readonly thresholds: Float64Array;
  /** Trapezoidal area under the curve; NaN when one class is absent. */
  readonly auc: number;
}

/** The ROC curve of scores against 0/1 labels: one point per distinct score, from (0, 0) to (1, 1). */
export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): RocCurve {
  if (labels.length !== scores.length) {
    throw new RangeError(`${labels.length} labels but ${scores.length} scores: one score per label is needed`);
  }
  const order = Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  const fps = [0];
  const tps = [0];
  const thresholds = [Number.POSITIVE_INFINITY];
  let tp = 0;
  let fp = 0;
  order.forEach((i, k) => {
    if (labels[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next !== undefined && scores[next] === scores[i]) return;
    tps.push(tp);
    fps.push(fp);
    thresholds.push(scores[i] as number);
  });
  const fpr = Float64Array.from(fps, (v) => v / fp);
  const tpr = Float64Array.from(tps, (v) => v / tp);
  return { fpr, tpr, thresholds: Float64Array.from(thresholds), auc: trapezoid(fpr, tpr) };
}

function trapezoid(x: Float64Array, y: Float64Array): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) {
    area += (((x[i] as number) - (x[i - 1] as number)) * ((y[i] as number) + (y[i - 1] as number))) / 2;
  }
  return area;
}
