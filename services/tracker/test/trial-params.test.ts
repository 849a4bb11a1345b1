import { describe, expect, it } from 'vitest';
import { trialParams } from '../src/adapters/mlflow-recorder.js';

describe('trialParams', () => {
  it('when a trial has l1_ratio and a class_weight mapping, then MLflow gets them by their scikit-learn names', () => {
    expect(
      trialParams({ C: 1, solver: 'saga', penalty: 'elasticnet', l1_ratio: 0.5, class_weight: { '0': 1, '1': 3 } }),
    ).toEqual({ C: '1', solver: 'saga', penalty: 'elasticnet', l1_ratio: '0.5', class_weight: '{"0":1,"1":3}' });
  });

  it('when penalty or class_weight is null, then it is logged as None; balanced as it is', () => {
    expect(trialParams({ penalty: null, class_weight: null })).toEqual({ penalty: 'None', class_weight: 'None' });
    expect(trialParams({ class_weight: 'balanced' })).toEqual({ class_weight: 'balanced' });
  });
});
