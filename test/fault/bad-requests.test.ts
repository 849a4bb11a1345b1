import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requestReply } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { badTuneRequests } from './support/bad-requests.js';
import { experimentRuns } from './support/outcome.js';
import { FaultStack } from './support/stack.js';

let stack: FaultStack;

beforeAll(async () => {
  stack = await FaultStack.start({ mlflowUri: inject('mlflowTrackingUri'), services: ['trainer', 'tracker'] });
  await mkdir(join(stack.trainerDataDir, 'subdir'));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('bad input: malformed tune requests at the trainer intake', () => {
  it('when each malformed request is sent, then each gets a rejection reply and a tune.rejected, and nothing reaches MLflow', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const named = (request: object) =>
      JSON.stringify({ experiment_name: stack.modelName, registered_model_name: stack.modelName, ...request });
    const corpus = badTuneRequests(named);
    expect(corpus.length).toBeGreaterThanOrEqual(50);
    const accepted: string[] = [];
    const unexplained: string[] = [];
    for (const { label, body } of corpus) {
      const reply = await requestReply(stack.client, SUBJECTS.tuneRequested, body, { timeoutMs: 15_000 });
      if (reply.status !== 'rejected') accepted.push(`${label}: ${JSON.stringify(reply).slice(0, 200)}`);
      else if (reply.errors.length === 0 || !reply.errors.every((e) => e.path !== '' && e.message.length > 0))
        unexplained.push(`${label}: ${JSON.stringify(reply.errors).slice(0, 200)}`);
    }
    expect(accepted, 'requests that were not rejected').toEqual([]);
    expect(unexplained, 'rejections without a path and a message for every error').toEqual([]);

    expect(await stack.storedPerSubject(STREAMS.tuneRequests.name)).toEqual({ [SUBJECTS.tuneRejected]: corpus.length });
    expect(await stack.storedPerSubject(STREAMS.tuningEvents.name)).toEqual({});
    expect(await experimentRuns(stack)).toEqual([]);
    expect(await stack.mlflow.getRegisteredModel(stack.modelName)).toBeNull();
    expect(stack.services.get('trainer')?.exited()).toBeUndefined();
    console.info(`malformed tune requests tried: ${corpus.length}, all rejected, trainer alive`);
  }, 120_000);

  it('when a valid request follows the corpus, then the trainer still accepts it', async () => {
    const accepted = await stack.tune({ grid: { C: [1], solver: ['lbfgs'] } });
    expect(accepted.trialCount).toBe(1);
  });
});

describe('bad input: a tuning accepted, then refused by the worker', () => {
  it('when mlops tune sends a CSV the worker cannot use, then it prints the reason and exits 1 instead of waiting', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const rows = ['C1,basic,3,yes', 'C2,pro,40,', 'C3,plus,5,yes', 'C4,pro,9,yes', 'C5,basic,12,'];
    await writeFile(
      join(stack.trainerDataDir, 'one-class.csv'),
      `customer_id,plan,tenure,churned\n${rows.join('\n')}\n`,
    );
    const bin = new URL('../../cli/bin/mlops.js', import.meta.url).pathname;
    const args = [
      bin,
      'tune',
      '--nats',
      stack.natsUrl,
      '--csv',
      'one-class.csv',
      '--target',
      'churned',
      '--timeout',
      '60',
    ];
    const started = Date.now();
    const run = promisify(execFile)(process.execPath, [...args, '--model-name', stack.modelName], { timeout: 90_000 });
    const failure = await run.then(
      () => null,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/accepted: tuning cli-/);
    expect(failure?.stderr).toMatch(
      /refused after it was accepted:\n {2}dataset: target "churned" holds a single class, "yes" \(after leaving out 2 rows without a label\)/,
    );
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 120_000);
});
