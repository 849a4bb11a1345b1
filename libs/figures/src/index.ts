/** `@mlops/figures`: pure figure builders (Vega-Lite specs) and their SVG rendering, for MLflow artifacts. */

export { type DriftCell, driftOverTimeFigure } from './drift.js';
export { type FigureSpec, renderSvg } from './render.js';
export { type RocCurve, rocCurve } from './roc.js';
export {
  type ConfusionCounts,
  confusionMatrixFigure,
  metricByCFigure,
  rocCurveFigure,
  type TrialPoint,
} from './tuning.js';
