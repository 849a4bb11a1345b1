import type { ClassWeightSpec } from '@mlops/contracts';
import { type ClassWeight, InvalidParameterError } from '@mlops/ml';

/**
 * A trial's class_weight as the fit takes it. A mapping's keys name classes as the request writes them: a number
 * target's class value as written plainly (`"1"` or `"1.0"` for class 1, `"-1"`; not `"1e0"` or `" 1"`), a text target's label (`"yes"`); they
 * become the numbers the model is fitted on (a text target's 0 and 1). As in scikit-learn, a class without a key
 * weighs 1, and a key that names no class is an error unless every class has a weight.
 */
export function fitClassWeight(
  spec: ClassWeightSpec | undefined,
  y: Float64Array,
  textLabels: readonly [string, string] | undefined,
): ClassWeight | null {
  if (spec === undefined || spec === null || spec === 'balanced') return spec ?? null;
  const classes = [...new Set(y)].sort((a, b) => a - b);
  const labelOf = (value: number) => (textLabels === undefined ? String(value) : (textLabels[value] ?? String(value)));
  const names = (key: string, value: number) =>
    textLabels === undefined ? key === String(value) || key === value.toFixed(1) : key === labelOf(value);
  const weights: Record<number, number> = {};
  const unmatched: string[] = [];
  for (const [key, weight] of Object.entries(spec)) {
    const value = classes.find((c) => names(key, c));
    if (value === undefined) unmatched.push(key);
    else if (Object.hasOwn(weights, value)) {
      throw new InvalidParameterError('class_weight', spec, `two keys name class ${JSON.stringify(labelOf(value))}`);
    } else weights[value] = weight;
  }
  const unweighted = classes.filter((c) => !Object.hasOwn(weights, c)).map(labelOf);
  if (unmatched.length > 0 && unweighted.length > 0) {
    const shown = (labels: string[]) => labels.map((label) => JSON.stringify(label)).join(', ');
    throw new InvalidParameterError(
      'class_weight',
      spec,
      `The classes, [${shown(unweighted)}], are not in class_weight (its keys ${shown(unmatched)} name no class)`,
    );
  }
  return weights;
}
