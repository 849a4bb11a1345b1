import { describe, expect, it } from 'vitest';
import { type SolverOptions, UNIT_CLASS_WEIGHTS } from '../src/linear/solver-types.js';
import { pairwiseSum } from '../src/linear/solvers/binomial-loss.js';
import { fitLbfgs } from '../src/linear/solvers/lbfgs.js';
import { LBFGS_DEFAULT_OPTIONS, minimizeLbfgsb } from '../src/linear/solvers/lbfgs-core.js';
import type { DenseMatrix } from '../src/matrix.js';
import { fromRows } from '../src/matrix.js';
import { type LrCase, loadSplits, maxAbsDiff } from './support/fixtures.js';

const { fixture, splits } = loadSplits();

function trainSet(split: string): { X: DenseMatrix; y: Float64Array } {
  const data = splits.get(split);
  if (data === undefined) throw new Error(`no split ${split}`);
  return data.train;
}

function optionsOf(params: LrCase['params']): SolverOptions {
  return {
    C: params.penalty === null ? Number.POSITIVE_INFINITY : (params.C ?? 1),
    tol: params.tol,
    maxIter: params.max_iter,
    fitIntercept: params.fit_intercept,
    interceptScaling: params.intercept_scaling,
    randomState: undefined,
    l1Ratio: 0,
    classWeights: UNIT_CLASS_WEIGHTS,
  };
}

function describeCase(c: LrCase): string {
  const p = c.params;
  return `${c.split} C=${p.penalty === null ? 'none' : p.C} max_iter=${p.max_iter} fit_intercept=${p.fit_intercept}`;
}

/** C·Σℓ + ½‖w‖², the objective the optima minimise (intercept unpenalised). */
function primalObjective(train: { X: DenseMatrix; y: Float64Array }, C: number, coef: ArrayLike<number>, b: number) {
  const { X, y } = train;
  let lossSum = 0;
  for (let i = 0; i < X.rows; i++) {
    let z = b;
    for (let j = 0; j < X.cols; j++) z += X.data[i * X.cols + j]! * coef[j]!;
    lossSum += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i]! * z;
  }
  let normSquared = 0;
  for (let j = 0; j < coef.length; j++) normSquared += coef[j]! * coef[j]!;
  return C * lossSum + 0.5 * normSquared;
}

