import { describe, expect, it } from 'vitest';
import { fitLiblinear, LIBLINEAR_CONVERGENCE_WARNING } from '../src/linear/solvers/liblinear.js';
import { loadPenaltySplits, maxAbsDiff, penaltyCaseName, penaltyOptionsOf, splitOf } from './support/fixtures.js';

const { fixture, splits } = loadPenaltySplits();
const l1Cases = fixture.cases.filter((c) => c.params.solver === 'liblinear' && c.params.penalty === 'l1');

function zeroCount(values: ArrayLike<number>): number {
  return Array.from(values).filter((v) => v === 0).length;
}

describe('liblinear l1 (newGLMNET, solver type L1R_LR)', () => {
  it('when the fixtures are loaded, then they hold l1 fits with zeroed weights, class weights and max_iter stops', () => {
    expect(l1Cases.length).toBeGreaterThanOrEqual(40);
    expect(l1Cases.some((c) => c.zero_coefs > c.coef.length / 2)).toBe(true);
    expect(l1Cases.some((c) => c.params.class_weight !== null)).toBe(true);
    expect(l1Cases.some((c) => !c.converged)).toBe(true);
  });

  it.each(
    l1Cases.map((c) => [penaltyCaseName(c), c] as const),
  )('when fitting %s, then n_iter_, convergence, zeros, coef and intercept match scikit-learn', (_name, c) => {
    const result = fitLiblinear(splitOf(splits, c.split).train, penaltyOptionsOf(c));
    expect(result.nIter).toBe(c.n_iter);
    expect(result.converged).toBe(c.converged);
    expect(result.warning).toBe(c.converged ? undefined : LIBLINEAR_CONVERGENCE_WARNING);
    expect(zeroCount(result.coef)).toBe(c.zero_coefs);
    expect(maxAbsDiff(result.coef, c.coef)).toBeLessThan(1e-8);
    expect(Math.abs(result.intercept - c.intercept)).toBeLessThan(1e-8);
  });

  it('when every l1 fixture is refitted, then the worst coefficient difference is at rounding level', () => {
    let worst = 0;
    for (const c of l1Cases) {
      const result = fitLiblinear(splitOf(splits, c.split).train, penaltyOptionsOf(c));
      worst = Math.max(worst, maxAbsDiff(result.coef, c.coef), Math.abs(result.intercept - c.intercept));
    }
    expect(worst).toBeLessThan(1e-12);
  });

  const reference = l1Cases.find((c) => c.split === 'seed' && c.params.C === 1 && c.params.tol === 1e-8);
  it('when random_state is undefined, then the coordinate order is unseeded and the fit still reaches the optimum', () => {
    if (reference === undefined) throw new Error('missing seed C=1 tol=1e-8 case');
    const options = { ...penaltyOptionsOf(reference), randomState: undefined };
    const result = fitLiblinear(splitOf(splits, 'seed').train, options);
    expect(result.converged).toBe(true);
    expect(maxAbsDiff(result.coef, reference.coef)).toBeLessThan(1e-5);
  });

  it('when max_iter is 0, then the weights stay at zero and the fit reports non-convergence', () => {
    if (reference === undefined) throw new Error('missing seed C=1 tol=1e-8 case');
    const result = fitLiblinear(splitOf(splits, 'seed').train, { ...penaltyOptionsOf(reference), maxIter: 0 });
    expect(result.nIter).toBe(0);
    expect(result.converged).toBe(false);
    expect(result.warning).toBe(LIBLINEAR_CONVERGENCE_WARNING);
    expect(zeroCount(result.coef)).toBe(result.coef.length);
    expect(result.intercept).toBe(0);
  });

  it('when fitting, then the caller’s X and y are left untouched', () => {
    if (reference === undefined) throw new Error('missing seed C=1 tol=1e-8 case');
    const train = splitOf(splits, 'seed').train;
    const before = { X: Float64Array.from(train.X.data), y: Float64Array.from(train.y) };
    fitLiblinear(train, penaltyOptionsOf(reference));
    expect(maxAbsDiff(train.X.data, before.X)).toBe(0);
    expect(maxAbsDiff(train.y, before.y)).toBe(0);
  });
});
