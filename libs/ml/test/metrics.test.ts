import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../src/errors.js';
import {
  accuracy,
  classificationReport,
  confusionMatrix,
  f1,
  logLoss,
  precision,
  recall,
} from '../src/metrics/classification.js';
import { rocAuc } from '../src/metrics/ranking.js';
import { loadFixture } from './support/fixtures.js';

interface MetricsCase {
  name: string;
  y_true: number[];
  y_pred: number[];
  y_score: number[];
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  roc_auc: number | null;
  log_loss: number | null;
  log_loss_labels_01?: number;
  confusion_matrix: number[][];
}

/** What the function returns, or what it throws. */
function outcome(fn: () => number): unknown {
  try {
    return fn();
  } catch (error) {
    return error;
  }
}

describe('metrics', () => {
  const { cases } = loadFixture<{ cases: MetricsCase[] }>('metrics.json');

  it.each(
    cases.map((c) => [c.name, c] as const),
  )('when scoring scikit-learn case %s, then every metric agrees to 1e-12', (_name, c) => {
    expect(accuracy(c.y_true, c.y_pred)).toBeCloseTo(c.accuracy, 12);
    expect(precision(c.y_true, c.y_pred)).toBeCloseTo(c.precision, 12);
    expect(recall(c.y_true, c.y_pred)).toBeCloseTo(c.recall, 12);
    expect(f1(c.y_true, c.y_pred)).toBeCloseTo(c.f1, 12);
    // scikit-learn refuses log_loss on one class unless labels=[0, 1] is given; ours always assumes [0, 1].
    expect(logLoss(c.y_true, c.y_score)).toBeCloseTo((c.log_loss ?? c.log_loss_labels_01)!, 12);
    expect(confusionMatrix(c.y_true, c.y_pred).matrix).toEqual(c.confusion_matrix);
    const report = classificationReport(c.y_true, c.y_pred, c.y_score);
    // With one class ROC AUC is undefined (null in the fixture): rocAuc throws and the report says null.
    expect(outcome(() => rocAuc(c.y_true, c.y_score))).toEqual(
      c.roc_auc === null ? expect.any(InvalidDataError) : expect.closeTo(c.roc_auc, 12),
    );
    expect(report.rocAuc).toEqual(c.roc_auc === null ? null : expect.closeTo(c.roc_auc, 12));
  });

  it('when labels and predictions differ in length, then it throws naming both lengths', () => {
    expect(() => accuracy([0, 1], [1])).toThrow(/2 labels vs 1/);
  });

  it('when a label is not 0 or 1, then the binary metrics refuse it', () => {
    expect(() => precision([0, 2], [0, 1])).toThrow(/0\/1 labels/);
  });
});
