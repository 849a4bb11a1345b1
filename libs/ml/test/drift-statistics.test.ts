import { describe, expect, it } from 'vitest';
import { chiSquareSf, chiSquareTest } from '../src/drift/chi-square.js';
import { jensenShannonDistance } from '../src/drift/jensen-shannon.js';
import { kolmogorovSf } from '../src/drift/kolmogorov.js';
import { ksTwoSample, ksTwoSampleSorted } from '../src/drift/ks-two-sample.js';
import { pairwiseSum } from '../src/drift/numpy-reductions.js';
import { populationStabilityIndex } from '../src/drift/psi.js';
import { bonferroni } from '../src/drift/rules.js';
import { normedWassersteinDistance, wassersteinDistance } from '../src/drift/wasserstein.js';
import { InvalidDataError, InvalidParameterError } from '../src/errors.js';
import { driftFixture, expectClose, expectRelative, sampleOf } from './support/drift-fixture.js';

const fixture = driftFixture;

describe('ksTwoSample (against scipy.stats.ks_2samp, method auto)', () => {
  for (const c of fixture.two_sample) {
    it(`when the case is ${c.name}, then the statistic, the p-value and the method match`, () => {
      const reference = sampleOf(c.reference);
      const current = sampleOf(c.current);
      expect([pairwiseSum(reference), pairwiseSum(current)]).toEqual([
        c.reference_sum ?? pairwiseSum(reference),
        c.current_sum ?? pairwiseSum(current),
      ]);
      const result = ksTwoSample(reference, current);
      expect(result.method).toBe(c.ks_method);
      expectRelative(result.statistic, c.ks_statistic, 1e-15, 'statistic');
      expectRelative(result.pValue, c.ks_p_value, 1e-12, 'p-value');
    });
  }

  it('when the samples are already sorted, then the sorted variant gives the same answer', () => {
    const c = fixture.two_sample[1]!;
    const reference = sampleOf(c.reference).sort();
    const current = sampleOf(c.current).sort();
    expect(ksTwoSampleSorted(reference, current)).toEqual(ksTwoSample(reference, current));
  });

  it('when a sample is empty or holds NaN, then it refuses', () => {
    expect(() => ksTwoSample([], [1])).toThrow(InvalidDataError);
    expect(() => ksTwoSample([1, Number.NaN], [1])).toThrow(/non-finite/);
  });
});

describe('kolmogorovSf (against scipy.stats.kstwo.sf, every branch of the algorithm choice)', () => {
  it('when evaluated over the grid, then every value is within 1e-12 absolute and the bulk bit for bit', () => {
    let exact = 0;
    for (const g of fixture.kstwo) {
      const sf = kolmogorovSf(g.n, g.x);
      expectClose(sf, g.sf, 1e-12, `kstwo.sf(${g.x}, ${g.n})`);
      if (sf === g.sf) exact++;
    }
    expect(exact / fixture.kstwo.length).toBeGreaterThan(0.5);
  });
});

describe('wassersteinDistance (against scipy.stats.wasserstein_distance)', () => {
  for (const c of fixture.two_sample) {
    it(`when the case is ${c.name}, then W1 and the normed distance match within 1e-12 relative`, () => {
      const reference = sampleOf(c.reference);
      const current = sampleOf(c.current);
      expectRelative(wassersteinDistance(reference, current), c.wasserstein, 1e-12, 'W1');
      expectRelative(normedWassersteinDistance(reference, current), c.wasserstein_normed, 1e-12, 'normed W1');
    });
  }
});

describe('jensenShannonDistance (against scipy.spatial.distance.jensenshannon)', () => {
  for (const c of fixture.jensenshannon) {
    it(`when the case is ${c.name}, then the distance matches`, () => {
      expectClose(jensenShannonDistance(c.p, c.q, c.base ?? undefined), c.distance, 1e-15, c.name);
    });
  }

  it('when the vectors do not pair up or the base is invalid, then it refuses', () => {
    expect(() => jensenShannonDistance([1, 2], [1])).toThrow(InvalidDataError);
    expect(() => jensenShannonDistance([0, 0], [1, 1])).toThrow(/sums to 0/);
    expect(() => jensenShannonDistance([1], [1], 1)).toThrow(InvalidParameterError);
  });
});

describe('populationStabilityIndex (against a numpy re-implementation of Evidently psi)', () => {
  for (const c of fixture.psi) {
    it(`when the case is ${c.name}, then the index matches`, () => {
      const value = populationStabilityIndex(c.reference_counts, c.current_counts, { epsilon: c.epsilon });
      expectClose(value, c.psi, 1e-15, c.name);
    });
  }

  it('when the bins differ in number or epsilon is out of range, then it refuses', () => {
    expect(() => populationStabilityIndex([1, 2], [1])).toThrow(InvalidDataError);
    expect(() => populationStabilityIndex([1], [1], { epsilon: 0 })).toThrow(InvalidParameterError);
  });
});

describe('chiSquareTest and chiSquareSf (against scipy.stats.chisquare and chi2.sf)', () => {
  for (const c of fixture.chisquare) {
    it(`when the case is ${c.name}, then the statistic, df and p-value match`, () => {
      const result = chiSquareTest(c.reference_counts, c.current_counts);
      expect(result.degreesOfFreedom).toBe(c.degrees_of_freedom);
      expect(result.statistic).toBeCloseTo(c.statistic ?? Number.POSITIVE_INFINITY, 12);
      expectRelative(result.pValue, c.p_value, 1e-12, 'p-value');
    });
  }

  it('when evaluated over the grid of df and x, then chi2.sf matches within 1e-12 relative', () => {
    for (const g of fixture.chi2_sf) expectRelative(chiSquareSf(g.x, g.df), g.sf, 1e-12, `chi2.sf(${g.x}, ${g.df})`);
  });

  it('when fewer than two bins hold values, then it refuses', () => {
    expect(() => chiSquareTest([5, 0], [3, 0])).toThrow(/at least 2 bins/);
  });
});

describe('bonferroni', () => {
  it('when m tests share alpha, then each gets alpha/m', () => {
    expect(bonferroni(0.05, 20)).toBe(0.0025);
    expect(() => bonferroni(0.05, 0)).toThrow(InvalidParameterError);
  });
});
