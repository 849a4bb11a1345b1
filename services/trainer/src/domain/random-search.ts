import {
  expandGrid,
  type RandomSearchSpec,
  resolvedGrid,
  type SearchSpace,
  searchSpace,
  type TrialParams,
  type TuneRequest,
} from '@mlops/contracts';
import { type ParameterDistribution, parameterSampler } from '@mlops/ml';

/** A request's trials in order: every point of its grid, or the candidates its random search draws. */
export function trialsOf(request: TuneRequest): TrialParams[] {
  const grid = resolvedGrid(request);
  if (request.search?.type !== 'random') return expandGrid(grid);
  return drawTrials(searchSpace(grid, request.search), request.search);
}

/**
 * Draws a random search's candidates exactly as `ParameterSampler(space, n_iter, random_state)` does: a list axis
 * is drawn by index (scikit-learn draws `v[randint(len(v))]`, or grid points by index when every axis is a list), a
 * distribution axis by scipy's ppf; when every axis is a list and the grid is smaller than n_trials, each point once. A solver × penalty pair scikit-learn cannot fit stays a trial: it fails with
 * scikit-learn's reason, as RandomizedSearchCV scores it NaN. l1_ratio is kept for elasticnet candidates only.
 */
export function drawTrials(space: SearchSpace, search: RandomSearchSpec): TrialParams[] {
  const distributions: Record<string, ParameterDistribution> = {};
  for (const [axis, values] of Object.entries(space)) {
    distributions[axis] = Array.isArray(values) ? values.map((_, index) => index) : (values as ParameterDistribution);
  }
  const { candidates } = parameterSampler(distributions, {
    nIter: search.n_trials,
    randomState: search.random_state,
  });
  return candidates.map((candidate) => {
    const picked: Record<string, unknown> = {};
    for (const [axis, drawn] of Object.entries(candidate)) {
      const values = space[axis];
      picked[axis] = Array.isArray(values) ? values[drawn as number] : drawn;
    }
    return trialParamsOf(picked);
  });
}

/** A drawn candidate as a trial's parameters, keys in the grid's order: l1_ratio with elasticnet only. */
function trialParamsOf(picked: Record<string, unknown>): TrialParams {
  const p = picked as unknown as TrialParams;
  const has = (axis: keyof TrialParams) => axis in picked;
  return {
    C: p.C,
    solver: p.solver,
    tol: p.tol,
    max_iter: p.max_iter,
    fit_intercept: p.fit_intercept,
    intercept_scaling: p.intercept_scaling,
    penalty: p.penalty,
    ...(p.penalty === 'elasticnet' && has('l1_ratio') ? { l1_ratio: p.l1_ratio } : {}),
    ...(has('class_weight') ? { class_weight: p.class_weight } : {}),
    random_state: p.random_state,
    ...(has('scale') ? { scale: p.scale } : {}),
    ...(has('impute') ? { impute: p.impute } : {}),
    ...(has('categorical_missing') ? { categorical_missing: p.categorical_missing } : {}),
  } as TrialParams;
}
