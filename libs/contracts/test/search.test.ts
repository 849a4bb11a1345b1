import { describe, expect, it } from 'vitest';
import { MAX_RANDOM_TRIALS, parseTuneRequest, plannedTrialCount, searchSpace } from '../src/index.js';

const loguniformC = { C: { type: 'loguniform', low: 0.001, high: 100 } } as const;

function accepted(input: unknown) {
  const parsed = parseTuneRequest(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.request;
}

function problems(input: unknown) {
  const parsed = parseTuneRequest(input);
  return parsed.ok ? [] : parsed.errors;
}

describe('search in a tune request', () => {
  it('when a random search names n_trials only, then the seed is 42 and no axis has a distribution', () => {
    const request = accepted({ search: { type: 'random', n_trials: 20 } });
    expect(request.search).toEqual({ type: 'random', n_trials: 20, random_state: 42, distributions: {} });
  });

  it('when a random search draws from a distribution, then the space replaces that axis and keeps the lists', () => {
    const request = accepted({ search: { type: 'random', n_trials: 8, distributions: loguniformC } });
    const space = searchSpace(request.grid, request.search as never);
    expect(space.C).toEqual(loguniformC.C);
    expect(space.solver).toEqual(['liblinear', 'lbfgs', 'saga']);
    expect(space.tol).toEqual([1e-4]);
    expect('l1_ratio' in space).toBe(false);
    expect(plannedTrialCount(request)).toBe(8);
  });

  it('when every axis is a list, then the planned trials are at most the grid points', () => {
    expect(plannedTrialCount(accepted({ search: { type: 'random', n_trials: 40 } }))).toBe(15);
    expect(plannedTrialCount(accepted({ search: { type: 'random', n_trials: 4 } }))).toBe(4);
    expect(plannedTrialCount(accepted({ grid: { C: [1, 2] } }))).toBe(6);
  });

  it('when the grid has more points than a grid search may run, then a random search may still sample it', () => {
    const grid = { C: Array.from({ length: 400 }, (_, i) => i + 1), tol: [1e-4, 1e-3, 1e-2] };
    expect(problems({ grid })[0]?.message).toMatch(/the grid has 3600 trials, at most 1000/);
    expect(plannedTrialCount(accepted({ grid, search: { type: 'random', n_trials: 50 } }))).toBe(50);
  });

  it('when elasticnet takes l1_ratio from a distribution, then the request is accepted without a grid l1_ratio', () => {
    const l1 = { l1_ratio: { type: 'uniform', loc: 0, scale: 1 } };
    const request = accepted({
      grid: { solver: 'saga', penalty: ['l2', 'elasticnet'] },
      search: { type: 'random', n_trials: 5, distributions: l1 },
    });
    expect(searchSpace(request.grid, request.search as never).l1_ratio).toEqual(l1.l1_ratio);
  });

  it.each([
    [{ type: 'random' }, 'search.n_trials', /number/],
    [{ type: 'random', n_trials: 0 }, 'search.n_trials', />=1/],
    [{ type: 'random', n_trials: MAX_RANDOM_TRIALS + 1 }, 'search.n_trials', /<=1000/],
    [{ type: 'random', n_trials: 5, distributions: { solver: loguniformC.C } }, 'search.distributions.solver', /./],
    [
      { type: 'random', n_trials: 5, distributions: { C: { type: 'loguniform', low: 1, high: 1 } } },
      'search.distributions.C.high',
      /low < high/,
    ],
    [
      { type: 'random', n_trials: 5, distributions: { C: { type: 'uniform', loc: 0, scale: 1 } } },
      'search.distributions.C',
      /C must be above 0; this distribution draws from \[0, 1\]/,
    ],
    [
      { type: 'random', n_trials: 5, distributions: { l1_ratio: { type: 'uniform', loc: 0, scale: 1 } } },
      'search.distributions.l1_ratio',
      /used by penalty elasticnet only/,
    ],
    [{ type: 'sobol', n_trials: 5 }, 'search.type', /./],
    [{ type: 'grid', n_trials: 5 }, 'search', /n_trials/],
  ])('when search is %j, then the request is refused at %s saying why', (search, path, message) => {
    const refused = problems({ search });
    expect(refused.map((p) => p.path)).toContain(path);
    expect(refused.find((p) => p.path === path)?.message).toMatch(message);
  });

  it('when elasticnet is searched with a uniform l1_ratio leaving [0, 1], then the request says so', () => {
    const refused = problems({
      grid: { solver: 'saga', penalty: 'elasticnet' },
      search: { type: 'random', n_trials: 5, distributions: { l1_ratio: { type: 'uniform', loc: 0.5, scale: 1 } } },
    });
    expect(refused).toEqual([
      {
        path: 'search.distributions.l1_ratio',
        message: 'l1_ratio must be within [0, 1]; this distribution draws from [0.5, 1.5]',
      },
    ]);
  });
});
