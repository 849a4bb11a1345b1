import { readFileSync } from 'node:fs';
import type { SolverOptions } from '../../src/linear/solver-types.js';
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

/** A logistic-penalties.json case: an l1, elasticnet or class-weighted fit of scikit-learn 1.8.0. */
export interface LpCase {
  split: string;
  params: {
    solver: 'liblinear' | 'lbfgs' | 'saga';
    C: number;
    tol: number;
    max_iter: number;
    fit_intercept: boolean;
    intercept_scaling: number;
    random_state: number;
    penalty: 'l1' | 'l2' | 'elasticnet';
    l1_ratio: number;
    class_weight: null | 'balanced' | Record<string, number>;
  };
  coef: number[];
  intercept: number;
  n_iter: number;
  converged: boolean;
  zero_coefs: number;
  class_weight_: [number, number];
  proba_test: number[];
  metrics: LrCase['metrics'];
}

/** logistic-penalties.json: fits, plus scikit-learn's error and warning texts for invalid or ignored parameters. */
export interface LpFixture {
  splits: Record<string, LrSplit>;
  cases: LpCase[];
  errors: { name: string; params: Record<string, unknown>; message: string }[];
  warnings: { name: string; params: Record<string, unknown>; warnings: string[] }[];
}

/** Rebuilds every split of the logistic-regression fixture from the make-classification fixture's X and y. */
export function loadSplits(): { fixture: LrFixture; splits: Map<string, SplitData> } {
  const fixture = loadFixture<LrFixture>('logistic-regression.json');
  return { fixture, splits: rebuildSplits(fixture.splits) };
}

/** logistic-penalties.json with its splits rebuilt from the make-classification fixture. */
export function loadPenaltySplits(): { fixture: LpFixture; splits: Map<string, SplitData> } {
  const fixture = loadFixture<LpFixture>('logistic-penalties.json');
  return { fixture, splits: rebuildSplits(fixture.splits) };
}

function rebuildSplits(definitions: Record<string, LrSplit>): Map<string, SplitData> {
  const datasets = new Map(
    loadFixture<{ cases: MakeClassificationCase[] }>('make-classification.json').cases.map((c) => [c.name, c]),
  );
  const splits = new Map<string, SplitData>();
  for (const [name, split] of Object.entries(definitions)) {
    const dataset = datasets.get(split.dataset);
    if (dataset === undefined) throw new Error(`split ${name} names a missing dataset ${split.dataset}`);
    const X = fromRows(dataset.X);
    const y = Float64Array.from(dataset.y);
    splits.set(name, {
      train: { X: takeRows(X, split.train), y: takeValues(y, split.train) },
      test: { X: takeRows(X, split.test), y: takeValues(y, split.test) },
    });
  }
  return splits;
}

/** The split's data; throws when the fixture names a split it does not define. */
export function splitOf(splits: Map<string, SplitData>, name: string): SplitData {
  const data = splits.get(name);
  if (data === undefined) throw new Error(`missing split ${name}`);
  return data;
}

/** The solver options a logistic-penalties case was fitted with (class weights as scikit-learn computed them). */
export function penaltyOptionsOf(c: LpCase): SolverOptions {
  const p = c.params;
  return {
    C: p.C,
    tol: p.tol,
    maxIter: p.max_iter,
    fitIntercept: p.fit_intercept,
    interceptScaling: p.intercept_scaling,
    randomState: p.random_state,
    l1Ratio: p.penalty === 'elasticnet' ? p.l1_ratio : p.penalty === 'l1' ? 1 : 0,
    classWeights: c.class_weight_,
  };
}

/** A readable name for a logistic-penalties case. */
export function penaltyCaseName(c: LpCase): string {
  const p = c.params;
  const weight = p.class_weight === null ? '' : ` class_weight=${JSON.stringify(p.class_weight)}`;
  const ratio = p.penalty === 'elasticnet' ? ` l1_ratio=${p.l1_ratio}` : '';
  const extras = [
    p.fit_intercept ? '' : ' fit_intercept=false',
    p.intercept_scaling === 1 ? '' : ` intercept_scaling=${p.intercept_scaling}`,
    p.max_iter === 100 ? '' : ` max_iter=${p.max_iter}`,
    p.tol === 1e-4 ? '' : ` tol=${p.tol}`,
    p.random_state === 42 ? '' : ` random_state=${p.random_state}`,
  ].join('');
  return `${c.split} ${p.solver} ${p.penalty}${ratio} C=${p.C}${weight}${extras}`;
}

/** Largest absolute elementwise difference; Infinity when lengths differ. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
