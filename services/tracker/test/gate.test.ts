import type { GateRules } from '@mlops/contracts';
import { describe, expect, it } from 'vitest';
import { type GateModel, judge } from '../src/domain/gate.js';

const RULES: GateRules = {
  metric: 'accuracy',
  min_absolute_change: 0,
  min_relative_change: 0,
  threshold: null,
  significance: 'none',
  alpha: 0.05,
  bootstrap_resamples: 200,
  random_state: 0,
  on_signature_change: 'reject',
  on_retrained_champion: 'keep_out',
};

/** 100 rows, labels 1 for the first half; a model right on the first `right` rows and wrong on the rest. */
const y = Float64Array.from({ length: 100 }, (_, i) => (i < 50 ? 1 : 0));
function model(version: string, right: number, confidence = 0.9): GateModel {
  const probabilities = Float64Array.from(y, (label, i) => {
    const correct = i < right;
    return (label === 1) === correct ? confidence : 1 - confidence;
  });
  return { version, featureNames: ['a', 'b'], probabilities };
}
const holdout = { featureNames: ['a', 'b'], y };

describe('judge (the promotion rules)', () => {
  it('when there is no champion, then the challenger is promoted as the first champion', () => {
    expect(judge(RULES, holdout, model('1', 60), null)).toMatchObject({ status: 'promoted', reason: 'first champion' });
  });

  it('when the tuning came without holdout rows, then it is not promoted over a champion and the verdict says why', () => {
    const none = { featureNames: ['a', 'b'], y: new Float64Array(0) };
    const unscored = (version: string) => ({ ...model(version, 0), probabilities: undefined });
    expect(judge(RULES, none, unscored('2'), unscored('1'))).toMatchObject({
      status: 'rejected',
      championVersion: '1',
      reason:
        'no holdout rows came with the tuning (its trainer could not build them: see its log), so it cannot be compared with champion v1: not promoted',
    });
    expect(judge(RULES, none, unscored('1'), null)).toMatchObject({ status: 'promoted', reason: 'first champion' });
  });

  it('when a threshold is set and there is no champion, then a first version below it is not promoted, one above it is', () => {
    const floor = { ...RULES, threshold: 0.7 };
    expect(judge(floor, holdout, model('1', 60), null)).toMatchObject({
      status: 'rejected',
      challengerValue: 0.6,
      championVersion: null,
      reason: 'first champion, but accuracy 0.6 does not reach the threshold 0.7: not promoted',
    });
    expect(judge(floor, holdout, model('1', 80), null)).toMatchObject({
      status: 'promoted',
      reason: 'first champion (accuracy 0.8 reaches the threshold 0.7)',
    });
    const unscorable = { ...model('1', 80), probabilities: undefined };
    expect(judge(floor, holdout, unscorable, null).status).toBe('rejected');
  });

  it('when a new signature may be promoted, then the threshold still holds it back below the floor', () => {
    const renamed = { ...model('1', 70), featureNames: ['a', 'c'] };
    const rules = { ...RULES, on_signature_change: 'promote' as const, threshold: 0.9 };
    const verdict = judge(rules, holdout, model('2', 80), renamed);
    expect(verdict).toMatchObject({ status: 'rejected', championVersion: '1' });
    expect(verdict.reason).toBe(
      'signature differs: champion v1 feature 1 is "c", the new rows have "b"; the request lets it through, but accuracy 0.8 does not reach the threshold 0.9: not promoted',
    );
    expect(judge({ ...rules, threshold: 0.75 }, holdout, model('2', 80), renamed).status).toBe('promoted');
  });

  it('when the holdout is only the first rows of a wider test split, then the verdict says on how many rows it judged', () => {
    const cut = { ...holdout, testRows: 800 };
    expect(judge(RULES, cut, model('2', 75), model('1', 70)).reason).toBe(
      'accuracy 0.75 vs champion v1 0.7: better (judged on the first 100 of 800 test rows: the event carries at most 25,000 cells (a table 400 KB), and no whole holdout could be read)',
    );
    expect(judge(RULES, { ...cut, stored: true }, model('2', 75), model('1', 70)).reason).toBe(
      'accuracy 0.75 vs champion v1 0.7: better (judged on the first 100 of 800 test rows: the stored holdout stops at 2,000,000 cells or 40 MB of JSON)',
    );
    expect(judge({ ...RULES, threshold: 0.9 }, cut, model('1', 75), null).reason).toMatch(
      /: not promoted \(judged on the first 100 of 800 test rows/,
    );
    expect(judge(RULES, { ...holdout, testRows: 100 }, model('2', 75), model('1', 70)).reason).toBe(
      'accuracy 0.75 vs champion v1 0.7: better',
    );
  });

  it('when significance is mcnemar, then 3 more rows right is not enough and 20 more rows right is', () => {
    const rules = { ...RULES, significance: 'mcnemar' as const };
    const small = judge(rules, holdout, model('2', 73), model('1', 70));
    expect(small.status).toBe('rejected');
    expect(small.reason).toMatch(/not significant: McNemar p = 0.25 \(alpha 0.05\)$/);
    const large = judge(rules, holdout, model('2', 90), model('1', 70));
    expect(large).toMatchObject({ status: 'promoted' });
    expect(large.pValue).toBeLessThan(1e-5);
  });

  it('when min_relative_change or a threshold is set, then a small gain or a low value is held back with the rule named', () => {
    const relative = judge({ ...RULES, min_relative_change: 0.1 }, holdout, model('2', 75), model('1', 70));
    expect(relative.reason).toMatch(/improvement 0.05 is below min_relative_change 0.1 of the champion's value$/);
    const floor = judge({ ...RULES, threshold: 0.8 }, holdout, model('2', 75), model('1', 70));
    expect(floor.reason).toMatch(/0.75 does not reach the threshold 0.8$/);
    expect(judge({ ...RULES, threshold: 0.7 }, holdout, model('2', 75), model('1', 70)).status).toBe('promoted');
  });

  it('when the metric is log_loss, then lower is better', () => {
    const rules = { ...RULES, metric: 'log_loss' as const };
    const sharper = judge(rules, holdout, model('2', 70, 0.95), model('1', 70, 0.9));
    const duller = judge(rules, holdout, model('2', 70, 0.8), model('1', 70, 0.9));
    // 30 wrong rows: at 0.95 they cost more than at 0.9 (loss 0.935 vs 0.765), at 0.8 less (0.639)
    expect([sharper.status, duller.status]).toEqual(['rejected', 'promoted']);
    expect(sharper.difference).toBeGreaterThan(0);
    const better = judge(rules, holdout, model('2', 100, 0.95), model('1', 70, 0.9));
    expect(better).toMatchObject({ status: 'promoted' });
    expect(better.difference).toBeLessThan(0);
  });

  it('when the metric is undefined on the holdout (roc_auc with one class), then the champion stays and the reason says why', () => {
    const oneClass = { featureNames: ['a', 'b'], y: new Float64Array(100).fill(1) };
    const verdict = judge(
      { ...RULES, metric: 'roc_auc', significance: 'bootstrap' },
      oneClass,
      model('2', 90),
      model('1', 70),
    );
    expect(verdict).toMatchObject({ status: 'rejected', championValue: null, interval: null });
    expect(verdict.reason).toMatch(
      /^roc_auc is undefined on the holdout rows \(Only one class present.*\): the champion stays$/,
    );
  });

  it('when the champion cannot be scored on the new rows, then the verdict says so', () => {
    const unscorable = { ...model('1', 70), probabilities: undefined };
    expect(judge(RULES, holdout, model('2', 90), unscorable).reason).toBe(
      'signature differs: champion v1 cannot be scored on the new rows',
    );
    const renamed = { ...model('1', 70), featureNames: ['a', 'c'] };
    expect(judge(RULES, holdout, model('2', 90), renamed).reason).toBe(
      'signature differs: champion v1 feature 1 is "c", the new rows have "b"',
    );
  });

  it('when champion and challenger name the same columns in another order, then they are compared; other class labels are a signature change', () => {
    const reordered = { ...model('1', 70), featureNames: ['b', 'a'] };
    expect(judge(RULES, holdout, model('2', 90), reordered)).toMatchObject({ status: 'promoted' });
    const labelled = (version: string, percent: number, labels: [string, string]) => ({
      ...model(version, percent),
      classLabels: labels,
    });
    const verdict = judge(RULES, holdout, labelled('2', 90, ['churned', 'stayed']), labelled('1', 70, ['no', 'yes']));
    expect(verdict).toMatchObject({ status: 'rejected' });
    expect(verdict.reason).toBe(
      'signature differs: champion v1 predicts ["no","yes"], the new model ["churned","stayed"]',
    );
  });
});
