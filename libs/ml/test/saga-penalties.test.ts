import { describe, expect, it } from 'vitest';
import { fitSaga, sagaPenalty } from '../src/linear/solvers/saga.js';
import { loadPenaltySplits, maxAbsDiff, penaltyCaseName, penaltyOptionsOf, splitOf } from './support/fixtures.js';

const { fixture, splits } = loadPenaltySplits();
const proxCases = fixture.cases.filter((c) => c.params.solver === 'saga' && c.params.penalty !== 'l2');
const MAX_ITER_WARNING = 'The max_iter was reached which means the coef_ did not converge';

function zeroCount(values: ArrayLike<number>): number {
  return Array.from(values).filter((v) => v === 0).length;
}

describe('saga with an l1 part (l1, elasticnet)', () => {
  it('when the fixtures are loaded, then they hold l1 and elasticnet fits, some stopped by max_iter', () => {
    expect(proxCases.filter((c) => c.params.penalty === 'l1').length).toBeGreaterThanOrEqual(30);
    expect(new Set(proxCases.map((c) => c.params.l1_ratio))).toEqual(new Set([0.1, 0.5, 0.9, 1, 1e-7]));
    expect(proxCases.some((c) => !c.converged)).toBe(true);
    expect(proxCases.some((c) => c.zero_coefs > 0)).toBe(true);
  });

  it.each(
    proxCases.map((c) => [penaltyCaseName(c), c] as const),
  )('when fitting %s, then n_iter_, convergence, zeros, coef and intercept match scikit-learn', (_name, c) => {
    const result = fitSaga(splitOf(splits, c.split).train, penaltyOptionsOf(c));
    expect(result.nIter).toBe(c.n_iter);
    expect(result.converged).toBe(c.converged);
    expect(result.warning).toBe(c.converged ? undefined : MAX_ITER_WARNING);
    expect(zeroCount(result.coef)).toBe(c.zero_coefs);
    expect(maxAbsDiff(result.coef, c.coef)).toBeLessThan(1e-8);
    expect(Math.abs(result.intercept - c.intercept)).toBeLessThan(1e-8);
  });

  it('when every l1/elasticnet fixture is refitted, then the worst coefficient difference is at rounding level', () => {
    let worst = 0;
    for (const c of proxCases) {
      const result = fitSaga(splitOf(splits, c.split).train, penaltyOptionsOf(c));
      worst = Math.max(worst, maxAbsDiff(result.coef, c.coef), Math.abs(result.intercept - c.intercept));
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it.each([0.01, 1, 100])('when C is %s, then the split gives the floats of scikit-learn’s l2 and l1 branches', (C) => {
    const n = 800;
    expect(sagaPenalty(C, 0, n)).toEqual({ alphaScaled: 1.0 / C / n, betaScaled: 0 });
    expect(sagaPenalty(C, 1, n)).toEqual({ alphaScaled: 0, betaScaled: 1.0 / C / n });
    expect(sagaPenalty(C, 0.25, n)).toEqual({
      alphaScaled: ((1.0 / C) * 0.75) / n,
      betaScaled: ((1.0 / C) * 0.25) / n,
    });
  });

  it('when C is Infinity, then l1 and elasticnet fit exactly the unpenalised model', () => {
    const reference = proxCases.find((c) => c.split === 'small' && c.params.penalty === 'l1' && c.params.C === 1);
    if (reference === undefined) throw new Error('missing small l1 C=1 case');
    const train = splitOf(splits, 'small').train;
    const options = { ...penaltyOptionsOf(reference), C: Number.POSITIVE_INFINITY };
    const none = fitSaga(train, { ...options, l1Ratio: 0 });
    for (const l1Ratio of [1, 0.5]) {
      const fit = fitSaga(train, { ...options, l1Ratio });
      expect(Array.from(fit.coef)).toEqual(Array.from(none.coef));
      expect(fit.nIter).toBe(none.nIter);
    }
  });
});
