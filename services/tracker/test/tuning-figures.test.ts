import type { FigureSpec } from '@mlops/figures';
import { describe, expect, it } from 'vitest';
import { type FigureTrial, tuningFigures } from '../src/domain/tuning-figures.js';

const trial = (id: string, C: string, solver: string, accuracy: number, scale = 'true'): FigureTrial => ({
  trialId: id,
  params: { C, solver, scale, max_iter: '100' },
  metrics: { accuracy, f1: accuracy - 0.1 },
});

/** The inline data of a single-view or layered spec. */
function valuesOf(spec: FigureSpec): Record<string, unknown>[] {
  const data = (spec as { data?: { values?: Record<string, unknown>[] } }).data;
  return data?.values ?? [];
}

describe('tuning figures', () => {
  const trials = [
    trial('t0', '0.01', 'lbfgs', 0.8),
    trial('t1', '1', 'lbfgs', 0.9),
    trial('t2', '1', 'saga', 0.85, 'false'),
    trial('t3', 'inf', 'saga', 0.7),
  ];

  it('when trials vary in C, solver and another parameter, then each becomes a point on its line and the best is marked', () => {
    const figures = tuningFigures({ trials, bestTrialId: 't1', metric: 'accuracy', holdout: undefined });
    expect(Object.keys(figures)).toEqual(['accuracy_by_C.svg']);
    expect(valuesOf(figures['accuracy_by_C.svg']!)).toEqual([
      { C: 0.01, series: 'lbfgs scale=true', value: 0.8, best: false },
      { C: 1, series: 'lbfgs scale=true', value: 0.9, best: true },
      { C: 1, series: 'saga scale=false', value: 0.85, best: false },
    ]);
  });

  it('when the holdout was scored, then the ROC curve and the confusion matrix at P > 0.5 come with the classes named', () => {
    const holdout = {
      labels: [0, 0, 1, 1, 1],
      probabilities: Float64Array.from([0.2, 0.5, 0.51, 0.9, 0.3]),
      classLabels: ['stay', 'churn'] as const,
    };
    const figures = tuningFigures({ trials, bestTrialId: 't1', metric: 'f1', holdout });
    expect(Object.keys(figures)).toEqual(['f1_by_C.svg', 'roc_curve.svg', 'confusion_matrix.svg']);
    expect(valuesOf(figures['confusion_matrix.svg']!)).toEqual([
      { actual: 'stay', predicted: 'stay', count: 2 },
      { actual: 'stay', predicted: 'churn', count: 0 },
      { actual: 'churn', predicted: 'stay', count: 1 },
      { actual: 'churn', predicted: 'churn', count: 2 },
    ]);
    expect(JSON.stringify(figures['roc_curve.svg'])).toContain('best trial t1 on 5 holdout rows');
  });

  it('when a parameter only some trials have varies (l1_ratio of elasticnet), then the others are labelled without it', () => {
    const mixed: FigureTrial[] = [
      { trialId: 'a', params: { C: '1', solver: 'saga', penalty: 'l1' }, metrics: { accuracy: 0.8 } },
      {
        trialId: 'b',
        params: { C: '1', solver: 'saga', penalty: 'elasticnet', l1_ratio: '0.5' },
        metrics: { accuracy: 0.82 },
      },
    ];
    const figures = tuningFigures({ trials: mixed, bestTrialId: 'b', metric: 'accuracy', holdout: undefined });
    expect(valuesOf(figures['accuracy_by_C.svg']!).map((p) => p.series)).toEqual([
      'saga penalty=l1',
      'saga l1_ratio=0.5 penalty=elasticnet',
    ]);
  });

  it('when the tuning has cv, then the figure plots the mean over the folds and says so', () => {
    const validated = trials.map((t, i) => ({ ...t, metrics: { ...t.metrics, cv_mean_accuracy: 0.5 + i / 10 } }));
    const figure = tuningFigures({
      trials: validated,
      bestTrialId: 't2',
      metric: 'accuracy',
      cv: 5,
      holdout: undefined,
    })['accuracy_by_C.svg']!;
    expect(valuesOf(figure).map((v) => v.value)).toEqual([0.5, 0.6, 0.7]);
    expect(figure.title).toMatchObject({
      text: 'cv_mean_accuracy against C',
      subtitle: expect.stringMatching(/mean over 5 folds of the training split/),
    });
  });
});
