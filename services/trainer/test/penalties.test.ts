import { createHash } from 'node:crypto';
import { expandGrid, parseTuneRequest, resolvedGrid } from '@mlops/contracts';
import { customersCsv, LogisticRegression, type LogisticRegressionParams } from '@mlops/ml';
import { describe, expect, it } from 'vitest';
import { fitClassWeight } from '../src/domain/class-weight.js';
import { buildTrainingData } from '../src/domain/dataset.js';
import { runTrial, type TrialSuccess } from '../src/domain/trial.js';
import { TrialInputsCache } from '../src/domain/trial-inputs.js';

const customers = customersCsv({ nSamples: 400 });

async function trialsOf(input: unknown) {
  const parsed = parseTuneRequest(input);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const data = await buildTrainingData(parsed.request, async (path) => ({
    text: customers,
    source: `file:///data/${path}`,
    sha256: createHash('sha256').update(customers).digest('hex'),
  }));
  const inputs = new TrialInputsCache(data);
  const trials = expandGrid(resolvedGrid(parsed.request));
  const run = (index: number): TrialSuccess => {
    const outcome = runTrial(data, inputs, trials[index]!);
    if (!outcome.ok) throw new Error(outcome.reason);
    return outcome;
  };
  return { data, inputs, trials, run };
}

/** libs/ml fitted directly on the trial's own training matrix. */
function fitDirectly(
  inputs: TrialInputsCache,
  trial: Parameters<TrialInputsCache['inputsFor']>[0],
  params: LogisticRegressionParams,
): LogisticRegression {
  const { X, y } = inputs.inputsFor(trial).train;
  return new LogisticRegression(params).fit(X, y);
}

describe('trials with penalties and class weights', () => {
  it('when a trial has penalty l1, then its coefficients are those of libs/ml fitted directly, some exactly 0', async () => {
    const { inputs, trials, run } = await trialsOf({ grid: { C: [0.05], solver: 'liblinear', penalty: 'l1' } });
    const trial = trials[0]!;
    expect(trial).toMatchObject({ solver: 'liblinear', penalty: 'l1', C: 0.05 });
    const outcome = run(0);
    const model = fitDirectly(inputs, trial, { solver: 'liblinear', penalty: 'l1', C: 0.05, randomState: 42 });
    expect(outcome.model.coef).toEqual(Array.from(model.coef));
    expect(outcome.model.intercept).toBe(model.intercept);
    expect(outcome.nIter).toBe(model.fitSummary.nIter);
    expect(outcome.model.coef.filter((c) => c === 0).length).toBeGreaterThan(0);
  });

  it('when an elasticnet trial weighs a text class by its label, then libs/ml fitted with the encoded class agrees', async () => {
    const { inputs, trials, run } = await trialsOf({
      dataset: { kind: 'csv', path: 'customers.csv', target: 'churned' },
      grid: { C: [1], solver: 'saga', penalty: 'elasticnet', l1_ratio: 0.5, class_weight: { yes: 3 } },
    });
    const trial = trials[0]!;
    expect(trial).toMatchObject({ penalty: 'elasticnet', l1_ratio: 0.5, class_weight: { yes: 3 } });
    const outcome = run(0);
    const params = { solver: 'saga', penalty: 'elasticnet', l1Ratio: 0.5, classWeight: { 1: 3 }, randomState: 42 };
    const model = fitDirectly(inputs, trial, params as LogisticRegressionParams);
    expect(model.fitSummary.classWeights).toEqual([1, 3]);
    expect(outcome.model.class_labels).toEqual(['no', 'yes']);
    expect(outcome.model.coef).toEqual(Array.from(model.coef));
    expect(outcome.model.intercept).toBe(model.intercept);
  });

  it('when class_weight is balanced, then the trial differs from the unweighted one', async () => {
    const { run } = await trialsOf({ grid: { C: [1], solver: 'lbfgs', class_weight: [null, 'balanced'] } });
    expect(run(1).model.coef).not.toEqual(run(0).model.coef);
  });

  it('when a trial names a class the target does not have, then it fails with the reason and the others go on', async () => {
    const { data, inputs, trials, run } = await trialsOf({
      dataset: { kind: 'csv', path: 'customers.csv', target: 'churned' },
      grid: { C: [1], solver: 'lbfgs', class_weight: [{ maybe: 2 }, { yes: 2 }] },
    });
    expect(runTrial(data, inputs, trials[0]!)).toEqual({
      ok: false,
      reason: expect.stringContaining('The classes, ["no", "yes"], are not in class_weight'),
    });
    expect(run(1).converged).toBe(true);
  });
});

describe('fitClassWeight', () => {
  const y = Float64Array.from([-1, 1, 1, -1]);

  it('when keys are class values of a number target, then the plain spellings name the class and others name none', () => {
    expect(fitClassWeight({ '-1': 2, '1.0': 3 }, y, undefined)).toEqual({ [-1]: 2, 1: 3 });
    expect(fitClassWeight({ '1': 3 }, y, undefined)).toEqual({ 1: 3 });
    for (const key of ['1e0', ' 1', '0x1']) {
      expect(() => fitClassWeight({ [key]: 3 }, y, undefined), key).toThrow(/The classes, \["-1", "1"\]/);
    }
  });

  it('when keys are labels of a text target, then they become the encoded classes 0 and 1', () => {
    const encoded = Float64Array.from([0, 1, 0]);
    expect(fitClassWeight({ yes: 4, no: 0.5 }, encoded, ['no', 'yes'])).toEqual({ 0: 0.5, 1: 4 });
    expect(() => fitClassWeight({ '1': 4 }, encoded, ['no', 'yes'])).toThrow(/The classes, \["no", "yes"\]/);
  });

  it('when every class has a weight, then an extra key is ignored; two keys for one class are refused', () => {
    expect(fitClassWeight({ '-1': 1, '1': 2, '7': 5 }, y, undefined)).toEqual({ [-1]: 1, 1: 2 });
    expect(() => fitClassWeight({ '1': 2, '1.0': 3 }, y, undefined)).toThrow(/two keys name class "1"/);
  });

  it('when class_weight is absent, null or balanced, then it is passed on as it is', () => {
    expect([undefined, null, 'balanced'].map((spec) => fitClassWeight(spec as never, y, undefined))).toEqual([
      null,
      null,
      'balanced',
    ]);
  });
});
