import { spawn } from 'node:child_process';
import { type Bus, connectBus, DEAD_LETTER_HEADERS, deadLetterSubject } from '@mlops/bus';
import { CONSUMERS, type EventData, parseTuneRequest, STREAMS, SUBJECTS } from '@mlops/contracts';
import { createLogger } from '@mlops/service-kit';
import { type NatsServerHandle, startNatsServer } from '@mlops/testkit';
import { headers as natsHeaders, type Subscription } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from './support/run-cli.js';

// How `mlops tune` ends a tuning whose trials completed but that the tracker registered nothing of (no trial has the
// selection metric): the tracker refuses it as `tune.rejected` with the tuning's id, as
// services/tracker/test/nothing-registered.component.test.ts shows. Here the test plays trainer and tracker on a real
// nats-server, so the CLI's side is checked alone.

const logger = createLogger({ service: 'tune-cli-test', level: 'silent' });
let nats: NatsServerHandle;
let bus: Bus;
let trainer: Subscription | undefined;

beforeAll(async () => {
  nats = await startNatsServer();
  bus = await connectBus({ servers: nats.url, name: 'tune-cli-test', logger });
  for (const stream of [STREAMS.tuneRequests, STREAMS.tuningEvents, STREAMS.models]) await bus.ensureStream(stream);
}, 30_000);

afterEach(() => trainer?.unsubscribe());

afterAll(async () => {
  await bus?.close();
  await nats?.stop();
});

const REASON =
  'no completed trial has a roc_auc on its test split (2 completed: the 1-row test split holds one class, and ROC AUC ' +
  'needs both); choose another selection metric, a larger test split (split.test_size) or a stratified one (split.stratify)';

/** The tracker's refusal of a tuning it registered nothing of (id `tune.rejected:<tuning_id>`). */
async function trackerRefuses(tuningId: string, at: string): Promise<void> {
  const refusal = { tuning_id: tuningId, errors: [{ path: 'selection_metric', message: REASON }], rejected_at: at };
  await bus.publishEvent(SUBJECTS.tuneRejected, refusal, { key: tuningId });
}

/** The data set a stand-in trainer's tuning.started names. */
const DATASET = {
  name: 'synthetic',
  digest: '0123456789abcdef',
  source: 'synthetic',
  feature_names: ['x'],
  target: 'y',
  n_train: 8,
  n_test: 2,
  input_example: [[0.5]],
};

/** Trial `index` of a two-trial tuning on a one-row test split: no roc_auc. */
function trial(tuningId: string, index: number): EventData<'run.completed'> {
  const now = new Date().toISOString();
  return {
    tuning_id: tuningId,
    experiment_name: 'e',
    registered_model_name: 'm',
    trial_id: `${tuningId}-${index}`,
    trial_index: index,
    params: {
      C: [1, 10][index]!,
      solver: 'lbfgs',
      tol: 1e-4,
      max_iter: 100,
      fit_intercept: true,
      intercept_scaling: 1,
      penalty: 'l2',
      random_state: 42,
    },
    metrics: { accuracy: 1, precision: 0, recall: 0, f1: 0, roc_auc: null, log_loss: 0.05 + index / 100 },
    model: { classes: [0, 1], coef: [0.5], intercept: -1, feature_names: ['x'] },
    n_iter: 7,
    converged: true,
    warnings: [],
    fit_time_ms: 1,
    dataset_digest: '0123456789abcdef',
    started_at: now,
    ended_at: now,
  };
}

/** Answers tune.requested as the trainer accepts a request, then runs `run` with the request's tuning id. */
function trainerAccepting(run: (tuningId: string) => Promise<void>): void {
  trainer = bus.connection.subscribe(SUBJECTS.tuneRequested, {
    callback: (_err, msg) => {
      const checked = parseTuneRequest(msg.json());
      const tuningId = checked.ok ? (checked.request.tuning_id ?? 'none') : 'invalid';
      msg.respond(JSON.stringify({ status: 'accepted', tuning_id: tuningId, trial_count: 2 }));
      void run(tuningId);
    },
  });
}

