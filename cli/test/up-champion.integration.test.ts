import { randomUUID } from 'node:crypto';
import { createMlflowClient } from '@mlops/mlflow';
import { registerTestModel } from '@mlops/testkit';
import { describe, expect, inject, it } from 'vitest';
import { runStack } from '../src/commands/up.js';

// What `mlops up` does at start when the model already has a champion in a real MLflow (a stack started again on
// its data). The stack around it is of our own making: its nats-server address answers nothing, so a tuning that
// starts fails to connect, which is what tells the two paths apart.

function stackOn(trackingUri: string) {
  return {
    natsUrl: 'nats://127.0.0.1:1',
    failed: new Promise<never>(() => undefined),
    dirs: { nats: '/d/nats', mlflow: '/d/mlflow', logs: '/d/logs', datasets: '/d/datasets' },
    stateFile: '/d/stack.json',
    predictorUrl: 'http://127.0.0.1:3',
    trackingUri,
    monitorUrl: 'http://127.0.0.1:4',
    stop: async () => undefined,
  };
}

async function up(values: Record<string, boolean>, modelName: string) {
  let err = '';
  const io = {
    stdout: () => undefined,
    stderr: (text: string) => {
      err += text;
    },
    cwd: '/d',
    env: { MODEL_NAME: modelName },
  };
  const stack = stackOn(inject('mlflowTrackingUri'));
  const outcome = await runStack(
    stack as never,
    { 'exit-after-tune': true, ...values },
    io,
    new Promise(() => {}),
  ).then(
    (code) => ({ code, error: undefined }),
    (error: unknown) => ({ code: undefined, error: String((error as Error).message) }),
  );
  return { ...outcome, err };
}

describe('mlops up started again on a registry with a champion', () => {
  it('when the model has a champion, then it is served without the default tuning; --tune or no champion tunes', async () => {
    const mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
    const name = `up_${randomUUID().slice(0, 8)}`;
    const { experimentId } = await mlflow.getOrCreateExperiment(name);
    await mlflow.getOrCreateRegisteredModel({ name });
    await registerTestModel(mlflow, {
      experimentId,
      name,
      weights: { coef: [0.5, -0.5], intercept: 0, featureNames: ['a', 'b'] },
    });

    const again = await up({}, name);
    expect(again).toMatchObject({ code: 0, error: undefined });
    expect(again.err).toContain(
      `› ${name} already has a champion, version 1: serving it, not tuning again (mlops tune tunes; mlops up --tune tunes at start)`,
    );

    // Asked to tune, or with no champion yet, it tunes: here that reaches for the nats-server that answers nothing.
    for (const [values, model] of [
      [{ tune: true }, name],
      [{}, `${name}_new`],
    ] as const) {
      const tuned = await up(values, model);
      expect(tuned.err).not.toContain('already has a champion');
      expect(`${tuned.error ?? ''} ${tuned.err}`).toMatch(/cannot connect to NATS/);
    }
  }, 60_000);
});
