import { seriesLegend } from './legend.js';
import type { FigureSpec } from './render.js';
import type { RocCurve } from './roc.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 460;
const HEIGHT = 300;

/** One trial of a tuning as the metric-against-C figure draws it. */
export interface TrialPoint {
  readonly C: number;
  /** The line the trial belongs to: its solver, and the other parameters that vary in the grid. */
  readonly series: string;
  readonly value: number;
  readonly best: boolean;
}

/**
 * The selection metric against C (log axis), one line per solver (and per setting of the other varying
 * parameters), the best trial ringed: how the regularisation strength mattered, at a glance.
 */
export function metricByCFigure(points: readonly TrialPoint[], metric: string, split: string): FigureSpec {
  const values = points.map((p) => ({ C: p.C, series: p.series, value: p.value, best: p.best }));
  const { legend, params } = seriesLegend(points.map((p) => p.series));
  return {
    $schema: SCHEMA,
    title: { text: `${metric} against C`, subtitle: `each trial on ${split}; the best ringed` },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    ...(params.length === 0 ? {} : { params }),
    layer: [
      {
        mark: { type: 'line', point: { filled: true, size: 50 } },
        encoding: {
          x: { field: 'C', type: 'quantitative', scale: { type: 'log' }, title: 'C (inverse regularisation, log)' },
          y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: metric },
          // Solvers often land on the same values: dashes and shapes keep coinciding lines apart.
          color: { field: 'series', type: 'nominal', title: legend.title, legend },
          strokeDash: { field: 'series', type: 'nominal', title: legend.title, legend },
          shape: { field: 'series', type: 'nominal', title: legend.title, legend },
        },
      },
      {
        transform: [{ filter: 'datum.best' }],
        mark: { type: 'point', size: 260, strokeWidth: 2.5, color: 'black' },
        encoding: { x: { field: 'C', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' } },
      },
    ],
  } as FigureSpec;
}

/** The best trial's ROC curve, with the chance diagonal and its AUC in the title. */
export function rocCurveFigure(curve: RocCurve, about: string): FigureSpec {
  const values = Array.from(curve.fpr, (fpr, i) => ({ fpr, tpr: curve.tpr[i] }));
  return {
    $schema: SCHEMA,
    title: { text: `ROC curve (AUC ${curve.auc.toFixed(3)})`, subtitle: about },
    width: HEIGHT,
    height: HEIGHT,
    layer: [
      {
        data: { values: [{ x: 0 }, { x: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: 'gray' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'x', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          order: { field: 'fpr' },
        },
      },
    ],
  } as FigureSpec;
}

/** A 2 × 2 confusion matrix: counts of (actual, predicted), rows as scikit-learn's `confusion_matrix`. */
export interface ConfusionCounts {
  readonly classes: readonly [string, string];
  /** `[[tn, fp], [fn, tp]]`. */
  readonly counts: readonly [readonly [number, number], readonly [number, number]];
}

/**
 * The best trial's confusion matrix as a heat map with the count in each cell. The classes are ordered by their
 * index in a signal (a Vega-Lite param), never by a list of names in an expression, where Vega misreads a name of
 * an `Object.prototype` member (`constructor`, `toString`).
 */
export function confusionMatrixFigure(matrix: ConfusionCounts, about: string): FigureSpec {
  const values = matrix.counts.flatMap((row, actual) =>
    row.map((count, predicted) => ({
      actual: matrix.classes[actual],
      predicted: matrix.classes[predicted],
      count,
    })),
  );
  const axis = (field: 'actual' | 'predicted') =>
    ({ field, type: 'nominal', sort: { field: `${field}_index`, op: 'min' }, title: field }) as const;
  return {
    $schema: SCHEMA,
    title: { text: 'Confusion matrix', subtitle: about },
    width: 240,
    height: 240,
    data: { values },
    params: [{ name: 'classes', value: [...matrix.classes] }],
    transform: [
      { calculate: 'indexof(classes, datum.actual)', as: 'actual_index' },
      { calculate: 'indexof(classes, datum.predicted)', as: 'predicted_index' },
    ],
    encoding: {
      x: { ...axis('predicted'), axis: { labelAngle: 0 } },
      y: axis('actual'),
    },
    layer: [
      {
        mark: 'rect',
        encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, legend: null } },
      },
      {
        mark: { type: 'text', fontSize: 18 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${maxOf(matrix) / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  } as FigureSpec;
}

function maxOf(matrix: ConfusionCounts): number {
  return Math.max(...matrix.counts.flat());
}