/** The tuning as the trainer and the tracker play it: two trials without roc_auc, then the tracker's refusal. */
async function tuningWithoutRocAuc(tuningId: string): Promise<void> {
  const ref = { tuning_id: tuningId, experiment_name: 'e', registered_model_name: 'm' };
  const dataset = {
    name: 'e_rare.csv',
    digest: '0123456789abcdef',
    source: 'file:///data/e_rare.csv',
    feature_names: ['x'],
    target: 'y',
    n_train: 39,
    n_test: 1,
    input_example: [[0.5]],
  };
  const startedAt = new Date().toISOString();
  const started = { ...ref, trial_count: 2, selection_metric: 'roc_auc', dataset, started_at: startedAt } as const;
  await bus.publishEvent(SUBJECTS.tuningStarted, started, { key: tuningId });
  for (const index of [0, 1]) {
    await bus.publishEvent(SUBJECTS.runCompleted, trial(tuningId, index), { key: `${tuningId}-${index}` });
  }
  const endedAt = new Date().toISOString();
  const completed: EventData<'tuning.completed'> = {
    ...ref,
    trial_count: 2,
    completed: 2,
    failed: 0,
    selection_metric: 'roc_auc',
    gate: {},
    ended_at: endedAt,
  };
  await bus.publishEvent(SUBJECTS.tuningCompleted, completed, { key: tuningId });
  await new Promise((resolve) => setTimeout(resolve, 200));
  await trackerRefuses(tuningId, endedAt);
}

const tune = (...args: string[]) =>
  runCli(['tune', '--nats', nats.url, '--metric', 'roc_auc', '--C', '1,10', '--solver', 'lbfgs', ...args], {
    cwd: process.cwd(),
  });

describe('mlops tune when the tracker registers nothing', () => {
  it('when the trials completed but none has the selection metric, then tune prints the results table and the reason at once and exits 1', async () => {
    trainerAccepting(tuningWithoutRocAuc);
    const started = Date.now();
    const result = await tune('--timeout', '60');

    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    const lines = result.stdout.split('\n');
    const rows = lines.filter((line) => /^\s+(1|10)\s+lbfgs\s/.test(line));
    expect(
      rows.map((row) => row.trim().split(/\s+/).slice(0, 2)),
      'both trials in the table',
    ).toEqual([
      ['1', 'lbfgs'],
      ['10', 'lbfgs'],
    ]);
    expect(
      rows.map((row) => row.trim().split(/\s+/)[6]),
      'their roc_auc',
    ).toEqual(['n/a', 'n/a']);
    expect(lines.some((line) => line.includes('← best'))).toBe(false);
    expect(result.stdout.endsWith(`\nnothing was registered:\n  selection_metric: ${REASON}\n`)).toBe(true);
    expect(result.stderr).not.toContain('not registered within');
  }, 30_000);

  it('when the same request is sent again under its tuning id after that refusal, then tune says what it came to at once and exits 1', async () => {
    const tuningId = `repeat-${Date.now()}`;
    await trackerRefuses(tuningId, new Date(Date.now() - 1000).toISOString());
    trainerAccepting(async () => {});
    const started = Date.now();
    const result = await tune('--tuning-id', tuningId, '--timeout', '60');

    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.stderr).toContain(`tuning ${tuningId} already ran with this request; nothing new was trained`);
    expect(result.stdout).toBe(`nothing was registered:\n  selection_metric: ${REASON}\n`);
  }, 30_000);
});

/** A dead letter of the tuning's `tuning.completed` (its stored bytes) as `consumer` writes one after giving up. */
function deadLetterOf(completed: Uint8Array, consumer: string, error: string): void {
  const h = natsHeaders();
  h.set(DEAD_LETTER_HEADERS.reason, 'max-deliveries');
  h.set(DEAD_LETTER_HEADERS.error, error);
  h.set(DEAD_LETTER_HEADERS.consumer, consumer);
  bus.connection.publish(deadLetterSubject(SUBJECTS.tuningCompleted), completed, { headers: h });
}

