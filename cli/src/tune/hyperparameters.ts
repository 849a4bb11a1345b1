import { type ClassWeightSpec, type Distribution, PENALTY_NAMES, type PenaltyName } from '@mlops/contracts';
import { UsageError } from '../errors.js';

/** The penalty a flag names: l2, l1, elasticnet, or none (no penalty, null in a request). */
export function penaltyValue(text: string, flag: string): PenaltyName | null {
  const value = text.trim();
  if (value === 'none') return null;
  if ((PENALTY_NAMES as readonly string[]).includes(value)) return value as PenaltyName;
  throw new UsageError(`--${flag} "${text}" is not one of ${PENALTY_NAMES.join(', ')}, none`);
}

/**
 * The class_weight a flag names: `balanced`, `none` (every class weighs 1), or weights per class as `CLASS:WEIGHT`
 * pairs separated by commas (`0:1,1:3`, `no:1,yes:3`: the class value of a number target, the label of a text one).
 */
export function classWeightValue(text: string, flag: string): ClassWeightSpec {
  const value = text.trim();
  if (value === 'none') return null;
  if (value === 'balanced') return 'balanced';
  const mapping: Record<string, number> = {};
  for (const pair of value.split(',')) {
    const colon = pair.lastIndexOf(':');
    const key = pair.slice(0, colon).trim();
    const weightText = pair.slice(colon + 1).trim();
    const weight = weightText === '' ? Number.NaN : Number(weightText);
    if (
      colon < 0 ||
      key === '' ||
      key === '__proto__' ||
      !(Number.isFinite(weight) && weight > 0) ||
      Object.hasOwn(mapping, key)
    ) {
      throw new UsageError(
        `--${flag} "${text}" is not balanced, none or CLASS:WEIGHT pairs such as 0:1,1:3 (each class once, weights > 0)`,
      );
    }
    mapping[key] = weight;
  }
  return mapping;
}

/**
 * A distribution a flag names for a random search: `loguniform:LOW:HIGH` (scipy.stats.loguniform) or
 * `uniform:LOC:SCALE` (scipy.stats.uniform, support [LOC, LOC + SCALE]); undefined when the text is a list of values.
 */
export function distributionValue(text: string, flag: string): Distribution | undefined {
  const [type, ...numbers] = text.trim().split(':');
  if (type !== 'loguniform' && type !== 'uniform') return undefined;
  const [a, b] = numbers.map((n) => (n.trim() === '' ? Number.NaN : Number(n)));
  if (numbers.length !== 2 || !Number.isFinite(a) || !Number.isFinite(b)) {
    const shape = type === 'loguniform' ? 'loguniform:LOW:HIGH' : 'uniform:LOC:SCALE';
    throw new UsageError(`--${flag} "${text}" is not ${shape} with two numbers`);
  }
  return type === 'loguniform'
    ? { type, low: a as number, high: b as number }
    : { type, loc: a as number, scale: b as number };
}
