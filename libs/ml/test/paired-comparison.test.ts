import { describe, expect, it } from 'vitest';
import { InvalidDataError, InvalidParameterError } from '../src/errors.js';
import { accuracy, logLoss } from '../src/metrics/classification.js';
import { rocAuc } from '../src/metrics/ranking.js';
import { mcnemarTest, pairedBootstrap, percentile, type RowMetric } from '../src/model-selection/paired-comparison.js';
import { loadFixture } from './support/fixtures.js';

interface BootstrapCase {
  name: string;
  metric: 'accuracy' | 'roc_auc' | 'log_loss';
  y_true: number[];
  baseline: number[];
  candidate: number[];
  random_state: number;
  resamples: number;
  alpha: number;
  difference: number;
  low: number;
  high: number;
  defined_resamples: number;
}

interface McNemarCase {
  name: string;
  y_true: number[];
  baseline: number[];
  candidate: number[];
  baseline_only: number;
  candidate_only: number;
  p_value: number;
}

const fixture = loadFixture<{ bootstrap: BootstrapCase[]; mcnemar: McNemarCase[] }>('paired-comparison.json');

const METRICS: Record<BootstrapCase['metric'], RowMetric> = {
  accuracy: (y, p) =>
    accuracy(
      y,
      Array.from(p, (v) => (v > 0.5 ? 1 : 0)),
    ),
  roc_auc: rocAuc,
  log_loss: logLoss,
};

describe('pairedBootstrap (against numpy resampling and scikit-learn metrics)', () => {
  for (const c of fixture.bootstrap) {
    it(`when the case is ${c.name}, then the difference, the interval and the defined resamples match`, () => {
      const result = pairedBootstrap({
        yTrue: c.y_true,
        baseline: c.baseline,
        candidate: c.candidate,
        metric: METRICS[c.metric],
        resamples: c.resamples,
        randomState: c.random_state,
        alpha: c.alpha,
      });
      expect(result.resamples).toBe(c.defined_resamples);
      expect(result.difference).toBeCloseTo(c.difference, 12);
      expect(result.low).toBeCloseTo(c.low, 12);
      expect(result.high).toBeCloseTo(c.high, 12);
    });
  }

  it('when the options are out of range or the rows do not pair up, then it refuses', () => {
    const base = { yTrue: [0, 1], baseline: [0.2, 0.8], candidate: [0.3, 0.7], metric: METRICS.accuracy };
    expect(() => pairedBootstrap({ ...base, resamples: 0 })).toThrow(InvalidParameterError);
    expect(() => pairedBootstrap({ ...base, alpha: 1 })).toThrow(InvalidParameterError);
    expect(() => pairedBootstrap({ ...base, candidate: [0.3] })).toThrow(InvalidDataError);
    expect(() => pairedBootstrap({ ...base, yTrue: [1, 1], metric: rocAuc })).toThrow(/undefined on every/);
  });
});

describe('mcnemarTest (against scipy.stats.binomtest on the discordant pairs)', () => {
  for (const c of fixture.mcnemar) {
    it(`when the case is ${c.name}, then the discordant counts and the p-value match`, () => {
      const result = mcnemarTest(c.y_true, c.baseline, c.candidate);
      expect([result.baselineOnly, result.candidateOnly]).toEqual([c.baseline_only, c.candidate_only]);
      expect(result.pValue).toBeCloseTo(c.p_value, 12);
    });
  }
});

describe('percentile', () => {
  it('when q falls between two values, then it interpolates linearly as numpy does', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 2.5)).toBeCloseTo(1.075, 12);
    expect(percentile([5], 97.5)).toBe(5);
  });
});
