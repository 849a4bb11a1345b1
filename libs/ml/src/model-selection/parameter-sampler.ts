import { InvalidParameterError } from '../errors.js';
import { compareCodePoints } from '../preprocessing/raw-table.js';
import { RandomState } from '../random/random-state.js';
import { roundedExp, roundedLog } from '../random/rounded-exp-log.js';
import { sampleWithoutReplacement } from '../random/sample-without-replacement.js';

/** One candidate value of a hyperparameter. */
export type ParameterValue = number | string | boolean | null;

/**
 * What ParameterSampler draws one parameter from: a non-empty list of choices, `scipy.stats.loguniform(low, high)`
 * (a.k.a. reciprocal, support [low, high]) or `scipy.stats.uniform(loc, scale)` (support [loc, loc + scale]; kept
 * as loc and scale because `u * scale + loc` is what scipy computes: a low/high pair would not round-trip).
 */
export type ParameterDistribution =
  | readonly ParameterValue[]
  | { readonly type: 'loguniform'; readonly low: number; readonly high: number }
  | { readonly type: 'uniform'; readonly loc: number; readonly scale: number };

/** `ParameterSampler(param_distributions, n_iter, random_state)` options; randomState is required (reproducible). */
export interface ParameterSamplerOptions {
  nIter: number;
  randomState: number;
}

/** The candidates in scikit-learn's order and its UserWarnings (n_iter larger than an all-lists grid). */
export interface ParameterSamples {
  readonly candidates: readonly Record<string, ParameterValue>[];
  readonly warnings: readonly string[];
}

type Entry = readonly [string, ParameterDistribution];

/** scikit-learn 1.8's `list(ParameterSampler(distributions, n_iter, random_state=seed))` for one dict. */
export function parameterSampler(
  distributions: Readonly<Record<string, ParameterDistribution>>,
  options: ParameterSamplerOptions,
): ParameterSamples {
  const { nIter, randomState } = options;
  if (!Number.isInteger(nIter) || nIter < 0) {
    throw new InvalidParameterError('n_iter', nIter, 'must be a non-negative integer');
  }
  const entries = Object.entries(distributions).sort(([a], [b]) => compareCodePoints(a, b));
  entries.forEach(checkDistribution);
  const rng = new RandomState(randomState);
  if (entries.every(([, d]) => isChoices(d))) return sampleGrid(entries, nIter, rng);
  const candidates: Record<string, ParameterValue>[] = [];
  for (let i = 0; i < nIter; i++) candidates.push(Object.fromEntries(entries.map(([k, d]) => [k, draw(d, rng)])));
  return { candidates, warnings: [] };
}

/** A list of choices (`Array.isArray` does not narrow readonly arrays). */
function isChoices(d: ParameterDistribution): d is readonly ParameterValue[] {
  return Array.isArray(d);
}

function checkDistribution([key, d]: Entry): void {
  if (isChoices(d)) {
    if (d.length === 0) throw new InvalidParameterError(key, d, 'a list of choices must not be empty');
  } else if ('low' in d) {
    if (!(d.low > 0 && d.high > d.low)) throw new InvalidParameterError(key, d, 'loguniform needs 0 < low < high');
  } else if (!(d.scale >= 0 && Number.isFinite(d.loc))) {
    throw new InvalidParameterError(key, d, 'uniform needs a finite loc and scale >= 0');
  }
}

/** `v[rng.randint(len(v))]` for a list; `v.rvs(random_state=rng)` for a distribution (one `uniform()` then ppf). */
function draw(d: ParameterDistribution, rng: RandomState): ParameterValue {
  if (isChoices(d)) return d[rng.randint(0, d.length)]!;
  if ('low' in d) {
    const logLow = roundedLog(d.low);
    return roundedExp(logLow + rng.randomSample() * (roundedLog(d.high) - logLow));
  }
  if (d.scale === 0) return d.loc; // scipy returns loc without drawing
  return rng.randomSample() * d.scale + d.loc;
}

/** All lists: grid points `ParameterGrid[i]` for i from `sample_without_replacement(grid_size, n_iter)`. */
function sampleGrid(entries: Entry[], nIter: number, rng: RandomState): ParameterSamples {
  const lists = entries.map(([key, d]) => [key, d as readonly ParameterValue[]] as const);
  const gridSize = lists.reduce((size, [, v]) => size * v.length, 1);
  const warnings: string[] = [];
  let count = nIter;
  if (gridSize < nIter) {
    warnings.push(
      `The total space of parameters ${gridSize} is smaller than n_iter=${nIter}. Running ${gridSize} iterations. ` +
        'For exhaustive searches, use GridSearchCV.',
    );
    count = gridSize;
  }
  const picks = sampleWithoutReplacement(gridSize, count, rng);
  return { candidates: picks.map((index) => gridPoint(lists, index)), warnings };
}

/** `ParameterGrid.__getitem__`: the last key (sorted) cycles fastest. */
function gridPoint(
  lists: (readonly [string, readonly ParameterValue[]])[],
  index: number,
): Record<string, ParameterValue> {
  const out: Record<string, ParameterValue> = {};
  let rest = index;
  for (let k = lists.length - 1; k >= 0; k--) {
    const [key, values] = lists[k]!;
    out[key] = values[rest % values.length]!;
    rest = Math.floor(rest / values.length);
  }
  return out;
}
