import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEvent, SUBJECTS } from '@mlops/contracts';
import { createMlflowClient } from '@mlops/mlflow';
import { type NatsServerHandle, registerTestModel, startNatsServer } from '@mlops/testkit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runStack } from '../src/commands/up.js';
import { PENDING_TUNING_FILE } from '../src/commands/up-default-tuning.js';

// What `mlops up` does at start when the model already has a champion in a real MLflow (a stack started again on
// its data). The stack around it is of our own making: its nats-server address answers nothing, so a tuning that
// starts fails to connect, which is what tells the two paths apart.

function stackOn(trackingUri: string, natsUrl = 'nats://127.0.0.1:1', dataDir = '/d') {
  return {
    natsUrl,
    failed: new Promise<never>(() => undefined),
    dirs: { nats: '/d/nats', mlflow: '/d/mlflow', logs: '/d/logs', datasets: '/d/datasets' },
    stateFile: join(dataDir, 'stack.json'),
    predictorUrl: 'http://127.0.0.1:3',
    trackingUri,
    monitorUrl: 'http://127.0.0.1:4',
    stop: async () => undefined,
  };
}

async function up(
  values: Record<string, boolean>,
  modelName: string,
  natsUrl?: string,
  interrupted: Promise<void> = new Promise(() => {}),
  dataDir = '/d',
) {
  let err = '';
  const io = {
    stdout: () => undefined,
    stderr: (text: string) => {
      err += text;
    },
    cwd: '/d',
    env: { MODEL_NAME: modelName },
  };
  const stack = stackOn(inject('mlflowTrackingUri'), natsUrl, dataDir);
  const outcome = await runStack(stack as never, { 'exit-after-tune': true, ...values }, io, interrupted).then(
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

// The default tuning's id, told apart on a nats-server of our own with a stand-in trainer: it answers the tune request
// and, asked to, says that no trial succeeded (as a tuning whose every trial failed ends).
let nats: NatsServerHandle;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

/** A stand-in trainer: accepts each tune request, records its tuning id, and ends it with no trial succeeding. */
function trainer(endsFruitless: boolean) {
  const ids: string[] = [];
  const sub = nc.subscribe(SUBJECTS.tuneRequested, {
    callback: (_err, msg) => {
      const tuningId = (msg.json() as { tuning_id: string }).tuning_id;
      ids.push(tuningId);
      msg.respond(JSON.stringify({ status: 'accepted', tuning_id: tuningId, trial_count: 2 }));
      if (!endsFruitless) return;
      setTimeout(() => {
        const data = {
          tuning_id: tuningId,
          experiment_name: 'e',
          registered_model_name: 'm',
          trial_count: 2,
          completed: 0,
          failed: 2,
          selection_metric: 'accuracy' as const,
          gate: {},
          ended_at: new Date().toISOString(),
        };
        const event = makeEvent(SUBJECTS.tuningCompleted, { key: tuningId, source: 'test', data: data as never });
        nc.publish(SUBJECTS.tuningCompleted, JSON.stringify(event));
      }, 300);
    },
  });
  return { ids, stop: () => sub.unsubscribe() };
}

describe('mlops up: its own default tuning', () => {
  it('when a default tuning is stopped before its end, then the next start follows it under its id; --tune asks under a new id each time', async () => {
    const fake = trainer(false);
    const dataDir = await mkdtemp(join(tmpdir(), 'up-default-'));
    try {
      for (const values of [{}, {}, { tune: true }, { tune: true }]) {
        let stop: () => void = () => undefined;
        const interrupted = new Promise<void>((resolve) => {
          stop = resolve;
        });
        const asked = fake.ids.length;
        const running = up(values, `up_${randomUUID().slice(0, 8)}`, nats.url, interrupted, dataDir);
        while (fake.ids.length === asked) await new Promise((resolve) => setTimeout(resolve, 20));
        stop();
        expect(await running).toMatchObject({ code: 130 });
      }
      expect((await readFile(join(dataDir, PENDING_TUNING_FILE), 'utf8')).trim()).toBe(fake.ids[0]);
    } finally {
      fake.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
    expect(fake.ids[0]).toMatch(/^mlops-up-[0-9a-f]{8}$/);
    expect(fake.ids[1]).toBe(fake.ids[0]);
    expect(fake.ids.slice(2)).toEqual([expect.stringMatching(/^cli-/), expect.stringMatching(/^cli-/)]);
    expect(fake.ids[2]).not.toBe(fake.ids[3]);
  }, 60_000);

  it('when the default tuning ends with no champion (every trial failed), then it says so, and the next start tunes anew under a new id', async () => {
    const fake = trainer(true);
    const name = `up_${randomUUID().slice(0, 8)}`;
    const dataDir = await mkdtemp(join(tmpdir(), 'up-default-'));
    try {
      const tuned = await up({}, name, nats.url, undefined, dataDir);
      expect(tuned.code).toBe(1);
      expect(tuned.err).toContain(
        `› the default tuning (${fake.ids[0]}) left ${name} without a champion: nothing is served; mlops tune (or mlops up again) tunes anew\n`,
      );
      await expect(readFile(join(dataDir, PENDING_TUNING_FILE))).rejects.toThrow(/ENOENT/);
      await up({}, name, nats.url, undefined, dataDir);
      expect(fake.ids).toEqual([expect.stringMatching(/^mlops-up-/), expect.stringMatching(/^mlops-up-/)]);
      expect(fake.ids[1]).not.toBe(fake.ids[0]);
    } finally {
      fake.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
