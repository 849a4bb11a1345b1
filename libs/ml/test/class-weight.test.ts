import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../src/errors.js';
import { type ClassWeight, checkClassWeight, computeClassWeights } from '../src/linear/class-weight.js';
import type { Solver } from '../src/linear/solver-types.js';
import { fitLbfgs } from '../src/linear/solvers/lbfgs.js';
import { fitLiblinear } from '../src/linear/solvers/liblinear.js';
import { fitSaga } from '../src/linear/solvers/saga.js';
import { loadPenaltySplits, maxAbsDiff, penaltyCaseName, penaltyOptionsOf, splitOf } from './support/fixtures.js';

const { fixture, splits } = loadPenaltySplits();
const SOLVERS: Record<string, Solver> = { liblinear: fitLiblinear, lbfgs: fitLbfgs, saga: fitSaga };
const weightedL2 = fixture.cases.filter((c) => c.params.penalty === 'l2' && c.params.class_weight !== null);

function solverOf(name: string): Solver {
  const solver = SOLVERS[name];
  if (solver === undefined) throw new Error(`unknown solver ${name}`);
  return solver;
}

describe('computeClassWeights (compute_class_weight)', () => {
  it.each(
    fixture.cases.map((c) => [penaltyCaseName(c), c] as const),
  )('when the training labels of %s are weighted, then the weights equal class_weight_', (_name, c) => {
    const { y } = splitOf(splits, c.split).train;
    expect(computeClassWeights(c.params.class_weight, [0, 1], y)).toEqual(c.class_weight_);
  });

  it('when the mapping is empty, then every class weighs 1 (scikit-learn: uniform)', () => {
    expect(computeClassWeights({}, [0, 1], Float64Array.from([0, 1, 1]))).toEqual([1, 1]);
  });

  it('when the mapping names labels the data does not have, then it throws with scikit-learn’s message', () => {
    const y = Float64Array.from([0, 1, 1]);
    expect(() => computeClassWeights({ 7: 2 }, [3, 7], y)).not.toThrow();
    expect(() => computeClassWeights({ 0: 2, 1: 1 } as ClassWeight, [3, 7], y)).toThrow(
      'The classes, [3, 7], are not in class_weight',
    );
  });

  it.each([
    ['auto', 'auto'],
    ['an array', [1, 2]],
    ['a negative weight', { 0: -1 }],
    ['a zero weight', { 1: 0 }],
    ['NaN', { 0: Number.NaN }],
  ])('when class_weight is %s, then checkClassWeight throws InvalidParameterError', (_what, value) => {
    expect(() => checkClassWeight(value as ClassWeight)).toThrow(InvalidParameterError);
  });
});

describe('class weights with the l2 penalty, per solver', () => {
  it('when the fixtures are loaded, then every solver has balanced and mapped class weights', () => {
    const kinds = new Set(weightedL2.map((c) => `${c.params.solver} ${typeof c.params.class_weight}`));
    expect(kinds).toEqual(
      new Set(['liblinear string', 'liblinear object', 'lbfgs string', 'lbfgs object', 'saga string', 'saga object']),
    );
  });

  it.each(
    weightedL2.map((c) => [penaltyCaseName(c), c] as const),
  )('when fitting %s, then n_iter_, convergence, coef and intercept match scikit-learn', (_name, c) => {
    const result = solverOf(c.params.solver)(splitOf(splits, c.split).train, penaltyOptionsOf(c));
    expect(result.nIter).toBe(c.n_iter);
    expect(result.converged).toBe(c.converged);
    expect(maxAbsDiff(result.coef, c.coef)).toBeLessThan(1e-8);
    expect(Math.abs(result.intercept - c.intercept)).toBeLessThan(1e-8);
  });

  it('when every weighted l2 fixture is refitted, then the worst coefficient difference is at rounding level', () => {
    let worst = 0;
    for (const c of weightedL2) {
      const result = solverOf(c.params.solver)(splitOf(splits, c.split).train, penaltyOptionsOf(c));
      worst = Math.max(worst, maxAbsDiff(result.coef, c.coef), Math.abs(result.intercept - c.intercept));
    }
    expect(worst).toBeLessThan(1e-12);
  });
});
