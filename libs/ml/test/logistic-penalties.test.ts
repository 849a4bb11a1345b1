import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../src/errors.js';
import type { ClassWeight } from '../src/linear/class-weight.js';
import { LogisticRegression } from '../src/linear/logistic-regression.js';
import type { LogisticRegressionParams, SolverName } from '../src/linear/params.js';
import type { PenaltyName } from '../src/linear/penalty.js';
import { classificationReport } from '../src/metrics/classification.js';
import type { LpCase } from './support/fixtures.js';
import { loadPenaltySplits, maxAbsDiff, penaltyCaseName, splitOf } from './support/fixtures.js';

const { fixture, splits } = loadPenaltySplits();
const seedTrain = splitOf(splits, 'seed').train;

function paramsOf(c: LpCase): LogisticRegressionParams {
  const p = c.params;
  return {
    solver: p.solver,
    penalty: p.penalty,
    l1Ratio: p.l1_ratio,
    classWeight: p.class_weight,
    C: p.C,
    tol: p.tol,
    maxIter: p.max_iter,
    fitIntercept: p.fit_intercept,
    interceptScaling: p.intercept_scaling,
    randomState: p.random_state,
  };
}

/** scikit-learn keyword arguments of an error or warning case, as LogisticRegression parameters. */
function paramsOfSklearn(kwargs: Record<string, unknown>): LogisticRegressionParams {
  return {
    solver: kwargs.solver as SolverName,
    randomState: 42,
    ...('penalty' in kwargs ? { penalty: kwargs.penalty as PenaltyName | null } : {}),
    ...(typeof kwargs.l1_ratio === 'number' ? { l1Ratio: kwargs.l1_ratio } : {}),
    ...('class_weight' in kwargs ? { classWeight: kwargs.class_weight as ClassWeight } : {}),
    ...(typeof kwargs.C === 'number' ? { C: kwargs.C } : {}),
  };
}

describe('LogisticRegression with l1, elasticnet and class_weight', () => {
  it.each(
    fixture.cases.map((c) => [penaltyCaseName(c), c] as const),
  )('when fitted like scikit-learn (%s), then weights, n_iter_, probabilities and metrics match', (_name, c) => {
    const data = splitOf(splits, c.split);
    const model = new LogisticRegression(paramsOf(c)).fit(data.train.X, data.train.y);
    expect(maxAbsDiff(model.coef, c.coef)).toBeLessThan(1e-8);
    expect(Math.abs(model.intercept - c.intercept)).toBeLessThan(1e-8);
    expect(model.fitSummary.nIter).toBe(c.n_iter);
    expect(model.fitSummary.converged).toBe(c.converged);
    expect(model.fitSummary.warnings.length).toBe(c.converged ? 0 : 1);
    expect(model.fitSummary.classWeights).toEqual(c.class_weight_);
    expect(model.fitSummary.params.penalty).toBe(c.params.penalty);
    const proba = model.predictPositiveProba(data.test.X);
    expect(maxAbsDiff(proba, c.proba_test)).toBeLessThan(1e-8);
    const report = classificationReport(data.test.y, model.predict(data.test.X), proba);
    expect(report.accuracy).toBe(c.metrics.accuracy);
    expect(report.rocAuc).toBeCloseTo(c.metrics.roc_auc, 9);
    expect(report.logLoss).toBeCloseTo(c.metrics.log_loss, 9);
  });

  it.each(
    fixture.errors.map((e) => [e.name, e] as const),
  )('when given %s, then fit throws InvalidParameterError with scikit-learn’s message', (_name, e) => {
    const model = new LogisticRegression(paramsOfSklearn(e.params));
    expect(() => model.fit(seedTrain.X, seedTrain.y)).toThrow(InvalidParameterError);
    expect(() => model.fit(seedTrain.X, seedTrain.y)).toThrow(e.message);
  });

  it.each(
    fixture.warnings.map((w) => [w.name, w] as const),
  )('when given %s, then the fit warns as scikit-learn does', (_name, w) => {
    const model = new LogisticRegression(paramsOfSklearn(w.params)).fit(seedTrain.X, seedTrain.y);
    expect(model.fitSummary.warnings).toEqual(w.warnings);
  });

  it.each([
    ['liblinear', 1, 'l1'],
    ['saga', 1, 'l1'],
    ['saga', 0.5, 'elasticnet'],
    ['lbfgs', 0, 'l2'],
  ] as const)('when %s gets only l1Ratio=%s, then it fits the %s penalty as scikit-learn 1.8 does, with no parameter warning', (solver, l1Ratio, penalty) => {
    const byRatio = new LogisticRegression({ solver, l1Ratio, randomState: 42 }).fit(seedTrain.X, seedTrain.y);
    const byName = new LogisticRegression({ solver, penalty, l1Ratio, randomState: 42 }).fit(seedTrain.X, seedTrain.y);
    expect(byRatio.fitSummary.params.penalty).toBe(penalty);
    expect(Array.from(byRatio.coef)).toEqual(Array.from(byName.coef));
    expect(byRatio.fitSummary.warnings).toEqual(byName.fitSummary.warnings);
  });

  it.each([
    [{ l1Ratio: 1.5 }, /l1_ratio=1.5: must be a float in the range \[0.0, 1.0\]/],
    [{ l1Ratio: Number.NaN }, /l1_ratio=NaN/],
    [{ penalty: 'l3' as PenaltyName }, /penalty="l3"/],
    [{ classWeight: 'auto' as ClassWeight }, /class_weight="auto"/],
    [{ classWeight: { 1: -2 } }, /class_weight\[1\]=-2/],
    [{ solver: 'liblinear' as const, penalty: 'l1' as const, C: Number.POSITIVE_INFINITY }, /C=Infinity/],
  ])('when given %o, then fit throws InvalidParameterError naming it', (params, message) => {
    expect(() => new LogisticRegression(params).fit(seedTrain.X, seedTrain.y)).toThrow(message);
  });

  it('when the penalty contradicts a whole l1Ratio, then the penalty is used and the fit says so', () => {
    const model = new LogisticRegression({ solver: 'liblinear', penalty: 'l1', l1Ratio: 0, randomState: 42 });
    model.fit(seedTrain.X, seedTrain.y);
    expect(model.fitSummary.params.l1Ratio).toBe(1);
    expect(model.fitSummary.warnings).toEqual([
      'Inconsistent values: penalty=l1 with l1_ratio=0; the penalty is used.',
    ]);
  });

  it('when l1 zeroes coefficients, then the model state round-trips them exactly', () => {
    const model = new LogisticRegression({ solver: 'liblinear', penalty: 'l1', C: 0.1, randomState: 42 });
    model.fit(seedTrain.X, seedTrain.y);
    const copy = LogisticRegression.fromState(JSON.parse(JSON.stringify(model.toState())));
    expect(Array.from(model.coef).some((v) => v === 0)).toBe(true);
    expect(Array.from(copy.coef)).toEqual(Array.from(model.coef));
  });
});
