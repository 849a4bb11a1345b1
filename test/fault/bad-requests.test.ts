import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requestReply } from '@mlops/bus';
import { STREAMS, SUBJECTS } from '@mlops/contracts';
import { until } from '@mlops/testkit';
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
    // Its version is registered before the next test tunes the same model, which counts on the latest version.
    await until('its version registered', async () =>
      (await stack.lastRegisteredTuning()) === accepted.tuningId ? true : undefined,
    );
  }, 60_000);
});

/** Runs `mlops tune` with these arguments on the stack; resolves with its exit code and output. */
async function mlopsTune(...more: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const bin = new URL('../../cli/bin/mlops.js', import.meta.url).pathname;
  const args = [bin, 'tune', '--nats', stack.natsUrl, '--timeout', '60', '--model-name', stack.modelName, ...more];
  const started = Date.now();
  const run = promisify(execFile)(process.execPath, args, { timeout: 90_000 });
  const outcome = await run.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({
      code: err.code ?? -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }),
  );
  return { ...outcome, ms: Date.now() - started };
}

/** Runs `mlops tune` on a CSV of the trainer's data directory. */
async function tuneCsv(file: string, target: string) {
  return await mlopsTune('--csv', file, '--target', target);
}

describe('a tune request repeated under its tuning id', () => {
  it('when the same mlops tune runs again after its tuning ended, then it prints what the tuning came to and exits at once, training nothing', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const args = ['--tuning-id', 'repeat-me', '--C', '0.5', '--solver', 'lbfgs'];
    const first = await mlopsTune(...args);
    expect(first.code, first.stderr).toBe(0);
    const registered = first.stdout.match(/^registered .* version (\d+) \(alias \w+\).*$/m);
    expect(registered, first.stdout).not.toBeNull();
    expect(first.stderr, 'the first run is not a repeat').not.toContain('already ran');
    expect(first.stdout.match(/^registered /gm), 'the outcome told once').toHaveLength(1);
    const latest = await stack.mlflow.getLatestModelVersion(stack.modelName);
    expect(latest?.version).toBe(registered?.[1]);

    const again = await mlopsTune(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('tuning repeat-me already ran with this request; nothing new was trained');
    expect(again.stdout).toContain(registered?.[0]);
    expect(again.ms).toBeLessThan(30_000);
    expect((await stack.mlflow.getLatestModelVersion(stack.modelName))?.version).toBe(latest?.version);
  }, 150_000);

  it('when another request claims a running tuning id, then only the other is refused and the first ends with its result', async () => {
    onTestFailed(() => console.error(stack.logs()));
    const bin = new URL('../../cli/bin/mlops.js', import.meta.url).pathname;
    const common = [bin, 'tune', '--nats', stack.natsUrl, '--timeout', '90', '--model-name', stack.modelName];
    const first = spawn(process.execPath, [...common, '--tuning-id', 'contested', '--C', '0.01,0.1,1,10,100']);
    let firstOutput = '';
    first.stdout.on('data', (chunk) => {
      firstOutput += chunk;
    });
    first.stderr.on('data', (chunk) => {
      firstOutput += chunk;
    });
    const firstCode = new Promise<number | null>((resolve) => first.on('close', resolve));
    await until('the first request accepted', () =>
      firstOutput.includes('accepted: tuning contested') ? true : undefined,
    );
    const second = await mlopsTune('--tuning-id', 'contested', '--C', '5', '--solver', 'liblinear');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/tune request rejected:\n {2}tuning_id: .*already/);
    expect(await firstCode, firstOutput).toBe(0);
    expect(firstOutput).not.toContain('refused after it was accepted');
    expect(firstOutput).toMatch(/^registered .* version \d+/m);
  }, 150_000);
});

const header = 'customer_id,plan,tenure,churned';
const BAD_TABLES: [string, string | Buffer, RegExp][] = [
  [
    'one class once rows without a label are left out (refused by the worker, after acceptance)',
    `${header}\nC1,basic,3,yes\nC2,pro,40,\nC3,plus,5,yes\nC4,pro,9,yes\nC5,basic,12,\n`,
    /refused after it was accepted:\n {2}dataset: target "churned" holds a single class, "yes" \(after leaving out 2 rows without a label\)/,
  ],
  [
    'a column with no value (refused by the worker)',
    `${header},notes\nC1,basic,3,yes,\nC2,pro,40,no,\nC3,plus,5,yes,\n`,
    /refused after it was accepted:\n {2}dataset: column "notes" has no value in any row/,
  ],
  [
    'a category in Latin-1, not UTF-8 (refused by the worker instead of read as another category)',
    Buffer.from(`${header}\nC1,basic,3,yes\nC2,rouge\u00e9,40,no\nC3,plus,5,yes\n`, 'latin1'),
    /refused after it was accepted:\n {2}dataset: .*bad-2\.csv:3: byte 0xe9 after "C2,rouge" is not UTF-8: save the file as UTF-8/,
  ],
  [
    'an infinite number (refused by the worker instead of read as text)',
    `${header}\nC1,basic,3,yes\nC2,pro,inf,no\nC3,plus,5,yes\n`,
    /refused after it was accepted:\n {2}dataset: .*bad-3\.csv:3: column "tenure" holds "inf": an infinite value is not a usable number/,
  ],
  [
    'a column named twice (refused at the intake)',
    'plan,plan,churned\nbasic,pro,yes\nplus,pro,no\n',
    /tune request rejected:\n {2}dataset.path: column "plan" is named twice in the header/,
  ],
  [
    '300 columns (refused at the intake)',
    `${Array.from({ length: 299 }, (_, j) => `c${j}`).join(',')},churned\n${'1,'.repeat(299)}yes\n`,
    /tune request rejected:\n {2}dataset.path: 300 columns, at most 256/,
  ],
];

describe('bad input: CSV tables mlops tune cannot use', () => {
  for (const [label, csv, message] of BAD_TABLES) {
    it(`when the table has ${label}, then mlops tune prints why and exits 1 instead of waiting`, async () => {
      onTestFailed(() => console.error(stack.logs()));
      const file = `bad-${BAD_TABLES.findIndex(([l]) => l === label)}.csv`;
      await writeFile(join(stack.trainerDataDir, file), csv);
      const outcome = await tuneCsv(file, 'churned');
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toMatch(message);
      expect(outcome.stderr.match(/refused after it was accepted|tune request rejected/g)).toHaveLength(1);
      // A pipe gets plain progress lines (none here: refused before any trial), never a bar redrawn with \r.
      expect(outcome.stderr).not.toContain('\r');
      expect(outcome.ms).toBeLessThan(45_000);
    }, 120_000);
  }
});
