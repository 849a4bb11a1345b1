import type { SagaState } from './saga-state.js';

/*
 * The per-feature updates of `_sag_fast.pyx.tp` on dense rows, where every draw touches every feature, so one
 * `feature_hist` entry serves all features. `lagged_update` applies the averaged-gradient step owed since the last
 * update (a difference of cumulative sums); with an l1 part (`prox`) it is followed by soft-thresholding with the
 * matching difference of `cumulative_sums_prox`, or, when |g·step| ≥ threshold, by scikit-learn's unrolled loop over
 * the lagged draws (newest first). Each function applies exactly scikit-learn's operations to each element, in order.
 */

/** `_soft_thresholding`: fmax(x − s, 0) − fmax(−x − s, 0), with C's fmax-by-comparison (a NaN becomes 0). */
function softThreshold(x: number, shrinkage: number): number {
  const above = x - shrinkage;
  const below = -x - shrinkage;
  return (above > 0 ? above : 0) - (below > 0 ? below : 0);
}

/**
 * `lagged_update` bookkeeping before draw `sampleItr`: returns the averaged-gradient multiplier still owed to every
 * feature; with prox also sets `pendingProx`, the soft-threshold owed. Does not touch the weights.
 */
function takePendingStep(state: SagaState, sampleItr: number): number {
  const { cumulativeSums, cumulativeSumsProx, lastUpdate } = state;
  let pending = cumulativeSums[sampleItr - 1]!;
  if (lastUpdate !== 0) pending -= cumulativeSums[lastUpdate - 1]!;
  if (state.prox) {
    let pendingProx = cumulativeSumsProx[sampleItr - 1]!;
    if (lastUpdate !== 0) pendingProx -= cumulativeSumsProx[lastUpdate - 1]!;
    state.pendingProx = pendingProx;
  }
  state.lastUpdate = sampleItr;
  return pending;
}

/** w·x_row for the first draw of an epoch, where scikit-learn has no pending step to apply. */
export function rowDot(state: SagaState, row: number): number {
  const { X, weights: w, p } = state;
  let dot = 0.0;
  for (let j = 0; j < p; j++) dot += w[j]! * X[row + j]!;
  return dot;
}

/**
 * The prox branch of `lagged_update` for one weight: one gradient step and one soft-threshold when
 * |g·pending| < pendingProx, else the unrolled steps from draw `upTo − 1` down to draw `since`. When the lag is one
 * draw (`since = upTo − 1`, every draw but the one after a mid-epoch rescale) both branches compute
 * soft(w − pending·g, pendingProx) from the same differences of cumulative sums, so callers take that form directly.
 */
function proxLaggedStep(state: SagaState, wj: number, gj: number, pending: number, since: number, upTo: number) {
  const pendingProx = state.pendingProx;
  if (Math.abs(gj * pending) < pendingProx) return softThreshold(wj - pending * gj, pendingProx);
  const { cumulativeSums: sums, cumulativeSumsProx: proxSums } = state;
  let value = wj;
  for (let lagged = upTo - 1; lagged >= since; lagged--) {
    const gradStep = lagged > 0 ? sums[lagged]! - sums[lagged - 1]! : sums[lagged]!;
    const proxStep = lagged > 0 ? proxSums[lagged]! - proxSums[lagged - 1]! : proxSums[lagged]!;
    value -= gj * gradStep;
    value = softThreshold(value, proxStep);
  }
  return value;
}

/** `proxLaggedStep` with the one-draw lag taken without its test (see there). */
function proxStep(state: SagaState, wj: number, gj: number, pending: number, since: number, upTo: number) {
  if (since === upTo - 1) return softThreshold(wj - pending * gj, state.pendingProx);
  return proxLaggedStep(state, wj, gj, pending, since, upTo);
}

/** Applies the step (and prox) owed before draw `upTo` to every weight; returns w·x_row with the updated weights. */
export function stepAndDot(state: SagaState, row: number, upTo: number): number {
  const { X, weights: w, sumGradient: g, p } = state;
  const since = state.lastUpdate;
  const pending = takePendingStep(state, upTo);
  let dot = 0.0;
  for (let j = 0; j < p; j++) {
    const wj = state.prox ? proxStep(state, w[j]!, g[j]!, pending, since, upTo) : w[j]! - pending * g[j]!;
    w[j] = wj;
    dot += wj * X[row + j]!;
  }
  return dot;
}

/** The SAGA correction of one draw: w -= x·δ·step·(1 - 1/seen) / wscale and G += x·δ. */
export function correct(state: SagaState, row: number, delta: number, unbias: number, wscale: number): void {
  const { X, weights: w, sumGradient: g, p, step } = state;
  for (let j = 0; j < p; j++) {
    const correction = X[row + j]! * delta;
    w[j] = w[j]! - (correction * step * unbias) / wscale;
    g[j] = g[j]! + correction;
  }
}

/** `correct` for this draw, then `stepAndDot` for the next one (draw `upTo`), in one pass over the features. */
export function correctStepAndDot(
  state: SagaState,
  row: number,
  nextRow: number,
  delta: number,
  unbias: number,
  wscale: number,
  upTo: number,
): number {
  if (state.prox) return correctStepAndDotProx(state, row, nextRow, delta, unbias, wscale, upTo);
  const { X, weights: w, sumGradient: g, p, step } = state;
  const pending = takePendingStep(state, upTo);
  let dot = 0.0;
  for (let j = 0; j < p; j++) {
    const correction = X[row + j]! * delta;
    const gj = g[j]! + correction;
    g[j] = gj;
    const wj = w[j]! - (correction * step * unbias) / wscale - pending * gj;
    w[j] = wj;
    dot += wj * X[nextRow + j]!;
  }
  return dot;
}

/** `correctStepAndDot` with the prox branch of the lagged update (l1 or elasticnet). */
function correctStepAndDotProx(
  state: SagaState,
  row: number,
  nextRow: number,
  delta: number,
  unbias: number,
  wscale: number,
  upTo: number,
): number {
  const { X, weights: w, sumGradient: g, p, step } = state;
  const since = state.lastUpdate;
  const pending = takePendingStep(state, upTo);
  let dot = 0.0;
  for (let j = 0; j < p; j++) {
    const correction = X[row + j]! * delta;
    const gj = g[j]! + correction;
    g[j] = gj;
    const corrected = w[j]! - (correction * step * unbias) / wscale;
    const wj = proxStep(state, corrected, gj, pending, since, upTo);
    w[j] = wj;
    dot += wj * X[nextRow + j]!;
  }
  return dot;
}

/** `scale_weights`: apply the pending step (and prox) up to draw `upTo`, fold wscale in, restart the sums. */
export function flushPendingAndRescale(state: SagaState, upTo: number): boolean {
  const { weights: w, sumGradient: g, cumulativeSums, cumulativeSumsProx, p, wscale } = state;
  const since = state.lastUpdate;
  const pending = takePendingStep(state, upTo);
  for (let j = 0; j < p; j++) {
    const stepped = state.prox ? proxStep(state, w[j]!, g[j]!, pending, since, upTo) : w[j]! - pending * g[j]!;
    const wj = stepped * wscale;
    w[j] = wj;
    if (!Number.isFinite(wj)) return false;
  }
  state.lastUpdate = upTo % state.n;
  cumulativeSums[upTo - 1] = 0.0;
  if (state.prox) cumulativeSumsProx[upTo - 1] = 0.0;
  state.wscale = 1.0;
  return true;
}
