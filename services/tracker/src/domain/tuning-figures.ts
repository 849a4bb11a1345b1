import type { SelectionMetric } from '@mlops/contracts';
import {
  type ConfusionCounts,
  confusionMatrixFigure,
  type FigureSpec,
  metricByCFigure,
  rocCurve,
  rocCurveFigure,
  type TrialPoint,
} from '@mlops/figures';
import { confusionMatrix } from '@mlops/ml';
import { selectionKey } from './selection.js';

/** Where a tuning's figures go, relative to its parent run's artifacts (MLflow shows SVG in the artifact view). */
export const FIGURES_FOLDER = 'figures';

/** A completed trial as the figures need it: its parameters as MLflow holds them, and its metrics (cv_mean_* too). */
export interface FigureTrial {
  readonly trialId: string;
  readonly params: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, number>>;
}

/** The best model's P(class 1) on the tuning's holdout rows, their labels, and the classes' own names. */
export interface HoldoutScores {
  readonly labels: ArrayLike<number>;
  readonly probabilities: Float64Array;
  readonly classLabels: readonly [string | number, string | number] | undefined;
}

/**
 * A tuning's figures by file name: the selection metric against C per solver for every completed trial (with `cv`,
 * its mean over the folds of the training split, which the best was picked on), and when the holdout could be
 * scored, the best trial's ROC curve and confusion matrix (threshold 0.5) on it.
 */
export function tuningFigures(input: {
  readonly trials: readonly FigureTrial[];
  readonly bestTrialId: string;
  readonly metric: SelectionMetric;
  readonly cv?: number | undefined;
  readonly holdout: HoldoutScores | undefined;
}): Record<string, FigureSpec> {
  const { metric, cv, holdout } = input;
  const key = selectionKey(metric, cv);
  const figures: Record<string, FigureSpec> = {
    [`${metric}_by_C.svg`]: metricByCFigure(
      trialPoints(input.trials, key, input.bestTrialId),
      key,
      cv === undefined ? 'the test split' : `the mean over ${cv} folds of the training split`,
    ),
  };
  if (holdout === undefined) return figures;
  const about = `best trial ${input.bestTrialId} on ${holdout.labels.length} holdout rows (test split)`;
  figures['roc_curve.svg'] = rocCurveFigure(rocCurve(holdout.labels, holdout.probabilities), about);
  figures['confusion_matrix.svg'] = confusionMatrixFigure(confusionOf(holdout), `${about}, threshold 0.5`);
  return figures;
}

/** One point per completed trial with a finite C and metric; lines by solver and whatever else the grid varied. */
function trialPoints(trials: readonly FigureTrial[], metric: string, bestTrialId: string): TrialPoint[] {
  const varying = varyingParams(trials);
  return trials.flatMap((trial) => {
    const C = Number(trial.params.C);
    const value = trial.metrics[metric];
    if (!(C > 0 && Number.isFinite(C)) || value === undefined || !Number.isFinite(value)) return [];
    // A parameter some trials lack (l1_ratio outside elasticnet) is left out of their label.
    const rest = varying.flatMap((key) => (trial.params[key] === undefined ? [] : [`${key}=${trial.params[key]}`]));
    const series = [trial.params.solver ?? '?', ...rest].join(' ');
    return [{ C, series, value, best: trial.trialId === bestTrialId }];
  });
}

/** Parameters other than C and solver whose values differ between trials. */
function varyingParams(trials: readonly FigureTrial[]): string[] {
  const keys = new Set(trials.flatMap((t) => Object.keys(t.params)));
  return [...keys]
    .filter((key) => key !== 'C' && key !== 'solver')
    .filter((key) => new Set(trials.map((t) => t.params[key])).size > 1)
    .sort();
}

function confusionOf(holdout: HoldoutScores): ConfusionCounts {
  // As predict(): class 1 when the decision value is > 0, i.e. P(class 1) > 0.5 (exactly 0.5 is class 0).
  const predicted = Array.from(holdout.probabilities, (p) => (p > 0.5 ? 1 : 0));
  const names = holdout.classLabels ?? [0, 1];
  return { classes: [String(names[0]), String(names[1])], counts: confusionMatrix(holdout.labels, predicted).matrix };
}
