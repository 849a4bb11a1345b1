import { describe, expect, it } from 'vitest';
import { TopTrials } from '../src/domain/model-logging.js';

describe('which trials of a top_k tuning may still get their model when they finish', () => {
  it('when trials arrive in any order, then each of the final top k gets its model, and worse later ones do not', () => {
    const top = new TopTrials();
    const arrivals: [string, number][] = [
      ['t0', 0.8],
      ['t1', 0.9],
      ['t2', 0.85],
      ['t3', 0.7],
      ['t4', 0.95],
      ['t5', 0.86],
    ];
    const admitted = arrivals.filter(([id, v]) => top.admit('tun', id, 2, 'accuracy', v)).map(([id]) => id);
    expect(admitted).toEqual(['t0', 't1', 't2', 't4']);
  });

  it('when a trial ties the k-th best, then it gets its model too (ties go to the lowest index later)', () => {
    const top = new TopTrials();
    expect(top.admit('tun', 'b', 1, 'accuracy', 0.9)).toBe(true);
    expect(top.admit('tun', 'a', 1, 'accuracy', 0.9)).toBe(true);
    expect(top.admit('tun', 'c', 1, 'accuracy', 0.89)).toBe(false);
  });

  it('when the metric is minimised, then a lower log loss is better', () => {
    const top = new TopTrials();
    expect(top.admit('tun', 'a', 1, 'log_loss', 0.5)).toBe(true);
    expect(top.admit('tun', 'b', 1, 'log_loss', 0.6)).toBe(false);
    expect(top.admit('tun', 'c', 1, 'log_loss', 0.4)).toBe(true);
  });

  it('when a trial is redelivered, then it is judged again without counting twice', () => {
    const top = new TopTrials();
    expect(top.admit('tun', 'a', 2, 'accuracy', 0.9)).toBe(true);
    expect(top.admit('tun', 'a', 2, 'accuracy', 0.9)).toBe(true);
    expect(top.admit('tun', 'b', 2, 'accuracy', 0.5)).toBe(true);
    expect(top.admit('tun', 'c', 2, 'accuracy', 0.4)).toBe(false);
  });

  it('when the value is missing, then the trial gets its model only while fewer than k are kept', () => {
    const top = new TopTrials();
    expect(top.admit('tun', 'a', 1, 'roc_auc', undefined)).toBe(true);
    expect(top.admit('tun', 'b', 1, 'roc_auc', 0.7)).toBe(true);
    expect(top.admit('tun', 'c', 1, 'roc_auc', undefined)).toBe(false);
  });
});
