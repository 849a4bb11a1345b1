import { readFileSync } from 'node:fs';
import type { DenseMatrix } from '../../src/matrix.js';
import { fromRows, takeRows, takeValues } from '../../src/matrix.js';

/** Reads one JSON fixture written by tools/fixtures/generate.py. */
export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

/** make_classification keyword arguments as recorded by the generator (scikit-learn names). */
export interface SklearnMakeClassificationParams {
  n_samples: number;
  n_features: number;
  n_informative: number;
  n_redundant: number;
  n_repeated: number;
  n_classes: number;
  n_clusters_per_class: number;
  weights: number[] | null;
  flip_y: number;
  class_sep: number;
  hypercube: boolean;
  shift: number | number[] | null;
  scale: number | number[] | null;
  shuffle: boolean;
  random_state: number;
}

export interface MakeClassificationCase {
  name: string;
  params: SklearnMakeClassificationParams;
  X: number[][];
  y: number[];
}

export interface LrSplit {
  dataset: string;
  test_size: number;
  random_state: number;
  train: number[];
  test: number[];
}

export interface LrCase {
  split: string;
  params: {
    solver: 'liblinear' | 'lbfgs' | 'saga';
    C: number | null;
    tol: number;
    max_iter: number;
    fit_intercept: boolean;
    intercept_scaling: number;
    random_state: number | null;
    penalty: 'l2' | null;
  };
  coef: number[];
  intercept: number;
  n_iter: number;
  converged: boolean;
  proba_test: number[];
  metrics: { accuracy: number; precision: number; recall: number; f1: number; roc_auc: number; log_loss: number };
}

export interface LrOptimum {
  split: string;
  C: number;
  fit_intercept: boolean;
  penalized_intercept: boolean;
  intercept_scaling: number;
  coef: number[];
  intercept: number;
}

export interface LrFixture {
  splits: Record<string, LrSplit>;
  cases: LrCase[];
  optima: LrOptimum[];
}

/** Train and test sets of a named split, rebuilt from the fixture data in scikit-learn's row order. */
export interface SplitData {
  train: { X: DenseMatrix; y: Float64Array };
  test: { X: DenseMatrix; y: Float64Array };
}

/** Rebuilds every split of the logistic-regression fixture from the make-classification fixture's X and y. */
export function loadSplits(): { fixture: LrFixture; splits: Map<string, SplitData> } {
  const fixture = loadFixture<LrFixture>('logistic-regression.json');
  const datasets = new Map(
    loadFixture<{ cases: MakeClassificationCase[] }>('make-classification.json').cases.map((c) => [c.name, c]),
  );
  const splits = new Map<string, SplitData>();
  for (const [name, split] of Object.entries(fixture.splits)) {
    const dataset = datasets.get(split.dataset);
    if (dataset === undefined) throw new Error(`split ${name} names a missing dataset ${split.dataset}`);
    const X = fromRows(dataset.X);
    const y = Float64Array.from(dataset.y);
    splits.set(name, {
      train: { X: takeRows(X, split.train), y: takeValues(y, split.train) },
      test: { X: takeRows(X, split.test), y: takeValues(y, split.test) },
    });
  }
  return { fixture, splits };
}

/** Largest absolute elementwise difference; Infinity when lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
