// Child process of bench/train/run.js (`--cv`): times our side of a 5-fold 15-trial grid search, as GridSearchCV
// does it: the 15 grid points (C × solver, in ParameterGrid's order) fitted on each StratifiedKFold(5) fold of the
// train split and scored by accuracy on the held-out fold, the best mean picked (the first of equal means, as
// GridSearchCV's rank argmin), refitted on the whole train split and scored on the test split. Mirrors
// services/trainer/src/domain/cross-validation.ts for a matrix data set (no preprocessing). Prints one JSON object.
//
//   node bench/train/ours_cv.js --x-train Xtr.f64 --y-train ytr.f64 --x-test Xte.f64 --y-test yte.f64 \
//       --train-rows 800 --test-rows 200 --cols 20 --folds 5 --warmup 3 --repeats 20
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { accuracy, LogisticRegression, stratifiedKFold, takeRows, takeValues } from '@mlops/ml';
import { CV_GRID, gridPoints } from './cv-grid.js';
import { readFloat64File } from './read-f64.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    'x-train': { type: 'string' },
    'y-train': { type: 'string' },
    'x-test': { type: 'string' },
    'y-test': { type: 'string' },
    'train-rows': { type: 'string' },
    'test-rows': { type: 'string' },
    cols: { type: 'string' },
    folds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    repeats: { type: 'string', default: '20' },
  },
});

const cols = Number(values.cols);
const trainRows = Number(values['train-rows']);
const testRows = Number(values['test-rows']);
const train = {
  X: { rows: trainRows, cols, data: readFloat64File(values['x-train'], trainRows * cols) },
  y: readFloat64File(values['y-train'], trainRows),
};
const test = {
  X: { rows: testRows, cols, data: readFloat64File(values['x-test'], testRows * cols) },
  y: readFloat64File(values['y-test'], testRows),
};
const nSplits = Number(values.folds);
const points = gridPoints();

/** One fit with scikit-learn's defaults but C and solver, random_state 42. */
function fitPoint(point, X, y) {
  const model = new LogisticRegression({ C: point.C, solver: point.solver, randomState: 42 });
  model.fit(X, y);
  return model;
}

/** The whole search: folds, 15 × k fits and scores, best by mean, refit on the train split, test accuracy. */
function search() {
  const { folds } = stratifiedKFold(train.y, { nSplits });
  const foldData = folds.map((fold) => ({
    train: { X: takeRows(train.X, fold.train), y: takeValues(train.y, fold.train) },
    test: { X: takeRows(train.X, fold.test), y: takeValues(train.y, fold.test) },
  }));
  const means = points.map((point) => {
    let sum = 0;
    for (const f of foldData) {
      const model = fitPoint(point, f.train.X, f.train.y);
      sum += accuracy(f.test.y, model.predict(f.test.X));
    }
    return sum / foldData.length;
  });
  let best = 0;
  for (let i = 1; i < means.length; i++) if (means[i] > means[best]) best = i;
  const refit = fitPoint(points[best], train.X, train.y);
  const testAccuracy = accuracy(test.y, refit.predict(test.X));
  return { means, best, testAccuracy };
}

const warmup = Number(values.warmup);
const repeats = Number(values.repeats);
let result = search();
for (let i = 1; i < warmup; i++) search();
const timesMs = [];
for (let i = 0; i < repeats; i++) {
  const start = performance.now();
  result = search();
  timesMs.push(performance.now() - start);
}

process.stdout.write(
  `${JSON.stringify({
    medianMs: median(timesMs),
    timesMs,
    grid: CV_GRID,
    cvMeans: result.means,
    bestIndex: result.best,
    bestParams: points[result.best],
    bestScore: result.means[result.best],
    testAccuracy: result.testAccuracy,
  })}\n`,
);
