import { InvalidParameterError } from '../errors.js';
import { type ClassWeights, UNIT_CLASS_WEIGHTS } from './solver-types.js';

/**
 * LogisticRegression's `class_weight`: 'balanced' (n_samples / (n_classes · count of the class)) or a weight per
 * class label, keyed by the label as JSON writes it (`{ 0: 1, 1: 3 }`); a label without a key weighs 1.
 */
export type ClassWeight = 'balanced' | Readonly<Record<number, number>>;

/** Checks class_weight's form as scikit-learn's parameter validation does (weights must be finite and > 0 here). */
export function checkClassWeight(value: ClassWeight | null | undefined): ClassWeight | null {
  if (value === undefined || value === null || value === 'balanced') return value ?? null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidParameterError(
      'class_weight',
      value,
      "The 'class_weight' parameter of LogisticRegression must be an instance of 'dict', a str among {'balanced'} or None",
    );
  }
  for (const [label, weight] of Object.entries(value)) {
    if (typeof weight !== 'number' || !Number.isFinite(weight) || !(weight > 0)) {
      throw new InvalidParameterError(`class_weight[${label}]`, weight, 'class weights must be finite numbers > 0');
    }
  }
  return value;
}

/**
 * scikit-learn's `compute_class_weight(class_weight, classes=classes, y=y)` for a binary problem: the weights of
 * classes[0] and classes[1]. `y` is encoded 0/1 (1 = classes[1]).
 */
export function computeClassWeights(
  classWeight: ClassWeight | null,
  classes: readonly [number, number],
  y: Float64Array,
): ClassWeights {
  if (classWeight === null) return UNIT_CLASS_WEIGHTS;
  if (classWeight === 'balanced') return balancedClassWeights(y);
  return mappedClassWeights(classWeight, classes);
}

/** 'balanced': Σ counts / (2 · count of the class), with the counts as floats (np.bincount with unit weights). */
function balancedClassWeights(y: Float64Array): ClassWeights {
  let positives = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === 1) positives++;
  const negatives = y.length - positives;
  const total = negatives + positives;
  return [total / (2 * negatives), total / (2 * positives)];
}

/** A user mapping: the weight of each class present; every key must name a class unless all classes are weighted. */
function mappedClassWeights(
  mapping: Readonly<Record<number, number>>,
  classes: readonly [number, number],
): ClassWeights {
  const keys = Object.keys(mapping);
  if (keys.length === 0) return UNIT_CLASS_WEIGHTS;
  const weights: [number, number] = [1, 1];
  const unweighted: number[] = [];
  classes.forEach((label, k) => {
    const key = String(label);
    if (Object.hasOwn(mapping, key)) weights[k] = (mapping as Record<string, number>)[key]!;
    else unweighted.push(label);
  });
  if (unweighted.length > 0 && classes.length - unweighted.length !== keys.length) {
    throw new InvalidParameterError(
      'class_weight',
      mapping,
      `The classes, [${unweighted.join(', ')}], are not in class_weight`,
    );
  }
  return weights;
}
