import { describe, expect, it } from 'vitest';
import { MlError } from '../src/errors.js';
import type { ClassLabel } from '../src/model-selection/stratified-k-fold.js';
import { stratifiedKFold } from '../src/model-selection/stratified-k-fold.js';
import { loadFixture } from './support/fixtures.js';

interface KFoldCase {
  name: string;
  y: ClassLabel[];
  n_splits: number;
  shuffle: boolean;
  random_state: number | null;
  folds: { train: number[]; test: number[] }[];
  warnings: string[];
  message?: string;
}

const fixture = loadFixture<{ stratified_kfold: KFoldCase[]; stratified_kfold_errors: KFoldCase[] }>(
  'model-selection.json',
);

function run(c: KFoldCase) {
  return stratifiedKFold(c.y, {
    nSplits: c.n_splits,
    shuffle: c.shuffle,
    ...(c.random_state === null ? {} : { randomState: c.random_state }),
  });
}

describe('stratifiedKFold', () => {
  it.each(
    fixture.stratified_kfold.map((c) => [c.name, c] as const),
  )('when splitting %s like scikit-learn, then every fold and warning is identical', (_name, c) => {
    const { folds, warnings } = run(c);
    const asArrays = folds.map((f) => ({ train: Array.from(f.train), test: Array.from(f.test) }));
    expect({ folds: asArrays, warnings }).toEqual({ folds: c.folds, warnings: c.warnings });
  });

  it.each(
    fixture.stratified_kfold_errors.map((c) => [c.name, c] as const),
  )('when scikit-learn refuses case %s, then it throws a typed error', (_name, c) => {
    expect(() => run(c)).toThrow(MlError);
  });

  it('when every class has fewer members than n_splits, then the message is scikit-learn’s', () => {
    const c = fixture.stratified_kfold_errors.find((e) => e.name === 'more_splits_than_members');
    expect(() => run(c!)).toThrow(c!.message);
  });

  it('when shuffling without a random state, then it refuses instead of giving irreproducible folds', () => {
    expect(() => stratifiedKFold([0, 1, 0, 1, 0, 1], { nSplits: 2, shuffle: true })).toThrow(/random_state/);
  });

  it('when labels are continuous, then it refuses like type_of_target', () => {
    expect(() => stratifiedKFold([0.5, 1, 0, 1], { nSplits: 2 })).toThrow(/continuous/);
  });
});
