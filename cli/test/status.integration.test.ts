import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMlflowClient, type MlflowClient } from '@mlops/mlflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main } from '../src/main.js';

// `mlops status` against the run's real MLflow server: the registry and the tunings as the tracker leaves them
// (parent runs tagged mlops.tuning_parent with trial_count, selection_metric, best_<metric> and the registered
// version; children tagged mlops.tuning_id / mlops.recorded). The whole stack's status is in test/fault/stack-restart.

let mlflow: MlflowClient;
let dir: string;
let closed: number;

beforeAll(async () => {
  mlflow = createMlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  dir = await mkdtemp(join(tmpdir(), 'mlops-status-'));
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closed = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A tuning as the tracker records it: its parent run, `recorded` of `trials` children, and when done its best. */
async function tuning(
  experimentId: string,
  spec: {
    id: string;
    startTime: number;
    trials: number;
    recorded: number;
    best?: number;
    version?: string;
    /** The registered model the version is of (the tag the tracker writes since it names it). */
    model?: string;
    /** Why nothing was registered: the parent run FAILED with this reason. */
    failure?: string;
  },
): Promise<string> {
  const tags = { 'mlops.tuning_parent': spec.id, 'mlops.tuning_id': spec.id };
  const parent = await mlflow.createRun({
    experimentId,
    runName: `tuning ${spec.id}`,
    startTime: spec.startTime,
    tags,
  });
  const runId = parent.info.runId;
  await mlflow.logBatch({
    runId,
    params: { trial_count: String(spec.trials), selection_metric: 'accuracy' },
    ...(spec.best === undefined
      ? {}
      : { metrics: [{ key: 'best_accuracy', value: spec.best, timestamp: spec.startTime, step: 0 }] }),
    tags: {
      ...(spec.version === undefined ? {} : { 'mlops.registered_version': spec.version }),
      ...(spec.model === undefined ? {} : { 'mlops.registered_model': spec.model }),
      ...(spec.failure === undefined ? {} : { 'mlops.failure_reason': spec.failure }),
    },
  });
  for (let i = 0; i < spec.recorded; i++) {
    const childTags = { 'mlops.tuning_id': spec.id, 'mlops.recorded': 'completed' };
    await mlflow.createRun({ experimentId, parentRunId: runId, tags: childTags, startTime: spec.startTime + i });
  }
  if (spec.best !== undefined) await mlflow.updateRun({ runId, status: 'FINISHED', endTime: spec.startTime + 1000 });
  if (spec.failure !== undefined) await mlflow.updateRun({ runId, status: 'FAILED', endTime: spec.startTime + 1000 });
  return runId;
}

/** Registers the next version of `name` from a LoggedModel of `runId`, tagged as the tracker tags it. */
async function register(name: string, experimentId: string, runId: string, tuningId: string, metric: number) {
  const model = await mlflow.createLoggedModel({ experimentId, name: 'model', sourceRunId: runId });
  await mlflow.finalizeLoggedModel(model.modelId, 'READY');
  const tags = {
    'mlops.tuning_id': tuningId,
    'mlops.selection_metric': 'accuracy',
    'mlops.metric_value': String(metric),
  };
  return await mlflow.createModelVersion({ name, source: `models:/${model.modelId}`, runId, tags });
}

/** `mlops status` run in-process with `args`: its exit code and what it printed. */
async function statusOutput(args: string[]) {
  let stdout = '';
  const io = {
    stdout: (t: string) => {
      stdout += t;
    },
    stderr: () => undefined,
    cwd: dir,
    env: {},
  };
  const code = await main(['status', ...args], io);
  return { code, stdout };
}

async function status(...args: string[]) {
  const none = [`--nats`, `nats://127.0.0.1:${closed}`, '--predictor', `http://127.0.0.1:${closed}`];
  const { code, stdout } = await statusOutput(['--mlflow', inject('mlflowTrackingUri'), ...none, ...args]);
  return { code, lines: stdout.trimEnd().split('\n') };
}

describe('mlops status against MLflow', () => {
  it('when tunings ran and versions are registered, then it shows the champion and the tunings newest first', async () => {
    const name = `status_${randomUUID().slice(0, 8)}`;
    const { experimentId } = await mlflow.getOrCreateExperiment(name);
    const t0 = Date.parse('2026-03-01T10:00:00Z');
    const first = await tuning(experimentId, {
      id: 'tun-a',
      startTime: t0,
      trials: 3,
      recorded: 3,
      best: 0.8,
      version: '1',
    });
    const second = await tuning(experimentId, {
      id: 'tun-b',
      startTime: t0 + 60_000,
      trials: 3,
      recorded: 3,
      best: 0.9,
      version: '2',
    });
    await tuning(experimentId, { id: 'tun-c', startTime: t0 + 120_000, trials: 4, recorded: 2 });
    await mlflow.createRegisteredModel({ name });
    await register(name, experimentId, first, 'tun-a', 0.8);
    const v2 = await register(name, experimentId, second, 'tun-b', 0.9);
    await mlflow.setRegisteredModelAlias(name, 'champion', v2.version);
    await mlflow.setRegisteredModelAlias(name, 'challenger', '1');

    const result = await status('--name', name);

    expect(result.code).toBe(0);
    const at = result.lines.indexOf(`last tunings in experiment ${name}, newest first:`);
    expect(result.lines[at - 1]).toBe(
      `champion of ${name}: version ${v2.version} (accuracy 0.9, tuning tun-b); aliases: champion → v2, challenger → v1`,
    );
    expect(result.lines.slice(at + 1)).toEqual([
      '  started              status    trials        best          version  tuning',
      '  2026-03-01 10:02:00  RUNNING   2/4 recorded  -             -        tun-c',
      '  2026-03-01 10:01:00  FINISHED  3             accuracy=0.9  2        tun-b',
      '  2026-03-01 10:00:00  FINISHED  3             accuracy=0.8  1        tun-a',
    ]);
    expect((await status('--name', name, '--limit', '1')).lines.at(-1)).toMatch(/RUNNING .* tun-c$/);
  });

  it("when the experiment holds another model's tuning and one that registered nothing, then the version names its model and the failure says why", async () => {
    const name = `status_${randomUUID().slice(0, 8)}`;
    const { experimentId } = await mlflow.getOrCreateExperiment(name);
    const t0 = Date.parse('2026-03-02T10:00:00Z');
    const spec = { trials: 2, recorded: 2 };
    await tuning(experimentId, { ...spec, id: 'own', startTime: t0, best: 0.8, version: '1', model: name });
    await tuning(experimentId, { ...spec, id: 'other', startTime: t0 + 60_000, best: 0.7, version: '1', model: 'RS' });
    const why = 'no completed trial has a roc_auc on its test split (2 completed)';
    await tuning(experimentId, { ...spec, id: 'none', startTime: t0 + 120_000, failure: why });
    const result = await status('--name', name);
    const at = result.lines.indexOf(`last tunings in experiment ${name}, newest first:`);
    expect(result.lines.slice(at + 1)).toEqual([
      '  started              status    trials  best          version  tuning',
      '  2026-03-02 10:02:00  FAILED    2       -             -        none',
      '  2026-03-02 10:01:00  FINISHED  2       accuracy=0.7  RS v1    other',
      '  2026-03-02 10:00:00  FINISHED  2       accuracy=0.8  1        own',
      `  none: nothing registered: ${why}`,
    ]);
  });

  it('when --predictor names MLflow, then the predictor is NOT HEALTHY with the status MLflow answered, not reachable', async () => {
    const uri = inject('mlflowTrackingUri');
    const { stdout } = await statusOutput([
      '--mlflow',
      uri,
      '--nats',
      `nats://127.0.0.1:${closed}`,
      '--predictor',
      uri,
    ]);
    const shown = uri.replace(/\/+$/, '');
    expect(stdout).toContain(`  MLflow     ${shown}  reachable`);
    expect(stdout).toContain(`  predictor  ${shown}  NOT HEALTHY (answered HTTP 404)`);
  });

  it('when nothing is registered or tuned under the name yet, then it says so instead of failing', async () => {
    const name = `status_${randomUUID().slice(0, 8)}`;
    const result = await status('--name', name);
    expect(result.code).toBe(0);
    expect(result.lines.slice(-2)).toEqual([
      `champion: ${name} is not registered yet (no tuning has finished)`,
      `last tunings: experiment ${name} does not exist yet`,
    ]);
  });
});
