import { InvalidParameterError } from '../errors.js';

/** The penalties LogisticRegression takes besides `null` (no penalty), by scikit-learn's names. */
export const PENALTIES = ['l1', 'l2', 'elasticnet'] as const;
/** One of {@link PENALTIES}. */
export type PenaltyName = (typeof PENALTIES)[number];

/** The penalty a fit uses and its L1 share: 0 for l2 and none, 1 for l1, l1_ratio for elasticnet. */
export interface ResolvedPenalty {
  readonly penalty: PenaltyName | null;
  readonly l1Ratio: number;
}

/**
 * scikit-learn 1.8's rules for `penalty` and `l1_ratio` (`LogisticRegression.fit` and `_check_solver`): without a
 * penalty, l1_ratio picks it (0 or unset: l2, 1: l1, in between: elasticnet); l1 needs liblinear or saga,
 * elasticnet needs saga and an l1_ratio; an l1_ratio in (0, 1) with another penalty is ignored with a warning.
 */
export function resolvePenalty(
  solver: string,
  requestedPenalty: PenaltyName | null | undefined,
  requestedL1Ratio: number | undefined,
  warn: (message: string) => void,
): ResolvedPenalty {
  const l1Ratio = checkL1Ratio(requestedL1Ratio);
  const penalty = requestedPenalty === undefined ? penaltyOfL1Ratio(l1Ratio) : checkPenalty(requestedPenalty);
  checkSolverSupports(solver, penalty);
  if (penalty !== 'elasticnet' && l1Ratio !== undefined && l1Ratio > 0 && l1Ratio < 1) {
    warn(`l1_ratio parameter is only used when penalty is 'elasticnet'. Got (penalty=${penalty ?? 'None'})`);
  }
  if ((penalty === 'l2' && l1Ratio === 1) || (penalty === 'l1' && l1Ratio === 0)) {
    warn(`Inconsistent values: penalty=${penalty} with l1_ratio=${l1Ratio}; the penalty is used.`);
  }
  if (penalty === 'elasticnet') {
    if (l1Ratio === undefined) {
      throw new InvalidParameterError('l1_ratio', undefined, 'l1_ratio must be specified when penalty is elasticnet.');
    }
    return { penalty, l1Ratio };
  }
  return { penalty, l1Ratio: penalty === 'l1' ? 1 : 0 };
}

function checkL1Ratio(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidParameterError('l1_ratio', value, 'must be a float in the range [0.0, 1.0]');
  }
  return value;
}

/** scikit-learn 1.8's default penalty=l1_ratio mapping: 0 (or unset) → l2, 1 → l1, otherwise elasticnet. */
function penaltyOfL1Ratio(l1Ratio: number | undefined): PenaltyName {
  if (l1Ratio === undefined || l1Ratio === 0) return 'l2';
  return l1Ratio === 1 ? 'l1' : 'elasticnet';
}

function checkPenalty(penalty: unknown): PenaltyName | null {
  if (penalty === null || PENALTIES.includes(penalty as PenaltyName)) return penalty as PenaltyName | null;
  throw new InvalidParameterError('penalty', penalty, "must be one of 'l1', 'l2', 'elasticnet' or null (no penalty)");
}

/** `_check_solver`'s penalty rules, with its messages. */
function checkSolverSupports(solver: string, penalty: PenaltyName | null): void {
  if (solver !== 'liblinear' && solver !== 'saga' && penalty !== 'l2' && penalty !== null) {
    throw new InvalidParameterError(
      'penalty',
      penalty,
      `Solver ${solver} supports only 'l2' or None penalties, got ${penalty} penalty.`,
    );
  }
  if (penalty === 'elasticnet' && solver !== 'saga') {
    throw new InvalidParameterError(
      'penalty',
      penalty,
      `Only 'saga' solver supports elasticnet penalty, got solver=${solver}.`,
    );
  }
}
