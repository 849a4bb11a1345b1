import { describe, expect, it } from 'vitest';
import {
  bestTrials,
  pickBestTrial,
  type RecordedTrial,
  selectionKey,
  type UnregisteredTuning,
  whyNothingToRegister,
} from '../src/domain/selection.js';

const trial = (trialIndex: number, metrics: Record<string, number>): RecordedTrial => ({
  trialId: `t-${trialIndex}`,
  trialIndex,
  runId: `r-${trialIndex}`,
  metrics,
});

describe('pickBestTrial', () => {
  it('when accuracies tie, then the lowest trial index wins whatever the order', () => {
    const trials = [trial(4, { accuracy: 0.865 }), trial(0, { accuracy: 0.865 }), trial(7, { accuracy: 0.855 })];
    expect(pickBestTrial(trials, 'accuracy')?.trialIndex).toBe(0);
    expect(pickBestTrial([...trials].reverse(), 'accuracy')?.trialIndex).toBe(0);
  });

  it('when selecting by log_loss, then the smallest value wins', () => {
    const trials = [trial(0, { log_loss: 0.4 }), trial(1, { log_loss: 0.36 }), trial(2, { log_loss: 0.37 })];
    expect(pickBestTrial(trials, 'log_loss')?.trialIndex).toBe(1);
  });

  it('when no trial has the metric, then there is no best', () => {
    expect(pickBestTrial([trial(0, { accuracy: 1 })], 'roc_auc')).toBeUndefined();
  });

  it('when the tuning has cv, then the best mean over the folds wins, not the best test-split value', () => {
    const trials = [
      trial(0, { accuracy: 0.9, cv_mean_accuracy: 0.8 }),
      trial(1, { accuracy: 0.85, cv_mean_accuracy: 0.84 }),
      trial(2, { accuracy: 0.88 }),
    ];
    expect(pickBestTrial(trials, 'accuracy', 5)?.trialIndex).toBe(1);
    expect(pickBestTrial(trials, 'accuracy')?.trialIndex).toBe(0);
    expect(selectionKey('log_loss', 5)).toBe('cv_mean_log_loss');
  });

  it('when the tuning has cv and selects by log_loss, then the smallest mean loss wins', () => {
    const trials = [trial(0, { cv_mean_log_loss: 0.4 }), trial(1, { cv_mean_log_loss: 0.35 })];
    expect(pickBestTrial(trials, 'log_loss', 3)?.trialIndex).toBe(1);
  });
});

describe('bestTrials', () => {
  it('when k of many are asked for, then they come best first, ties to the lowest index, trials without the metric left out', () => {
    const trials = [
      trial(3, { accuracy: 0.8 }),
      trial(5, { accuracy: 0.9 }),
      trial(1, { accuracy: 0.9 }),
      trial(2, { roc_auc: 0.99 }),
      trial(4, { accuracy: 0.85 }),
    ];
    expect(bestTrials(trials, 'accuracy', 3).map((t) => t.trialIndex)).toEqual([1, 5, 4]);
    expect(bestTrials(trials, 'accuracy', 10).map((t) => t.trialIndex)).toEqual([1, 5, 4, 3]);
    expect(bestTrials(trials, 'accuracy', 1)[0]).toBe(pickBestTrial(trials, 'accuracy'));
  });

  it('when the metric is minimised or the tuning has cv, then the order follows pickBestTrial', () => {
    const losses = [trial(0, { log_loss: 0.4 }), trial(1, { log_loss: 0.35 }), trial(2, { log_loss: 0.5 })];
    expect(bestTrials(losses, 'log_loss', 2).map((t) => t.trialIndex)).toEqual([1, 0]);
    const cv = [
      trial(0, { accuracy: 0.9, cv_mean_accuracy: 0.8 }),
      trial(1, { accuracy: 0.8, cv_mean_accuracy: 0.85 }),
    ];
    expect(bestTrials(cv, 'accuracy', 1, 5).map((t) => t.trialIndex)).toEqual([1]);
  });
});

describe('whyNothingToRegister', () => {
  const tuning = (over: Partial<UnregisteredTuning>): UnregisteredTuning => ({
    completed: [],
    failed: 0,
    metric: 'roc_auc',
    cv: undefined,
    topK: undefined,
    testRows: undefined,
    ...over,
  });
  const withModel = (index: number, metrics: Record<string, number>, modelId = `m-${index}`) => ({
    ...trial(index, metrics),
    modelId,
  });

  it('when no trial completed, then it says every trial failed', () => {
    expect(whyNothingToRegister(tuning({ failed: 3 }))).toEqual({
      path: 'trials',
      message: 'no trial succeeded (3 of 3 failed): nothing to register',
    });
  });

  it('when some trials failed and the completed lack roc_auc on an unknown split size, then both counts are given', () => {
    const why = whyNothingToRegister(tuning({ completed: [withModel(0, { accuracy: 1 })], failed: 2 }));
    expect(why.path).toBe('selection_metric');
    expect(why.message).toMatch(
      /^no completed trial has a roc_auc on its test split \(1 completed, 2 failed: the test split holds one class/,
    );
  });

  it('when the completed trials have the metric but only under another key than cv asks for, then the metric is missing', () => {
    const why = whyNothingToRegister(tuning({ completed: [withModel(0, { roc_auc: 0.9 })], cv: 3 }));
    expect(why.path).toBe('selection_metric');
    expect(why.message).toMatch(/as a mean over its 3 cross-validation folds/);
  });

  it('when fewer trials have the metric than top k and none kept its model, then log_models is at fault naming how many were in the race', () => {
    const completed = [withModel(0, { roc_auc: 0.9 }, ''), withModel(1, { accuracy: 0.5 }, '')];
    const why = whyNothingToRegister(tuning({ completed, topK: 5 }));
    expect(why.path).toBe('log_models');
    expect(why.message).toMatch(/^none of the best 1 by roc_auc kept its model: /);
  });
});
