import type { MlflowClient, Run } from '@mlops/mlflow';
import { describe, expect, it } from 'vitest';
import type { ProcessStatus } from '../src/status/probes.js';
import { tuningsSection } from '../src/status/registry.js';
import { statusText } from '../src/status/report.js';

// What `mlops status` makes of a failed stack and of tunings as the tracker records them, without servers.

/** A finished tuning's parent run as the tracker leaves it, with `metrics` on it. */
function parentRun(id: string, startTime: number, params: Record<string, string>, metrics: Record<string, number>) {
  return {
    info: { runId: `run-${id}`, runName: `tuning ${id}`, experimentId: '7', status: 'FINISHED', startTime },
    data: {
      tags: { 'mlops.tuning_parent': id, 'mlops.registered_version': '3' },
      params: { trial_count: '15', selection_metric: 'accuracy', ...params },
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: startTime, step: 0 })),
    },
  } as unknown as Run;
}

/** Just what tuningsSection asks MLflow for. */
function mlflowWith(runs: Run[]): MlflowClient {
  return {
    getExperimentByName: async () => ({ experimentId: '7' }),
    searchRuns: async () => ({ runs }),
  } as unknown as MlflowClient;
}

function stackOf(state: 'failed' | 'stopped', processes: Partial<ProcessStatus>[]) {
  const at = '2026-12-02T12:16:31.000Z';
  const records = processes.map((p) => ({
    pid: null,
    state: 'stopped' as const,
    restarts: 0,
    last_exit: null,
    log: '/d/logs/x.log',
    health: 'tcp://x:1',
    healthy: false,
    name: 'x',
    ...p,
  }));
  const endpoints = { nats: 'nats://127.0.0.1:1', mlflow: 'http://127.0.0.1:2', predictor: 'http://127.0.0.1:3' };
  return {
    kind: 'state' as const,
    file: '/d/stack.json',
    state: {
      format: 1 as const,
      pid: 42,
      state,
      started_at: at,
      updated_at: at,
      data_dir: '/d',
      endpoints,
      processes: records,
    },
    supervisorAlive: false,
    processes: records,
  };
}

describe('mlops status text', () => {
  it('when a tuning cross-validated, then its best is the cv mean the tracker logged, marked so', async () => {
    const section = await tuningsSection(
      mlflowWith([
        parentRun('tun-cv', Date.parse('2026-12-02T12:20:00Z'), { cv: '5' }, { best_cv_mean_accuracy: 0.861234 }),
        parentRun('tun-holdout', Date.parse('2026-12-02T12:10:00Z'), {}, { best_accuracy: 0.865 }),
      ]),
      'One_Customer_Classifier',
      5,
    );
    const lines = statusText(
      { stack: { kind: 'none', file: '/d/stack.json' }, endpoints: [], model: undefined, tunings: section },
      '/d',
    ).split('\n');
    expect(lines.slice(-3)).toEqual([
      '  started              status    trials  best                       version  tuning',
      '  2026-12-02 12:20:00  FINISHED  15      accuracy=0.8612 (cv mean)  3        tun-cv',
      '  2026-12-02 12:10:00  FINISHED  15      accuracy=0.865             3        tun-holdout',
    ]);
  });

  it('when the predictor serves another version than the champion, then a warning says so; the same version says nothing', () => {
    const model = {
      kind: 'model' as const,
      name: 'One_Customer_Classifier',
      registered: true,
      champion: { version: '2', metric: null, tuningId: null },
      aliases: [{ alias: 'champion', version: '2' }],
    };
    const predictor = (version: string) => ({
      name: 'predictor',
      url: 'http://127.0.0.1:3',
      result: { reachable: true as const, detail: `reachable, serving One_Customer_Classifier version ${version}` },
      served: { name: 'One_Customer_Classifier', version },
    });
    const text = (version: string) =>
      statusText(
        {
          stack: { kind: 'none', file: '/d/stack.json' },
          endpoints: [predictor(version)],
          model: model as never,
          tunings: undefined,
        },
        '/d',
      );
    expect(text('1')).toContain(
      "  WARNING: the predictor serves version 1, not the champion 2: it could not load it (see the predictor's log and model.load_failed on MODELS) or has not reloaded yet",
    );
    expect(text('2')).not.toContain('WARNING');
    const other = statusText(
      {
        stack: { kind: 'none', file: '/d/stack.json' },
        endpoints: [{ ...predictor('7'), served: { name: 'Other_Model', version: '7' } }],
        model: model as never,
        tunings: undefined,
      },
      '/d',
    );
    expect(other).toContain(
      '  WARNING: the predictor serves Other_Model version 7, not One_Customer_Classifier: its MODEL_NAME differs from the model this status reads (--name)',
    );
  });

  it('when the stack gave up on a process, then the head says failed and why', () => {
    const stack = stackOf('failed', [
      { name: 'nats-server' },
      {
        name: 'tracker',
        state: 'failed',
        restarts: 4,
        last_exit: { at: '2026-12-02T12:17:20.000Z', reason: 'exited (code 1, signal null)' },
      },
    ]);
    const lines = statusText({ stack, endpoints: [], model: undefined, tunings: undefined }, '/d').split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'local stack (stack.json): failed, mlops up pid 42, started 2026-12-02 12:16:31',
      '  mlops up gave up on tracker (last: exited (code 1, signal null)), a crash loop, and stopped the stack: see its log',
    ]);
  });
});
