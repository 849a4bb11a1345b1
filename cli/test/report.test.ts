import type { RunCompleted } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { emptyProgress, resultsTable } from '../src/tune/report.js';

const METRICS = { accuracy: 0.9, precision: 0.9, recall: 0.9, f1: 0.9, roc_auc: 0.95, log_loss: 0.3 };

/** A completed trial with the fields the table reads. */
function trial(index: number, params: Partial<RunCompleted['data']['params']>, converged = true) {
  return {
    trial_id: `t-${index}`,
    trial_index: index,
    params: { C: 1, solver: 'saga', penalty: 'l2', ...params },
    metrics: METRICS,
    n_iter: 12,
    converged,
  } as unknown as RunCompleted['data'];
}

describe('the results table of mlops tune', () => {
  it('when trials differ in penalty, l1_ratio and class_weight, then each has its column and the best row is told apart', () => {
    const progress = emptyProgress();
    progress.completed.push(
      trial(0, { penalty: 'l1' }),
      trial(1, { penalty: 'elasticnet', l1_ratio: 0.2, class_weight: 'balanced' }),
      trial(2, { penalty: 'elasticnet', l1_ratio: 0.8, class_weight: { no: 1, yes: 3 } }),
      trial(3, { penalty: null, solver: 'lbfgs' }),
    );
    const lines = resultsTable(progress, 't-2', 'accuracy').split('\n');
    expect(lines[0]).toMatch(/^\s+C {2}solver {5}penalty {5}l1_ratio {2}class_weight {2}accuracy/);
    expect(lines[1]).toMatch(/^\s+1 {2}saga {7}l1 {10}- {9}none {13}0\.900/);
    expect(lines[2]).toMatch(/saga {7}elasticnet {2}0\.2 {7}balanced/);
    expect(lines[3]).toMatch(/saga {7}elasticnet {2}0\.8 {7}no:1,yes:3 .*← best accuracy$/);
    expect(lines[4]).toMatch(/lbfgs {6}none {8}- {9}none/);
    expect(lines).toHaveLength(5);
  });

  it('when every trial has the defaults, then the table has no extra column; a drawn C is shortened; ! is explained', () => {
    const progress = emptyProgress();
    progress.completed.push(trial(0, { C: 1.4855912855264068 }, false), trial(1, { C: 10 }));
    const lines = resultsTable(progress, undefined, 'accuracy').split('\n');
    expect(lines[0]).toMatch(/^\s+C {2}solver {5}accuracy/);
    expect(lines[1]).toMatch(/^ {3}1\.486 {2}saga {10}0\.900 .* 12!$/);
    expect(lines[2]).toMatch(/^ {6}10 {2}saga/);
    expect(lines[3]).toBe(
      'iters ending in !: the solver stopped at max_iter before converging (ConvergenceWarning in scikit-learn)',
    );
  });
});
