import { InvalidParameterError } from '../errors.js';

/** Which statistic decides whether a feature drifted; 'auto' is Evidently's default choice. */
export type DriftMethod = 'auto' | 'psi' | 'js' | 'ks' | 'wasserstein';

/** The drift-decision rules (JSON-shaped, snake_case, so a monitor's config can carry them as they are). */
export interface DriftRules {
  /** Significance of the KS test. */
  readonly alpha: number;
  /** Divide alpha by the number of features compared (alpha/m). */
  readonly bonferroni: boolean;
  /** Normed Wasserstein distance at or above this is drift. */
  readonly wasserstein_threshold: number;
  /** Jensen–Shannon distance (natural log) at or above this is drift. */
  readonly js_threshold: number;
  /** PSI at or above this is drift. */
  readonly psi_threshold: number;
  /** The dataset drifts when at least this share of its features drift. */
  readonly drift_share: number;
  /** 'auto' uses KS up to this many reference sample rows and the normed Wasserstein distance above. */
  readonly ks_max_reference_rows: number;
  readonly method: DriftMethod;
  /** PSI's fill for empty bins. */
  readonly psi_epsilon: number;
}

/** Evidently's defaults, with Bonferroni correction across features on. */
export const DEFAULT_DRIFT_RULES: DriftRules = Object.freeze({
  alpha: 0.05,
  bonferroni: true,
  wasserstein_threshold: 0.1,
  js_threshold: 0.1,
  psi_threshold: 0.1,
  drift_share: 0.5,
  ks_max_reference_rows: 1000,
  method: 'auto',
  psi_epsilon: 0.0001,
});

const METHODS: readonly DriftMethod[] = ['auto', 'psi', 'js', 'ks', 'wasserstein'];

/** The defaults under the given overrides, checked. */
export function resolveDriftRules(overrides: Partial<DriftRules> = {}): DriftRules {
  const rules = { ...DEFAULT_DRIFT_RULES, ...overrides };
  for (const key of ['alpha', 'drift_share'] as const) {
    if (!(rules[key] > 0 && rules[key] <= 1)) throw new InvalidParameterError(key, rules[key], 'a number in (0, 1]');
  }
  if (!(rules.psi_epsilon > 0 && rules.psi_epsilon < 1)) {
    throw new InvalidParameterError('psi_epsilon', rules.psi_epsilon, 'a number in (0, 1)');
  }
  for (const key of ['wasserstein_threshold', 'js_threshold', 'psi_threshold'] as const) {
    if (!(rules[key] >= 0 && Number.isFinite(rules[key]))) {
      throw new InvalidParameterError(key, rules[key], 'a finite number ≥ 0');
    }
  }
  if (!(Number.isInteger(rules.ks_max_reference_rows) && rules.ks_max_reference_rows >= 0)) {
    throw new InvalidParameterError('ks_max_reference_rows', rules.ks_max_reference_rows, 'an integer ≥ 0');
  }
  if (!METHODS.includes(rules.method)) throw new InvalidParameterError('method', rules.method, METHODS.join(', '));
  if (typeof rules.bonferroni !== 'boolean')
    throw new InvalidParameterError('bonferroni', rules.bonferroni, 'a boolean');
  return rules;
}

/** Bonferroni's per-test significance: alpha/m for m tests. */
export function bonferroni(alpha: number, m: number): number {
  if (!(alpha > 0 && alpha <= 1)) throw new InvalidParameterError('alpha', alpha, 'a number in (0, 1]');
  if (!Number.isInteger(m) || m < 1) throw new InvalidParameterError('m', m, 'an integer ≥ 1');
  return alpha / m;
}

/** The significance each of `comparisons` tests gets under the rules: alpha, or alpha/comparisons with Bonferroni. */
export function perTestAlpha(rules: DriftRules, comparisons: number): number {
  if (!Number.isInteger(comparisons) || comparisons < 1) {
    throw new InvalidParameterError('comparisons', comparisons, 'an integer ≥ 1');
  }
  return rules.bonferroni ? rules.alpha / comparisons : rules.alpha;
}

/** Whether the dataset drifted: the share of drifted features is at least driftShare (Evidently's rule). */
export function datasetDrifted(driftedFeatures: number, features: number, driftShare: number): boolean {
  return features > 0 && driftedFeatures / features >= driftShare;
}
