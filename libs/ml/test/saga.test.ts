import { describe, expect, it } from 'vitest';
import { NumericalError } from '../src/errors.js';
import { type BinaryProblem, type SolverOptions, UNIT_CLASS_WEIGHTS } from '../src/linear/solver-types.js';
import { fitSaga, maxSquaredRowNorm, sagaSamplerSeed, sagaStepSize } from '../src/linear/solvers/saga.js';
import { fromRows } from '../src/matrix.js';
import type { LrCase, SplitData } from './support/fixtures.js';
import { loadSplits, maxAbsDiff } from './support/fixtures.js';

const { fixture, splits } = loadSplits();
const sagaCases = fixture.cases.filter((c) => c.params.solver === 'saga');
const unpenalisedInterceptOptima = fixture.optima.filter((o) => !o.penalized_intercept && o.split === 'seed');
const MAX_ITER_WARNING = 'The max_iter was reached which means the coef_ did not converge';

function trainOf(split: string): SplitData['train'] {
  const data = splits.get(split);
  if (data === undefined) throw new Error(`missing split ${split}`);
  return data.train;
}

function optionsOf(c: LrCase): SolverOptions {
  const p = c.params;
  return {
    C: p.penalty === null ? Number.POSITIVE_INFINITY : (p.C ?? Number.POSITIVE_INFINITY),
    tol: p.tol,
    maxIter: p.max_iter,
    fitIntercept: p.fit_intercept,
    interceptScaling: p.intercept_scaling,
    randomState: p.random_state ?? undefined,
    l1Ratio: 0,
    classWeights: UNIT_CLASS_WEIGHTS,
  };
}

function caseName(c: LrCase): string {
  const p = c.params;
  return `${c.split} C=${p.C} penalty=${p.penalty} tol=${p.tol} max_iter=${p.max_iter} fit_intercept=${p.fit_intercept} random_state=${p.random_state}`;
}

function tinyProblem(rows: number[][], y: number[]): BinaryProblem {
  return { X: fromRows(rows), y: Float64Array.from(y) };
}

const defaults: SolverOptions = {
  C: 1,
  tol: 1e-4,
  maxIter: 100,
  fitIntercept: true,
  interceptScaling: 1,
  randomState: 42,
  l1Ratio: 0,
  classWeights: UNIT_CLASS_WEIGHTS,
};