describe('mlops tune when a service gives up on the tuning', () => {
  it('when the monitor gives up on tuning.completed, then tune waits on; when the tracker does, it says so and exits 1', async () => {
    trainerAccepting(async (tuningId) => {
      const seen = bus.connection.subscribe(SUBJECTS.tuningCompleted, { max: 1 });
      const ref = { tuning_id: tuningId, experiment_name: 'e', registered_model_name: 'm' };
      const at = new Date().toISOString();
      await bus.publishEvent(
        SUBJECTS.tuningCompleted,
        { ...ref, trial_count: 2, completed: 2, failed: 0, selection_metric: 'roc_auc', gate: {}, ended_at: at },
        { key: tuningId },
      );
      for await (const m of seen) {
        deadLetterOf(m.data, CONSUMERS.monitorTuningCompleted, 'the monitor could not read it');
        await new Promise((resolve) => setTimeout(resolve, 500));
        deadLetterOf(m.data, CONSUMERS.trackerEvents, 'MLflow refused it');
      }
    });
    const result = await tune('--timeout', '60');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('failed: the tracker gave up on it (max-deliveries): MLflow refused it');
    expect(result.stderr).not.toContain('the monitor could not read it');
  }, 30_000);
});

describe('mlops tune when it stops waiting while the tuning goes on', () => {
  it('when --timeout expires, then it says the tuning continues and the exact command that follows it (exit 1)', async () => {
    trainerAccepting(async () => {});
    const result = await tune('--timeout', '1');

    expect(result.code).toBe(1);
    const id = /accepted: tuning (\S+),/.exec(result.stderr)?.[1];
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      `mlops tune: stopped waiting for tuning ${id} after --timeout 1 s; it continues on the stack: follow it with: mlops tune --nats ${nats.url} --metric roc_auc --C 1,10 --solver lbfgs --timeout 1 --tuning-id ${id}`,
    );
  }, 30_000);

  it('when every trial ended and the tracker registers nothing before --timeout, then tune says it waits for the tracker, and at the timeout that the tracker did not register in time (exit 1)', async () => {
    trainerAccepting(async (tuningId) => {
      const ref = { tuning_id: tuningId, experiment_name: 'e', registered_model_name: 'm' };
      const started = { ...ref, trial_count: 2, selection_metric: 'accuracy', dataset: DATASET } as const;
      await bus.publishEvent(
        SUBJECTS.tuningStarted,
        { ...started, started_at: new Date().toISOString() },
        { key: tuningId },
      );
      for (const index of [0, 1]) {
        await bus.publishEvent(SUBJECTS.runCompleted, trial(tuningId, index), { key: `${tuningId}-${index}` });
      }
      // The tracker is hung: no model.registered follows.
    });
    const result = await tune('--timeout', '3');

    expect(result.code).toBe(1);
    const id = /accepted: tuning (\S+),/.exec(result.stderr)?.[1];
    const lines = result.stderr.trim().split('\n');
    expect(lines.slice(-3)).toEqual([
      'progress: 2/2 trials (100 %)',
      'all trials ended: waiting for the tracker to register the best model',
      `mlops tune: the tracker did not register the best model of tuning ${id} within --timeout 3 s (see mlops status); it may still: follow it with: mlops tune --nats ${nats.url} --metric roc_auc --C 1,10 --solver lbfgs --timeout 3 --tuning-id ${id}`,
    ]);
  }, 30_000);

  it('when the follow command is run while the tuning runs, then it shows the trials so far and waits for the verdict', async () => {
    const tuningId = `follow-${Date.now()}`;
    const ref = { tuning_id: tuningId, experiment_name: 'e', registered_model_name: 'm' };
    const startedAt = new Date().toISOString();
    await bus.publishEvent(
      SUBJECTS.tuningStarted,
      { ...ref, trial_count: 2, selection_metric: 'accuracy', dataset: DATASET, started_at: startedAt },
      { key: tuningId },
    );
    await bus.publishEvent(SUBJECTS.runCompleted, trial(tuningId, 0), { key: `${tuningId}-0` });
    // The trainer accepts the repeat and does not run it again; the running tuning ends meanwhile.
    trainerAccepting(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await bus.publishEvent(SUBJECTS.runCompleted, trial(tuningId, 1), { key: `${tuningId}-1` });
      const registered: EventData<'model.registered'> = {
        tuning_id: tuningId,
        trial_id: `${tuningId}-0`,
        name: 'm',
        version: '3',
        alias: 'champion',
        run_id: 'r0',
        model_uri: 'models:/m/3',
        source_uri: 'runs:/r0/model',
        metric: { name: 'accuracy', value: 1 },
        registered_at: new Date().toISOString(),
      };
      await bus.publishEvent(SUBJECTS.modelRegistered, registered, { key: tuningId });
    });
    const result = await runCli(['tune', '--nats', nats.url, '--tuning-id', tuningId, '--timeout', '20'], {
      cwd: process.cwd(),
    });

    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout.split('\n').filter((line) => /^\s+(1|10)\s+lbfgs\s/.test(line));
    expect(rows, 'the trial that ended before the follow command, and the one after').toHaveLength(2);
    expect(result.stdout).toContain('registered m version 3 (alias champion)');
    expect(result.stderr).toContain('progress: 1/2 trials (50 %)');
  }, 30_000);

  it('when the process gets Ctrl-C while waiting, then it says the tuning continues and how to follow it (exit 130)', async () => {
    trainerAccepting(async () => {});
    const bin = new URL('../bin/mlops.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, 'tune', '--nats', nats.url, '--C', '1'], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const before = stderr;
      stderr += chunk.toString();
      if (!before.includes('accepted: tuning') && stderr.includes('accepted: tuning')) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exit) => resolve(exit)));

    expect(code, stderr).toBe(130);
    const id = /accepted: tuning (\S+),/.exec(stderr)?.[1];
    expect(stderr.trim().split('\n').at(-1)).toBe(
      `mlops tune: interrupted; tuning ${id} continues on the stack: follow it with: mlops tune --nats ${nats.url} --C 1 --tuning-id ${id}`,
    );
  }, 30_000);
});

