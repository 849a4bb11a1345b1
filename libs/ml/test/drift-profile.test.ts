import { describe, expect, it } from 'vitest';
import { binOf, countIntoBins } from '../src/drift/bins.js';
import { buildReferenceProfile } from '../src/drift/profile.js';
import { InvalidDataError, InvalidParameterError } from '../src/errors.js';
import { fromRows } from '../src/matrix.js';
import { driftFixture, expectClose, profileMatrix } from './support/drift-fixture.js';

describe('buildReferenceProfile (against numpy mean, std, quantile, unique, histogram and RandomState.permutation)', () => {
  for (const c of driftFixture.profiles) {
    const x = profileMatrix(c.seed, c.rows);
    const profile = buildReferenceProfile(x, { bins: c.bins, sampleSize: c.sample_size, randomState: c.random_state });

    it(`when the case is ${c.name}, then every feature's summary, edges and bin counts match numpy`, () => {
      expect(profile.features).toHaveLength(c.features.length);
      c.features.forEach((expected, j) => {
        const feature = profile.features[j]!;
        expect(feature.name).toBe(`x${j}`);
        expect([feature.count, feature.min, feature.max, feature.unique_count]).toEqual([
          expected.count,
          expected.min,
          expected.max,
          expected.unique_count,
        ]);
        expectClose(feature.mean, expected.mean, 1e-15, `mean of x${j}`);
        expectClose(feature.std, expected.std, 1e-15, `std of x${j}`);
        expect(feature.quantile_edges).toEqual(expected.quantile_edges);
        expect(feature.bin_counts).toEqual(expected.bin_counts);
      });
    });

    it(`when the case is ${c.name}, then the sample is numpy's rows, column by column`, () => {
      expect(profile.sample.rows).toEqual(c.sample_rows);
      expect(profile.sample.columns[1]).toEqual(c.sample_rows.map((i) => x.data[i * x.cols + 1]));
      expect(profile).toMatchObject({ version: 1, rows: c.rows, bins: c.bins, sample_size: c.sample_size });
    });

    it(`when the case is ${c.name}, then a window counts into the bins as searchsorted(edges[1:-1], side='right')`, () => {
      const window = profileMatrix(c.window.seed, c.window.rows, c.window.shifts);
      const counts = profile.features.map((f, j) =>
        countIntoBins(
          f.quantile_edges,
          Array.from({ length: window.rows }, (_, i) => window.data[i * window.cols + j]!),
        ),
      );
      expect(counts).toEqual(c.window_counts);
    });
  }

  it('when the profile goes through JSON, then it comes back equal (plain numbers and arrays)', () => {
    const profile = buildReferenceProfile(profileMatrix(1, 50), { featureNames: ['a', 'b', 'c', 'd', 'e'] });
    expect(JSON.parse(JSON.stringify(profile))).toEqual(profile);
    expect(profile.features.map((f) => f.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('when the matrix is empty, holds NaN, or the options are out of range, then it refuses', () => {
    const x = fromRows([
      [1, 2],
      [3, 4],
    ]);
    expect(() => buildReferenceProfile(fromRows([]))).toThrow(InvalidDataError);
    expect(() => buildReferenceProfile(fromRows([[1, Number.NaN]]))).toThrow(/non-finite/);
    expect(() => buildReferenceProfile(x, { bins: 0 })).toThrow(InvalidParameterError);
    expect(() => buildReferenceProfile(x, { sampleSize: 1.5 })).toThrow(InvalidParameterError);
    expect(() => buildReferenceProfile(x, { featureNames: ['only one'] })).toThrow(InvalidParameterError);
  });

  it('when the column has many distinct values, then unique_count stops at the cap', () => {
    const profile = buildReferenceProfile(profileMatrix(2, 40), { uniqueCap: 25 });
    expect(profile.features.map((f) => f.unique_count)).toEqual([25, 25, 1, expect.any(Number), expect.any(Number)]);
  });
});

describe('countIntoBins', () => {
  it('when values sit on, between and beyond the edges, then the first and last bins are open and the rest [e, next)', () => {
    const edges = [0, 1, 2, 3];
    expect(countIntoBins(edges, [-5, 0, 0.5, 1, 1.5, 2, 3, 99])).toEqual([3, 2, 3]);
    expect([binOf(edges, 0.999), binOf(edges, 1), binOf(edges, 3)]).toEqual([0, 1, 2]);
  });

  it('when the profile has a single edge (a constant column), then everything falls into one bin', () => {
    expect(countIntoBins([1.5], [1.5, -3, 8])).toEqual([3]);
    expect(() => countIntoBins([], [1])).toThrow(InvalidDataError);
  });
});
