import { describe, expect, it } from 'vitest';
import {
  expandGrid,
  type GridSpec,
  parseTuneRequest,
  resolvedGrid,
  TrialParamsSchema,
  trialCount,
} from '../src/index.js';

function gridOf(input: unknown): GridSpec {
  const parsed = parseTuneRequest(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return resolvedGrid(parsed.request);
}

function errorsOf(input: unknown): { path: string; message: string }[] {
  const parsed = parseTuneRequest(input);
  if (parsed.ok) throw new Error('accepted');
  return parsed.errors;
}

const point = (t: { solver: string; penalty: string | null; l1_ratio?: number }) =>
  [t.solver, t.penalty, ...(t.l1_ratio === undefined ? [] : [t.l1_ratio])].join('/');

describe('grid penalties: the default grid', () => {
  it('when the request is empty, then the 15 trials keep their order and their eight l2 params', () => {
    const trials = expandGrid(gridOf({}));
    const solvers = ['liblinear', 'lbfgs', 'saga'];
    const expectedOrder = [0.01, 0.1, 1, 10, 100].flatMap((C) => solvers.map((solver) => `${C}/${solver}`));
    expect(trials.map((t) => `${t.C}/${t.solver}`)).toEqual(expectedOrder);
    for (const trial of trials) {
      expect(trial).toEqual({
        C: trial.C,
        solver: trial.solver,
        tol: 1e-4,
        max_iter: 100,
        fit_intercept: true,
        intercept_scaling: 1,
        penalty: 'l2',
        random_state: 42,
      });
    }
  });

  it('when penalty l2 is named explicitly, then the trials are those of the default grid', () => {
    expect(expandGrid(gridOf({ grid: { penalty: 'l2' } }))).toEqual(expandGrid(gridOf({})));
  });
});

describe('grid penalties: expansion', () => {
  it('when l1 meets the three solvers, then lbfgs is skipped: a trial per C for liblinear and saga', () => {
    const grid = gridOf({ grid: { C: [0.1, 1], penalty: 'l1' } });
    expect(expandGrid(grid).map((t) => `${t.C}/${point(t)}`)).toEqual([
      '0.1/liblinear/l1',
      '0.1/saga/l1',
      '1/liblinear/l1',
      '1/saga/l1',
    ]);
    expect(trialCount(grid)).toBe(4);
  });

  it('when elasticnet shares the grid with l2, then only elasticnet points take each l1_ratio', () => {
    const grid = gridOf({
      grid: { C: [1], solver: ['lbfgs', 'saga'], penalty: ['l2', 'elasticnet'], l1_ratio: [0.2, 0.8] },
    });
    const trials = expandGrid(grid);
    expect(trials.map(point)).toEqual(['lbfgs/l2', 'saga/l2', 'saga/elasticnet/0.2', 'saga/elasticnet/0.8']);
    expect(trials.filter((t) => t.penalty === 'l2').every((t) => !('l1_ratio' in t))).toBe(true);
    expect(trialCount(grid)).toBe(4);
  });

  it('when a penalty is "none", then it is null (no penalty) and liblinear is skipped for it', () => {
    const grid = gridOf({ grid: { C: [1], penalty: ['none'] } });
    expect(grid.penalty).toEqual([null]);
    expect(expandGrid(grid).map(point)).toEqual(['lbfgs/', 'saga/']);
  });

  it('when every axis is given, then trialCount equals the expansion without expanding', () => {
    const grids = [
      gridOf({ grid: { penalty: ['l1', 'elasticnet', null, 'l2'], l1_ratio: [0, 0.5, 1] } }),
      gridOf({
        grid: { penalty: ['elasticnet'], l1_ratio: [0.5], class_weight: [null, 'balanced'], tol: [1e-3, 1e-4] },
      }),
      gridOf({
        dataset: { kind: 'csv', path: 'c.csv' },
        grid: { penalty: ['l1', 'l2'], class_weight: 'balanced', scale: [true, false] },
      }),
    ];
    const counts = grids.map((grid) => [trialCount(grid), expandGrid(grid).length]);
    expect(counts).toEqual([
      [5 * (2 + 3 + 3 + 2), 5 * (2 + 3 + 3 + 2)],
      [2 * 5 * 2, 2 * 5 * 2],
      [2 * 5 * 5, 2 * 5 * 5],
    ]);
  });

  it('when the grid names many trials, then the limit counts only the pairs a solver fits', () => {
    const C = Array.from({ length: 400 }, (_, i) => i + 1);
    expect(trialCount(gridOf({ grid: { C, penalty: 'l1' } }))).toBe(800);
    expect(errorsOf({ grid: { C, penalty: ['l1', 'l2'] } })).toEqual([
      { path: 'grid', message: 'the grid has 2000 trials, at most 1000' },
    ]);
  });

  it('when every trial is expanded, then each fits the params schema of the run events', () => {
    const grid = gridOf({
      grid: { penalty: ['l1', 'elasticnet', null], l1_ratio: [0.5], class_weight: [null, 'balanced', { 0: 1, 1: 3 }] },
    });
    const refused = expandGrid(grid).filter((trial) => !TrialParamsSchema.safeParse(trial).success);
    expect(refused).toEqual([]);
  });
});

describe('grid penalties: refusals', () => {
  it('when no solver fits any penalty of the grid, then it is refused naming both axes and the rules', () => {
    expect(errorsOf({ grid: { solver: 'lbfgs', penalty: ['l1', 'elasticnet'], l1_ratio: [0.5] } })).toEqual([
      {
        path: 'grid.penalty',
        message:
          'no trial: grid.penalty [l1, elasticnet] and grid.solver [lbfgs] have no pair scikit-learn fits (l1 needs liblinear or saga; elasticnet needs saga)',
      },
    ]);
    expect(errorsOf({ grid: { solver: 'liblinear', penalty: null } })).toEqual([
      {
        path: 'grid.penalty',
        message:
          'no trial: grid.penalty [null] and grid.solver [liblinear] have no pair scikit-learn fits (null needs lbfgs or saga)',
      },
    ]);
  });

  it('when elasticnet comes without l1_ratio, or l1_ratio without elasticnet, then it is refused at grid.l1_ratio', () => {
    expect(errorsOf({ grid: { penalty: 'elasticnet' } })).toEqual([
      {
        path: 'grid.l1_ratio',
        message: 'penalty elasticnet needs l1_ratio: one or more values in [0, 1] (the L1 share of the penalty)',
      },
    ]);
    expect(errorsOf({ grid: { penalty: 'l1', l1_ratio: 0.5 } })).toEqual([
      {
        path: 'grid.l1_ratio',
        message: 'l1_ratio is used by penalty elasticnet only: add elasticnet to grid.penalty or leave l1_ratio out',
      },
    ]);
    expect(errorsOf({ grid: { penalty: 'elasticnet', l1_ratio: [1.5] } })).toMatchObject([{ path: 'grid.l1_ratio.0' }]);
  });

  it('when an unknown penalty is named, then it is refused at its place in the axis', () => {
    expect(errorsOf({ grid: { penalty: ['l2', 'l3'] } })).toMatchObject([{ path: 'grid.penalty.1' }]);
  });
});

describe('grid penalties: class_weight', () => {
  it('when class_weight is a single value, then it is a one-value axis: null, balanced or a mapping', () => {
    expect(gridOf({ grid: { class_weight: 'balanced' } }).class_weight).toEqual(['balanced']);
    expect(gridOf({ grid: { class_weight: null } }).class_weight).toEqual([null]);
    expect(gridOf({ grid: { class_weight: { no: 1, yes: 3 } } }).class_weight).toEqual([{ no: 1, yes: 3 }]);
    expect(gridOf({ grid: { class_weight: [{ '1': 2 }, 'balanced'] } }).class_weight).toEqual([{ '1': 2 }, 'balanced']);
  });

  it('when the grid names class_weight, then every trial carries it; when it does not, then no trial does', () => {
    const weighted = expandGrid(gridOf({ grid: { C: [1], solver: 'lbfgs', class_weight: [null, { 0: 1, 1: 3 }] } }));
    expect(weighted.map((t) => t.class_weight)).toEqual([null, { 0: 1, 1: 3 }]);
    expect(expandGrid(gridOf({ grid: { C: [1] } })).some((t) => 'class_weight' in t)).toBe(false);
  });

  it('when a class_weight is malformed, then it is refused at its place in the axis', () => {
    const refusedAt = (classWeight: unknown) =>
      errorsOf({ grid: { class_weight: [classWeight] } }).map((e) => e.path.split('.').slice(0, 3).join('.'));
    for (const bad of ['auto', {}, { 0: 1, 1: 2, 2: 3 }, { 0: 0 }, { 0: -1 }, { '': 1 }, 3, [1, 2]]) {
      expect(refusedAt(bad)).toEqual(['grid.class_weight.0']);
    }
    const hostile = JSON.parse('{"grid": {"class_weight": {"__proto__": 2}}}');
    expect(errorsOf(hostile)).toMatchObject([{ path: expect.stringMatching(/^grid\.class_weight\.0/) }]);
  });
});