describe('commands waiting on NATS when the server stops', () => {
  it('when nats-server stops mid-wait, then tune, retrain and models each end with one line saying so (exit 1), no hang', async () => {
    const own = await startNatsServer();
    const ownBus = await connectBus({ servers: own.url, name: 'tune-cli-lost', logger });
    try {
      for (const stream of [STREAMS.tuneRequests, STREAMS.tuningEvents, STREAMS.models])
        await ownBus.ensureStream(stream);
      let asked = 0;
      const accepting = ownBus.connection.subscribe(SUBJECTS.tuneRequested, {
        callback: (_err, msg) => {
          const checked = parseTuneRequest(msg.json());
          const tuningId = checked.ok ? (checked.request.tuning_id ?? 'none') : 'invalid';
          msg.respond(JSON.stringify({ status: 'accepted', tuning_id: tuningId, trial_count: 2 }));
          asked++;
        },
      });
      // The monitor and the tracker hear the request and never answer.
      for (const subject of [SUBJECTS.monitorRetrain, SUBJECTS.registryModels])
        ownBus.connection.subscribe(subject, {
          callback: () => {
            asked++;
          },
        });
      await ownBus.connection.flush();
      const runs: [Promise<CliRun>, Promise<CliRun>, Promise<CliRun>] = [
        runCli(['tune', '--nats', own.url, '--tuning-id', 'lost-1', '--timeout', '300'], { cwd: process.cwd() }),
        runCli(['retrain', '--nats', own.url], { cwd: process.cwd() }),
        runCli(['models', '--nats', own.url], { cwd: process.cwd() }),
      ];
      const deadline = Date.now() + 10_000;
      while (asked < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(asked, 'every command is waiting').toBe(3);
      accepting.unsubscribe();
      await own.stop();
      const [tuned, retrained, listed] = await Promise.all(runs);

      expect(tuned.code).toBe(1);
      expect(tuned.stderr.trim().split('\n').at(-1)).toBe(
        `mlops tune: lost the connection to NATS at ${own.url} while waiting for tuning lost-1; it continues when the stack is back: follow it with: mlops tune --nats ${own.url} --timeout 300 --tuning-id lost-1`,
      );
      expect(retrained).toMatchObject({ code: 1, stdout: '' });
      expect(retrained.stderr).toBe(
        `mlops retrain: lost the connection to NATS at ${own.url} while waiting for the monitor's answer on monitor.retrain; the retrain may have started: see mlops history once the stack is back\n`,
      );
      expect(listed).toMatchObject({ code: 1, stdout: '' });
      expect(listed.stderr).toBe(
        `mlops models: lost the connection to NATS at ${own.url} while waiting for the tracker's answer on registry.models\n`,
      );
    } finally {
      await ownBus.close().catch(() => undefined);
      await own.stop();
    }
  }, 60_000);
});
