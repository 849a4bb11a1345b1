import { InvalidDataError, InvalidParameterError } from '../errors.js';
import { RandomState } from '../random/random-state.js';
import type { SplitIndices } from './train-test-split.js';

/** A class label: integers (or strings) as scikit-learn's `type_of_target` accepts for "binary"/"multiclass". */
export type ClassLabel = number | string;

/** `StratifiedKFold(n_splits, shuffle, random_state)` options. */
export interface StratifiedKFoldOptions {
  /** @defaultValue 5 */
  nSplits?: number;
  /** @defaultValue false */
  shuffle?: boolean;
  /** Required when shuffling (reproducible folds); refused without shuffling, as scikit-learn does. */
  randomState?: number;
}

/** The folds of `split(X, y)` in order (train and test indices ascending) and scikit-learn's UserWarnings. */
export interface StratifiedFolds {
  readonly folds: readonly SplitIndices[];
  readonly warnings: readonly string[];
}

/** scikit-learn's `StratifiedKFold(...).split(X, y)`: the same folds, bit for bit (`_make_test_folds`). */
export function stratifiedKFold(y: ArrayLike<ClassLabel>, options: StratifiedKFoldOptions = {}): StratifiedFolds {
  const nSplits = options.nSplits ?? 5;
  const rng = resolveRng(nSplits, options.shuffle ?? false, options.randomState);
  if (nSplits > y.length) {
    throw new InvalidParameterError('n_splits', nSplits, `cannot be greater than the number of samples (${y.length})`);
  }
  const { encoded, counts } = encodeByFirstAppearance(y);
  const warnings = checkClassSizes(counts, nSplits);
  const testFolds = assignTestFolds(encoded, counts, nSplits, rng);
  return { folds: foldsOf(testFolds, nSplits), warnings };
}

/** `_BaseKFold.__init__`: n_splits >= 2; random_state only with shuffle (and required with it here). */
function resolveRng(nSplits: number, shuffle: boolean, randomState: number | undefined): RandomState | undefined {
  if (!Number.isInteger(nSplits) || nSplits < 2) {
    throw new InvalidParameterError('n_splits', nSplits, 'k-fold cross-validation needs an integer n_splits >= 2');
  }
  if (!shuffle) {
    if (randomState !== undefined) {
      throw new InvalidParameterError(
        'random_state',
        randomState,
        'has no effect since shuffle is false; leave it unset',
      );
    }
    return undefined;
  }
  if (randomState === undefined) {
    throw new InvalidParameterError('random_state', undefined, 'is required when shuffle=true (reproducible folds)');
  }
  return new RandomState(randomState);
}

/** Class codes in order of first appearance (what scikit-learn's two `np.unique` calls produce) and class sizes. */
function encodeByFirstAppearance(y: ArrayLike<ClassLabel>): { encoded: Int32Array; counts: number[] } {
  const codes = new Map<ClassLabel, number>();
  const counts: number[] = [];
  const encoded = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const label = y[i]!;
    if (typeof label === 'number' && !Number.isInteger(label)) {
      throw new InvalidDataError(
        `Supported target types are: ('binary', 'multiclass'). Got 'continuous' instead (label ${label}).`,
      );
    }
    let code = codes.get(label);
    if (code === undefined) {
      code = counts.length;
      codes.set(label, code);
      counts.push(0);
    }
    encoded[i] = code;
    counts[code]! += 1;
  }
  return { encoded, counts };
}

/** Error when every class is smaller than n_splits; a warning when the smallest one is. */
function checkClassSizes(counts: number[], nSplits: number): string[] {
  const smallest = Math.min(...counts);
  if (counts.every((c) => nSplits > c)) {
    throw new InvalidDataError(`n_splits=${nSplits} cannot be greater than the number of members in each class.`);
  }
  if (nSplits <= smallest) return [];
  return [`The least populated class in y has only ${smallest} members, which is less than n_splits=${nSplits}.`];
}

/** Round-robin allocation over the sorted codes, then per class a block of fold numbers (shuffled with one rng). */
function assignTestFolds(
  encoded: Int32Array,
  counts: number[],
  nSplits: number,
  rng: RandomState | undefined,
): Int32Array {
  const allocation = allocate(counts, nSplits);
  const testFolds = new Int32Array(encoded.length);
  counts.forEach((count, k) => {
    const foldsForClass = new Int32Array(count);
    let at = 0;
    for (let fold = 0; fold < nSplits; fold++) {
      for (let r = 0; r < allocation[fold * counts.length + k]!; r++) foldsForClass[at++] = fold;
    }
    rng?.shuffle(foldsForClass);
    let next = 0;
    for (let i = 0; i < encoded.length; i++) if (encoded[i] === k) testFolds[i] = foldsForClass[next++]!;
  });
  return testFolds;
}

/** `allocation[i, k]` = `bincount(y_order[i::n_splits])[k]`, row-major (n_splits × n_classes). */
function allocate(counts: number[], nSplits: number): Int32Array {
  const allocation = new Int32Array(nSplits * counts.length);
  let position = 0;
  counts.forEach((count, k) => {
    for (let r = 0; r < count; r++, position++) allocation[(position % nSplits) * counts.length + k]! += 1;
  });
  return allocation;
}

function foldsOf(testFolds: Int32Array, nSplits: number): SplitIndices[] {
  const folds: SplitIndices[] = [];
  for (let fold = 0; fold < nSplits; fold++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < testFolds.length; i++) (testFolds[i] === fold ? test : train).push(i);
    folds.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
  }
  return folds;
}
