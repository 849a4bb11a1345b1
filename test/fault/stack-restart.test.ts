import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestReply } from '@mlops/bus';
import { main as mlops } from '@mlops/cli';
import { DEFAULT_MODEL_NAME, SUBJECTS } from '@mlops/contracts';
import {
  type LocalStack,
  type ProcessRestartedEvent,
  readStackState,
  type StackEvent,
  startLocalStack,
} from '@mlops/local-stack';
import { createMlflowClient, type MlflowClient, type Run } from '@mlops/mlflow';
import { until } from '@mlops/testkit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';

// The local stack as `mlops up` runs it (startLocalStack: nats-server, MLflow, the four services as processes, on
// free ports with a temporary data directory). The tracker is SIGKILLed from outside, as a crash would end it, while
// a tuning is in flight: the stack must restart it (and only it), and the tuning must still register its version.

let dataDir: string;
let stack: LocalStack;
let mlflow: MlflowClient;
let client: NatsConnection;
const events: StackEvent[] = [];
/** The tuning of the first case, looked at again by the second. */
let tuning: { id: string; trials: number } | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stack-restart-'));
  stack = await startLocalStack({
    dataDir,
    ports: { nats: 0, mlflow: 0, predictor: 0 },
    onEvent: (event) => events.push(event),
  });
  mlflow = createMlflowClient({ trackingUri: stack.trackingUri });
  client = await connect({ servers: stack.natsUrl, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
}, 180_000);

afterAll(async () => {
  await client?.close();
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The runs of a tuning in the default experiment: its parent and its recorded trials. */
async function tuningRuns(tuningId: string): Promise<{ parent: Run | undefined; recorded: number }> {
  const experiment = await mlflow.getExperimentByName(DEFAULT_MODEL_NAME);
  if (experiment === null) return { parent: undefined, recorded: 0 };
  const runs: Run[] = [];
  const filter = `tags.\`mlops.tuning_id\` = '${tuningId}'`;
  for await (const run of mlflow.iterateRuns({ experimentIds: [experiment.experimentId], filter })) runs.push(run);
  return {
    parent: runs.find((r) => r.data.tags['mlops.tuning_parent'] === tuningId),
    recorded: runs.filter((r) => r.data.tags['mlops.recorded'] !== undefined).length,
  };
}

function pids(): Record<string, number | null> {
  return Object.fromEntries(stack.state().processes.map((p) => [p.name, p.pid]));
}

describe('fault: a service of the local stack crashes', () => {
  it('when the tracker is SIGKILLed mid-tuning, then only it is restarted and the tuning still registers its version', async () => {
    onTestFailed(() =>
      console.error(stack.services.map((s) => `--- ${s.name}\n${s.output().slice(-3000)}`).join('\n')),
    );
    const before = pids();
    // 60 trials, not the seed's 15: a CI run recorded all 15 between two looks, and the kill came after the tuning.
    const grid = {
      C: [1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3],
    };
    const request = JSON.stringify({ grid: { ...grid, solver: ['liblinear', 'lbfgs', 'saga'] } });
    const reply = await requestReply(client, SUBJECTS.tuneRequested, request, { timeoutMs: 15_000 });
    if (reply.status !== 'accepted') throw new Error(`tune request rejected: ${JSON.stringify(reply)}`);
    const atKill = await until(
      'two trials recorded',
      async () => {
        const runs = await tuningRuns(reply.tuning_id);
        return runs.recorded >= 2 ? runs : undefined;
      },
      60_000,
      20,
    );
    const killedAt = Date.now();
    process.kill(before.tracker!, 'SIGKILL');
    const restarted = () => events.find((e): e is ProcessRestartedEvent => e.type === 'restarted');
    const back = await until('the tracker restarted', restarted, 60_000, 20);
    const restartMs = Date.now() - killedAt;
    const version = await until(
      `tuning ${reply.tuning_id} registered`,
      async () => (await mlflow.getModelVersionByAlias(DEFAULT_MODEL_NAME, 'champion')) ?? undefined,
      180_000,
      500,
    );
    tuning = { id: reply.tuning_id, trials: reply.trial_count };
    console.info(
      `tracker SIGKILL at ${atKill.recorded}/${reply.trial_count} trials, ready again after ${restartMs} ms`,
    );

    expect(atKill.recorded).toBeLessThan(reply.trial_count);
    expect(atKill.parent?.info.status).toBe('RUNNING');
    expect(version.tags['mlops.tuning_id']).toBe(reply.tuning_id);
    expect((await tuningRuns(reply.tuning_id)).parent?.info.status).toBe('FINISHED');
    const log = join(dataDir, 'logs', 'tracker.log');
    expect(events).toEqual([
      { type: 'exited', name: 'tracker', reason: 'exited (code null, signal SIGKILL)', delayMs: 500, log },
      { type: 'restarted', name: 'tracker', pid: back.pid, restarts: 1, log },
    ]);
    const after = pids();
    expect(after.tracker).not.toBe(before.tracker);
    expect({ ...after, tracker: 0 }).toEqual({ ...before, tracker: 0 });
    expect(stack.restarts()).toEqual({
      'nats-server': 0,
      mlflow: 0,
      trainer: 0,
      tracker: 1,
      predictor: 0,
      monitor: 0,
    });
    const state = await readStackState(dataDir);
    expect(state?.processes.find((p) => p.name === 'tracker')).toMatchObject({
      state: 'running',
      restarts: 1,
      pid: after.tracker,
      last_exit: { reason: 'exited (code null, signal SIGKILL)' },
    });
  }, 300_000);

  it('when mlops status is asked about this stack, then it shows the restart, the champion and the tuning', async () => {
    const champion = await mlflow.getModelVersionByAlias(DEFAULT_MODEL_NAME, 'champion');
    await until(`predictor serving version ${champion?.version}`, async () => {
      const ready = await fetch(`${stack.predictorUrl}/ready`).then(
        (r) => r.json() as Promise<{ model?: { version: string } }>,
      );
      return ready.model?.version === champion?.version ? true : undefined;
    });
    let stdout = '';
    const io = {
      stdout: (t: string) => {
        stdout += t;
      },
      stderr: () => undefined,
      cwd: dataDir,
      env: {},
    };
    const code = await mlops(['status', '--data-dir', dataDir], io);
    console.info(stdout);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}tracker +running +\d+ +1 +answering +\S+ \S+ exited \(code null, signal SIGKILL\)$/m);
    for (const name of ['nats-server', 'mlflow', 'trainer', 'predictor', 'monitor']) {
      expect(stdout).toMatch(new RegExp(`^ {2}${name} +running +\\d+ +0 +answering +-$`, 'm'));
    }
    expect(stdout).toContain(`  NATS       ${stack.natsUrl}  reachable`);
    const served = `serving ${DEFAULT_MODEL_NAME} version ${champion?.version}`;
    expect(stdout).toContain(`  predictor  ${stack.predictorUrl}  reachable, ${served}`);
    expect(stdout).toContain(`champion of ${DEFAULT_MODEL_NAME}: version ${champion?.version} (accuracy `);
    const row = `FINISHED +${tuning?.trials} +accuracy=0\\.\\d+ +${champion?.version} +${tuning?.id}`;
    expect(stdout).toMatch(new RegExp(`^ {2}\\S+ \\S+ +${row}$`, 'm'));
  }, 60_000);
});
