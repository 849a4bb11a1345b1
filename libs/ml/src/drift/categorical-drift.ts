import { InvalidDataError } from '../errors.js';
import { chiSquareTest } from './chi-square.js';
import { upperRegularizedGamma } from './incomplete-gamma.js';
import { jensenShannonDistance } from './jensen-shannon.js';
import { populationStabilityIndex } from './psi.js';
import { type DriftRules, perTestAlpha, resolveDriftRules } from './rules.js';

/** How one categorical column of a window compares with its reference counts (JSON-shaped, snake_case). */
export interface CategoricalDrift {
  readonly name: string;
  /** chisquare or z (p-value below alpha), js or psi (at or above the threshold). */
  readonly method: 'chisquare' | 'z' | 'js' | 'psi';
  readonly score: number;
  /** The (Bonferroni-corrected) alpha for the p-value tests, else the threshold. */
  readonly threshold: number;
  readonly drifted: boolean;
  /** PSI and Jensen–Shannon distance (natural log) over the categories. */
  readonly psi: number;
  readonly js_distance: number;
  /** The p-value of the test the rules' method names; null when the distance decided. */
  readonly p_value: number | null;
}

/**
 * Evidently's two-proportion Z-test of a column with at most two categories (`z_stattest.py`): the share of rows
 * that are not the first category, pooled, `2·(1 − Φ(|z|))`. Identical single categories on both sides give 1.
 * Counts are per category, the same categories on both sides (zeros allowed).
 */
export function proportionsZTest(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): number {
  if (referenceCounts.length !== currentCounts.length) {
    throw new InvalidDataError(`${referenceCounts.length} reference categories vs ${currentCounts.length} current`);
  }
  const seen = [...Array(referenceCounts.length).keys()].filter((k) => referenceCounts[k]! + currentCounts[k]! > 0);
  if (seen.length > 2) throw new InvalidDataError(`the Z-test compares at most 2 categories, not ${seen.length}`);
  const first = seen[0];
  if (first === undefined) throw new InvalidDataError('the Z-test needs rows on both sides');
  const n1 = sum(referenceCounts);
  const n2 = sum(currentCounts);
  if (n1 === 0 || n2 === 0) throw new InvalidDataError('the Z-test needs rows on both sides');
  if (seen.length === 1) return 1;
  const p1 = (n1 - referenceCounts[first]!) / n1;
  const p2 = (n2 - currentCounts[first]!) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // Φ(|z|) = 1 − erfc(|z|/√2)/2 and erfc(x) = Q(1/2, x²): computed as scipy's norm.cdf rounds it, so p-values
  // below ~1e-16 read 0 as Evidently reports them.
  const cdf = 1 - upperRegularizedGamma(0.5, (z * z) / 2) / 2;
  return 2 * (1 - cdf);
}

/**
 * One categorical column's drift, as Evidently decides it by default (`stattests/registry.py`): up to
 * `ks_max_reference_rows` reference rows, chi-square when more than two categories occur on either side, else the
 * Z-test, both at alpha (alpha/comparisons with Bonferroni); above, the Jensen–Shannon distance against
 * `js_threshold`. A rules method of `psi` or `js` is used as it is; `ks` and `wasserstein` (numeric statistics)
 * leave categorical columns to the default. Counts are of present cells only, aligned category by category; a
 * category the reference never saw is a count with a reference count of 0 (chi-square then gives p = 0).
 * `referenceRows` (default: the reference counts' total) decides between the tests and the distance, for counts
 * taken from a sample of a larger reference.
 */
export function categoricalDrift(
  name: string,
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
  overrides: Partial<DriftRules> = {},
  comparisons = 1,
  referenceRows = sum(referenceCounts),
): CategoricalDrift {
  const rules = resolveDriftRules(overrides);
  const alpha = perTestAlpha(rules, comparisons);
  if (sum(currentCounts) === 0) throw new InvalidDataError(`${name}: the window has no value to compare`);
  const psi = populationStabilityIndex(referenceCounts, currentCounts, { epsilon: rules.psi_epsilon });
  const js = jensenShannonDistance(referenceCounts, currentCounts);
  const method = categoricalMethod(rules, referenceRows, referenceCounts, currentCounts);
  if (method === 'js' || method === 'psi') {
    const score = method === 'js' ? js : psi;
    const threshold = method === 'js' ? rules.js_threshold : rules.psi_threshold;
    return { name, method, score, threshold, drifted: score >= threshold, psi, js_distance: js, p_value: null };
  }
  const pValue =
    method === 'z'
      ? proportionsZTest(referenceCounts, currentCounts)
      : chiSquareTest(referenceCounts, currentCounts).pValue;
  return {
    name,
    method,
    score: pValue,
    threshold: alpha,
    drifted: pValue < alpha,
    psi,
    js_distance: js,
    p_value: pValue,
  };
}

function categoricalMethod(
  rules: DriftRules,
  referenceRows: number,
  referenceCounts: ArrayLike<number>,
  currentCounts: ArrayLike<number>,
): CategoricalDrift['method'] {
  if (rules.method === 'js' || rules.method === 'psi') return rules.method;
  if (referenceRows > rules.ks_max_reference_rows) return 'js';
  let occurring = 0;
  for (let k = 0; k < referenceCounts.length; k++) if (referenceCounts[k]! + currentCounts[k]! > 0) occurring++;
  return occurring > 2 ? 'chisquare' : 'z';
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total;
}
