import { describe, expect, it } from 'vitest';
import { makeClassification } from '../src/datasets/make-classification.js';
import { InvalidParameterError } from '../src/errors.js';
import type { MakeClassificationCase, SklearnMakeClassificationParams } from './support/fixtures.js';
import { loadFixture, maxAbsDiff } from './support/fixtures.js';

function fromSklearn(p: SklearnMakeClassificationParams) {
  return makeClassification({
    nSamples: p.n_samples,
    nFeatures: p.n_features,
    nInformative: p.n_informative,
    nRedundant: p.n_redundant,
    nRepeated: p.n_repeated,
    nClasses: p.n_classes,
    nClustersPerClass: p.n_clusters_per_class,
    weights: p.weights,
    flipY: p.flip_y,
    classSep: p.class_sep,
    hypercube: p.hypercube,
    shift: p.shift,
    scale: p.scale,
    shuffle: p.shuffle,
    randomState: p.random_state,
  });
}

describe('makeClassification', () => {
  const fixture = loadFixture<{
    cases: MakeClassificationCase[];
    errors?: { params: SklearnMakeClassificationParams; message: string }[];
  }>('make-classification.json');

  it.each(
    fixture.cases.map((c) => [c.name, c] as const),
  )('when called like scikit-learn case %s, then y is identical and X agrees to 1e-12', (_name, c) => {
    const { X, y } = fromSklearn(c.params);
    expect(Array.from(y)).toEqual(c.y);
    expect([X.rows, X.cols]).toEqual([c.X.length, c.X[0]?.length]);
    const scale = Math.max(1, ...c.X.flat().map(Math.abs));
    expect(maxAbsDiff(X.data, c.X.flat()) / scale).toBeLessThan(1e-12);
  });

  it('when generating the seed data set, then it starts with scikit-learn documented values', () => {
    const { X, y } = makeClassification({ nSamples: 1000, nFeatures: 20, randomState: 42 });
    expect(Array.from(y.subarray(0, 10))).toEqual([1, 0, 1, 1, 0, 0, 1, 0, 1, 0]);
    expect(y.reduce((a, b) => a + b, 0)).toBe(500);
    const firstRow = [-0.6693560962502948, -1.4957781907675487, -0.8707663764407388, 1.1418309277362335];
    expect(maxAbsDiff(X.data.subarray(0, 4), firstRow)).toBeLessThan(1e-12);
  });

  it.each(
    (fixture.errors ?? []).map((e) => [e.message, e] as const),
  )('when scikit-learn rejects the arguments (%s), then it throws InvalidParameterError', (_message, e) => {
    expect(() => fromSklearn(e.params)).toThrow(InvalidParameterError);
  });

  it('when weights have the wrong length, then the error names weights and the allowed lengths', () => {
    expect(() => makeClassification({ nClasses: 3, nInformative: 3, weights: [0.5], randomState: 0 })).toThrow(
      /weights.*needs 3 or 2 values/,
    );
  });
});
