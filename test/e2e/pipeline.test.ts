import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { requestReply, watchEvents } from '@mlops/bus';
import { CONSUMERS, type EventData, STREAMS, SUBJECTS, type TuneReply } from '@mlops/contracts';
import { LogisticRegression, makeClassification, takeRows, takeValues, trainTestSplit } from '@mlops/ml';
import type { MlflowClient } from '@mlops/mlflow';
import { projectMlflowBinary } from '@mlops/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type InProcessStack, startInProcessStack, waitFor } from './support/in-process-stack.js';

const modelName = `e2e_${randomUUID().slice(0, 8)}`;
let stack: InProcessStack;
let client: NatsConnection;
let mlflow: MlflowClient;
let predictorUrl: string;
const registered: EventData<'model.registered'>[] = [];
const rejected: EventData<'model.rejected'>[] = [];

async function tune(request: Record<string, unknown>): Promise<TuneReply> {
  const body = JSON.stringify({ experiment_name: modelName, registered_model_name: modelName, ...request });
  return await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 10_000 });
}

async function predict(rows: number[][]) {
  const response = await fetch(`${predictorUrl}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ features: rows }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { model: { version: string }; probabilities: number[] },
  };
}

/** Four clients posting single rows back to back until stopped: counts answers that are not 200. */
function steadyLoad() {
  let running = true;
  let ok = 0;
  let failed = 0;
  const worker = async () => {
    while (running) {
      const answer = await predict([Array(20).fill(0.25)]).catch(() => ({ status: 0 }));
      if (answer.status === 200) ok++;
      else failed++;
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return { ok, failed };
    },
  };
}

beforeAll(async () => {
  stack = await startInProcessStack({ mlflowUri: inject('mlflowTrackingUri'), modelName });
  ({ client, mlflow, predictorUrl } = stack);
  watchEvents(client, SUBJECTS.modelRegistered, ({ data }) => registered.push(data));
  watchEvents(client, SUBJECTS.modelRejected, ({ data }) => rejected.push(data));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the pipeline, end to end on real NATS and MLflow', () => {
  it('when no model exists yet, then /predict answers 503', async () => {
    expect((await predict([Array(20).fill(0)])).status).toBe(503);
  });

  it('when the default request is published, then 15 child runs, version 1 as champion, and /predict serves it', async () => {
    const started = Date.now();
    const reply = await tune({});
    expect(reply).toMatchObject({ status: 'accepted', trial_count: 15 });
    const event = await waitFor('model.registered v1', () => registered.find((r) => r.version === '1'));
    const wallMs = Date.now() - started;
    expect(event).toMatchObject({ name: modelName, alias: 'champion', metric: { name: 'accuracy', value: 0.865 } });

    const experiment = await mlflow.getExperimentByName(modelName);
    const runs = [];
    for await (const run of mlflow.iterateRuns({ experimentIds: [experiment!.experimentId] })) runs.push(run);
    const parent = runs.find((r) => r.data.tags['mlops.tuning_parent'] !== undefined)!;
    const children = runs.filter((r) => r.data.tags['mlflow.parentRunId'] === parent.info.runId);
    expect(children).toHaveLength(15);
    expect(children.every((r) => r.info.status === 'FINISHED')).toBe(true);
    const accuracies = children.map(
      (r) => `${r.data.params.C}/${r.data.params.solver}=${r.data.metrics.find((m) => m.key === 'accuracy')?.value}`,
    );
    expect(accuracies).toContain('0.01/liblinear=0.865');
    expect(accuracies).toContain('100/saga=0.855');
    expect(parent.info.status).toBe('FINISHED');

    const champion = await mlflow.getModelVersionByAlias(modelName, 'champion');
    expect(champion).toMatchObject({ version: '1', runId: event.run_id });
    const best = children.find((r) => r.info.runId === event.run_id)!;
    expect(best.data.params).toMatchObject({ C: '0.01', solver: 'liblinear' });

    const { X, y } = makeClassification({ nSamples: 1000, nFeatures: 20, randomState: 42 });
    const { train, test } = trainTestSplit(1000, { testSize: 0.2, randomState: 42 });
    // biome-ignore lint/suspicious/noFocusedTests: this is LogisticRegression.fit, not a focused test
    const local = new LogisticRegression({ solver: 'liblinear', C: 0.01, randomState: 42 }).fit(
      takeRows(X, train),
      takeValues(y, train),
    );
    const rows = Array.from({ length: 3 }, (_, i) => Array.from(X.data.subarray(test[i]! * 20, test[i]! * 20 + 20)));
    const served = await waitFor('predictor on v1', async () => {
      const answer = await predict(rows);
      return answer.status === 200 && answer.body.model.version === '1' ? answer.body : undefined;
    });
    expect(served.probabilities).toEqual(
      Array.from(local.predictPositiveProba({ rows: 3, cols: 20, data: Float64Array.from(rows.flat()) })),
    );
    console.info(`tune request → model.registered (default request): ${wallMs} ms`);
  }, 120_000);

  it("when MLflow's Python client loads version 1, then it predicts the served probabilities (ONNX, float32)", async () => {
    const rows = [Array.from({ length: 20 }, (_, j) => (j - 10) / 5), Array(20).fill(0.25)];
    const served = await predict(rows);
    const script = [
      'import json, sys, pandas, mlflow.pyfunc',
      `model = mlflow.pyfunc.load_model("models:/${modelName}/1")`,
      'frame = pandas.DataFrame(json.loads(sys.argv[1]), columns=[f"x{j}" for j in range(20)], dtype="float64")',
      'print(json.dumps([float(p) for p in model.predict(frame)["probability"]]))',
    ].join('\n');
    const python = join(dirname(projectMlflowBinary()), 'python');
    const { stdout } = await promisify(execFile)(python, ['-c', script, JSON.stringify(rows)], {
      env: { ...process.env, MLFLOW_TRACKING_URI: inject('mlflowTrackingUri') },
      timeout: 60_000,
    });
    const fromPython = JSON.parse(stdout.trim().split('\n').at(-1)!) as number[];
    const worst = Math.max(...fromPython.map((p, i) => Math.abs(p - served.body.probabilities[i]!)));
    expect(worst).toBeLessThan(1e-6);
  }, 60_000);

  it('when a worse tuning completes, then it is kept as challenger; promote and rollback switch /predict within 5 s with no failed request', async () => {
    const reply = await tune({ grid: { C: [1], solver: ['lbfgs'] } });
    expect(reply).toMatchObject({ status: 'accepted', trial_count: 1 });
    const verdict = await waitFor('model.rejected v2', () => rejected.find((r) => r.version === '2'));
    expect(verdict).toMatchObject({ champion_version: '1', reason: 'accuracy 0.855 vs champion v1 0.865: worse' });
    expect((await predict([Array(20).fill(0.5)])).body.model.version).toBe('1');
    const load = steadyLoad();
    const switchTo = async (version: string, move: () => Promise<unknown>) => {
      await move();
      const started = Date.now();
      await waitFor(
        `predictor on v${version}`,
        async () => {
          const answer = await predict([Array(20).fill(0.5)]);
          return answer.body.model?.version === version ? answer : undefined;
        },
        20_000,
      );
      return Date.now() - started;
    };
    const promoteMs = await switchTo('2', () =>
      requestReply(
        client,
        SUBJECTS.registryPromote,
        { name: modelName, version: '2', reason: 'e2e', by: 'test' },
        {
          timeoutMs: 10_000,
        },
      ),
    );
    const rollbackMs = await switchTo('1', () =>
      requestReply(client, SUBJECTS.registryRollback, { name: modelName, by: 'test' }, { timeoutMs: 10_000 }),
    );
    const { ok, failed } = await load.stop();
    console.info(`promote served in ${promoteMs} ms, rollback in ${rollbackMs} ms; ${ok} requests, ${failed} failed`);
    expect(Math.max(promoteMs, rollbackMs)).toBeLessThan(5000);
    expect(ok).toBeGreaterThan(20);
    expect(failed).toBe(0);
    expect((await mlflow.getModelVersionByAlias(modelName, 'champion'))?.version).toBe('1');
  }, 120_000);

  it('when a request is invalid, then it is rejected and nothing reaches MLflow', async () => {
    const name = `e2e_rejected_${randomUUID().slice(0, 8)}`;
    const body = JSON.stringify({ experiment_name: name, registered_model_name: name, grid: { solver: ['sgd'] } });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, body, { timeoutMs: 10_000 });
    expect(reply).toMatchObject({ status: 'rejected', errors: [{ path: 'grid.solver.0' }] });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await mlflow.getExperimentByName(name)).toBeNull();
    expect(await mlflow.getRegisteredModel(name)).toBeNull();
  });

  it('when a run.completed is delivered again, then there is still exactly one child run for that trial', async () => {
    const events: { subject: string; body: string }[] = [];
    const sub = client.subscribe(SUBJECTS.runCompleted, {
      callback: (_err, msg) => {
        events.push({ subject: msg.subject, body: msg.string() });
      },
    });
    const tuningId = `redeliver-${randomUUID().slice(0, 6)}`;
    await tune({ tuning_id: tuningId, grid: { C: [0.1], solver: ['saga'] } });
    const original = await waitFor('run.completed', () => events[0], 15_000);
    sub.unsubscribe();
    // The tuning is over (its verdict is out) before the replay, and the replay is handled before runs are counted.
    await waitFor(
      'the verdict of the tuning',
      () => ([...registered, ...rejected].some((v) => v.tuning_id === tuningId) ? true : undefined),
      20_000,
    );
    const trialId = (JSON.parse(original.body) as { data: { trial_id: string } }).data.trial_id;
    const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
    const ack = await jetstream(client).publish(SUBJECTS.runCompleted, original.body, {
      msgID: `replay-${randomUUID()}`,
    });
    const jsm = await jetstreamManager(client);
    await waitFor(
      'the tracker to handle the replay',
      async () => {
        const info = await jsm.consumers.info(STREAMS.tuningEvents.name, CONSUMERS.trackerEvents);
        return info.ack_floor.stream_seq >= ack.seq && info.num_ack_pending === 0 ? true : undefined;
      },
      20_000,
    );
    const experiment = await mlflow.getExperimentByName(modelName);
    const matches = await mlflow.searchRuns({
      experimentIds: [experiment!.experimentId],
      filter: `tags.\`mlops.trial_id\` = '${trialId}'`,
    });
    expect(matches.runs).toHaveLength(1);
  }, 60_000);
});