describe('lbfgs', () => {
  const lbfgsCases = fixture.cases.filter((c) => c.params.solver === 'lbfgs');

  it('when the fixture is loaded, then it has lbfgs cases to check', () => {
    expect(lbfgsCases.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of lbfgsCases) {
    it(`when fitting ${describeCase(c)}, then coef, intercept, n_iter and convergence equal scikit-learn's`, () => {
      const result = fitLbfgs(trainSet(c.split), optionsOf(c.params));
      expect(maxAbsDiff(result.coef, c.coef)).toBeLessThan(1e-9);
      expect(Math.abs(result.intercept - c.intercept)).toBeLessThan(1e-9);
      expect(result.nIter).toBe(c.n_iter);
      expect(result.converged).toBe(c.converged);
      expect(result.warning === undefined).toBe(c.converged);
    });
  }

  it('when max_iter is 3, then it stops unconverged with the ConvergenceWarning text of scikit-learn 1.8', () => {
    const result = fitLbfgs(trainSet('seed'), {
      C: 1,
      tol: 1e-4,
      maxIter: 3,
      fitIntercept: true,
      interceptScaling: 1,
      randomState: undefined,
      l1Ratio: 0,
      classWeights: UNIT_CLASS_WEIGHTS,
    });
    expect(result.converged).toBe(false);
    expect(result.nIter).toBe(3);
    expect(result.warning).toBe(
      'lbfgs failed to converge after 3 iteration(s) (status=1):\n' +
        'STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT\n\n' +
        'Increase the number of iterations to improve the convergence (max_iter=3).\n' +
        'You might also want to scale the data as shown in:\n' +
        '    https://scikit-learn.org/stable/modules/preprocessing.html\n' +
        'Please also refer to the documentation for alternative solver options:\n' +
        '    https://scikit-learn.org/stable/modules/linear_model.html#logistic-regression',
    );
  });

  for (const optimum of fixture.optima.filter((o) => !o.penalized_intercept)) {
    const { split, C } = optimum;
    // scikit-learn's own lbfgs stops on its ftol test (64·ε) before reaching these optima: unscaled data, C ≥ 1.
    const stopsOnFtol = split === 'unscaled' && C >= 1;
    it(`when tol is 1e-10 on ${split} C=${C} fit_intercept=${optimum.fit_intercept}, then it reaches the exact optimum`, () => {
      const train = trainSet(split);
      const result = fitLbfgs(train, {
        C,
        tol: 1e-10,
        maxIter: 10000,
        fitIntercept: optimum.fit_intercept,
        interceptScaling: 1,
        randomState: undefined,
        l1Ratio: 0,
        classWeights: UNIT_CLASS_WEIGHTS,
      });
      expect(result.converged).toBe(true);
      const reached = primalObjective(train, C, result.coef, result.intercept);
      const best = primalObjective(train, C, optimum.coef, optimum.intercept);
      expect((reached - best) / best).toBeLessThan(stopsOnFtol ? 1e-7 : 1e-12);
      // Where it stops on ftol only the objective is that close; everywhere else the coefficients are too.
      const coefTolerance = stopsOnFtol ? Number.POSITIVE_INFINITY : 1e-6;
      expect(maxAbsDiff(result.coef, optimum.coef)).toBeLessThan(coefTolerance);
      expect(Math.abs(result.intercept - optimum.intercept)).toBeLessThan(coefTolerance);
    });
  }

  it('when unpenalised on separable data, then it ends finite where scikit-learn ends', () => {
    const X = fromRows([[-2], [-1], [1], [2]]);
    const y = Float64Array.from([0, 0, 1, 1]);
    const options = { C: Number.POSITIVE_INFINITY, tol: 1e-4, maxIter: 100, fitIntercept: true };
    const result = fitLbfgs(
      { X, y },
      {
        ...options,
        interceptScaling: 1,
        randomState: undefined,
        l1Ratio: 0,
        classWeights: UNIT_CLASS_WEIGHTS,
      },
    );
    expect(Number.isFinite(result.coef[0]!) && Number.isFinite(result.intercept)).toBe(true);
    expect(result.converged || result.warning !== undefined).toBe(true);
    // scikit-learn 1.8: coef_ [[8.848171738622137]], intercept_ [-1.2e-16], n_iter_ [13], no warning.
    expect(result.coef[0]).toBeCloseTo(8.848171738622137, 10);
    expect(Math.abs(result.intercept)).toBeLessThan(1e-12);
    expect(result.nIter).toBe(13);
    expect(result.converged).toBe(true);
  });

  it('when unpenalised on a separable 2-feature set, then coef and intercept equal scikit-learn', () => {
    const X = fromRows([
      [-2, 1],
      [-1, 0.5],
      [1, -1],
      [2, 3],
      [0.5, 0.2],
      [-0.3, 2],
    ]);
    const y = Float64Array.from([0, 0, 1, 1, 1, 0]);
    const result = fitLbfgs(
      { X, y },
      {
        C: Number.POSITIVE_INFINITY,
        tol: 1e-4,
        maxIter: 100,
        fitIntercept: true,
        interceptScaling: 1,
        randomState: undefined,
        l1Ratio: 0,
        classWeights: UNIT_CLASS_WEIGHTS,
      },
    );
    expect(maxAbsDiff(result.coef, [10.65913127712011, -4.911391701298463])).toBeLessThan(1e-9);
    expect(result.intercept).toBeCloseTo(3.817250956895851, 9);
    expect(result.nIter).toBe(13);
  });
});

describe('lbfgs-core', () => {
  /** scipy.optimize.rosen / rosen_der for two variables, with the same operation order. */
  const rosenbrock = (x: Float64Array, g: Float64Array): number => {
    const x0 = x[0]!;
    const a = x[1]! - x0 * x0;
    const b = 1 - x0;
    g[0] = -400 * x0 * a - 2 * b;
    g[1] = 200 * a;
    return 100 * (a * a) + b * b;
  };

  it('when minimising Rosenbrock from (-1.2, 1) with scipy defaults, then nit, nfev, message and x match scipy', () => {
    const result = minimizeLbfgsb(rosenbrock, Float64Array.from([-1.2, 1]), LBFGS_DEFAULT_OPTIONS);
    expect(result.nit).toBe(36);
    expect(result.nfev).toBe(44);
    expect(result.status).toBe(0);
    expect(result.message).toBe('CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH');
    expect(maxAbsDiff(result.x, [0.999998945349282, 0.9999980209057328])).toBeLessThan(1e-12);
  });

  it('when maxfun is 10, then it stops with status 1 after the iteration that exceeded it, as scipy does', () => {
    const result = minimizeLbfgsb(rosenbrock, Float64Array.from([-1.2, 1]), { ...LBFGS_DEFAULT_OPTIONS, maxfun: 10 });
    expect([result.nit, result.nfev, result.status]).toEqual([9, 11, 1]);
    expect(result.message).toBe('STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT');
    expect(maxAbsDiff(result.x, [-0.7872592106533363, 0.5671494560363027])).toBeLessThan(1e-12);
  });

  it('when the gradient points uphill, then the line search fails with scipy ABNORMAL status 2 at the start point', () => {
    const wrongGradient = (x: Float64Array, g: Float64Array): number => {
      g[0] = -2 * x[0]!;
      g[1] = -2 * x[1]!;
      return x[0]! * x[0]! + x[1]! * x[1]!;
    };
    const result = minimizeLbfgsb(wrongGradient, Float64Array.from([3, 0.5]), LBFGS_DEFAULT_OPTIONS);
    expect([result.nit, result.nfev, result.status]).toEqual([0, 18, 2]);
    expect(result.message).toBe('ABNORMAL: ');
    expect(Array.from(result.x)).toEqual([3, 0.5]);
  });

  it('when summing, then pairwiseSum equals numpy.sum bit for bit', () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => 1 / (i + 1));
    expect(pairwiseSum(values, 0, values.length)).toBe(7.485470860550345);
  });
});
