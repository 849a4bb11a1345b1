import { z } from 'zod';

/** The penalties LogisticRegression takes besides null (no penalty), by scikit-learn's names. */
export const PENALTY_NAMES = ['l2', 'l1', 'elasticnet'] as const;
/** One of {@link PENALTY_NAMES}. */
export type PenaltyName = (typeof PENALTY_NAMES)[number];

/** The solvers that fit each penalty (scikit-learn's `_check_solver`); `none` is the key of penalty null. */
export const SOLVERS_OF_PENALTY = {
  l2: ['liblinear', 'lbfgs', 'saga'],
  l1: ['liblinear', 'saga'],
  elasticnet: ['saga'],
  none: ['lbfgs', 'saga'],
} as const satisfies Record<PenaltyName | 'none', readonly string[]>;

/** A penalty as a request writes it: a name, or null (no penalty), with `"none"` accepted for null. */
export const PenaltySchema = z
  .union([z.enum([...PENALTY_NAMES, 'none']), z.null()])
  .transform((penalty): PenaltyName | null => (penalty === 'none' ? null : penalty))
  .describe('l2, l1 (liblinear, saga), elasticnet (saga, with l1_ratio), or null / "none" (no penalty: lbfgs, saga)');

/** True when scikit-learn fits `penalty` with `solver`. */
export function solverFitsPenalty(solver: string, penalty: PenaltyName | null): boolean {
  return (SOLVERS_OF_PENALTY[penalty ?? 'none'] as readonly string[]).includes(solver);
}

/** A class label as a class_weight key: the class value of a number target (`"0"`, `"1"`), or a text label. */
const ClassKeySchema = z
  .string()
  .min(1)
  .max(256)
  .refine((key) => key !== '__proto__', 'not a class label');

/**
 * scikit-learn's class_weight: null (every class weighs 1), `"balanced"` (n_samples / (2 · rows of the class)) or a
 * weight per class. JSON keys are text: a number target's class value as JSON writes it (`{"0": 1, "1": 3}`; `"1.0"`
 * names class 1 too), a text target's label (`{"no": 1, "yes": 3}`); a class without a key weighs 1.
 */
export const ClassWeightSchema = z
  .union([
    z.null(),
    z.literal('balanced'),
    z.record(ClassKeySchema, z.number().finite().gt(0)).refine((mapping) => {
      const keys = Object.keys(mapping).length;
      return keys >= 1 && keys <= 2;
    }, 'a mapping names one or two classes (the target is binary)'),
  ])
  .describe('null, "balanced", or {"<class>": weight} (class value of a number target, label of a text target)');

/** One class_weight value: null, `'balanced'` or a weight per class label (see {@link ClassWeightSchema}). */
export type ClassWeightSpec = z.output<typeof ClassWeightSchema>;
