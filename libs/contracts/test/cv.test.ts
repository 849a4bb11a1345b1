import { describe, expect, it } from 'vitest';
import {
  CV_FOLDS,
  makeEvent,
  parseEvent,
  parseTuneRequest,
  TrialCvSchema,
  TuningCompletedSchema,
} from '../src/index.js';

const metrics = { accuracy: 0.9, precision: 0.8, recall: 0.7, f1: 0.75, roc_auc: 0.95, log_loss: 0.3 };

describe('cv in a tune request', () => {
  it('when cv is absent, then the request has none (the tuning is as before cv)', () => {
    const parsed = parseTuneRequest({});
    expect(parsed).toMatchObject({ ok: true });
    expect(parsed.ok && 'cv' in parsed.request).toBe(false);
  });

  it.each([CV_FOLDS.min, 5, CV_FOLDS.max])('when cv is %i, then it is kept', (cv) => {
    expect(parseTuneRequest({ cv })).toMatchObject({ ok: true, request: { cv } });
  });

  it.each([
    [1, /cv must be at least 2 folds/],
    [21, /cv must be at most 20 folds/],
    [2.5, /cv must be an integer number of folds, 2 to 20/],
    ['5', /cv must be an integer number of folds, 2 to 20/],
  ])('when cv is %j, then the request is refused at cv saying why', (cv, message) => {
    expect(parseTuneRequest({ cv })).toMatchObject({ ok: false, errors: [{ path: 'cv', message }] });
  });
});

describe('cv in events', () => {
  it('when a trial carries cv, then k, mean and std are checked and roc_auc may be null', () => {
    const cv = { k: 5, mean: metrics, std: { ...metrics, roc_auc: null } };
    expect(TrialCvSchema.safeParse(cv).success).toBe(true);
    expect(TrialCvSchema.safeParse({ ...cv, k: 1 }).success).toBe(false);
    expect(TrialCvSchema.safeParse({ ...cv, mean: { ...metrics, accuracy: Number.NaN } }).success).toBe(false);
  });

  it('when tuning.completed names cv or not, then both are valid; a cv out of range is not', () => {
    const data = {
      tuning_id: 't1',
      experiment_name: 'e',
      registered_model_name: 'm',
      trial_count: 2,
      completed: 2,
      failed: 0,
      selection_metric: 'accuracy' as const,
      gate: {},
      ended_at: new Date().toISOString(),
    };
    const event = (extra: object) =>
      makeEvent('tuning.completed', { key: 't1', source: 'test', data: { ...data, ...extra } });
    expect(parseEvent('tuning.completed', event({}))).toMatchObject({ ok: true });
    expect(parseEvent('tuning.completed', event({ cv: 5 }))).toMatchObject({ ok: true, event: { data: { cv: 5 } } });
    expect(TuningCompletedSchema.safeParse(event({ cv: 30 })).success).toBe(false);
  });
});
