import { describe, expect, it } from 'vitest';
import { MlError } from '../src/errors.js';
import { trainTestSplit } from '../src/model-selection/train-test-split.js';
import { loadFixture } from './support/fixtures.js';

interface SplitCase {
  name: string;
  n_samples: number;
  y: number[] | null;
  params: {
    test_size: number | null;
    train_size: number | null;
    shuffle: boolean;
    stratify: boolean;
    random_state: number | null;
  };
  train: number[];
  test: number[];
  message?: string;
  size_kinds?: { test_size: 'int' | 'float' | null; train_size: 'int' | 'float' | null };
}

/** scikit-learn's float 1.0, which JSON (and JavaScript) cannot tell from the count 1. */
function isFloatOne(c: SplitCase): boolean {
  const kinds = c.size_kinds;
  return (
    (kinds?.test_size === 'float' && c.params.test_size === 1) ||
    (kinds?.train_size === 'float' && c.params.train_size === 1)
  );
}

function split(c: SplitCase) {
  const { test_size, train_size, shuffle, stratify, random_state } = c.params;
  return trainTestSplit(c.n_samples, {
    ...(test_size === null ? {} : { testSize: test_size }),
    ...(train_size === null ? {} : { trainSize: train_size }),
    shuffle,
    ...(stratify && c.y !== null ? { stratify: c.y } : {}),
    ...(random_state === null ? {} : { randomState: random_state }),
  });
}

describe('trainTestSplit', () => {
  const fixture = loadFixture<{ cases: SplitCase[]; errors: SplitCase[] }>('train-test-split.json');

  it.each(
    fixture.cases.map((c) => [c.name, c] as const),
  )('when splitting like scikit-learn case %s, then train and test indices are identical, in order', (_name, c) => {
    const { train, test } = split(c);
    expect({ train: Array.from(train), test: Array.from(test) }).toEqual({ train: c.train, test: c.test });
  });

  // JavaScript has one number type: 1.0 is the integer 1, a valid count, so scikit-learn's "float 1.0" errors don't apply.
  const applicableErrors = fixture.errors.filter((c) => !isFloatOne(c));
  it.each(
    applicableErrors.map((c) => [c.name, c] as const),
  )('when scikit-learn refuses case %s, then it throws a typed error', (_name, c) => {
    expect(() => split(c)).toThrow(MlError);
  });

  it('when the canonical 20 % split of 1000 rows with seed 42 is drawn, then the test set starts as documented', () => {
    const { train, test } = trainTestSplit(1000, { testSize: 0.2, randomState: 42 });
    expect(Array.from(test.subarray(0, 10))).toEqual([521, 737, 740, 660, 411, 678, 626, 513, 859, 136]);
    expect([train.length, test.length]).toEqual([800, 200]);
  });

  it('when shuffling without a random state, then it refuses instead of giving an irreproducible split', () => {
    expect(() => trainTestSplit(10, { testSize: 0.2 })).toThrow(/random_state/);
  });
});
