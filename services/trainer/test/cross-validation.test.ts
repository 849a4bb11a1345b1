import { readFileSync } from 'node:fs';
import type { EventData, TrialMetrics, TuneRequestInput } from '@mlops/contracts';
import {
  accuracy,
  customersCsv,
  f1,
  LogisticRegression,
  logLoss,
  precision,
  recall,
  rocAuc,
  stratifiedKFold,
  takeRows,
  takeValues,
} from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import { buildTrainingData, type MatrixTrainingData, UnusableDataError } from '../src/domain/dataset.js';
import { completedOf, loadCsvOf, requestOf, tune } from './support/tuning-run.js';

/** GridSearchCV's mean_test_/std_test_ for one trial, computed here from the library's parts alone. */
function expectedCv(data: MatrixTrainingData, params: EventData<'run.completed'>['params'], k: number) {
  const perFold = stratifiedKFold(data.train.y, { nSplits: k }).folds.map(({ train, test }) => {
    const model = new LogisticRegression({
      solver: params.solver,
      C: params.C,
      tol: params.tol,
      maxIter: params.max_iter,
      fitIntercept: params.fit_intercept,
      interceptScaling: params.intercept_scaling,
      penalty: params.penalty,
      classWeight: null,
      randomState: params.random_state,
    }).fit(takeRows(data.train.X, train), takeValues(data.train.y, train));
    const X = takeRows(data.train.X, test);
    const y = takeValues(data.train.y, test);
    const predicted = model.predict(X);
    const proba = model.predictPositiveProba(X);
    return {
      accuracy: accuracy(y, predicted),
      precision: precision(y, predicted),
      recall: recall(y, predicted),
      f1: f1(y, predicted),
      roc_auc: rocAuc(y, proba),
      log_loss: logLoss(y, proba),
    };
  });
  const reduce = (f: (values: number[]) => number) =>
    Object.fromEntries(
      (Object.keys(perFold[0]!) as (keyof TrialMetrics)[]).map((m) => [m, f(perFold.map((s) => s[m]))]),
    ) as Record<keyof TrialMetrics, number>;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const std = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
  return { mean: reduce(mean), std: reduce(std) };
}

function expectClose(actual: TrialMetrics, expected: Record<string, number>, tolerance: number) {
  for (const [metric, value] of Object.entries(expected)) {
    expect(Math.abs((actual[metric as keyof TrialMetrics] ?? Number.NaN) - value), metric).toBeLessThan(tolerance);
  }
}

describe('runTuning with cv', () => {
  const input: TuneRequestInput = { grid: { C: [0.1, 10], solver: ['liblinear', 'lbfgs'] } };

  it('when cv is 5, then each trial carries the mean and std over the folds the library computes directly', async () => {
    const { events } = await tune({ ...input, cv: 5 });
    const data = (await buildTrainingData(requestOf(input), loadCsvOf(undefined))) as MatrixTrainingData;
    const completed = completedOf(events);
    expect(completed).toHaveLength(4);
    for (const trial of completed) {
      const expected = expectedCv(data, trial.params, 5);
      expect(trial.cv?.k).toBe(5);
      expectClose(trial.cv!.mean, expected.mean, 1e-12);
      expectClose(trial.cv!.std, expected.std, 1e-12);
    }
    expect(events[0]!.event.data.cv).toBe(5);
    expect(events.at(-1)!.event.data.cv).toBe(5);
  });

  it('when cv is absent, then the trials are those of a cv tuning without cv, and no event names cv', async () => {
    const { events: plain } = await tune(input);
    const { events: validated } = await tune({ ...input, cv: 3 });
    const comparable = (d: EventData<'run.completed'>) => {
      const { cv: _cv, started_at: _s, ended_at: _e, fit_time_ms: _f, ...rest } = d;
      return rest;
    };
    expect(completedOf(plain).map(comparable)).toEqual(completedOf(validated).map(comparable));
    expect(plain.filter((e) => 'cv' in e.event.data)).toEqual([]);
  });

  it('when k is greater than every class of the training split, then the tuning is refused as unusable data', async () => {
    const request = {
      dataset: { kind: 'synthetic', n_samples: 20, flip_y: 0 },
      split: { test_size: 0.5, stratify: true },
      cv: 6,
    } as const;
    await expect(tune(request)).rejects.toThrow(UnusableDataError);
    await expect(tune(request)).rejects.toThrow(/cv=6: n_splits=6 cannot be greater than the number of members/);
  });

  it('when a CSV table is cross-validated, then each fold fits its own preprocessing and every trial has cv', async () => {
    const csv = customersCsv({ nSamples: 300 });
    const { events } = await tune(
      {
        dataset: { kind: 'csv', path: 'c.csv', target: 'churned' },
        grid: { C: [1], solver: ['lbfgs'], scale: [true, false] },
        cv: 4,
      },
      'tun-cv',
      csv,
    );
    const completed = completedOf(events);
    expect(completed.map((d) => d.cv?.k)).toEqual([4, 4]);
    expect(completed[0]!.cv!.mean.accuracy).not.toBe(completed[1]!.cv!.mean.accuracy);
  });
});

/** tools/fixtures/generate.py's GridSearchCV(cv=5, refit=False).cv_results_ (see libs/ml/test/fixtures/README.md). */
interface GridSearchCvFixture {
  readonly dataset: { n_samples: number; n_features: number; n_informative: number; random_state: number };
  readonly split: { test_size: number; random_state: number };
  readonly grid: { C: number[]; solver: ('liblinear' | 'lbfgs' | 'saga')[] };
  readonly fixed: { tol: number; max_iter: number; random_state: number };
  readonly cv: number;
  readonly cases: { C: number; solver: string; mean_test: TrialMetrics; std_test: TrialMetrics }[];
}

describe('runTuning with cv against scikit-learn', () => {
  const fixture = JSON.parse(
    readFileSync(new URL('../../../libs/ml/test/fixtures/grid-search-cv.json', import.meta.url), 'utf8'),
  ) as GridSearchCvFixture;

  it("when the fixture's grid is cross-validated, then every trial's means and stds are GridSearchCV's within 1e-12", async () => {
    const { events } = await tune({
      dataset: { kind: 'synthetic', ...fixture.dataset },
      split: fixture.split,
      grid: { ...fixture.grid, tol: [fixture.fixed.tol], max_iter: [fixture.fixed.max_iter] },
      cv: fixture.cv,
    });
    const completed = completedOf(events);
    expect(completed).toHaveLength(fixture.cases.length);
    for (const expected of fixture.cases) {
      const trial = completed.find((d) => d.params.C === expected.C && d.params.solver === expected.solver);
      expect(trial?.params.random_state).toBe(fixture.fixed.random_state);
      expectClose(trial!.cv!.mean, expected.mean_test as Record<string, number>, 1e-12);
      expectClose(trial!.cv!.std, expected.std_test as Record<string, number>, 1e-12);
    }
  });
});
