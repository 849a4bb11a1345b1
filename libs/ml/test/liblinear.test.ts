import { describe, expect, it } from 'vitest';
import { InvalidDataError, InvalidParameterError, NumericalError } from '../src/errors.js';
import { type SolverOptions, UNIT_CLASS_WEIGHTS } from '../src/linear/solver-types.js';
import { fitLiblinear, LIBLINEAR_CONVERGENCE_WARNING } from '../src/linear/solvers/liblinear.js';
import type { LrCase, SplitData } from './support/fixtures.js';
import { loadSplits, maxAbsDiff } from './support/fixtures.js';

const { fixture, splits } = loadSplits();
const liblinearCases = fixture.cases.filter((c) => c.params.solver === 'liblinear');

function trainOf(split: string): SplitData['train'] {
  const data = splits.get(split);
  if (data === undefined) throw new Error(`missing split ${split}`);
  return data.train;
}

function optionsOf(c: LrCase): SolverOptions {
  const p = c.params;
  return {
    C: p.C ?? Number.POSITIVE_INFINITY,
    tol: p.tol,
    maxIter: p.max_iter,
    fitIntercept: p.fit_intercept,
    interceptScaling: p.intercept_scaling,
    randomState: undefined,
    l1Ratio: 0,
    classWeights: UNIT_CLASS_WEIGHTS,
  };
}

function caseName(c: LrCase): string {
  const p = c.params;
  return `${c.split} C=${p.C} tol=${p.tol} max_iter=${p.max_iter} fit_intercept=${p.fit_intercept} scaling=${p.intercept_scaling}`;
}

describe('liblinear', () => {
  it('when the fixtures are loaded, then there are liblinear cases to check', () => {
    expect(liblinearCases.length).toBeGreaterThan(0);
  });

  it.each(
    liblinearCases.map((c) => [caseName(c), c] as const),
  )('when fitting %s, then n_iter, convergence, coef and intercept match scikit-learn', (_name, c) => {
    const result = fitLiblinear(trainOf(c.split), optionsOf(c));
    expect(result.nIter).toBe(c.n_iter);
    expect(result.converged).toBe(c.converged);
    expect(result.warning).toBe(c.converged ? undefined : LIBLINEAR_CONVERGENCE_WARNING);
    expect(maxAbsDiff(result.coef, c.coef)).toBeLessThan(1e-8);
    expect(Math.abs(result.intercept - c.intercept)).toBeLessThan(1e-8);
  });

  const penalisedOptima = fixture.optima.filter((o) => o.penalized_intercept);
  it.each(
    penalisedOptima.map((o) => [`${o.split} C=${o.C}`, o] as const),
  )('when fitting %s with a tiny tol, then the penalised-intercept optimum is reached', (_name, o) => {
    const options: SolverOptions = {
      C: o.C,
      tol: 1e-10,
      maxIter: 1000,
      fitIntercept: o.fit_intercept,
      interceptScaling: o.intercept_scaling,
      randomState: undefined,
      l1Ratio: 0,
      classWeights: UNIT_CLASS_WEIGHTS,
    };
    const result = fitLiblinear(trainOf(o.split), options);
    expect(result.converged).toBe(true);
    expect(maxAbsDiff(result.coef, o.coef)).toBeLessThan(1e-6);
    expect(Math.abs(result.intercept - o.intercept)).toBeLessThan(1e-6);
  });

  const seedOptions: SolverOptions = {
    C: 1,
    tol: 1e-4,
    maxIter: 100,
    fitIntercept: true,
    interceptScaling: 1,
    randomState: undefined,
    l1Ratio: 0,
    classWeights: UNIT_CLASS_WEIGHTS,
  };

  it.each([
    ['C is Infinity (no penalty)', { C: Number.POSITIVE_INFINITY }],
    ['tol is 0 (liblinear: eps <= 0)', { tol: 0 }],
  ] as const)('when %s, then it throws InvalidParameterError', (_name, change) => {
    expect(() => fitLiblinear(trainOf('seed'), { ...seedOptions, ...change })).toThrow(InvalidParameterError);
  });

  it('when X holds a value above 1e30, then it throws InvalidDataError', () => {
    const X = { rows: 2, cols: 1, data: Float64Array.from([1, 2e30]) };
    expect(() => fitLiblinear({ X, y: Float64Array.from([0, 1]) }, seedOptions)).toThrow(InvalidDataError);
  });

  it.each([
    1e300, 1e-300,
  ])('when C is %s, then the fit fails with a NumericalError instead of looping for ever as liblinear does', (C) => {
    expect(() => fitLiblinear(trainOf('seed'), { ...seedOptions, C })).toThrow(
      /liblinear cannot fit at this C: its trust region became NaN/,
    );
    expect(() => fitLiblinear(trainOf('seed'), { ...seedOptions, C })).toThrow(NumericalError);
  });

  it('when max_iter is 0, then the weights stay at zero and the fit reports non-convergence', () => {
    const result = fitLiblinear(trainOf('seed'), { ...seedOptions, maxIter: 0 });
    expect(result.nIter).toBe(0);
    expect(result.converged).toBe(false);
    expect(result.warning).toBe(LIBLINEAR_CONVERGENCE_WARNING);
    expect(maxAbsDiff(result.coef, new Float64Array(result.coef.length))).toBe(0);
    expect(result.intercept).toBe(0);
  });

  it('when the training rows are reordered within each class, then the fit is unchanged but for rounding', () => {
    const { X, y } = trainOf('seed');
    const base = fitLiblinear({ X, y }, seedOptions);
    const reversed = Array.from({ length: X.rows }, (_, i) => X.rows - 1 - i);
    const data = new Float64Array(X.data.length);
    for (const [k, row] of reversed.entries()) data.set(X.data.subarray(row * X.cols, (row + 1) * X.cols), k * X.cols);
    const flipped = fitLiblinear({ X: { ...X, data }, y: Float64Array.from(reversed, (row) => y[row]!) }, seedOptions);
    expect(maxAbsDiff(flipped.coef, base.coef)).toBeLessThan(1e-10);
  });
});