describe('saga', () => {
  it('when the fixtures are loaded, then there are saga cases, including a max_iter one and a penalty=None one', () => {
    expect(sagaCases.length).toBeGreaterThan(0);
    expect(sagaCases.some((c) => !c.converged)).toBe(true);
    expect(sagaCases.some((c) => c.params.penalty === null)).toBe(true);
  });

  it.each(
    sagaCases.map((c) => [caseName(c), c] as const),
  )('when fitting %s, then n_iter_, convergence and coefficients match scikit-learn', (_name, c) => {
    const result = fitSaga(trainOf(c.split), optionsOf(c));
    expect(result.nIter).toBe(c.n_iter);
    expect(result.converged).toBe(c.converged);
    expect(maxAbsDiff(result.coef, c.coef)).toBeLessThan(1e-8);
    expect(Math.abs(result.intercept - c.intercept)).toBeLessThan(1e-8);
    expect(result.warning).toBe(c.converged ? undefined : MAX_ITER_WARNING);
  });

  it('when every saga fixture is refitted, then the worst coefficient difference is at rounding level', () => {
    let worst = 0;
    for (const c of sagaCases) {
      const result = fitSaga(trainOf(c.split), optionsOf(c));
      worst = Math.max(worst, maxAbsDiff(result.coef, c.coef), Math.abs(result.intercept - c.intercept));
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it.each(
    unpenalisedInterceptOptima.map((o) => [`${o.split} C=${o.C} fit_intercept=${o.fit_intercept}`, o] as const),
  )('when fitting %s with tol 1e-10, then the exact optimum is approached within 1e-6', (_name, o) => {
    const result = fitSaga(trainOf(o.split), {
      ...defaults,
      C: o.C,
      tol: 1e-10,
      maxIter: 10_000,
      fitIntercept: o.fit_intercept,
    });
    expect(result.converged).toBe(true);
    expect(maxAbsDiff(result.coef, o.coef)).toBeLessThan(1e-6);
    expect(Math.abs(result.intercept - o.intercept)).toBeLessThan(1e-6);
  });

  it('when C is tiny so wscale drops below 1e-9 mid-epoch, then the rescaled path still matches scikit-learn', () => {
    // LogisticRegression(solver="saga", C=1e-6, random_state=42) on the "seed" split, scikit-learn 1.8.0.
    const result = fitSaga(trainOf('seed'), { ...defaults, C: 1e-6 });
    expect(result.nIter).toBe(40);
    expect(result.converged).toBe(true);
    expect(Math.abs(result.intercept - -0.03149557722733858)).toBeLessThan(1e-14);
    const firstCoefs = [1.2393720680544179e-5, -0.0001835218959219017, 1.6940138382617438e-5];
    expect(maxAbsDiff(result.coef.subarray(0, 3), firstCoefs)).toBeLessThan(1e-16);
  });

  it('when random_state is 42, then the sampler seed is the first randint(1, 2**31 - 1) draw, 1608637543', () => {
    expect(sagaSamplerSeed(42)).toBe(1608637543);
  });

  it('when random_state is undefined, then a seed in [1, 2**31 - 2] is picked and the fit still converges', () => {
    const seed = sagaSamplerSeed(undefined);
    expect(Number.isInteger(seed)).toBe(true);
    expect(seed).toBeGreaterThanOrEqual(1);
    expect(seed).toBeLessThanOrEqual(2 ** 31 - 2);
    const reference = sagaCases.find((c) => c.split === 'seed' && c.params.C === 1 && c.params.tol === 1e-4);
    if (reference === undefined) throw new Error('missing seed C=1 case');
    const result = fitSaga(trainOf('seed'), { ...optionsOf(reference), randomState: undefined });
    expect(result.converged).toBe(true);
    expect(maxAbsDiff(result.coef, reference.coef)).toBeLessThan(1e-2);
  });

  it('when the rows have known norms, then the step size follows get_auto_step_size with is_saga', () => {
    const problem = tinyProblem(
      [
        [1, 2, 2],
        [3, 0, 4],
      ],
      [0, 1],
    );
    expect(maxSquaredRowNorm(problem.X)).toBe(25);
    const lipschitz = 0.25 * 26 + 0.5;
    expect(sagaStepSize(25, 0.5, true, 2)).toBe(1 / (2 * lipschitz + Math.min(2, lipschitz)));
    expect(sagaStepSize(25, 0, false, 2)).toBe(1 / (2 * 0.25 * 25));
  });

  it('when max_iter is 0, then like scikit-learn it reports one iteration, no warning and zero weights', () => {
    const result = fitSaga(trainOf('seed'), { ...defaults, maxIter: 0 });
    expect(result.nIter).toBe(1);
    expect(result.converged).toBe(true);
    expect(result.intercept).toBe(0);
    expect(Array.from(result.coef).every((v) => v === 0)).toBe(true);
  });

  it('when fit_intercept is false, then the intercept is exactly 0', () => {
    const result = fitSaga(trainOf('seed'), { ...defaults, fitIntercept: false });
    expect(result.intercept).toBe(0);
  });

  it('when the weights become non-finite, then it throws scikit-learn message with the epoch number', () => {
    const problem = tinyProblem(
      [
        [1, 2],
        [Number.NaN, 1],
        [0.5, -1],
        [2, 0],
      ],
      [0, 1, 0, 1],
    );
    expect(() => fitSaga(problem, defaults)).toThrow(NumericalError);
    expect(() => fitSaga(problem, defaults)).toThrow(
      'Floating-point under-/overflow occurred at epoch #1. Scaling input data with StandardScaler or MinMaxScaler might help.',
    );
  });

  it('when the problem is fitted twice with the same random_state, then the results are identical', () => {
    const first = fitSaga(trainOf('seed'), defaults);
    const second = fitSaga(trainOf('seed'), defaults);
    expect(Array.from(second.coef)).toEqual(Array.from(first.coef));
    expect(second.intercept).toBe(first.intercept);
  });

  it('when fitting, then the caller’s X and y are left untouched', () => {
    const train = trainOf('seed');
    const xBefore = Float64Array.from(train.X.data);
    const yBefore = Float64Array.from(train.y);
    fitSaga(train, defaults);
    expect(maxAbsDiff(train.X.data, xBefore)).toBe(0);
    expect(maxAbsDiff(train.y, yBefore)).toBe(0);
  });
});
