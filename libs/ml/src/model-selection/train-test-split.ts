import { InvalidDataError, InvalidParameterError } from '../errors.js';
import { RandomState } from '../random/random-state.js';

/** `train_test_split` options: a size in (0, 1) is a fraction, an integer >= 1 a count. */
export interface TrainTestSplitOptions {
  /** @defaultValue 0.25 when trainSize is also unset */
  testSize?: number;
  trainSize?: number;
  /** @defaultValue true */
  shuffle?: boolean;
  /** Class labels to stratify on (scikit-learn's `stratify=y`). */
  stratify?: ArrayLike<number>;
  /** Required when shuffling, so that every split is reproducible. */
  randomState?: number;
}

/** Row indices of each side, in scikit-learn's order (the order matters to the solvers that follow). */
export interface SplitIndices {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/** scikit-learn's `train_test_split` indices for `nSamples` rows: the same train and test indices in the same order. */
export function trainTestSplit(nSamples: number, options: TrainTestSplitOptions = {}): SplitIndices {
  const { nTrain, nTest } = splitSizes(nSamples, options.testSize, options.trainSize);
  const shuffle = options.shuffle ?? true;
  if (!shuffle) {
    if (options.stratify !== undefined) {
      throw new InvalidParameterError('stratify', 'y', 'stratified splits need shuffle=true');
    }
    return { train: range(0, nTrain), test: range(nTrain, nTrain + nTest) };
  }
  if (options.randomState === undefined) {
    throw new InvalidParameterError('random_state', undefined, 'is required when shuffle=true (reproducible splits)');
  }
  const rng = new RandomState(options.randomState);
  if (options.stratify !== undefined) return stratifiedSplit(options.stratify, nSamples, nTrain, nTest, rng);
  const perm = rng.permutation(nSamples);
  return { train: perm.slice(nTest, nTest + nTrain), test: perm.slice(0, nTest) };
}

/** `_validate_shuffle_split`: test sizes round up, train sizes round down, the unset side takes the rest. */
function splitSizes(n: number, testSize: number | undefined, trainSize: number | undefined) {
  if (!Number.isInteger(n) || n < 1) throw new InvalidDataError(`cannot split ${n} samples`);
  const test = testSize === undefined && trainSize === undefined ? 0.25 : testSize;
  checkSize('test_size', test, n);
  checkSize('train_size', trainSize, n);
  if (test !== undefined && trainSize !== undefined && test < 1 && trainSize < 1 && test + trainSize > 1) {
    throw new InvalidParameterError('test_size + train_size', test + trainSize, 'fractions must sum to at most 1');
  }
  let nTest = test === undefined ? undefined : test < 1 ? Math.ceil(test * n) : test;
  let nTrain = trainSize === undefined ? undefined : trainSize < 1 ? Math.floor(trainSize * n) : trainSize;
  nTrain ??= n - nTest!;
  nTest ??= n - nTrain;
  if (nTrain + nTest > n) {
    throw new InvalidParameterError('train_size + test_size', nTrain + nTest, `must be at most n_samples=${n}`);
  }
  if (nTrain === 0) {
    throw new InvalidParameterError('train_size', 0, `leaves no training sample with n_samples=${n}; lower test_size`);
  }
  return { nTrain, nTest };
}

function checkSize(name: string, size: number | undefined, n: number): void {
  if (size === undefined) return;
  const fraction = size > 0 && size < 1;
  const count = Number.isInteger(size) && size >= 1 && size < n;
  if (!fraction && !count) {
    throw new InvalidParameterError(name, size, `must be a fraction in (0, 1) or an integer count in [1, ${n - 1}]`);
  }
}

function range(from: number, to: number): Int32Array {
  const out = new Int32Array(to - from);
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}

/** `StratifiedShuffleSplit`: per-class allocation by `_approximate_mode`, per-class permutations, then a final shuffle. */
function stratifiedSplit(
  labels: ArrayLike<number>,
  n: number,
  nTrain: number,
  nTest: number,
  rng: RandomState,
): SplitIndices {
  if (labels.length !== n) throw new InvalidDataError(`stratify has ${labels.length} labels for ${n} samples`);
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const members = classes.map(() => [] as number[]);
  const classOf = new Map(classes.map((c, k) => [c, k]));
  for (let i = 0; i < n; i++) members[classOf.get(labels[i]!)!]!.push(i);
  const counts = members.map((m) => m.length);
  if (Math.min(...counts) < 2) {
    throw new InvalidDataError('stratify: the least populated class has only 1 member; each class needs at least 2');
  }
  if (nTrain < classes.length) {
    throw new InvalidParameterError('train_size', nTrain, `must be at least the number of classes (${classes.length})`);
  }
  if (nTest < classes.length) {
    throw new InvalidParameterError('test_size', nTest, `must be at least the number of classes (${classes.length})`);
  }
  const trainCounts = approximateMode(counts, nTrain, rng);
  const testCounts = approximateMode(
    counts.map((c, k) => c - trainCounts[k]!),
    nTest,
    rng,
  );
  const train: number[] = [];
  const test: number[] = [];
  members.forEach((indices, k) => {
    const perm = rng.permutation(indices.length);
    const ordered = Array.from(perm, (p) => indices[p]!);
    train.push(...ordered.slice(0, trainCounts[k]));
    test.push(...ordered.slice(trainCounts[k], trainCounts[k]! + testCounts[k]!));
  });
  return { train: rng.shuffle(Int32Array.from(train)), test: rng.shuffle(Int32Array.from(test)) };
}

/** `_approximate_mode`: floor the proportional allocation, then hand out leftovers by descending remainder. */
function approximateMode(counts: number[], draws: number, rng: RandomState): number[] {
  let total = 0;
  for (const c of counts) total += c;
  const continuous = counts.map((c) => (c / total) * draws);
  const floored = continuous.map(Math.floor);
  let needToAdd = draws - floored.reduce((a, b) => a + b, 0);
  if (needToAdd <= 0) return floored;
  const remainder = continuous.map((c, k) => c - floored[k]!);
  const values = [...new Set(remainder)].sort((a, b) => b - a);
  for (const value of values) {
    const tied = remainder.flatMap((r, k) => (r === value ? [k] : []));
    const addNow = Math.min(tied.length, needToAdd);
    const chosen = rng.permutation(tied.length).subarray(0, addNow);
    for (const pick of chosen) floored[tied[pick]!]! += 1;
    needToAdd -= addNow;
    if (needToAdd === 0) break;
  }
  return floored;
}
